package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is everything `gatehouse serve` and `gatehouse migrate` can be
// told. Each field is one entry of settings below, which is the single
// list of keys, defaults and documentation (README's table mirrors it and
// a test keeps the two in step).
type Config struct {
	Addr            string
	DatabaseURL     string
	DataDir         string
	MasterKey       string
	EncryptionKey   string
	AutoMigrate     string // "auto", "true" or "false"
	LogFormat       string
	LogLevel        string
	ShutdownTimeout time.Duration
	LiteLLMConfig   string
	JobTTL          time.Duration
	RedisURL        string
	StoreBodies     bool
	BodyRetention   time.Duration
	// ReserveOutputTokens is the answer a consumption-mode call reserves
	// credits for (0: the maximal answer).
	ReserveOutputTokens int
	// InstanceExpiry is how long after this process's last heartbeat the
	// single-call jobs it owns are taken for orphans.
	InstanceExpiry time.Duration
	// Pprof serves Go's runtime profiles at /debug/pprof/ on the API's
	// port, to the owner role (and the master key) only.
	Pprof bool
	// Upstream bounds calls to providers (gateway.Timeouts and the total
	// per call).
	UpstreamTimeout          time.Duration
	UpstreamFirstByteTimeout time.Duration
	UpstreamIdleTimeout      time.Duration
	UpstreamMaxBody          int64
	// Metrics and traces (see telemetry): where /metrics is served and
	// with which token, whether series carry a team label, and where
	// traces are exported.
	MetricsAddr       string
	MetricsToken      string
	MetricsTeamLabels bool
	OtelEndpoint      string
	// Webhook delivery (see the webhook package).
	WebhookDeliver      bool
	WebhookAllowPrivate bool
	WebhookTimeout      time.Duration
	WebhookRetryBase    time.Duration
	WebhookRetryWindow  time.Duration
	WebhookRetention    time.Duration
}

// setting describes one configuration key in its three spellings: YAML key,
// environment variable and command-line flag.
type setting struct {
	Key     string // YAML key; the flag is the same with '-' for '_'
	Default string
	Usage   string
	set     func(c *Config, v string) error
}

// Env is the environment variable for the key.
func (s setting) Env() string { return "GATEHOUSE_" + strings.ToUpper(s.Key) }

// Flag is the command-line flag for the key.
func (s setting) Flag() string { return strings.ReplaceAll(s.Key, "_", "-") }

