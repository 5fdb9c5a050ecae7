package main

import (
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/loadgate/loadgate/scenarios"
	"github.com/loadgate/loadgate/target/seed"
)

// composeService is what the test reads of a docker-compose.yml service.
type composeService struct {
	Build       string            `yaml:"build"`
	Image       string            `yaml:"image"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	DependsOn   map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Healthcheck struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
}

// TestComposeGivesASeededTarget: `docker compose up -d` (not run here: the
// file is read) starts the target only after a one-shot service has
// migrated and seeded the same database, so the target answers the built-in
// scenarios' default API key, the one README.md documents; every loadgate
// command and flag the file uses exists.
func TestComposeGivesASeededTarget(t *testing.T) {
	b, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]composeService `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &compose); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	target, ok := compose.Services["target"]
	if !ok {
		t.Fatal("no target service")
	}
	// The target waits for a service that seeds its database and exits.
	var seeder string
	for name, dep := range target.DependsOn {
		s := compose.Services[name]
		if dep.Condition == "service_completed_successfully" && len(s.Command) > 0 && s.Command[0] == "seed" {
			seeder = name
		}
	}
	if seeder == "" {
		t.Fatalf("the target depends on no service that runs seed to completion: %+v", target.DependsOn)
	}
	s := compose.Services[seeder]
	// seed migrates, then seeds when the database is empty (a restart keeps the data).
	if strings.Join(s.Command, " ") != "seed --if-empty" {
		t.Errorf("%s runs %q, want seed --if-empty", seeder, s.Command)
	}
	if s.Environment["DATABASE_URL"] == "" || s.Environment["DATABASE_URL"] != target.Environment["DATABASE_URL"] {
		t.Errorf("%s seeds %q, the target reads %q", seeder, s.Environment["DATABASE_URL"], target.Environment["DATABASE_URL"])
	}
	if s.DependsOn["postgres"].Condition != "service_healthy" {
		t.Errorf("%s does not wait for a healthy postgres: %+v", seeder, s.DependsOn)
	}
	if target.Command[0] != "serve" || !strings.Contains(strings.Join(target.Healthcheck.Test, " "), "healthcheck http://127.0.0.1:8080/api/health") {
		t.Errorf("target: command %q, health check %q", target.Command, target.Healthcheck.Test)
	}

	// Every loadgate command line of the file names a command and flags
	// that exist (the image's entrypoint is /loadgate).
	lines := map[string][]string{}
	for name, svc := range compose.Services {
		if svc.Build == "." {
			lines[name] = svc.Command
		}
		if len(svc.Healthcheck.Test) > 2 && svc.Healthcheck.Test[1] == "/loadgate" {
			lines[name+" healthcheck"] = svc.Healthcheck.Test[2:]
		}
	}
	for what, args := range lines {
		if _, ok := commands()[args[0]]; !ok {
			t.Errorf("%s: no command %q", what, args[0])
			continue
		}
		_, help, _ := runCLI(t, args[0], "-h")
		for _, a := range args[1:] {
			if strings.HasPrefix(a, "--") && !strings.Contains(help, "\n  "+a+"\n") && !strings.Contains(help, "\n  "+a+" ") {
				t.Errorf("%s: %s has no flag %s", what, args[0], a)
			}
		}
	}

	// The key: what seed stores is what the built-ins send by default and
	// what README.md tells people.
	t.Setenv("LOADGATE_API_KEY", "")
	sc, err := scenarios.Builtin("steady")
	if err != nil {
		t.Fatal(err)
	}
	if got := sc.Target.Headers["X-API-Key"]; got != seed.DefaultAPIKey {
		t.Errorf("steady sends X-API-Key %q, seed stores %q", got, seed.DefaultAPIKey)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "`docker compose up -d`") || !strings.Contains(string(readme), "API key `"+seed.DefaultAPIKey+"`") {
		t.Errorf("README.md does not document docker compose up -d and the API key %s", seed.DefaultAPIKey)
	}
}
