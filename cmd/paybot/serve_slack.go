package main

import "context"

// setupSlack starts the Slack adapter when SLACK_* settings are present.
func setupSlack(ctx context.Context, deps platformDeps) (bool, error) { return false, nil }
