package main

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/paybot/paybot/adapters/email"
	"github.com/paybot/paybot/incidents"
	"github.com/paybot/paybot/incidents/postgres"
)

// Config is the YAML configuration file. Every setting has an embedded
// default; secrets belong in the environment, which wins over the file.
type Config struct {
	// Timezone is used to read times such as "14:05" (IANA name).
	Timezone string `yaml:"timezone"`
	// HTTPAddr is where `paybot serve` listens (env PAYBOT_HTTP_ADDR).
	HTTPAddr string `yaml:"http_addr"`
	// DatabaseURL selects PostgreSQL (env PAYBOT_DATABASE_URL); empty keeps
	// the embedded SQLite store.
	DatabaseURL string `yaml:"database_url"`
	// Intake replaces or reorders the default intake flow.
	Intake *yaml.Node `yaml:"intake"`
	KB     struct {
		// ArticlesDir holds Markdown articles that add to or override the
		// built-in ones.
		ArticlesDir string `yaml:"articles_dir"`
	} `yaml:"kb"`
	// Slack and Discord take the same keys as their environment variables,
	// lower-cased without the prefix: bot_token, signing_secret, …
	Slack   map[string]string `yaml:"slack"`
	Discord map[string]string `yaml:"discord"`
	// Escalation policy sections, read by incidents.ParsePolicyYAML.
	BusinessHours   yaml.Node `yaml:"business_hours"`
	Team            yaml.Node `yaml:"team"`
	Providers       yaml.Node `yaml:"providers"`
	SLA             yaml.Node `yaml:"sla"`
	Routing         yaml.Node `yaml:"routing"`
	AuthorizedRoles yaml.Node `yaml:"authorized_roles"`
	// IncidentManagers are team ids or roles (issue 10, permissions).
	IncidentManagers yaml.Node `yaml:"incident_managers"`
	// StatusPoll is the status-page poll interval (issue 12), read by
	// incidents.ParsePolicyYAML.
	StatusPoll yaml.Node `yaml:"status_poll"`
	Review     yaml.Node `yaml:"review"` // digest and duplicate window (incidents/review.go)
	// SMTP sends escalation emails (password: env PAYBOT_SMTP_PASSWORD).
	SMTP email.Config `yaml:"smtp"`
	// SchedulerTick is how often due ladder steps, SLA timers and the
	// outbox are checked (default 1s).
	SchedulerTick string `yaml:"scheduler_tick"`
	// InboxRetention is how long processed event keys are kept for dedupe
	// (default 7d).
	InboxRetention string `yaml:"inbox_retention"`
	// OutboxRetention is how long sent notifications are kept (default
	// 7d), OutboxDeadRetention those given up (default 30d), JobRetention
	// done and cancelled timers (default 7d).
	OutboxRetention     string `yaml:"outbox_retention"`
	OutboxDeadRetention string `yaml:"outbox_dead_retention"`
	JobRetention        string `yaml:"job_retention"`

	retention time.Duration
	keep      struct{ sent, dead, jobs time.Duration }
	raw       []byte
	flow      *incidents.Flow
	location  *time.Location
	policy    *incidents.Policy
	tick      time.Duration
}

// loadConfig reads --config (if any) and fails on the first problem; run
// `paybot config check` to see them all with line numbers. Warnings do not
// stop anything.
func (a *app) loadConfig() error {
	cfg, problems, err := readConfig(a.configPath)
	if err != nil {
		return err
	}
	for _, p := range problems {
		if !p.Warning {
			return fmt.Errorf("config %s: %s (run 'paybot config check' for all problems)", position(a.configPath, p), p.Msg)
		}
	}
	a.cfg = cfg
	return nil
}

// position is "file:line:col", the form editors and CI annotate.
func position(path string, p incidents.Problem) string {
	switch {
	case p.Line > 0 && p.Col > 0:
		return fmt.Sprintf("%s:%d:%d", path, p.Line, p.Col)
	case p.Line > 0:
		return fmt.Sprintf("%s:%d", path, p.Line)
	}
	return path
}

