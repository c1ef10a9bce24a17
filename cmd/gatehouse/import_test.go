package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse-llm/gatehouse/sqlite"
)

// `gatehouse import litellm FILE --dry-run` prints and writes nothing; the
// import proper writes; --litellm-config at start runs the same import,
// which then changes nothing.
func TestImportLiteLLMCommand(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "litellm_config.yaml")
	if err := os.WriteFile(file, []byte(`
model_list:
  - model_name: smart
    litellm_params: {model: gpt-4o, api_key: os.environ/OPENAI_API_KEY, rpm: 60}
  - model_name: smart
    litellm_params: {model: claude-3-5-haiku-20241022, api_key: sk-ant-inline, order: 2}
  - model_name: broken
    litellm_params: {model: nobody-knows}
router_settings: {routing_strategy: least-busy, redis_host: r}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	env := map[string]string{"OPENAI_API_KEY": "sk-openai", "GATEHOUSE_DATA_DIR": data, "GATEHOUSE_MASTER_KEY": strings.Repeat("m", 40)}
	getenv := func(k string) string { return env[k] }
	var out strings.Builder
	if err := run(context.Background(), []string{"import", "litellm", file, "--dry-run"}, getenv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"would create alias smart", "would create credential openai litellm-", "skipped model_list[2] (broken): cannot tell the provider",
		"warning: settings Gatehouse does not use (ignored): router_settings.redis_host"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("dry run output lacks %q:\n%s", want, out.String())
		}
	}
	aliases := func() int {
		db, err := sqlite.Open(context.Background(), filepath.Join(data, "gatehouse.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var n int
		if err := db.SQL().QueryRow(`SELECT COUNT(*) FROM model_deployments`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := aliases(); n != 0 {
		t.Fatalf("a dry run wrote %d deployments", n)
	}
	out.Reset()
	if err := run(context.Background(), []string{"import", "litellm", "--data-dir", data, file}, getenv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "created alias smart") || aliases() != 2 {
		t.Fatalf("import: %d deployments, output:\n%s", aliases(), out.String())
	}
	// Serving with the same config imports it again: unchanged.
	err, stderr := runInProcess(env, "--litellm-config", file)
	if err != nil {
		t.Fatalf("serve: %v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, `"unchanged":1`) || !strings.Contains(stderr, `"created":0`) || aliases() != 2 {
		t.Errorf("serve's import was not a no-op:\n%s", stderr)
	}
}
