package main

import "context"

// setupDiscord starts the Discord adapter when DISCORD_* settings are present.
func setupDiscord(ctx context.Context, deps platformDeps) (bool, error) { return false, nil }
