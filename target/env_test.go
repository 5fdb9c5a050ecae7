package target_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/loadgate/loadgate/target"
)

func TestConfigFromEnv(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"DATABASE_URL": "postgres://x@db/app", "REDIS_URL": "redis://r:6379/1", "LOADGATE_ADDR": ":9000",
		"LOADGATE_PROFILE": "baseline", "LOADGATE_POOL_SIZE": "7", "LOADGATE_PPROF": "127.0.0.1:6060",
		"LOADGATE_LLM": "openai", "LOADGATE_LLM_BASE_URL": "http://llm/v1", "OPENAI_API_KEY": "sk-1",
		"LOADGATE_SIM_MEDIAN": "800ms",
	}
	cfg := target.Config{Addr: "kept-if-unset", Version: "v1"}
	if err := cfg.FromEnv(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if cfg.DatabaseURL != "postgres://x@db/app" || cfg.RedisURL != "redis://r:6379/1" || cfg.Addr != ":9000" ||
		cfg.Profile != target.Baseline || cfg.PoolSize != 7 || cfg.PprofAddr != "127.0.0.1:6060" || cfg.LLM.Provider != "openai" ||
		cfg.LLM.BaseURL != "http://llm/v1" || cfg.LLM.APIKey != "sk-1" || cfg.LLM.SimMedian != 800*time.Millisecond ||
		cfg.Version != "v1" {
		t.Fatalf("config %+v", cfg)
	}
	// LOADGATE_LLM_API_KEY wins over OPENAI_API_KEY.
	env["LOADGATE_LLM_API_KEY"] = "sk-2"
	cfg.FromEnv(func(k string) string { return env[k] })
	if cfg.LLM.APIKey != "sk-2" {
		t.Fatalf("api key %q", cfg.LLM.APIKey)
	}

	bad := map[string]string{"LOADGATE_PROFILE": "fast", "LOADGATE_POOL_SIZE": "-1", "LOADGATE_PPROF": "true", "LOADGATE_SIM_P95": "2 s"}
	err := (&target.Config{}).FromEnv(func(k string) string { return bad[k] })
	if err == nil {
		t.Fatal("bad environment accepted")
	}
	for name := range bad {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
}

// TestSimStreamEnv: the sim's streaming knobs come from their variables,
// and a malformed one is named.
func TestSimStreamEnv(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"LOADGATE_SIM_TTFT_MEDIAN": "300ms", "LOADGATE_SIM_TTFT_P95": "1s",
		"LOADGATE_SIM_ITL_MEDIAN": "15ms", "LOADGATE_SIM_ITL_P95": "40ms", "LOADGATE_SIM_SEED": "42",
	}
	var cfg target.Config
	if err := cfg.FromEnv(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	l := cfg.LLM
	if l.SimTTFTMedian != 300*time.Millisecond || l.SimTTFTP95 != time.Second || l.SimITLMedian != 15*time.Millisecond ||
		l.SimITLP95 != 40*time.Millisecond || l.SimSeed != 42 {
		t.Fatalf("llm config %+v", l)
	}
	bad := map[string]string{"LOADGATE_SIM_SEED": "-1", "LOADGATE_SIM_ITL_MEDIAN": "fast"}
	err := (&target.Config{}).FromEnv(func(k string) string { return bad[k] })
	for name := range bad {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("error %v does not name %s", err, name)
		}
	}
}

// TestKeyPrefix: the prefix of LOADGATE_REDIS_PREFIX when set, else the
// default a Config without one gets.
func TestKeyPrefix(t *testing.T) {
	t.Parallel()
	if got := target.KeyPrefix(func(string) string { return "" }); got != target.DefaultKeyPrefix {
		t.Errorf("unset: %q, want %q", got, target.DefaultKeyPrefix)
	}
	env := map[string]string{target.EnvRedisPrefix: "ci-42:"}
	if got := target.KeyPrefix(func(k string) string { return env[k] }); got != "ci-42:" {
		t.Errorf("set: %q, want ci-42:", got)
	}
}

// TestProfileCheck: the two profiles pass; anything else, the empty one
// included, is refused quoting it and naming both.
func TestProfileCheck(t *testing.T) {
	t.Parallel()
	for p, ok := range map[target.Profile]bool{target.Optimized: true, target.Baseline: true, "fast": false, "": false, "Optimized": false} {
		err := p.Check()
		if (err == nil) != ok {
			t.Errorf("Profile(%q).Check() = %v, want ok %v", p, err, ok)
		}
		if err != nil && !strings.Contains(err.Error(), fmt.Sprintf(`%q: want "optimized" or "baseline"`, string(p))) {
			t.Errorf("Profile(%q).Check() = %v", p, err)
		}
	}
}

func TestConfigErrorsNameTheField(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  target.Config
		want string
	}{
		{"no database", target.Config{}, "DatabaseURL is required"},
		{"bad profile", target.Config{DatabaseURL: "postgres://x", Profile: "turbo"}, `profile "turbo"`},
		{"negative pool", target.Config{DatabaseURL: "postgres://x", PoolSize: -2}, "pool size -2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := target.New(t.Context(), tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
		})
	}
}
