// Command paybot is the one binary: the console chat, the chat-platform
// server, and the knowledge-base and incident tools.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/paybot/paybot/incidents"
	"github.com/paybot/paybot/incidents/redact"

	"github.com/paybot/paybot/kb/kbstore"
)

// version is set at build time with -ldflags "-X main.version=…"; it is
// read through buildInfo (ops.go), never directly, so that every place
// that shows the version shows the same one.
var version = "dev"

func main() {
	if h, err := newLogHandler(os.Stderr, os.Getenv("PAYBOT_LOG_FORMAT"), os.Getenv("PAYBOT_LOG_LEVEL")); err == nil {
		routeLibraryLog(slog.New(h)) // a bad setting is reported by the command itself
	}
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

	// Set by newEngine for `serve`: the opened store and whether the
	// knowledge base opened; metrics, when set before newEngine, is fed
	// by the store decorator.
	store   fullStore
	kbOpen  bool
	metrics *metrics
	// kbFollow: the knowledge base follows the store (kb_follow.go).
	kbFollow *kbstore.Follower
	// consoleNotes: the console chat, with text logs in paybot.log, also
	// says operatorWarn's problems on stderr.
	consoleNotes bool
}

// Exit codes that scripts can rely on.
const (
	exitOK      = 0
	exitFailure = 1 // the command could not do its job
	exitUsage   = 2 // bad flags or arguments: nothing was done
	// exitPartial: the command ran but the result is not what was asked:
	// kb import rejected some lines (the good ones are imported), kb bench
	// missed its speed targets, kb eval scored below --min-top3.
	exitPartial = 3
)

// redactingWriter masks card numbers and secrets in every write. Commands
// write whole lines (or whole JSON values) at a time, so a write is the
// unit that is scanned.
type redactingWriter struct{ w io.Writer }

func (r redactingWriter) Write(p []byte) (int, error) {
	out := redact.String(string(p))
	if _, err := io.WriteString(r.w, out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// usageError is a mistake on the command line: exit 2, with the command's
// usage on stderr.
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

// exitError is a failure with an exit code other than 1.
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }
func (e exitError) Unwrap() error { return e.err }

// commandBuilders are the top-level subcommands. Each lives in its own file
// and registers itself from an init function with addCommand, so that
// adding a subcommand touches no shared file:
//
//	func init() { addCommand(newReportCmd) }
//	func newReportCmd(a *app) *cobra.Command { … }
var commandBuilders []func(*app) *cobra.Command

func addCommand(build func(*app) *cobra.Command) {
	commandBuilders = append(commandBuilders, build)
}

// skipConfig marks a command that runs without reading --config (version,
// config check, which reads the file itself).
const skipConfig = "paybot/skip-config"

// run is the testable entry point: it returns the process exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	// Whatever a command prints passes the redactor: a config value, a
	// webhook header or an imported line may hold a secret or a card
	// number, and a terminal's scrollback and CI logs are storage too.
	stdout = redactingWriter{stdout}
	a := &app{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	root := newRootCmd(a)
	if args == nil {
		args = []string{} // cobra reads os.Args when given nil
	}
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	if cmd == nil {
		cmd = root
	}
	code := exitFailure
	var ue usageError
	var ee exitError
	switch {
	case errors.As(err, &ue):
		code = exitUsage
	case errors.As(err, &ee):
		code = ee.code
	}
	msg := redact.String(err.Error())
	if serving(cmd, root) && jsonLogs(getenv) {
		// serve and chat with JSON logs: stderr is a stream of JSON
		// records, the last one included.
		attrs := []any{"err", msg, "exit", code}
		if code == exitUsage {
			attrs = append(attrs, "usage", cmd.UseLine())
		}
		slog.New(slog.NewJSONHandler(stderr, nil)).Error("paybot stopped", attrs...)
		return code
	}
	fmt.Fprintln(stderr, "paybot:", msg)
	if code == exitUsage {
		fmt.Fprintf(stderr, "usage: %s\nRun '%s --help' for more.\n", cmd.UseLine(), cmd.CommandPath())
	}
	return code
}

// serving reports whether cmd runs the bot (serve, chat, or paybot
// without a command), whose stderr is its log.
func serving(cmd, root *cobra.Command) bool {
	return cmd.Name() == "serve" || cmd.Name() == "chat" || (cmd == root && root.Flags().NArg() == 0)
}

// jsonLogs reports whether PAYBOT_LOG_FORMAT asks for JSON logs.
func jsonLogs(getenv func(string) string) bool {
	return strings.ToLower(getenv("PAYBOT_LOG_FORMAT")) == "json" // as newLogHandler reads it
}

const rootLong = `Paybot coordinates payment incidents in chat.

Without a command, paybot serves the configured chat platforms, or starts the
console chat when none is configured.

Exit codes: 0 success; 1 failure; 2 usage error (nothing was done);
3 partial result (kb import rejected lines, kb bench missed its targets,
kb eval scored below --min-top3).

Environment:
  PAYBOT_DATA     data directory (same as --data)
  PAYBOT_CONFIG   YAML config file (same as --config)
  'paybot serve --help' lists the platform variables.`

func newRootCmd(a *app) *cobra.Command {
	dataDir := a.getenv("PAYBOT_DATA")
	if dataDir == "" {
		dataDir = "paybot-data"
	}
	ver, _, _, _ := buildInfo()
	root := &cobra.Command{
		Use:           "paybot",
		Short:         "Paybot coordinates payment incidents in chat",
		Long:          rootLong,
		Version:       ver, // --version prints versionText, as `paybot version` does
		SilenceErrors: true,
		SilenceUsage:  true,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError{fmt.Sprintf("unknown command %q%s (see 'paybot --help')", args[0], didYouMean(cmd, args[0]))}
			}
			return nil
		},
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			for c := cmd; c != nil; c = c.Parent() {
				if c.Annotations[skipConfig] != "" {
					return nil
				}
			}
			return a.loadConfig()
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if a.platformsConfigured() {
				return a.serve(cmd.Context())
			}
			return a.chat(cmd.Context(), chatOptions{})
		},
	}
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	// A template: the text's own braces (from -ldflags) are quoted.
	root.SetVersionTemplate(strings.NewReplacer("{{", `{{"{{"}}`, "}}", `{{"}}"}}`).Replace(versionText()))
	pf := root.PersistentFlags()
	pf.StringVar(&a.dataDir, "data", dataDir, "data directory (env PAYBOT_DATA)")
	pf.StringVar(&a.configPath, "config", a.getenv("PAYBOT_CONFIG"), "YAML config file (env PAYBOT_CONFIG)")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return usageError{err.Error()}
	})
	for _, build := range commandBuilders {
		root.AddCommand(build(a))
	}
	// The shell completion command reads no config.
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			markSkipConfig(c)
		}
	}
	root.InitDefaultHelpCmd()
	for _, c := range root.Commands() {
		if c.Name() == "help" {
			strictHelp(markSkipConfig(c))
		}
	}
	strictUsage(root)
	return root
}

