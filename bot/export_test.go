package bot

// IsQuestion is isQuestion, for the tests.
var IsQuestion = isQuestion