var settings = []setting{
	{"addr", ":8003", "address to listen on",
		func(c *Config, v string) error { c.Addr = v; return nil }},
	{"database_url", "", "PostgreSQL URL (postgres://…); empty uses the embedded SQLite database in data_dir",
		func(c *Config, v string) error { c.DatabaseURL = v; return nil }},
	{"data_dir", "./gatehouse-data", "directory for the embedded SQLite database and generated secrets",
		func(c *Config, v string) error { c.DataDir = v; return nil }},
	{"master_key", "", "operator root secret (at least 32 characters); generated and printed once when unset on first start",
		func(c *Config, v string) error { c.MasterKey = v; return nil }},
	{"encryption_key", "", "32-byte key (64 hex characters or base64) encrypting provider API keys at rest; on SQLite generated into data_dir/encryption.key when unset, required with PostgreSQL",
		func(c *Config, v string) error { c.EncryptionKey = v; return nil }},
	{"auto_migrate", "auto", "apply pending migrations at start: true, false, or auto (true on SQLite, false on PostgreSQL)",
		func(c *Config, v string) error {
			switch v {
			case "auto", "true", "false":
				c.AutoMigrate = v
				return nil
			}
			return errors.New("must be auto, true or false")
		}},
	{"log_format", "auto", "log format: text, json, or auto (text on a terminal, JSON otherwise)",
		func(c *Config, v string) error {
			switch v {
			case "auto", "text", "json":
				c.LogFormat = v
				return nil
			}
			return errors.New("must be auto, text or json")
		}},
	{"log_level", "info", "minimum log level: debug, info, warn or error",
		func(c *Config, v string) error {
			switch v {
			case "debug", "info", "warn", "error":
				c.LogLevel = v
				return nil
			}
			return errors.New("must be debug, info, warn or error")
		}},
	{"litellm_config", "", "LiteLLM litellm_config.yaml whose model_list is imported at start as aliases and operator-wide credentials (existing ones are kept)",
		func(c *Config, v string) error { c.LiteLLMConfig = v; return nil }},
	{"job_ttl", "24h", "jobs still open after this long are expired as failed (their held credits are released)",
		func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < time.Minute {
				return errors.New("must be a duration of at least 1m, such as 24h")
			}
			c.JobTTL = d
			return nil
		}},
	{"redis_url", "", "Redis URL (redis://host:6379/0) to share rate limits across replicas; empty keeps them in-process",
		func(c *Config, v string) error { c.RedisURL = v; return nil }},
	{"store_bodies", "false", "keep each call's request and response bodies with its record (prompts are your customers' data: off by default)",
		func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return errors.New("must be true or false")
			}
			c.StoreBodies = b
			return nil
		}},
	{"body_retention", "720h", "how long stored bodies are kept before they are purged (the rest of each call record stays)",
		func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < time.Hour {
				return errors.New("must be a duration of at least 1h, such as 720h")
			}
			c.BodyRetention = d
			return nil
		}},
	{"reserve_output_tokens", "1024", "output tokens a consumption-mode call reserves credits for when its max_tokens is larger or unset (a typical answer; longer ones are settled from free credits when they end); 0 reserves the maximal answer",
		func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 1_000_000 {
				return errors.New("must be a whole number of tokens from 0 to 1000000")
			}
			c.ReserveOutputTokens = n
			return nil
		}},
	{"instance_expiry", "30s", "a replica whose heartbeat is older than this is taken for dead, and the single-call jobs it owned are failed (their credits released) by the others",
		func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < time.Second || d > time.Hour {
				return errors.New("must be a duration from 1s to 1h, such as 30s")
			}
			c.InstanceExpiry = d
			return nil
		}},
	{"pprof", "false", "serve Go's runtime profiles (/debug/pprof/: goroutines, heap, CPU) on the API's port to the owner role and the master key only, for leak and performance investigations; off by default",
		func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return errors.New("must be true or false")
			}
			c.Pprof = b
			return nil
		}},
	{"upstream_timeout", "10m", "longest a provider call may take, retries and fallbacks included (a stream: until its last event)",
		func(c *Config, v string) error { return setDuration(&c.UpstreamTimeout, v, time.Second, "10m") }},
	{"upstream_first_byte_timeout", "60s", "longest wait for a streamed call's response headers before the attempt fails and is retried (a plain call's headers come only after the whole answer, within upstream_timeout)",
		func(c *Config, v string) error {
			return setDuration(&c.UpstreamFirstByteTimeout, v, 10*time.Millisecond, "60s")
		}},
	{"upstream_idle_timeout", "60s", "longest silence while a provider's answer is read, streamed or not, before the call fails as timed out (it is never retried once the answer started)",
		func(c *Config, v string) error {
			return setDuration(&c.UpstreamIdleTimeout, v, 10*time.Millisecond, "60s")
		}},
	{"upstream_max_body", "32MiB", "largest non-streamed answer read from a provider (bytes, or with KiB, MiB or GiB); a larger one fails the call with a provider error",
		func(c *Config, v string) error {
			n, err := parseSize(v)
			if err != nil || n < 64<<10 || n > 1<<30 {
				return errors.New("must be a size from 64KiB to 1GiB, such as 32MiB")
			}
			c.UpstreamMaxBody = n
			return nil
		}},
	{"metrics_addr", "", "address serving Prometheus metrics at /metrics on a listener of its own (e.g. 127.0.0.1:9090), needing metrics_token only if that is set; empty serves them on the main port if metrics_token is set, else nowhere",
		func(c *Config, v string) error { c.MetricsAddr = v; return nil }},
	{"metrics_token", "", "bearer token GET /metrics must carry; with no metrics_addr, /metrics is served on the main port behind it (at least 16 characters)",
		func(c *Config, v string) error {
			if v != "" && len(v) < 16 {
				return errors.New("must be at least 16 characters (generate one with `openssl rand -hex 16`)")
			}
			c.MetricsToken = v
			return nil
		}},
	{"metrics_team_labels", "false", "add a team label to the per-call metrics (calls, tokens, cost, credits, refusals); off by default because series then grow with the number of teams",
		func(c *Config, v string) error { return setBool(&c.MetricsTeamLabels, v) }},
	{"otel_endpoint", "", "OTLP/HTTP endpoint receiving OpenTelemetry traces (e.g. http://otel-collector:4318); empty uses OTEL_EXPORTER_OTLP_ENDPOINT if set, else traces are off",
		func(c *Config, v string) error { c.OtelEndpoint = v; return nil }},
	{"webhook_deliver", "true", "deliver webhook events from this replica (each event is still sent once: replicas claim deliveries); false leaves delivery to the others",
		func(c *Config, v string) error { return setBool(&c.WebhookDeliver, v) }},
	{"webhook_allow_private", "false", "allow webhook endpoints on loopback, private (RFC 1918, unique-local), link-local and other internal addresses; checked when connecting, after DNS resolution",
		func(c *Config, v string) error { return setBool(&c.WebhookAllowPrivate, v) }},
	{"webhook_timeout", "10s", "longest one webhook delivery attempt may take, connection to answer; a slower receiver's attempt fails and is retried",
		func(c *Config, v string) error { return setDuration(&c.WebhookTimeout, v, 100*time.Millisecond, "10s") }},
	{"webhook_retry_base", "5s", "wait after a webhook delivery's first failed attempt, doubled after each further one (at most 2h between attempts)",
		func(c *Config, v string) error { return setDuration(&c.WebhookRetryBase, v, time.Millisecond, "5s") }},
	{"webhook_retry_window", "24h", "how long after an event (or its replay) failed deliveries are retried before they are marked failed",
		func(c *Config, v string) error { return setDuration(&c.WebhookRetryWindow, v, time.Second, "24h") }},
	{"webhook_retention", "720h", "how long delivered and failed webhook deliveries (and their events) stay in the delivery log before they are pruned",
		func(c *Config, v string) error { return setDuration(&c.WebhookRetention, v, time.Hour, "720h") }},
	{"shutdown_timeout", "30s", "how long in-flight requests (streams included) may take to finish after SIGINT/SIGTERM",
		func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				return errors.New("must be a non-negative duration such as 30s")
			}
			c.ShutdownTimeout = d
			return nil
		}},
}

