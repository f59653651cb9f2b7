// Command paybot is the one binary: the console chat, the chat-platform
// server, and the knowledge-base and incident tools.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

// app holds what every subcommand shares.
type app struct {
	dataDir    string
	configPath string
	getenv     func(string) string
	stdin      io.Reader
	stdout     io.Writer
	stderr     io.Writer
	cfg        *Config
}

const usage = `Paybot coordinates payment incidents in chat.

Usage: paybot [--data DIR] [--config FILE] <command> [flags]

Commands:
  chat [--json] [--thread REF] [--user NAME]   console chat (default without platform credentials)
  serve                                          start the configured Slack and Discord adapters
  incidents list [--json]                        list incidents
  incidents show REF [--json]                    show one incident and its timeline
  incidents export REF [--format md|json]        the postmortem of one incident
  report [--since 30d] [--provider P] [--format md|csv|json]   SLA and incident analytics
  kb index                                       rebuild the knowledge-base index from all sources
  kb import FILE...                              import JSON Lines documents
  kb search [--json] [--limit N] QUERY|-         search; "-" reads one query per line
  kb eval --questions FILE [--json]              top-1, top-3 and MRR@10 on a question set
  kb bench [--docs N] [--queries N]              speed on a synthetic corpus
  discord register                               register the /payissue command with Discord
  config check [FILE]                            validate a config file
  version                                        print the version

Global flags (anywhere on the line):
  --data DIR      data directory (env PAYBOT_DATA, default ./paybot-data)
  --config FILE   YAML config (env PAYBOT_CONFIG)
`

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	a := &app{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	a.dataDir = getenv("PAYBOT_DATA")
	if a.dataDir == "" {
		a.dataDir = "paybot-data"
	}
	a.configPath = getenv("PAYBOT_CONFIG")
	rest, err := a.globalFlags(args)
	if err != nil {
		fmt.Fprintln(stderr, "paybot:", err)
		return 2
	}
	if err := a.dispatch(ctx, rest); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "paybot: %v\n\n%s", err, usage)
			return 2
		}
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "paybot:", err)
		return 1
	}
	return 0
}

type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

// globalFlags pulls --data and --config out of args wherever they are.
func (a *app) globalFlags(args []string) ([]string, error) {
	var rest []string
	for i := 0; i < len(args); i++ {
		arg := args[i]
		name, value, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		if !strings.HasPrefix(arg, "-") || (name != "data" && name != "config") {
			rest = append(rest, arg)
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				return nil, fmt.Errorf("--%s needs a value", name)
			}
			i++
			value = args[i]
		}
		if name == "data" {
			a.dataDir = value
		} else {
			a.configPath = value
		}
	}
	return rest, nil
}

func (a *app) dispatch(ctx context.Context, args []string) error {
	if len(args) == 0 {
		if err := a.loadConfig(); err != nil {
			return err
		}
		if a.platformsConfigured() {
			return a.serve(ctx, nil)
		}
		return a.chat(ctx, nil)
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "version", "--version":
		fmt.Fprintln(a.stdout, "paybot", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(a.stdout, usage)
		return nil
	case "config":
		if len(rest) == 0 || rest[0] != "check" {
			return usageError{"config: did you mean 'config check'?"}
		}
		return a.configCheck(rest[1:])
	}
	if err := a.loadConfig(); err != nil {
		return err
	}
	switch cmd {
	case "chat":
		return a.chat(ctx, rest)
	case "serve":
		return a.serve(ctx, rest)
	case "incidents":
		return a.incidentsCmd(ctx, rest)
	case "kb":
		return a.kbCmd(ctx, rest)
	case "report":
		return a.reportCmd(ctx, rest) // report_cmd.go
	case "discord":
		return a.discordCmd(ctx, rest)
	default:
		return usageError{fmt.Sprintf("unknown command %q", cmd)}
	}
}

// logger writes structured logs. The console chat logs to a file in the
// data directory so the conversation stays readable.
func (a *app) logger(toFile bool) (*slog.Logger, func(), error) {
	if !toFile {
		return slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelInfo})), func() {}, nil
	}
	if err := os.MkdirAll(a.dataDir, 0o700); err != nil {
		return nil, nil, err
	}
	f, err := os.OpenFile(filepath.Join(a.dataDir, "paybot.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, nil, err
	}
	return slog.New(slog.NewTextHandler(f, nil)), func() { f.Close() }, nil
}

// parseFlags parses args allowing flags after positional arguments, as in
// `paybot incidents show PAY-1 --json`. "--" ends flag parsing.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}
