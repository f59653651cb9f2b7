//go:build race

package main

// raceEnabled is true under the race detector, which makes the in-process
// storms and kill tests several times slower: they run a smaller share
// there, and .ci/run runs them whole without it.
const raceEnabled = true
