package services

import (
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// docker-compose.yml cannot be run here (no engine), so check what can be:
// it parses, every service has a health check, and it publishes PostgreSQL
// and Redis where the defaults of this package look for them.
func TestComposeFileMatchesDefaults(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			Image       string         `yaml:"image"`
			Build       any            `yaml:"build"`
			Ports       []string       `yaml:"ports"`
			Healthcheck map[string]any `yaml:"healthcheck"`
			Environment map[string]string
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(data, &compose); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	want := map[string]string{
		"postgres": "127.0.0.1:5432:5432",
		"redis":    "127.0.0.1:6379:6379",
		"target":   "127.0.0.1:8080:8080",
	}
	for name, port := range want {
		svc, ok := compose.Services[name]
		if !ok {
			t.Errorf("service %s missing", name)
			continue
		}
		if len(svc.Ports) != 1 || svc.Ports[0] != port {
			t.Errorf("%s publishes %v, want %s", name, svc.Ports, port)
		}
		if svc.Healthcheck["test"] == nil {
			t.Errorf("%s has no health check", name)
		}
	}
	if !strings.Contains(DefaultDatabaseURL, "127.0.0.1:5432/"+compose.Services["postgres"].Environment["POSTGRES_DB"]) {
		t.Errorf("DefaultDatabaseURL %s does not name the compose database %q", DefaultDatabaseURL, compose.Services["postgres"].Environment["POSTGRES_DB"])
	}
	if !strings.Contains(DefaultRedisURL, "127.0.0.1:6379") {
		t.Errorf("DefaultRedisURL %s is not the compose Redis", DefaultRedisURL)
	}
}