// readConfig parses a config file. problems are things wrong inside the
// file, each with the line and column the YAML parser gives for it; err is
// for a file that can't be read.
func readConfig(path string) (*Config, []incidents.Problem, error) {
	cfg := &Config{flow: incidents.DefaultFlow(), location: time.UTC, policy: incidents.DefaultPolicy(), tick: time.Second}
	if path == "" {
		return cfg, nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("reading config: %w", err)
	}
	cfg.raw = data
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return cfg, []incidents.Problem{syntaxProblem(err)}, nil
	}
	if len(doc.Content) == 0 {
		return cfg, nil, nil // an empty file is an empty config
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return cfg, []incidents.Problem{at(root, "the config must be a mapping of settings (key: value)")}, nil
	}
	d := &decoder{}
	d.value(root, reflect.ValueOf(cfg).Elem(), "")
	problems := d.probs
	vals := topLevel(root)

	if cfg.Timezone != "" {
		loc, err := time.LoadLocation(cfg.Timezone)
		if err != nil {
			problems = append(problems, at(vals["timezone"], fmt.Sprintf("timezone %q is not a known IANA zone (for example Europe/Berlin)", cfg.Timezone)))
		} else {
			cfg.location = loc
		}
	}
	if cfg.DatabaseURL != "" {
		// The form only (scheme, and what pgx parses), never the
		// server: config check runs where the database may not be
		// reachable. The message holds no password (postgres.CheckDSN).
		if err := postgres.CheckDSN(cfg.DatabaseURL); err != nil {
			problems = append(problems, at(vals["database_url"], "database_url: "+strings.TrimPrefix(err.Error(), incidents.ErrInvalid.Error()+": postgres dsn: ")))
		}
	}
	flowOK := true
	if cfg.Intake != nil {
		flow, err := incidents.ParseFlowYAML(data)
		var fe incidents.FlowErrors
		switch {
		case errors.As(err, &fe):
			problems = append(problems, fe...)
			flowOK = false
		case err != nil:
			problems = append(problems, incidents.Problem{Msg: err.Error()})
			flowOK = false
		default:
			cfg.flow = flow
		}
	}
	policy, pprobs := incidents.ParsePolicyYAML(data)
	problems = append(problems, pprobs...)
	cfg.policy = policy
	if flowOK && len(pprobs) == 0 {
		problems = append(problems, incidents.CheckConfig(data, cfg.flow, cfg.policy)...)
	}
	for _, msg := range cfg.SMTP.Problems() {
		problems = append(problems, at(vals["smtp"], msg))
	}
	if cfg.SchedulerTick != "" {
		d, err := incidents.ParseDuration(cfg.SchedulerTick)
		if err != nil || d <= 0 {
			problems = append(problems, at(vals["scheduler_tick"], fmt.Sprintf("scheduler_tick %q is not a positive duration (for example 1s)", cfg.SchedulerTick)))
		} else {
			cfg.tick = d
		}
	}
	for _, r := range []struct {
		key, val, example string
		to                *time.Duration
	}{
		{"inbox_retention", cfg.InboxRetention, "7d", &cfg.retention},
		{"outbox_retention", cfg.OutboxRetention, "7d", &cfg.keep.sent},
		{"outbox_dead_retention", cfg.OutboxDeadRetention, "30d", &cfg.keep.dead},
		{"job_retention", cfg.JobRetention, "7d", &cfg.keep.jobs},
	} {
		if r.val == "" {
			continue
		}
		d, err := incidents.ParseDuration(r.val)
		if err != nil || d < time.Hour {
			problems = append(problems, at(vals[r.key], fmt.Sprintf("%s %q is not a duration of an hour or more (for example %s)", r.key, r.val, r.example)))
		} else {
			*r.to = d
		}
	}
	for _, sec := range []struct {
		name  string
		known []string
	}{{"slack", slackKeys}, {"discord", discordKeys}} {
		n := vals[sec.name]
		if n == nil || n.Kind != yaml.MappingNode {
			continue
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if !knownKey(sec.known, k.Value) {
				problems = append(problems, at(k, fmt.Sprintf("unknown %s setting %q%s (known: %s)", sec.name, k.Value, suggest(k.Value, sec.known), strings.Join(sec.known, ", "))))
			}
		}
	}
	sort.SliceStable(problems, func(i, j int) bool {
		if problems[i].Line != problems[j].Line {
			return problems[i].Line < problems[j].Line
		}
		return problems[i].Col < problems[j].Col
	})
	return cfg, problems, nil
}

