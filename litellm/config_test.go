package litellm

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/catalog"
	"github.com/gatehouse-llm/gatehouse/secret"
	"github.com/gatehouse-llm/gatehouse/sqlstore"
	"github.com/gatehouse-llm/gatehouse/sqlstore/storetest"
)

// sample is a LiteLLM proxy config as operators write them, using every
// form the import maps.
const sample = `
model_list:
  # Two Azure regions and an OpenAI overflow key behind one name.
  - model_name: gpt-4o
    litellm_params:
      model: azure/prod-gpt4o
      api_base: https://eastus.example.openai.azure.com
      api_key: os.environ/AZURE_EAST_KEY
      api_version: "2024-10-21"
      rpm: 600
      tpm: 90000
      weight: 3
      region_name: eastus
      timeout: 30
    model_info:
      id: azure-east
      description: GPT-4o, two regions and an overflow key
      input_cost_per_token: 0.0000025
      output_cost_per_token: 0.00001
      mode: chat
  - model_name: gpt-4o
    litellm_params:
      model: azure/prod-gpt4o
      api_base: https://westeurope.example.openai.azure.com
      api_key: os.environ/AZURE_WEST_KEY
      api_version: "2024-10-21"
      rpm: 300
      region_name: westeurope
    model_info:
      id: azure-west
      input_cost_per_token: 0.0000025
      output_cost_per_token: 0.00001
  - model_name: gpt-4o
    litellm_params:
      model: gpt-4o
      api_key: os.environ/OPENAI_API_KEY
      order: 2
  # Provider-less names, as LiteLLM accepts them.
  - model_name: claude
    litellm_params:
      model: claude-3-5-sonnet-20241022
      api_key: os.environ/ANTHROPIC_API_KEY
  - model_name: reasoning
    litellm_params:
      model: o3-mini
  - model_name: embed
    litellm_params:
      model: text-embedding-3-small
  - model_name: flash
    litellm_params:
      model: gemini-2.0-flash
  # A local model nobody priced: imported disabled.
  - model_name: local-llama
    litellm_params:
      model: ollama/llama3
      api_base: http://localhost:11434
  # Broken entries: skipped, named, the rest imported.
  - model_name: mystery
    litellm_params:
      model: some-unknown-model
  - model_name: needs-env
    litellm_params:
      model: openai/gpt-4o-mini
      api_key: os.environ/NOT_SET_ANYWHERE
  - model_name: Bad Name!
    litellm_params:
      model: openai/gpt-4o-mini
  - model_name: bad-rpm
    litellm_params:
      model: openai/gpt-4o-mini
      rpm: lots
litellm_settings:
  drop_params: true
  num_retries: 2
  fallbacks: [{"gpt-4o": ["claude"]}, {"claude": ["reasoning", "nowhere"]}]
  success_callback: ["langfuse"]
router_settings:
  routing_strategy: latency-based-routing
  redis_host: redis.internal
general_settings:
  master_key: sk-1234
`

var sampleEnv = map[string]string{"AZURE_EAST_KEY": "az-east", "AZURE_WEST_KEY": "az-west", "OPENAI_API_KEY": "sk-openai", "ANTHROPIC_API_KEY": "sk-ant"}