// strictUsage makes every command of the tree, cobra's own (completion)
// included, refuse what it does not take with a usage error (exit 2): a
// command that only holds subcommands refuses an unknown one or none, and
// a command's argument check that fails is a usage error whatever check
// it is (cobra's NoArgs, or none at all, which cobra reads as "anything").
// TestEveryCommandRefusesUnknownArguments walks the tree to hold this.
func strictUsage(c *cobra.Command) {
	for _, sub := range c.Commands() {
		strictUsage(sub)
	}
	if c.HasSubCommands() && !c.Runnable() {
		c.Args, c.RunE = cobra.ArbitraryArgs, groupRun
	}
	if c.SuggestionsMinimumDistance <= 0 {
		c.SuggestionsMinimumDistance = 2 // cobra's default, which it sets only on its own error path
	}
	check := c.Args
	if check == nil {
		check = cobra.NoArgs
	}
	c.Args = func(cmd *cobra.Command, args []string) error {
		err := check(cmd, args)
		var ue usageError
		if err == nil || errors.As(err, &ue) {
			return err
		}
		return usageError{fmt.Sprintf("%s: %v", cmdName(cmd), err)}
	}
}

// strictHelp makes `paybot help TOPIC…` a usage error when TOPIC is not a
// command (cobra prints its help and exits 0), naming the word it did not
// know and, when one is close, the command meant.
func strictHelp(help *cobra.Command) {
	help.Run = nil
	help.Args = cobra.ArbitraryArgs
	help.RunE = func(c *cobra.Command, args []string) error {
		cmd := c.Root()
		for _, word := range args {
			next := subcommand(cmd, word)
			if next == nil {
				msg := fmt.Sprintf("help: unknown help topic %q", strings.Join(args, " "))
				if cmd != c.Root() {
					msg = fmt.Sprintf("help: %s has no subcommand %q", cmdName(cmd), word)
				}
				return usageError{msg + didYouMean(cmd, word)}
			}
			cmd = next
		}
		cmd.InitDefaultHelpFlag()
		cmd.InitDefaultVersionFlag()
		return cmd.Help()
	}
}

// subcommand returns c's subcommand named (or aliased) name, or nil.
func subcommand(c *cobra.Command, name string) *cobra.Command {
	for _, sub := range c.Commands() {
		if sub.Name() == name || sub.HasAlias(name) {
			return sub
		}
	}
	return nil
}

