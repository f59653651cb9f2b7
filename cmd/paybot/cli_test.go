package main

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/paybot/paybot/kb"
)

// allCommands walks the command tree.
func allCommands(c *cobra.Command) []*cobra.Command {
	out := []*cobra.Command{c}
	for _, sub := range c.Commands() {
		out = append(out, allCommands(sub)...)
	}
	return out
}

// TestHelpOfEveryCommand runs `--help` of every command: exit 0, its own
// usage line, every flag of its own, and no flag that belongs to another
// command (kb import once listed the flags of kb eval).
func TestHelpOfEveryCommand(t *testing.T) {
	root := newRootCmd(&app{getenv: func(string) string { return "" }})
	cmds := allCommands(root)
	if len(cmds) < 15 {
		t.Fatalf("only %d commands found", len(cmds))
	}
	allFlags := map[string]bool{}
	for _, c := range cmds {
		c.LocalNonPersistentFlags().VisitAll(func(f *pflag.Flag) { allFlags[f.Name] = true })
	}
	for _, c := range cmds {
		path := strings.Fields(c.CommandPath())[1:]
		t.Run(strings.Join(append([]string{"paybot"}, path...), "_"), func(t *testing.T) {
			code, out, errOut := runPaybot(t, append(path, "--help")...)
			if code != 0 || errOut != "" {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			if !strings.Contains(out, "Usage:\n  "+c.CommandPath()) {
				t.Errorf("no usage line for %q:\n%s", c.CommandPath(), out)
			}
			own := map[string]bool{"help": true}
			c.LocalNonPersistentFlags().VisitAll(func(f *pflag.Flag) { own[f.Name] = true })
			c.InheritedFlags().VisitAll(func(f *pflag.Flag) { own[f.Name] = true })
			for name := range own {
				if !strings.Contains(out, "--"+name) {
					t.Errorf("help lacks its flag --%s", name)
				}
			}
			for name := range allFlags {
				if !own[name] && regexp.MustCompile(`(?m)^\s+(-\w, )?--`+name+`\b`).MatchString(out) {
					t.Errorf("help lists --%s, a flag of another command:\n%s", name, out)
				}
			}
		})
	}
	// The ones a new user tried first.
	for _, args := range [][]string{
		{"kb", "--help"}, {"kb", "import", "--help"}, {"incidents", "--help"},
		{"discord", "register", "--help"}, {"config", "check", "--help"}, {"help", "kb"}, {"-h"},
	} {
		if code, _, errOut := runPaybot(t, args...); code != 0 {
			t.Errorf("%v: exit %d %s", args, code, errOut)
		}
	}
}

// TestServeHelpListsEnv: `serve --help` names every environment variable
// the code reads (found by grepping the sources the way a reviewer would).
func TestServeHelpListsEnv(t *testing.T) {
	_, out, _ := runPaybot(t, "serve", "--help")
	seen := map[string]bool{}
	re := regexp.MustCompile(`"((?:SLACK|DISCORD|PAYBOT)_[A-Z_]+)"`)
	for _, dir := range []string{".", "../../adapters/slack", "../../adapters/discord", "../../adapters/email"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, f := range files {
			// diagnose and webhook verify read their own variables, listed
			// in their own help; serve never reads them.
			if strings.HasSuffix(f, "_test.go") || strings.HasSuffix(f, "diagnose_cmd.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				seen[m[1]] = true
			}
		}
	}
	var missing []string
	for v := range seen {
		if !strings.Contains(out, v) {
			missing = append(missing, v)
		}
	}
	sort.Strings(missing)
	if len(seen) < 12 || len(missing) > 0 {
		t.Errorf("found %d variables in the code; serve --help lacks %v", len(seen), missing)
	}
}

// TestExitCodes: the codes scripts rely on.
func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"version"}, 0, ""},
		{[]string{"--version"}, 0, ""},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"kb"}, 2, "give a subcommand: bench, eval, import, index, list, remove, search, show"},
		{[]string{"kb", "serch", "x"}, 2, `did you mean "search"?`},
		{[]string{"incidents", "list", "--bogus"}, 2, "unknown flag: --bogus"},
		{[]string{"incidents", "list", "extra"}, 2, "takes no arguments"},
		{[]string{"kb", "import"}, 2, "give one or more JSON Lines files"},
		{[]string{"kb", "search", "--limit", "0", "x"}, 2, "--limit must be at least 1"},
		{[]string{"config", "check"}, 2, "give a FILE or --config FILE"},
		{[]string{"config", "check", "a", "b"}, 2, "at most one FILE"},
		{[]string{"config", "check", filepath.Join(dir, "nope.yaml")}, 1, "reading config"},
		// read-only commands refuse a data directory that does not exist,
		// with --data before, between or after the command words.
		{[]string{"--data", missing, "incidents", "list"}, 1, "does not exist"},
		{[]string{"incidents", "--data", missing, "show", "PAY-1"}, 1, "does not exist"},
		{[]string{"kb", "search", "refund", "--data", missing}, 1, "does not exist"},
		{[]string{"kb", "search", "--data=" + missing, "refund"}, 1, "does not exist"},
	} {
		code, _, stderr := runPaybot(t, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", tc.args, code, stderr, tc.code, tc.want)
		}
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("a read-only command created %s", missing)
	}
}

