package catalog

import (
	"strings"
	"testing"
)

// catalogWith wraps provider JSON into an otherwise valid catalogue.
func catalogWith(providers string) string {
	return `{"version":"t1","date":"2026-01-02","unit":"USD per 1M tokens","providers":[` + providers + `]}`
}

// chatModel is a valid chat model whose prices are given.
func chatModel(name, prices string) string {
	return `{"name":"` + name + `","mode":"chat","context_window":1000,"max_output_tokens":100,"prices":[` + prices + `]}`
}

func TestParseValid(t *testing.T) {
	c, err := Parse([]byte(catalogWith(
		`{"name":"p","models":[` +
			chatModel("b", `{"effective":"2025-01-01","input":"1","output":"2"},{"effective":"2025-06-01","input":"0.5","output":"1","cache_read":"0.05","cache_write":"0.625"}`) + `,` +
			chatModel("a", `{"effective":"2025-01-01","input":"0","output":"0"}`) + `,` +
			`{"name":"e","mode":"embedding","context_window":512,"prices":[{"effective":"2025-01-01","input":"0.02"}]}]},` +
			`{"name":"open_one","open":true,"note":"any model"}`)))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Providers(); strings.Join(got, ",") != "open_one,p" {
		t.Errorf("providers = %v", got)
	}
	var names []string
	for _, m := range c.Models("p") {
		names = append(names, m.Name)
	}
	if strings.Join(names, ",") != "a,b,e" {
		t.Errorf("models = %v, want a,b,e", names)
	}
	b, _ := c.Lookup("p", "b")
	want := Prices{Effective: "2025-06-01", Input: 500_000, Output: 1_000_000,
		CacheRead: OptionalPrice{Value: 50_000, Set: true}, CacheWrite: OptionalPrice{Value: 625_000, Set: true}}
	if b.Prices[1] != want || b.ContextWindow != 1000 || b.MaxOutputTokens != 100 || b.Mode != ModeChat {
		t.Errorf("b = %+v", b)
	}
	e, _ := c.Lookup("p", "e")
	if e.Mode != ModeEmbedding || e.Prices[0].Input != 20_000 || e.Prices[0].Output != 0 {
		t.Errorf("e = %+v", e)
	}
	if !c.IsOpen("open_one") || c.IsOpen("p") {
		t.Error("IsOpen is wrong")
	}
}

