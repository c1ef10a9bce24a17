package catalog

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse/provider/mock"
)

// seedModels are the models Gatehouse's documentation and examples name;
// each must be priced so the examples work as written.
var seedModels = []string{
	"openai/gpt-4",
	"openai/gpt-4-turbo",
	"openai/gpt-3.5-turbo",
	"openai/gpt-4-vision-preview",
	"openai/gpt-4o",
	"anthropic/claude-3-opus-20240229",
	"anthropic/claude-3-sonnet-20240229",
	"anthropic/claude-3-haiku-20240307",
	"anthropic/claude-3-5-sonnet-20240620",
	"gemini/gemini-pro",
	"bedrock/anthropic.claude-3-opus-20240229-v1:0",
	"bedrock/anthropic.claude-3-sonnet-20240229-v1:0",
	"bedrock/meta.llama3-70b-instruct-v1:0",
}

// currentModels are the providers' current models the catalogue promises
// to cover.
var currentModels = []string{
	"openai/gpt-4o-mini", "openai/gpt-4.1", "openai/gpt-4.1-mini", "openai/gpt-4.1-nano",
	"openai/o1", "openai/o3", "openai/o3-mini", "openai/o4-mini",
	"openai/gpt-5", "openai/gpt-5-mini", "openai/gpt-5-nano",
	"openai/text-embedding-3-small", "openai/text-embedding-3-large", "openai/text-embedding-ada-002",
	"anthropic/claude-3-5-haiku-20241022", "anthropic/claude-3-7-sonnet-20250219",
	"anthropic/claude-sonnet-4-20250514", "anthropic/claude-opus-4-20250514", "anthropic/claude-opus-4-1-20250805",
	"anthropic/claude-sonnet-4-5-20250929", "anthropic/claude-opus-4-5-20251101", "anthropic/claude-haiku-4-5-20251001",
	"gemini/gemini-1.5-pro", "gemini/gemini-1.5-flash", "gemini/gemini-2.0-flash",
	"gemini/gemini-2.5-pro", "gemini/gemini-2.5-flash", "gemini/gemini-2.5-flash-lite",
	"gemini/text-embedding-004", "gemini/gemini-embedding-001",
	"bedrock/anthropic.claude-3-haiku-20240307-v1:0", "bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0",
	"bedrock/global.anthropic.claude-sonnet-4-5-20250929-v1:0", "bedrock/amazon.nova-pro-v1:0",
	"bedrock/amazon.titan-embed-text-v2:0", "bedrock/meta.llama3-3-70b-instruct-v1:0",
	"mistral/mistral-large-2411", "mistral/mistral-embed",
	"groq/llama-3.3-70b-versatile", "fireworks_ai/accounts/fireworks/models/llama-v3p3-70b-instruct",
	"together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo", "deepseek/deepseek-chat", "deepseek/deepseek-reasoner",
	"xai/grok-4", "perplexity/sonar-pro", "cerebras/llama-3.3-70b",
}

// splitID cuts "provider/model" at the first slash; model names may
// contain slashes themselves.
func splitID(t *testing.T, id string) (string, string) {
	t.Helper()
	for i := 0; i < len(id); i++ {
		if id[i] == '/' {
			return id[:i], id[i+1:]
		}
	}
	t.Fatalf("%q has no provider", id)
	return "", ""
}

func TestDefaultParses(t *testing.T) {
	if _, err := Parse(embedded); err != nil {
		t.Fatalf("embedded models.json: %v", err)
	}
	c := Default()
	if c != Default() {
		t.Error("Default should parse once and return the same catalogue")
	}
	if c.Version() != "2026.11.24" || c.Date() != "2026-11-24" {
		t.Errorf("version %q date %q", c.Version(), c.Date())
	}
}

func TestMustParsePanicsOnABrokenFile(t *testing.T) {
	defer func() {
		r := recover()
		if msg, _ := r.(string); !strings.HasPrefix(msg, "catalog: embedded models.json is invalid: ") {
			t.Errorf("recovered %v, want the invalid-catalogue panic", r)
		}
	}()
	mustParse([]byte(`{"version":"x"}`))
}

func TestCatalogCoversModels(t *testing.T) {
	c := Default()
	for _, id := range append(slices.Clone(seedModels), currentModels...) {
		provider, name := splitID(t, id)
		m, ok := c.Lookup(provider, name)
		if !ok {
			t.Errorf("%s is missing", id)
			continue
		}
		if m.Provider != provider || m.Name != name {
			t.Errorf("%s: looked up as %s/%s", id, m.Provider, m.Name)
		}
		if _, ok := m.PricesOn(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)); !ok {
			t.Errorf("%s has no price in force today", id)
		}
	}
}