func writeConfig(t *testing.T, body string) string {
	p := filepath.Join(t.TempDir(), "litellm_config.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func sealed(t *testing.T, db *sqlstore.DB) *sqlstore.DB {
	sealer, err := secret.NewSealer(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	db.Sealer, db.Models = sealer, catalog.Default()
	return db
}

func TestImport(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		db = sealed(t, db)
		ctx := context.Background()
		cfg, err := Load(writeConfig(t, sample), func(k string) string { return sampleEnv[k] })
		if err != nil {
			t.Fatal(err)
		}

		// A dry run writes nothing and says what would happen.
		dry, err := Import(ctx, db, catalog.Default(), cfg, Options{DryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		if list, _, _ := db.ListAliases(ctx, gatehouse.AliasFilter{}); len(list) != 0 {
			t.Fatalf("dry run created %d aliases", len(list))
		}
		var out bytes.Buffer
		dry.Write(&out, true)
		for _, want := range []string{"would create alias gpt-4o", "skipped model_list[8] (mystery): cannot tell the provider", "warning: settings Gatehouse does not use"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("dry-run report lacks %q:\n%s", want, out.String())
			}
		}

		rep, err := Import(ctx, db, catalog.Default(), cfg, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"gpt-4o", "claude", "reasoning", "embed", "flash", "local-llama"}; !slices.Equal(rep.Created, want) || !slices.Equal(dry.Created, want) {
			t.Errorf("created %v (dry run %v), want %v", rep.Created, dry.Created, want)
		}
		if !slices.Equal(rep.Inactive, []string{"local-llama"}) {
			t.Errorf("inactive %v", rep.Inactive)
		}
		skipped := map[string]string{}
		for _, s := range rep.Skipped {
			skipped[s.Name] = s.Reason
		}
		for name, reason := range map[string]string{
			"model_list[8] (mystery)":    "cannot tell the provider of litellm_params.model \"some-unknown-model\"",
			"model_list[9] (needs-env)":  "NOT_SET_ANYWHERE, which is not set",
			"model_list[10] (Bad Name!)": "cannot be an alias",
			"model_list[11] (bad-rpm)":   "litellm_params.rpm \"lots\" is not a whole number",
		} {
			if !strings.Contains(skipped[name], reason) {
				t.Errorf("skip of %s: %q, want it to say %q", name, skipped[name], reason)
			}
		}
		if len(skipped) != 4 {
			t.Errorf("skipped %v", rep.Skipped)
		}
		// Unused settings: one warning naming each.
		var unusedWarnings int
		for _, w := range rep.Warnings {
			if strings.HasPrefix(w, "settings Gatehouse does not use") {
				unusedWarnings++
				for _, k := range []string{"general_settings", "litellm_settings.drop_params", "litellm_settings.success_callback",
					"router_settings.redis_host", "model_list[].litellm_params.timeout (upstream_timeout applies)", "model_list[].model_info.mode"} {
					if !strings.Contains(w, k) {
						t.Errorf("the unused-settings warning does not name %s: %s", k, w)
					}
				}
			}
		}
		if unusedWarnings != 1 {
			t.Errorf("%d unused-settings warnings, want exactly one: %v", unusedWarnings, rep.Warnings)
		}
		if !slices.ContainsFunc(rep.Warnings, func(w string) bool { return strings.Contains(w, "claude: fallback nowhere ignored") }) {
			t.Errorf("a fallback to a model that does not exist must be a warning: %v", rep.Warnings)
		}

		// gpt-4o, field by field.
		a, err := db.FindAlias(ctx, "gpt-4o")
		if err != nil {
			t.Fatal(err)
		}
		if a.Description != "GPT-4o, two regions and an overflow key" || !a.Active || a.RoutingStrategy != gatehouse.RouteLowestLatency ||
			a.NumRetries == nil || *a.NumRetries != 2 || !slices.Equal(a.Fallbacks, []string{"claude"}) || a.LiteLLMModel != "azure/prod-gpt4o" {
			t.Errorf("alias gpt-4o = %+v", a)
		}
		if len(a.Deployments) != 3 {
			t.Fatalf("gpt-4o deployments: %+v", a.Deployments)
		}
		east, west, overflow := a.Deployments[0], a.Deployments[1], a.Deployments[2]
		price := gatehouse.Pricing{InputPerM: 2_500_000, OutputPerM: 10_000_000}
		if east.ID != "azure-east" || east.LiteLLMModel != "azure/prod-gpt4o" || east.APIBase != "https://eastus.example.openai.azure.com" ||
			east.RPM != 600 || east.TPM != 90000 || east.Weight != 3 || east.Order != 0 || east.Region != "eastus" ||
			east.Extra["api_version"] != "2024-10-21" || len(east.Extra) != 1 || east.Pricing == nil || *east.Pricing != price {
			t.Errorf("east = %+v (pricing %+v)", east, east.Pricing)
		}
		if west.ID != "azure-west" || west.APIBase != "https://westeurope.example.openai.azure.com" || west.RPM != 300 || west.TPM != 0 ||
			west.Weight != 1 || west.Region != "westeurope" || west.Pricing == nil || *west.Pricing != price {
			t.Errorf("west = %+v", west)
		}
		// LiteLLM's order 2 is the second tier: Gatehouse's 1.
		if overflow.ID != "openai/gpt-4o" || overflow.LiteLLMModel != "openai/gpt-4o" || overflow.Order != 1 || overflow.Pricing != nil || overflow.APIBase != "" {
			t.Errorf("overflow = %+v", overflow)
		}
		// Each api_key is its own encrypted credential, pinned.
		keys := map[string]string{}
		for _, d := range a.Deployments {
			c, err := db.FindCredential(ctx, d.CredentialID)
			if err != nil {
				t.Fatalf("deployment %s credential %q: %v", d.ID, d.CredentialID, err)
			}
			keys[d.ID] = c.Provider + " " + c.APIKey + " " + c.APIBase
		}
		if keys["azure-east"] != "azure az-east https://eastus.example.openai.azure.com" || keys["azure-west"] != "azure az-west https://westeurope.example.openai.azure.com" ||
			keys["openai/gpt-4o"] != "openai sk-openai " {
			t.Errorf("credentials: %v", keys)
		}
		// Provider-less names inferred as LiteLLM does.
		for alias, model := range map[string]string{"claude": "anthropic/claude-3-5-sonnet-20241022", "reasoning": "openai/o3-mini",
			"embed": "openai/text-embedding-3-small", "flash": "gemini/gemini-2.0-flash"} {
			got, err := db.FindAlias(ctx, alias)
			if err != nil || got.LiteLLMModel != model || len(got.Deployments) != 1 {
				t.Errorf("%s → %+v, %v; want %s", alias, got, err, model)
			}
		}
		if c, _ := db.FindAlias(ctx, "claude"); !slices.Equal(c.Fallbacks, []string{"reasoning"}) {
			t.Errorf("claude fallbacks %v", c.Fallbacks)
		}
		if l, _ := db.FindAlias(ctx, "local-llama"); l.Active || l.Deployments[0].APIBase != "http://localhost:11434" || l.Deployments[0].CredentialID != "" {
			t.Errorf("local-llama = %+v", l)
		}

		// A restart imports again: nothing changes, not even an edit made
		// through the API since.
		desc := "mine"
		if _, err := db.UpdateAlias(ctx, "claude", gatehouse.AliasUpdate{Description: &desc}); err != nil {
			t.Fatal(err)
		}
		before, _, _ := db.ListCredentials(ctx, gatehouse.CredentialFilter{DefaultsOnly: true})
		again, err := Import(ctx, db, catalog.Default(), cfg, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(again.Created) != 0 || len(again.Updated) != 0 || len(again.CredentialsCreated) != 0 || len(again.Unchanged) != 6 {
			t.Errorf("second import: %+v", again)
		}
		after, _, _ := db.ListCredentials(ctx, gatehouse.CredentialFilter{DefaultsOnly: true})
		if len(after) != len(before) {
			t.Errorf("credentials %d → %d on a second import", len(before), len(after))
		}
		if c, _ := db.FindAlias(ctx, "claude"); c.Description != "mine" {
			t.Error("an unchanged config overwrote an operator's change")
		}

		// The config changes: that alias is updated; an alias the operator
		// made by hand is never touched.
		if err := db.CreateAlias(ctx, &gatehouse.Alias{Alias: "handmade", LiteLLMModel: "openai/gpt-4o-mini", Active: true}); err != nil {
			t.Fatal(err)
		}
		changed := strings.Replace(sample, "rpm: 300", "rpm: 400", 1)
		changed = strings.Replace(changed, "  # Broken entries", "  - model_name: handmade\n    litellm_params:\n      model: openai/gpt-4o\n  # Broken entries", 1)
		cfg2, err := Parse([]byte(changed), "changed", func(k string) string { return sampleEnv[k] })
		if err != nil {
			t.Fatal(err)
		}
		third, err := Import(ctx, db, catalog.Default(), cfg2, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(third.Updated, []string{"gpt-4o"}) {
			t.Errorf("after a config change: updated %v", third.Updated)
		}
		if !slices.ContainsFunc(third.Skipped, func(s Skip) bool {
			return s.Name == "handmade" && strings.Contains(s.Reason, "not created by a LiteLLM import")
		}) {
			t.Errorf("handmade alias not reported as kept: %v", third.Skipped)
		}
		if g, _ := db.FindAlias(ctx, "gpt-4o"); g.Deployments[1].RPM != 400 || !slices.Equal(g.Fallbacks, []string{"claude"}) {
			t.Errorf("updated gpt-4o: %+v", g)
		}
		if h, _ := db.FindAlias(ctx, "handmade"); h.LiteLLMModel != "openai/gpt-4o-mini" {
			t.Errorf("the import changed a hand-made alias: %+v", h)
		}
	})
}

func TestInferModel(t *testing.T) {
	for in, want := range map[string]string{
		"gpt-4o": "openai/gpt-4o", "o1": "openai/o1", "o3-mini": "openai/o3-mini", "o4-mini": "openai/o4-mini",
		"text-embedding-3-large": "openai/text-embedding-3-large", "claude-3-opus-20240229": "anthropic/claude-3-opus-20240229",
		"gemini-1.5-pro": "gemini/gemini-1.5-pro", "openai/gpt-4o": "openai/gpt-4o", "azure/my-deployment": "azure/my-deployment",
		"o1x": "", "llama3": "", "": "",
	} {
		got, ok := InferModel(in, catalog.Default().Supports)
		if got != want || ok != (want != "") {
			t.Errorf("InferModel(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	if _, err := Load(writeConfig(t, "model_list: [\n"), func(string) string { return "" }); err == nil {
		t.Fatal("bad YAML accepted")
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml"), func(string) string { return "" }); err == nil {
		t.Fatal("a missing file accepted")
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
