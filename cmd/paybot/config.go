package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/paybot/paybot/adapters/email"
	"github.com/paybot/paybot/incidents"
)

// Config is the YAML configuration file. Every setting has an embedded
// default; secrets belong in the environment, which wins over the file.
type Config struct {
	// Timezone is used to read times such as "14:05" (IANA name).
	Timezone string `yaml:"timezone"`
	// HTTPAddr is where `paybot serve` listens (env PAYBOT_HTTP_ADDR).
	HTTPAddr string `yaml:"http_addr"`
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
	// SMTP sends escalation emails (password: env PAYBOT_SMTP_PASSWORD).
	SMTP email.Config `yaml:"smtp"`
	// SchedulerTick is how often due ladder steps, SLA timers and the
	// outbox are checked (default 1s).
	SchedulerTick string `yaml:"scheduler_tick"`

	raw      []byte
	flow     *incidents.Flow
	location *time.Location
	policy   *incidents.Policy
	tick     time.Duration
}

// loadConfig reads --config (if any) and fails on the first problem; run
// `paybot config check` to see them all with line numbers.
func (a *app) loadConfig() error {
	cfg, problems, err := readConfig(a.configPath)
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return fmt.Errorf("config %s: %s (run 'paybot config check' for all problems)", a.configPath, problems[0])
	}
	a.cfg = cfg
	return nil
}

// readConfig parses a config file. problems are things wrong inside the
// file, each with its line number; err is for a file that can't be read.
func readConfig(path string) (*Config, []string, error) {
	cfg := &Config{flow: incidents.DefaultFlow(), location: time.UTC, policy: incidents.DefaultPolicy(), tick: time.Second}
	if path == "" {
		return cfg, nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("reading config: %w", err)
	}
	cfg.raw = data
	var problems []string
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, errEmptyYAML(err)) {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			problems = append(problems, te.Errors...)
		} else {
			return cfg, []string{err.Error()}, nil
		}
	}
	if cfg.Timezone != "" {
		loc, err := time.LoadLocation(cfg.Timezone)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: timezone %q is not a known IANA zone (for example Europe/Berlin)", lineOf(data, "timezone:"), cfg.Timezone))
		} else {
			cfg.location = loc
		}
	}
	if cfg.Intake != nil {
		flow, err := incidents.ParseFlowYAML(data)
		if err != nil {
			problems = append(problems, splitLines(err.Error())...)
		} else {
			cfg.flow = flow
		}
	}
	policy, pprobs := incidents.ParsePolicyYAML(data)
	for _, p := range pprobs {
		problems = append(problems, p.String())
	}
	cfg.policy = policy
	problems = append(problems, cfg.SMTP.Problems()...)
	if cfg.SchedulerTick != "" {
		d, err := incidents.ParseDuration(cfg.SchedulerTick)
		if err != nil || d <= 0 {
			problems = append(problems, fmt.Sprintf("%s: scheduler_tick %q is not a positive duration (for example 1s)", lineOf(data, "scheduler_tick:"), cfg.SchedulerTick))
		} else {
			cfg.tick = d
		}
	}
	for key := range cfg.Slack {
		if !knownKey(slackKeys, key) {
			problems = append(problems, fmt.Sprintf("%s: unknown slack setting %q (known: %s)", lineOf(data, key+":"), key, strings.Join(slackKeys, ", ")))
		}
	}
	for key := range cfg.Discord {
		if !knownKey(discordKeys, key) {
			problems = append(problems, fmt.Sprintf("%s: unknown discord setting %q (known: %s)", lineOf(data, key+":"), key, strings.Join(discordKeys, ", ")))
		}
	}
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

// errEmptyYAML treats an empty file as an empty config.
func errEmptyYAML(err error) error {
	if err != nil && err.Error() == "EOF" {
		return err
	}
	return errors.New("not empty")
}

func splitLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// lineOf finds the first line holding needle, for messages about values
// that yaml decoding accepted but that are still wrong.
func lineOf(data []byte, needle string) string {
	for i, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, needle) {
			return fmt.Sprintf("line %d", i+1)
		}
	}
	return "config"
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

func (a *app) configCheck(args []string) error {
	path := a.configPath
	if len(args) > 0 {
		path = args[0]
	}
	if path == "" {
		return usageError{"config check: give a FILE or --config FILE"}
	}
	cfg, problems, err := readConfig(path)
	if err != nil {
		return err
	}
	problems = append(problems, articleProblems(cfg)...) // kb_more.go
	if len(problems) == 0 {
		fmt.Fprintf(a.stdout, "%s: OK\n", path)
		return nil
	}
	for _, p := range problems {
		fmt.Fprintf(a.stdout, "%s: %s\n", path, p)
	}
	return fmt.Errorf("%s has %d problem(s)", path, len(problems))
}