func TestKnownPrices(t *testing.T) {
	c := Default()
	day := func(s string) time.Time {
		d, err := time.Parse(dateLayout, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	set := func(p PerMillion) OptionalPrice { return OptionalPrice{Value: p, Set: true} }
	tests := []struct {
		id   string
		on   string
		want Prices
	}{
		{"openai/gpt-4o", "2024-06-01", Prices{Effective: "2024-05-13", Input: 5_000_000, Output: 15_000_000}},
		{"openai/gpt-4o", "2024-10-02", Prices{Effective: "2024-10-02", Input: 2_500_000, Output: 10_000_000, CacheRead: set(1_250_000)}},
		{"openai/gpt-4", "2026-11-24", Prices{Effective: "2023-03-14", Input: 30_000_000, Output: 60_000_000}},
		{"openai/text-embedding-3-small", "2026-11-24", Prices{Effective: "2024-01-25", Input: 20_000}},
		{"anthropic/claude-3-5-sonnet-20240620", "2026-11-24", Prices{Effective: "2024-06-20", Input: 3_000_000, Output: 15_000_000, CacheRead: set(300_000), CacheWrite: set(3_750_000)}},
		{"anthropic/claude-3-sonnet-20240229", "2026-11-24", Prices{Effective: "2024-03-04", Input: 3_000_000, Output: 15_000_000}},
		{"gemini/gemini-1.5-flash", "2024-08-11", Prices{Effective: "2024-05-14", Input: 350_000, Output: 1_050_000}},
		{"gemini/gemini-1.5-flash", "2024-08-12", Prices{Effective: "2024-08-12", Input: 75_000, Output: 300_000, CacheRead: set(18_750)}},
		{"bedrock/meta.llama3-70b-instruct-v1:0", "2026-11-24", Prices{Effective: "2024-04-23", Input: 2_650_000, Output: 3_500_000}},
		{"deepseek/deepseek-chat", "2026-11-24", Prices{Effective: "2025-09-30", Input: 280_000, Output: 420_000, CacheRead: set(28_000)}},
	}
	for _, tt := range tests {
		provider, name := splitID(t, tt.id)
		m, ok := c.Lookup(provider, name)
		if !ok {
			t.Errorf("%s is missing", tt.id)
			continue
		}
		got, ok := m.PricesOn(day(tt.on))
		if !ok || got != tt.want {
			t.Errorf("%s on %s = %+v (%v), want %+v", tt.id, tt.on, got, ok, tt.want)
		}
	}
	m, _ := c.Lookup("openai", "gpt-4o")
	if p, ok := m.PricesOn(day("2024-05-12")); ok {
		t.Errorf("gpt-4o has a price before its launch: %+v", p)
	}
}

func TestMockModelsAreFree(t *testing.T) {
	c := Default()
	for _, tt := range []struct {
		name string
		mode Mode
	}{{mock.ModelEcho, ModeChat}, {mock.ModelFixed, ModeChat}, {mock.ModelEmbed, ModeEmbedding}} {
		m, ok := c.Lookup("mock", tt.name)
		if !ok {
			t.Errorf("mock/%s is missing", tt.name)
			continue
		}
		if m.Mode != tt.mode {
			t.Errorf("mock/%s mode %q, want %q", tt.name, m.Mode, tt.mode)
		}
		for _, p := range m.Prices {
			if p.Input != 0 || p.Output != 0 || p.CacheRead.Set || p.CacheWrite.Set {
				t.Errorf("mock/%s is not free: %+v", tt.name, p)
			}
		}
	}
	// "Explicitly zero": the file states the prices rather than omitting
	// them.
	raw := rawCatalog(t)
	for _, p := range raw.Providers {
		if p.Name != "mock" {
			continue
		}
		for _, m := range p.Models {
			for _, pr := range m.Prices {
				if pr["input"] != "0" || (m.Mode == ModeChat && pr["output"] != "0") {
					t.Errorf("mock/%s prices %v are not explicitly \"0\"", m.Name, pr)
				}
			}
		}
	}
	if len(c.Models("mock")) != 3 {
		t.Errorf("mock has %d models, want 3", len(c.Models("mock")))
	}
}

// rawFile is models.json decoded without the loader, so tests can check
// the file independently of Parse.
type rawFile struct {
	Providers []struct {
		Name   string `json:"name"`
		Open   bool   `json:"open"`
		Models []struct {
			Name   string              `json:"name"`
			Mode   Mode                `json:"mode"`
			Prices []map[string]string `json:"prices"`
		} `json:"models"`
	} `json:"providers"`
}

func rawCatalog(t *testing.T) rawFile {
	t.Helper()
	var f rawFile
	if err := json.Unmarshal(embedded, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestEveryPriceParsesAndIsUnique(t *testing.T) {
	raw := rawCatalog(t)
	c := Default()
	seen := map[string]bool{}
	prices := 0
	for _, p := range raw.Providers {
		for _, m := range p.Models {
			id := p.Name + "/" + m.Name
			if seen[id] {
				t.Errorf("%s is listed twice", id)
			}
			seen[id] = true
			loaded, ok := c.Lookup(p.Name, m.Name)
			if !ok || len(loaded.Prices) != len(m.Prices) {
				t.Errorf("%s: loaded %d price entries, the file has %d", id, len(loaded.Prices), len(m.Prices))
				continue
			}
			for i, entry := range m.Prices {
				for field, s := range entry {
					if field == "effective" {
						continue
					}
					v, err := ParsePerMillion(s)
					if err != nil {
						t.Errorf("%s prices[%d].%s: %v", id, i, field, err)
						continue
					}
					prices++
					if got := loadedField(loaded.Prices[i], field); got != v {
						t.Errorf("%s prices[%d].%s loaded as %d, want %d", id, i, field, got, v)
					}
				}
			}
		}
	}
	if prices < 300 {
		t.Errorf("only %d prices checked; is the file complete?", prices)
	}
}

// loadedField is the loaded value of a price named as in the file.
func loadedField(p Prices, field string) PerMillion {
	switch field {
	case "input":
		return p.Input
	case "output":
		return p.Output
	case "cache_read":
		return p.CacheRead.Value
	case "cache_write":
		return p.CacheWrite.Value
	}
	return -1
}

func TestOpenProviders(t *testing.T) {
	c := Default()
	for _, p := range []string{"azure", "openrouter", "ollama", "vllm", "openai_compatible"} {
		if !c.IsOpen(p) {
			t.Errorf("%s should be open", p)
		}
		if _, ok := c.Lookup(p, "gpt-4o"); ok {
			t.Errorf("%s: Lookup found a model of an open provider", p)
		}
		if got := c.Models(p); got != nil {
			t.Errorf("%s: Models = %v, want nil", p, got)
		}
	}
	for _, p := range []string{"openai", "mock", "nonexistent", ""} {
		if c.IsOpen(p) {
			t.Errorf("%q should not be open", p)
		}
	}
}

func TestLookupMisses(t *testing.T) {
	c := Default()
	for _, tt := range [][2]string{
		{"openai", "gpt-4o-nonexistent"},
		{"openai", "GPT-4O"},
		{"nonexistent", "gpt-4o"},
		{"anthropic", "gpt-4o"},
		{"", ""},
		{"openai", ""},
	} {
		if m, ok := c.Lookup(tt[0], tt[1]); ok || m.Name != "" || m.Prices != nil {
			t.Errorf("Lookup(%q, %q) = %+v, %v; want a miss", tt[0], tt[1], m, ok)
		}
	}
	if got := c.Models("nonexistent"); got != nil {
		t.Errorf("Models(nonexistent) = %v", got)
	}
}

func TestListingsAreSortedAndIsolated(t *testing.T) {
	c := Default()
	providers := c.Providers()
	if !slices.IsSorted(providers) || len(providers) != 18 {
		t.Errorf("Providers() = %v, want 18 sorted names", providers)
	}
	providers[0] = "changed"
	if c.Providers()[0] == "changed" {
		t.Error("Providers() exposes the catalogue's own slice")
	}
	for _, p := range c.Providers() {
		models := c.Models(p)
		if !slices.IsSortedFunc(models, func(a, b Model) int {
			switch {
			case a.Name < b.Name:
				return -1
			case a.Name > b.Name:
				return 1
			}
			return 0
		}) {
			t.Errorf("Models(%s) is not sorted by name", p)
		}
	}
	m, _ := c.Lookup("openai", "gpt-4o")
	m.Prices[0].Input = 1
	again, _ := c.Lookup("openai", "gpt-4o")
	if again.Prices[0].Input != 5_000_000 {
		t.Error("changing a looked-up model changed the catalogue")
	}
	listed := c.Models("openai")
	listed[0].Prices[0].Input = 1
	if c.Models("openai")[0].Prices[0].Input == 1 {
		t.Error("changing a listed model changed the catalogue")
	}
}
