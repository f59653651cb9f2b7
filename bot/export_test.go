package bot

// IsQuestion is isQuestion, for the tests.
var IsQuestion = isQuestion

// GuardedCommands are the commands the permission matrix checks.
func GuardedCommands() []string {
	var out []string
	for name := range commandGuards {
		out = append(out, name)
	}
	return out
}
