package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// TestDockerCompose validates docker-compose.yml with the compose
// specification's own loader (there is no container engine here) and checks
// the topology: PostgreSQL, two Paybot replicas on it, a reverse proxy in
// front, Prometheus scraping both, health checks and volumes.
func TestDockerCompose(t *testing.T) {
	root, _ := filepath.Abs("../..")
	opts, err := cli.NewProjectOptions([]string{filepath.Join(root, "docker-compose.yml")},
		cli.WithWorkingDirectory(root), cli.WithEnv([]string{"SLACK_BOT_TOKEN=xoxb-test"}))
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("docker-compose.yml does not load: %v", err)
	}
	svc := func(name string) types.ServiceConfig {
		s, err := p.GetService(name)
		if err != nil {
			t.Fatalf("service %s: %v", name, err)
		}
		return s
	}
	for _, name := range []string{"postgres", "paybot1", "paybot2", "proxy", "prometheus"} {
		s := svc(name)
		if s.HealthCheck == nil || len(s.HealthCheck.Test) == 0 {
			t.Errorf("%s has no healthcheck", name)
		}
	}
	for _, name := range []string{"paybot1", "paybot2"} {
		s := svc(name)
		if s.Build == nil || s.Build.Context != root {
			t.Errorf("%s is not built from the repository's Dockerfile: %+v", name, s.Build)
		} else {
			// The build context has no .git (.dockerignore): without the
			// build args the image's paybot version says dev, commit unknown.
			for _, arg := range []string{"VERSION", "COMMIT", "BUILD_TIME"} {
				if _, ok := s.Build.Args[arg]; !ok {
					t.Errorf("%s's build does not pass the Dockerfile's %s argument", name, arg)
				}
			}
		}
		env := s.Environment
		if v := env["PAYBOT_DATABASE_URL"]; v == nil || !strings.Contains(*v, "@postgres:5432/") {
			t.Errorf("%s PAYBOT_DATABASE_URL = %v, want the postgres service", name, v)
		}
		if v := env["SLACK_BOT_TOKEN"]; v == nil || *v != "xoxb-test" {
			t.Errorf("%s does not take SLACK_BOT_TOKEN from the environment", name)
		}
		if d, ok := s.DependsOn["postgres"]; !ok || d.Condition != types.ServiceConditionHealthy {
			t.Errorf("%s does not wait for a healthy postgres", name)
		}
		if len(s.Volumes) == 0 || s.Volumes[0].Target != "/data" || s.Volumes[0].Type != types.VolumeTypeVolume {
			t.Errorf("%s has no data volume at /data: %+v", name, s.Volumes)
		}
		if !slices.Equal(s.HealthCheck.Test, types.HealthCheckTest{"CMD", "/paybot", "healthcheck"}) {
			t.Errorf("%s healthcheck = %v", name, s.HealthCheck.Test)
		}
	}
	proxy := svc("proxy")
	if len(proxy.Ports) == 0 || len(proxy.Volumes) == 0 {
		t.Fatal("proxy publishes no port or mounts no config")
	}
	for _, name := range []string{"paybot1", "paybot2"} {
		if _, ok := proxy.DependsOn[name]; !ok {
			t.Errorf("proxy does not depend on %s", name)
		}
	}
	// Every file the services mount exists, and the proxy and Prometheus
	// configs name both replicas.
	for _, s := range p.Services {
		for _, v := range s.Volumes {
			if v.Type != types.VolumeTypeBind {
				continue
			}
			b, err := os.ReadFile(v.Source)
			if err != nil {
				t.Errorf("%s mounts %s: %v", s.Name, v.Source, err)
				continue
			}
			if s.Name == "proxy" || s.Name == "prometheus" {
				for _, r := range []string{"paybot1:8080", "paybot2:8080"} {
					if !strings.Contains(string(b), r) {
						t.Errorf("%s config %s does not name %s", s.Name, v.Source, r)
					}
				}
			}
		}
	}
	for _, v := range []string{"pgdata", "paybot1-data", "paybot2-data"} {
		if _, ok := p.Volumes[v]; !ok {
			t.Errorf("volume %s not declared", v)
		}
	}
	// Every setting `paybot serve --help` lists reaches the replicas from
	// the environment of `docker compose up` (a Socket Mode app token, a
	// Discord guild, the dashboard…), except the data directory (the
	// image's volume) and the profiler (loopback only: useless in a
	// container).
	var help bytes.Buffer
	if code := run(context.Background(), []string{"serve", "--help"}, strings.NewReader(""), &help, io.Discard, func(string) string { return "" }); code != 0 {
		t.Fatalf("serve --help exited %d", code)
	}
	var vars []string
	for _, line := range strings.Split(help.String(), "\n") {
		if f := strings.Fields(line); len(f) > 0 && strings.HasPrefix(line, "  ") && regexp.MustCompile(`^(PAYBOT|SLACK|DISCORD)_[A-Z_]+$`).MatchString(f[0]) {
			vars = append(vars, f[0])
		}
	}
	if len(vars) < 10 {
		t.Fatalf("found only %v in serve --help", vars)
	}
	for _, name := range []string{"paybot1", "paybot2"} {
		s := svc(name)
		for _, v := range vars {
			if v == "PAYBOT_DATA" || v == "PAYBOT_PPROF_ADDR" {
				continue
			}
			if _, ok := s.Environment[v]; !ok {
				t.Errorf("%s does not pass %s (serve --help lists it)", name, v)
			}
		}
		// The configuration file is mounted where PAYBOT_CONFIG says, and
		// it passes config check.
		cfgPath := s.Environment["PAYBOT_CONFIG"]
		if cfgPath == nil || *cfgPath == "" {
			t.Errorf("%s has no PAYBOT_CONFIG: the team, contacts and routing cannot be configured", name)
			continue
		}
		mounted := ""
		for _, c := range s.Configs {
			if c.Target == *cfgPath {
				mounted = p.Configs[c.Source].File
			}
		}
		for _, v := range s.Volumes {
			if v.Target == *cfgPath {
				mounted = v.Source
			}
		}
		if mounted == "" {
			t.Errorf("%s: nothing is mounted at PAYBOT_CONFIG=%s", name, *cfgPath)
			continue
		}
		var out bytes.Buffer
		if code := run(context.Background(), []string{"config", "check", mounted}, strings.NewReader(""), &out, &out, func(string) string { return "" }); code != 0 {
			t.Errorf("%s's config %s fails config check: %s", name, mounted, out.String())
		}
	}
	// The proxy does not publish /metrics: Prometheus scrapes the replicas
	// directly.
	caddy, err := os.ReadFile(filepath.Join(root, "deploy", "Caddyfile"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?s)handle /metrics\*?\s*\{\s*respond 404\s*\}`).Match(caddy) {
		t.Error("deploy/Caddyfile publishes each replica's /metrics through the proxy")
	}
	// The Dockerfile builds a static binary and runs it as non-root.
	df, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CGO_ENABLED=0", "USER 65532", "VOLUME", " AS build"} {
		if !strings.Contains(string(df), want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
}