var (
	slackKeys   = []string{"bot_token", "signing_secret", "app_token", "api_url"}
	discordKeys = []string{"bot_token", "app_id", "public_key", "guild_id", "api_url", "mode"}
)

func knownKey(keys []string, k string) bool {
	for _, x := range keys {
		if x == k {
			return true
		}
	}
	return false
}

// lookup returns a setting by its environment name: the environment first,
// then the matching key of the config file's slack or discord section.
func (a *app) lookup(key string) string {
	if v := a.getenv(key); v != "" {
		return v
	}
	if a.cfg == nil {
		return ""
	}
	switch {
	case key == "PAYBOT_HTTP_ADDR":
		return a.cfg.HTTPAddr
	case key == "PAYBOT_DATABASE_URL":
		return a.cfg.DatabaseURL
	case strings.HasPrefix(key, "SLACK_"):
		return a.cfg.Slack[strings.ToLower(strings.TrimPrefix(key, "SLACK_"))]
	case strings.HasPrefix(key, "DISCORD_"):
		return a.cfg.Discord[strings.ToLower(strings.TrimPrefix(key, "DISCORD_"))]
	}
	return ""
}

// platformsConfigured reports whether any chat platform has settings.
func (a *app) platformsConfigured() bool {
	for _, k := range []string{"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "DISCORD_BOT_TOKEN", "DISCORD_PUBLIC_KEY"} {
		if a.lookup(k) != "" {
			return true
		}
	}
	return false
}

func init() { addCommand(newConfigCmd) }

func newConfigCmd(a *app) *cobra.Command {
	cmd := markSkipConfig(groupCmd("config", "Configuration tools"))
	cmd.AddCommand(&cobra.Command{
		Use:   "check [FILE]",
		Short: "Validate a config file",
		Long: `Validate a config file (FILE, else --config or PAYBOT_CONFIG) and report every
problem with its line and column. Exit code 1 when there is a problem.`,
		Example: "  paybot config check paybot.example.yaml",
		Args:    maxArgs(1, "give at most one FILE"),
		RunE: func(_ *cobra.Command, args []string) error {
			path := a.configPath
			if len(args) > 0 {
				path = args[0]
			}
			return a.configCheck(path)
		},
	})
	return cmd
}

func (a *app) configCheck(path string) error {
	if path == "" {
		return usageError{"config check: give a FILE or --config FILE"}
	}
	cfg, problems, err := readConfig(path)
	if err != nil {
		return err
	}
	for _, msg := range articleProblems(cfg) { // kb_more.go
		problems = append(problems, incidents.Problem{Msg: msg})
	}
	errs := 0
	for _, p := range problems {
		label := ""
		if p.Warning {
			label = "warning: "
		} else {
			errs++
		}
		fmt.Fprintf(a.stdout, "%s: %s%s\n", position(path, p), label, p.Msg)
	}
	if errs > 0 {
		return fmt.Errorf("%s has %d problem(s)", path, errs)
	}
	if w := len(problems); w > 0 {
		fmt.Fprintf(a.stdout, "%s: OK (%d warning(s))\n", path, w)
		return nil
	}
	fmt.Fprintf(a.stdout, "%s: OK\n", path)
	return nil
}
