package main

import (
	"database/sql"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

func openTestSQLite(t *testing.T, dataDir string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dataDir, "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "gatehouse.yaml")
	if err := os.WriteFile(file, []byte("addr: \":7000\"\nlog_level: warn\nshutdown_timeout: 5s\ndata_dir: /from/file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want func(Config) bool
	}{
		{"defaults", nil, nil, func(c Config) bool {
			return c.Addr == ":8003" && c.DataDir == "./gatehouse-data" && c.AutoMigrate == "auto" && c.ShutdownTimeout == 30*time.Second && c.DatabaseURL == ""
		}},
		{"file over defaults", []string{"--config", file}, nil, func(c Config) bool {
			return c.Addr == ":7000" && c.LogLevel == "warn" && c.ShutdownTimeout == 5*time.Second
		}},
		{"config file from env", nil, map[string]string{"GATEHOUSE_CONFIG": file}, func(c Config) bool { return c.Addr == ":7000" }},
		{"env over file", []string{"--config", file}, map[string]string{"GATEHOUSE_ADDR": ":7100"}, func(c Config) bool {
			return c.Addr == ":7100" && c.LogLevel == "warn"
		}},
		{"flag over env", []string{"--config", file, "--addr", ":7200"}, map[string]string{"GATEHOUSE_ADDR": ":7100"}, func(c Config) bool {
			return c.Addr == ":7200" && c.DataDir == "/from/file"
		}},
		{"flag equal to default still wins", []string{"--addr", ":8003"}, map[string]string{"GATEHOUSE_ADDR": ":7100"}, func(c Config) bool {
			return c.Addr == ":8003"
		}},
		{"database url from env", nil, map[string]string{"GATEHOUSE_DATABASE_URL": "postgres://x"}, func(c Config) bool {
			return c.usesPostgres() && !c.autoMigrate()
		}},
		{"sqlite auto-migrates", nil, nil, func(c Config) bool { return !c.usesPostgres() && c.autoMigrate() }},
		{"money and liveness defaults", nil, nil, func(c Config) bool {
			return c.ReserveOutputTokens == 1024 && c.InstanceExpiry == 30*time.Second
		}},
		{"money and liveness from env", nil, map[string]string{"GATEHOUSE_RESERVE_OUTPUT_TOKENS": "0", "GATEHOUSE_INSTANCE_EXPIRY": "5s"},
			func(c Config) bool { return c.ReserveOutputTokens == 0 && c.InstanceExpiry == 5*time.Second }},
		{"upstream defaults", nil, nil, func(c Config) bool {
			return c.UpstreamTimeout == 10*time.Minute && c.UpstreamFirstByteTimeout == time.Minute && c.UpstreamIdleTimeout == time.Minute && c.UpstreamMaxBody == 32<<20
		}},
		{"upstream limits set", []string{"--upstream-idle-timeout", "5s", "--upstream-max-body", "512KiB"},
			map[string]string{"GATEHOUSE_UPSTREAM_FIRST_BYTE_TIMEOUT": "2s", "GATEHOUSE_UPSTREAM_TIMEOUT": "90s"}, func(c Config) bool {
				return c.UpstreamIdleTimeout == 5*time.Second && c.UpstreamMaxBody == 512<<10 && c.UpstreamFirstByteTimeout == 2*time.Second && c.UpstreamTimeout == 90*time.Second
			}},
		{"upstream max body in plain bytes", nil, map[string]string{"GATEHOUSE_UPSTREAM_MAX_BODY": "1048576"}, func(c Config) bool {
			return c.UpstreamMaxBody == 1<<20
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			c, err := loadConfig(fs, tt.args, func(k string) string { return tt.env[k] })
			if err != nil {
				t.Fatal(err)
			}
			if !tt.want(c) {
				t.Fatalf("unexpected config %+v", c)
			}
		})
	}
}

func TestConfigRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	typo := filepath.Join(dir, "typo.yaml")
	_ = os.WriteFile(typo, []byte("adr: \":1\"\n"), 0o600)
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
	}{
		{"unknown yaml key", []string{"--config", typo}, nil, "unknown keys adr"},
		{"bad duration", nil, map[string]string{"GATEHOUSE_SHUTDOWN_TIMEOUT": "soon"}, "shutdown_timeout"},
		{"bad log format", []string{"--log-format", "xml"}, nil, "log_format"},
		{"bad auto migrate", nil, map[string]string{"GATEHOUSE_AUTO_MIGRATE": "yes"}, "auto_migrate"},
		{"stray argument", []string{"extra"}, nil, "unexpected argument"},
		{"negative reserve", nil, map[string]string{"GATEHOUSE_RESERVE_OUTPUT_TOKENS": "-1"}, "reserve_output_tokens"},
		{"instance expiry too short", nil, map[string]string{"GATEHOUSE_INSTANCE_EXPIRY": "100ms"}, "instance_expiry"},
		{"idle timeout not a duration", nil, map[string]string{"GATEHOUSE_UPSTREAM_IDLE_TIMEOUT": "a minute"}, "upstream_idle_timeout"},
		{"max body unit unknown", nil, map[string]string{"GATEHOUSE_UPSTREAM_MAX_BODY": "32MB"}, "upstream_max_body"},
		{"max body too small", nil, map[string]string{"GATEHOUSE_UPSTREAM_MAX_BODY": "1KiB"}, "upstream_max_body"},
		{"missing file", []string{"--config", filepath.Join(dir, "none.yaml")}, nil, "read config file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			_, err := loadConfig(fs, tt.args, func(k string) string { return tt.env[k] })
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want one mentioning %q", err, tt.wantErr)
			}
		})
	}
}

// The README's configuration table lists every key with its environment
// variable, flag and default.
func TestREADMEListsEveryConfigKey(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, s := range settings {
		row := "| `" + s.Key + "` | `" + s.Env() + "` | `--" + s.Flag() + "` |"
		if !strings.Contains(readme, row) {
			t.Errorf("README configuration table lacks a row starting %q", row)
		}
		def := s.Default
		if def == "" {
			def = "(empty)"
		}
		if !strings.Contains(readme, row+" `"+def+"` |") && !strings.Contains(readme, row+" "+def+" |") {
			t.Errorf("README row for %s must give the default %q", s.Key, def)
		}
	}
}
