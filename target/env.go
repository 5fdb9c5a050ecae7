package target

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"
)

// Environment variables read by FromEnv, for the CLI and containers.
const (
	EnvDatabaseURL  = "DATABASE_URL"
	EnvRedisURL     = "REDIS_URL"
	EnvAddr         = "LOADGATE_ADDR"
	EnvProfile      = "LOADGATE_PROFILE"      // optimized | baseline
	EnvPoolSize     = "LOADGATE_POOL_SIZE"    // 0 = from the CPU count
	EnvRedisPrefix  = "LOADGATE_REDIS_PREFIX" // Redis key prefix
	EnvPprof        = "LOADGATE_PPROF"        // host:port of the pprof listener
	EnvLLM          = "LOADGATE_LLM"          // sim | openai
	EnvLLMBaseURL   = "LOADGATE_LLM_BASE_URL"
	EnvLLMModel     = "LOADGATE_LLM_MODEL"
	EnvLLMAPIKey    = "LOADGATE_LLM_API_KEY" // else OPENAI_API_KEY
	EnvOpenAIAPIKey = "OPENAI_API_KEY"
	EnvLLMTimeout   = "LOADGATE_LLM_TIMEOUT" // Go duration
	EnvSimMedian    = "LOADGATE_SIM_MEDIAN"  // Go duration
	EnvSimP95       = "LOADGATE_SIM_P95"     // Go duration
	// The sim's time to first token and gap between tokens (Go durations),
	// and the seed of its draws (an unsigned integer; 0 = from the clock).
	EnvSimTTFTMedian = "LOADGATE_SIM_TTFT_MEDIAN"
	EnvSimTTFTP95    = "LOADGATE_SIM_TTFT_P95"
	EnvSimITLMedian  = "LOADGATE_SIM_ITL_MEDIAN"
	EnvSimITLP95     = "LOADGATE_SIM_ITL_P95"
	EnvSimSeed       = "LOADGATE_SIM_SEED"
)

// KeyPrefix is the Redis key prefix of a target that takes its settings
// from this environment (getenv is usually os.Getenv): $LOADGATE_REDIS_PREFIX,
// else DefaultKeyPrefix. What a caller flushes to clear that target's cache.
func KeyPrefix(getenv func(string) string) string {
	if p := getenv(EnvRedisPrefix); p != "" {
		return p
	}
	return DefaultKeyPrefix
}

// FromEnv sets the fields of c whose variables are set (getenv is usually
// os.Getenv); unset variables leave c as it is, so flags parsed afterwards
// can override. Every malformed value is reported, naming its variable.
func (c *Config) FromEnv(getenv func(string) string) error {
	var errs []error
	str := func(name string, dst *string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	dur := func(name string, dst *time.Duration) {
		if v := getenv(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				errs = append(errs, fmt.Errorf("%s=%q: want a duration such as 1.2s", name, v))
				return
			}
			*dst = d
		}
	}
	str(EnvDatabaseURL, &c.DatabaseURL)
	str(EnvRedisURL, &c.RedisURL)
	str(EnvAddr, &c.Addr)
	str(EnvRedisPrefix, &c.KeyPrefix)
	if v := getenv(EnvProfile); v != "" {
		if err := Profile(v).Check(); err != nil {
			errs = append(errs, fmt.Errorf("%s=%w", EnvProfile, err))
		} else {
			c.Profile = Profile(v)
		}
	}
	if v := getenv(EnvPoolSize); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			errs = append(errs, fmt.Errorf("%s=%q: want 0 (automatic) or a positive integer", EnvPoolSize, v))
		} else {
			c.PoolSize = n
		}
	}
	if v := getenv(EnvPprof); v != "" {
		if _, _, err := net.SplitHostPort(v); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: want host:port, e.g. 127.0.0.1:6060", EnvPprof, v))
		} else {
			c.PprofAddr = v
		}
	}
	str(EnvLLM, &c.LLM.Provider)
	str(EnvLLMBaseURL, &c.LLM.BaseURL)
	str(EnvLLMModel, &c.LLM.Model)
	str(EnvOpenAIAPIKey, &c.LLM.APIKey)
	str(EnvLLMAPIKey, &c.LLM.APIKey)
	dur(EnvLLMTimeout, &c.LLM.Timeout)
	dur(EnvSimMedian, &c.LLM.SimMedian)
	dur(EnvSimP95, &c.LLM.SimP95)
	dur(EnvSimTTFTMedian, &c.LLM.SimTTFTMedian)
	dur(EnvSimTTFTP95, &c.LLM.SimTTFTP95)
	dur(EnvSimITLMedian, &c.LLM.SimITLMedian)
	dur(EnvSimITLP95, &c.LLM.SimITLP95)
	if v := getenv(EnvSimSeed); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: want an unsigned integer (0: from the clock)", EnvSimSeed, v))
		} else {
			c.LLM.SimSeed = n
		}
	}
	return errors.Join(errs...)
}
