//go:build race

package discord

func init() { raceEnabled = true }