func markSkipConfig(c *cobra.Command) *cobra.Command {
	if c.Annotations == nil {
		c.Annotations = map[string]string{}
	}
	c.Annotations[skipConfig] = "yes"
	return c
}

// groupCmd is a command that only holds subcommands (kb, incidents, …):
// without one, or with an unknown one, it is a usage error.
func groupCmd(use, short string) *cobra.Command {
	return &cobra.Command{
		Use:                        use + " COMMAND",
		Short:                      short,
		Args:                       cobra.ArbitraryArgs,
		SuggestionsMinimumDistance: 2,
		RunE:                       groupRun,
	}
}

// groupRun is the run of a command that only holds subcommands: reached
// only when none of them was named.
func groupRun(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		var names []string
		for _, c := range cmd.Commands() {
			if c.IsAvailableCommand() {
				names = append(names, c.Name())
			}
		}
		return usageError{fmt.Sprintf("%s: give a subcommand: %s", cmdName(cmd), strings.Join(names, ", "))}
	}
	return usageError{fmt.Sprintf("%s: unknown subcommand %q%s", cmdName(cmd), args[0], didYouMean(cmd, args[0]))}
}

// didYouMean is ` (did you mean "X"?)` for the subcommand of c closest to
// word among those cobra suggests (a near miss or a prefix), or "". Cobra
// lists its suggestions in command order; the closest is the one meant
// ("serch": search, not bench).
func didYouMean(c *cobra.Command, word string) string {
	best, bestDist := "", -1
	for _, s := range c.SuggestionsFor(word) {
		if d := incidents.EditDistance(strings.ToLower(word), strings.ToLower(s)); bestDist < 0 || d < bestDist {
			best, bestDist = s, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// exactArgs is cobra.ExactArgs with a usage error that says what to give.
func exactArgs(n int, hint string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageError{fmt.Sprintf("%s: %s", cmdName(cmd), hint)}
		}
		return nil
	}
}

// minArgs is cobra.MinimumNArgs with a usage error that says what to give.
func minArgs(n int, hint string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < n {
			return usageError{fmt.Sprintf("%s: %s", cmdName(cmd), hint)}
		}
		return nil
	}
}

func init() { addCommand(newVersionCmd) }

func newVersionCmd(a *app) *cobra.Command {
	return markSkipConfig(&cobra.Command{
		Use:   "version",
		Short: "Print the version, the commit and the build time",
		Args:  exactArgs(0, "takes no arguments"),
		RunE: func(*cobra.Command, []string) error {
			printVersion(a.stdout)
			return nil
		},
	})
}

// requireDataDir refuses to go on when the data directory does not exist.
// Read-only commands call it so that a mistyped --data is an error, not a
// fresh empty directory that makes every incident look gone. With
// PostgreSQL the data is in the database, not in the directory (which then
// holds only a search index that is rebuilt from the database when
// missing): an operator's machine with PAYBOT_DATABASE_URL and no data
// directory reads the shared incidents and knowledge base.
func (a *app) requireDataDir() error {
	if a.databaseURL() != "" {
		return nil
	}
	fi, err := os.Stat(a.dataDir)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("data directory %s does not exist (check --data or PAYBOT_DATA; 'paybot chat' or 'paybot kb import' creates one)", a.dataDir)
	}
	if err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("data directory %s is not a directory", a.dataDir)
	}
	return nil
}

// logger writes structured logs. The console chat logs to a file in the
// data directory so the conversation stays readable.
func (a *app) logger(toFile bool) (*slog.Logger, func(), error) {
	if !toFile {
		h, err := newLogHandler(a.stderr, a.getenv("PAYBOT_LOG_FORMAT"), a.getenv("PAYBOT_LOG_LEVEL"))
		if err != nil {
			return nil, nil, err
		}
		return slog.New(h), func() {}, nil
	}
	if err := secureDataDir(a.dataDir); err != nil {
		return nil, nil, err
	}
	f, err := os.OpenFile(filepath.Join(a.dataDir, "paybot.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, nil, err
	}
	h, err := newLogHandler(f, a.getenv("PAYBOT_LOG_FORMAT"), a.getenv("PAYBOT_LOG_LEVEL"))
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return slog.New(h), func() { f.Close() }, nil
}

// maxArgs is cobra.MaximumNArgs with a usage error that says what to give.
func maxArgs(n int, hint string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) > n {
			return usageError{fmt.Sprintf("%s: %s", cmdName(cmd), hint)}
		}
		return nil
	}
}

// cmdName is the command's path without "paybot", for messages that the
// "paybot:" prefix already introduces.
func cmdName(cmd *cobra.Command) string {
	return strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
}