// setBool parses true or false into *b.
func setBool(b *bool, v string) error {
	parsed, err := strconv.ParseBool(v)
	if err != nil {
		return errors.New("must be true or false")
	}
	*b = parsed
	return nil
}

// setDuration parses a duration of at least least into *d.
func setDuration(d *time.Duration, v string, least time.Duration, example string) error {
	parsed, err := time.ParseDuration(v)
	if err != nil || parsed < least {
		return fmt.Errorf("must be a duration of at least %s, such as %s", least, example)
	}
	*d = parsed
	return nil
}

// parseSize reads a byte count: a plain integer, or one with a binary
// unit (KiB, MiB, GiB).
func parseSize(v string) (int64, error) {
	v = strings.TrimSpace(v)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}} {
		if n, ok := strings.CutSuffix(v, u.suffix); ok {
			v, mult = strings.TrimSpace(n), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || n > (1<<40)/mult {
		return 0, errors.New("not a size")
	}
	return n * mult, nil
}

// loadConfig builds a Config from, in increasing order of precedence,
// defaults, the YAML file named by --config or GATEHOUSE_CONFIG, the
// environment, and flags.
func loadConfig(fs *flag.FlagSet, args []string, getenv func(string) string) (Config, error) {
	var c Config
	flagValues := make(map[string]*string, len(settings))
	for _, s := range settings {
		flagValues[s.Key] = fs.String(s.Flag(), s.Default, s.Usage+" (env "+s.Env()+")")
	}
	configPath := fs.String("config", getenv("GATEHOUSE_CONFIG"), "YAML configuration file (env GATEHOUSE_CONFIG)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}

	values := make(map[string]string, len(settings))
	for _, s := range settings {
		values[s.Key] = s.Default
	}
	if *configPath != "" {
		fromFile, err := readConfigFile(*configPath)
		if err != nil {
			return c, err
		}
		for k, v := range fromFile {
			values[k] = v
		}
	}
	for _, s := range settings {
		if v := getenv(s.Env()); v != "" {
			values[s.Key] = v
		}
	}
	fs.Visit(func(f *flag.Flag) {
		key := strings.ReplaceAll(f.Name, "-", "_")
		if _, ok := values[key]; ok {
			values[key] = *flagValues[key]
		}
	})
	for _, s := range settings {
		if err := s.set(&c, values[s.Key]); err != nil {
			return c, fmt.Errorf("config %s (%s / --%s): %q %w", s.Key, s.Env(), s.Flag(), values[s.Key], err)
		}
	}
	return c, nil
}

// readConfigFile reads a flat YAML mapping of setting keys to values,
// refusing unknown keys so a typo is an error rather than a silent default.
func readConfigFile(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config file: %w", err)
	}
	var raw map[string]any
	if err := yaml.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("parse config file %s: %w", path, err)
	}
	known := make(map[string]bool, len(settings))
	for _, s := range settings {
		known[s.Key] = true
	}
	out := make(map[string]string, len(raw))
	var unknown []string
	for k, v := range raw {
		if !known[k] {
			unknown = append(unknown, k)
			continue
		}
		switch v := v.(type) {
		case string:
			out[k] = v
		case bool:
			out[k] = strconv.FormatBool(v)
		case int:
			out[k] = strconv.Itoa(v)
		case nil:
		default:
			return nil, fmt.Errorf("config file %s: %s must be a scalar", path, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("config file %s: unknown keys %s", path, strings.Join(unknown, ", "))
	}
	return out, nil
}

// sqlitePath is where the embedded database lives.
func (c Config) sqlitePath() string { return filepath.Join(c.DataDir, "gatehouse.db") }

// usesPostgres reports whether the production database is configured.
func (c Config) usesPostgres() bool { return c.DatabaseURL != "" }

// autoMigrate resolves "auto": migrate the embedded database (nobody else
// shares it) but not a shared PostgreSQL, where an operator runs
// `gatehouse migrate up` as a release step.
func (c Config) autoMigrate() bool {
	if c.AutoMigrate == "auto" {
		return !c.usesPostgres()
	}
	return c.AutoMigrate == "true"
}