func TestParseRejects(t *testing.T) {
	ok := chatModel("m", `{"effective":"2025-01-01","input":"1","output":"2"}`)
	tests := []struct {
		name, file, wantErr string
	}{
		{"not JSON", `{`, "unexpected EOF"},
		{"trailing data", catalogWith(`{"name":"p","models":[`+ok+`]}`) + `{}`, "trailing data"},
		{"unknown field", strings.Replace(catalogWith(`{"name":"p","models":[`+ok+`]}`), `"version"`, `"versoin":"x","version"`, 1), "unknown field"},
		{"no version", strings.Replace(catalogWith(`{"name":"p","models":[`+ok+`]}`), `"t1"`, `""`, 1), "version is required"},
		{"bad date", strings.Replace(catalogWith(`{"name":"p","models":[`+ok+`]}`), `2026-01-02`, `2026-02-30`, 1), "not YYYY-MM-DD"},
		{"wrong unit", strings.Replace(catalogWith(`{"name":"p","models":[`+ok+`]}`), `USD per 1M tokens`, `USD per 1K tokens`, 1), "unit must be"},
		{"duplicate provider", catalogWith(`{"name":"p","models":[` + ok + `]},{"name":"p","models":[` + ok + `]}`), "listed twice"},
		{"bad provider name", catalogWith(`{"name":"Open AI","models":[` + ok + `]}`), "provider name"},
		{"duplicate model", catalogWith(`{"name":"p","models":[` + ok + `,` + ok + `]}`), "p/m is listed twice"},
		{"open with models", catalogWith(`{"name":"p","open":true,"models":[` + ok + `]}`), "must not list models"},
		{"closed without models", catalogWith(`{"name":"p"}`), "lists no models"},
		{"bad checked date", catalogWith(`{"name":"p","checked":"yesterday","models":[` + ok + `]}`), "checked"},
		{"unnamed model", catalogWith(`{"name":"p","models":[` + chatModel("", `{"effective":"2025-01-01","input":"1","output":"2"}`) + `]}`), "without a name"},
		{"bad mode", catalogWith(`{"name":"p","models":[{"name":"m","mode":"completion","context_window":1,"prices":[{"effective":"2025-01-01","input":"1","output":"1"}]}]}`), "mode"},
		{"no context window", catalogWith(`{"name":"p","models":[{"name":"m","mode":"chat","prices":[{"effective":"2025-01-01","input":"1","output":"1"}]}]}`), "context_window must be positive"},
		{"output above context", catalogWith(`{"name":"p","models":[{"name":"m","mode":"chat","context_window":10,"max_output_tokens":11,"prices":[{"effective":"2025-01-01","input":"1","output":"1"}]}]}`), "max_output_tokens"},
		{"embedding with max output", catalogWith(`{"name":"p","models":[{"name":"m","mode":"embedding","context_window":10,"max_output_tokens":5,"prices":[{"effective":"2025-01-01","input":"1"}]}]}`), "embedding model has no max_output_tokens"},
		{"no prices", catalogWith(`{"name":"p","models":[` + chatModel("m", ``) + `]}`), "at least one price"},
		{"missing input", catalogWith(`{"name":"p","models":[` + chatModel("m", `{"effective":"2025-01-01","output":"2"}`) + `]}`), "input price is required"},
		{"chat without output", catalogWith(`{"name":"p","models":[` + chatModel("m", `{"effective":"2025-01-01","input":"1"}`) + `]}`), "output price is required"},
		{"embedding with output", catalogWith(`{"name":"p","models":[{"name":"m","mode":"embedding","context_window":10,"prices":[{"effective":"2025-01-01","input":"1","output":"0"}]}]}`), "input price only"},
		{"seven decimals", catalogWith(`{"name":"p","models":[` + chatModel("m", `{"effective":"2025-01-01","input":"0.0000001","output":"2"}`) + `]}`), "more than 6 decimal places"},
		{"negative price", catalogWith(`{"name":"p","models":[` + chatModel("m", `{"effective":"2025-01-01","input":"1","output":"-2"}`) + `]}`), "output: price \"-2\""},
		{"negative cache price", catalogWith(`{"name":"p","models":[` + chatModel("m", `{"effective":"2025-01-01","input":"1","output":"2","cache_read":"-0.1"}`) + `]}`), "cache_read"},
		{"numeric price", catalogWith(`{"name":"p","models":[` + chatModel("m", `{"effective":"2025-01-01","input":2.5,"output":"2"}`) + `]}`), "cannot unmarshal number"},
		{"bad effective", catalogWith(`{"name":"p","models":[` + chatModel("m", `{"effective":"2025-1-1","input":"1","output":"2"}`) + `]}`), "effective \"2025-1-1\""},
		{"prices out of order", catalogWith(`{"name":"p","models":[` + chatModel("m", `{"effective":"2025-06-01","input":"1","output":"2"},{"effective":"2025-01-01","input":"1","output":"2"}`) + `]}`), "strictly increasing"},
		{"same effective twice", catalogWith(`{"name":"p","models":[` + chatModel("m", `{"effective":"2025-01-01","input":"1","output":"2"},{"effective":"2025-01-01","input":"1","output":"3"}`) + `]}`), "strictly increasing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.file))
			if err == nil {
				t.Fatalf("Parse accepted it: %+v", c)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q, want it to mention %q", err, tt.wantErr)
			}
		})
	}
}