// TestGlobalFlagsFromEnv: PAYBOT_DATA and PAYBOT_CONFIG stand in for the
// flags, and the flags win.
func TestGlobalFlagsFromEnv(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "from-env")
	env := func(k string) string {
		return map[string]string{"PAYBOT_DATA": missing, "PAYBOT_CONFIG": "../../paybot.example.yaml"}[k]
	}
	var out, errOut strings.Builder
	code := run(t.Context(), []string{"incidents", "list"}, strings.NewReader(""), &out, &errOut, env)
	if code != 1 || !strings.Contains(errOut.String(), missing) {
		t.Errorf("PAYBOT_DATA ignored: exit %d %s", code, errOut.String())
	}
	out.Reset()
	code = run(t.Context(), []string{"config", "check"}, strings.NewReader(""), &out, &errOut, env)
	if code != 0 || !strings.Contains(out.String(), "paybot.example.yaml: OK") {
		t.Errorf("PAYBOT_CONFIG ignored: exit %d %s", code, out.String())
	}
}

func TestBenchVerdict(t *testing.T) {
	good := kb.BenchReport{P50ms: 0.5, P99ms: 2, DocsPerSec: 20000, OpenSeconds: 0.1, PeakRSSMB: 100}
	if err := benchVerdict(good); err != nil {
		t.Errorf("targets met, got %v", err)
	}
	slow := good
	slow.P99ms = 9
	err := benchVerdict(slow)
	var ee exitError
	if !errorsAs(err, &ee) || ee.code != exitPartial || !strings.Contains(err.Error(), "p99") {
		t.Errorf("missed target: %v", err)
	}
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }

// TestEvalAndImportExitCodes: kb import with a rejected line exits 3 after
// importing the good one; kb eval below --min-top3 exits 3.
func TestEvalAndImportExitCodes(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	docs := filepath.Join(dir, "docs.jsonl")
	os.WriteFile(docs, []byte(`{"id": "refund-stuck", "title": "Refunds stuck in pending", "body": "Refunds stay pending while the balance is negative."}`+"\n"+`not json`+"\n"), 0o600)
	if code, out, _ := runPaybot(t, "--data", data, "kb", "import", docs); code != exitPartial || !strings.Contains(out, "imported 1 documents, rejected 1 lines") {
		t.Fatalf("import: exit %d\n%s", code, out)
	}
	qs := filepath.Join(dir, "q.jsonl")
	os.WriteFile(qs, []byte(`{"q": "refunds stuck pending negative balance", "gold": ["refund-stuck"]}`+"\n"), 0o600)
	if code, out, errOut := runPaybot(t, "--data", data, "kb", "eval", "--questions", qs, "--min-top3", "0.5"); code != 0 || !strings.Contains(out, "top-3: 1.000") {
		t.Errorf("eval met: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := runPaybot(t, "--data", data, "kb", "eval", "--questions", qs, "--min-top3", "1.5"); code != exitPartial || !strings.Contains(errOut, "below the required") {
		t.Errorf("eval missed: exit %d %s", code, errOut)
	}
}

// variadic are the commands whose positional arguments are open-ended
// input (files, query words): extra ones are more input, not a mistake.
var variadic = map[string]bool{"paybot kb import": true, "paybot kb search": true}

// TestEveryCommandRefusesUnknownArguments walks the whole command tree,
// cobra's own commands (completion, help) included: an unknown subcommand,
// an unknown flag, an argument a command does not take and an unknown help
// topic are usage errors (exit 2) that name what was wrong, anywhere, and
// nothing is created on the way (the --data directory stays absent).
func TestEveryCommandRefusesUnknownArguments(t *testing.T) {
	root := newRootCmd(&app{getenv: func(string) string { return "" }})
	data := filepath.Join(t.TempDir(), "absent")
	usage := func(t *testing.T, want string, args ...string) {
		t.Helper()
		code, out, errOut := runPaybot(t, append([]string{"--data", data}, args...)...)
		if code != exitUsage || !strings.Contains(errOut, want) || !strings.Contains(errOut, "usage: ") {
			t.Errorf("paybot %s: exit %d, stderr %q, stdout %.200q; want exit 2 naming %q", strings.Join(args, " "), code, errOut, out, want)
		}
		if _, err := os.Stat(data); err == nil {
			t.Fatalf("paybot %s created the data directory", strings.Join(args, " "))
		}
	}
	junk := []string{"bogus-word"}
	for i := 0; i < 20; i++ {
		junk = append(junk, "more-junk")
	}
	n := 0
	for _, c := range allCommands(root) {
		path := strings.Fields(c.CommandPath())[1:]
		name := c.CommandPath()
		t.Run(strings.Join(append([]string{"paybot"}, path...), "_"), func(t *testing.T) {
			n++
			usage(t, "unknown flag: --bogus-flag", append(append([]string{}, path...), "--bogus-flag")...)
			if c.HasSubCommands() {
				usage(t, `"bogus-word"`, append(append([]string{}, path...), "bogus-word")...)
				if c != root { // paybot alone starts the chat
					usage(t, "give a subcommand", path...)
				}
				usage(t, `"bogus-word"`, append([]string{"help"}, append(append([]string{}, path...), "bogus-word")...)...)
			}
			if code, _, errOut := runPaybot(t, append([]string{"help"}, path...)...); code != 0 {
				t.Errorf("paybot help %s: exit %d %s", strings.Join(path, " "), code, errOut)
			}
			if c.HasSubCommands() || c.Name() == "help" {
				return
			}
			err := c.Args(c, junk)
			if err == nil {
				if !variadic[name] {
					t.Fatalf("%s takes any number of arguments: refuse what it does not take, or list it in variadic", name)
				}
				return
			}
			var ue usageError
			if !errors.As(err, &ue) {
				t.Fatalf("%s: junk arguments give %T %v, not a usage error", name, err, err)
			}
			usage(t, cmdName(c), append(append([]string{}, path...), junk...)...)
		})
	}
	if n < 20 {
		t.Fatalf("walked only %d commands", n)
	}
	// The two that exited 0 before.
	usage(t, `unknown subcommand "bogus"`, "completion", "bogus")
	usage(t, `unknown help topic "bogus"`, "help", "bogus")
	usage(t, `"x"`, "completion", "bash", "x")
}
