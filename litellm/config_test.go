package litellm

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/catalog"
	"github.com/gatehouse-llm/gatehouse/secret"
	"github.com/gatehouse-llm/gatehouse/sqlstore/storetest"
)

const sample = `
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_key: os.environ/OPENAI_API_KEY
      rpm: 100
  - model_name: claude
    litellm_params:
      model: anthropic/claude-3-opus-20240229
      api_key: os.environ/ANTHROPIC_API_KEY
  - model_name: my-azure
    litellm_params:
      model: azure/prod-gpt4o
      api_base: https://example.openai.azure.com
      api_key: az-key
      api_version: "2024-10-21"
    model_info:
      input_cost_per_token: 0.0000025
      output_cost_per_token: 0.00001
  - model_name: local-llama
    litellm_params:
      model: ollama/llama3
      api_base: http://localhost:11434
litellm_settings:
  drop_params: true
`

func writeConfig(t *testing.T, body string) string {
	p := filepath.Join(t.TempDir(), "litellm_config.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestImport(t *testing.T) {
	db := storetest.OpenSQLite(t)
	sealer, _ := secret.NewSealer(make([]byte, 32))
	db.Sealer, db.Models = sealer, catalog.Default()
	env := map[string]string{"OPENAI_API_KEY": "sk-openai", "ANTHROPIC_API_KEY": "sk-ant"}
	cfg, err := Load(writeConfig(t, sample), func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rep, err := Import(ctx, db, catalog.Default(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.AliasesCreated, []string{"gpt-4o", "claude", "my-azure", "local-llama"}) {
		t.Errorf("created %v", rep.AliasesCreated)
	}
	if !slices.Equal(rep.AliasesInactive, []string{"local-llama"}) || len(rep.Warnings) != 1 {
		t.Errorf("an unpriceable model must be imported disabled with a warning: %v %v", rep.AliasesInactive, rep.Warnings)
	}
	az, err := db.FindAlias(ctx, "my-azure")
	if err != nil || !az.Active || az.Pricing == nil || az.Pricing.InputPerM != 2_500_000 || az.Pricing.OutputPerM != 10_000_000 {
		t.Fatalf("azure alias %+v %v", az, err)
	}
	creds, _, _ := db.ListCredentials(ctx, gatehouse.CredentialFilter{DefaultsOnly: true})
	got := map[string]string{}
	for _, c := range creds {
		full, _ := db.FindCredential(ctx, c.ID)
		got[c.Provider] = full.APIKey + "|" + full.APIBase + "|" + full.Extra["api_version"]
	}
	want := map[string]string{"openai": "sk-openai||", "anthropic": "sk-ant||", "azure": "az-key|https://example.openai.azure.com|2024-10-21", "ollama": "|http://localhost:11434|"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("credential %s = %q, want %q", k, got[k], v)
		}
	}
	// Importing again changes nothing; an alias the operator changed is kept.
	desc := "mine"
	if _, err := db.UpdateAlias(ctx, "claude", gatehouse.AliasUpdate{Description: &desc}); err != nil {
		t.Fatal(err)
	}
	rep, err = Import(ctx, db, catalog.Default(), cfg, nil)
	if err != nil || len(rep.AliasesCreated) != 0 || len(rep.CredentialsCreated) != 0 || len(rep.AliasesKept) != 4 {
		t.Fatalf("second import: %+v %v", rep, err)
	}
	if a, _ := db.FindAlias(ctx, "claude"); a.Description != "mine" {
		t.Error("import overwrote an operator's change")
	}
}

func TestLoadErrors(t *testing.T) {
	_, err := Load(writeConfig(t, sample), func(string) string { return "" })
	if err == nil || !strings.Contains(err.Error(), "OPENAI_API_KEY") {
		t.Fatalf("missing variable: %v", err)
	}
	if _, err := Load(writeConfig(t, "model_list: [\n"), func(string) string { return "" }); err == nil {
		t.Fatal("bad YAML accepted")
	}
	cfg, _ := Load(writeConfig(t, "model_list:\n  - model_name: x\n    litellm_params:\n      model: gpt-4\n"), func(string) string { return "" })
	db := storetest.OpenSQLite(t)
	if _, err := Import(context.Background(), db, catalog.Default(), cfg, nil); err == nil || !strings.Contains(err.Error(), "provider/model") {
		t.Fatalf("model without provider: %v", err)
	}
}

func TestPricingFrom(t *testing.T) {
	p, err := pricingFrom(scalars{"input_cost_per_token": "3e-07", "output_cost_per_token": "0.0000006"})
	if err != nil || p.InputPerM != 300_000 || p.OutputPerM != 600_000 {
		t.Fatalf("%+v %v", p, err)
	}
	if _, err := pricingFrom(scalars{"input_cost_per_token": "1e-13", "output_cost_per_token": "0"}); err == nil {
		t.Error("sub-micro price accepted")
	}
	if _, err := pricingFrom(scalars{"input_cost_per_token": "0.1"}); err == nil {
		t.Error("half a price accepted")
	}
	// Beyond int64 once scaled: refused with the limit, where the old
	// conversion silently wrapped around to a wrong price.
	if _, err := pricingFrom(scalars{"input_cost_per_token": "1e10", "output_cost_per_token": "0"}); err == nil || !strings.Contains(err.Error(), "1000000000.00") {
		t.Errorf("a price beyond the range: %v", err)
	}
}
