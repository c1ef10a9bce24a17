package mock

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// fixedNow is the clock tests give the adapter.
var fixedNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// sleepRecorder replaces real waiting with a record of the requested waits.
type sleepRecorder struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (r *sleepRecorder) sleep(ctx context.Context, d time.Duration) error {
	r.mu.Lock()
	r.waits = append(r.waits, d)
	r.mu.Unlock()
	return ctx.Err()
}

func (r *sleepRecorder) recorded() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Duration(nil), r.waits...)
}

// newTestAdapter returns an adapter with a fixed clock that records waits
// instead of sleeping.
func newTestAdapter() (*Adapter, *sleepRecorder) {
	rec := &sleepRecorder{}
	a := New()
	a.now = func() time.Time { return fixedNow }
	a.sleep = rec.sleep
	return a, rec
}

func user(text string) provider.Message {
	return provider.Message{Role: provider.RoleUser, Content: provider.TextContent(text)}
}

func system(text string) provider.Message {
	return provider.Message{Role: provider.RoleSystem, Content: provider.TextContent(text)}
}

func assistant(text string) provider.Message {
	return provider.Message{Role: provider.RoleAssistant, Content: provider.TextContent(text)}
}

func intPtr(n int) *int { return &n }

// weatherTool declares get_weather with a required city and optional unit.
var weatherTool = provider.Tool{Type: "function", Function: provider.FunctionDecl{
	Name: "get_weather",
	Parameters: json.RawMessage(`{"type":"object","properties":{
		"city":{"type":"string"},
		"days":{"type":"integer","minimum":1},
		"unit":{"type":"string","enum":["c","f"]}},
		"required":["city","days"]}`),
}}

// pingTool declares a function without parameters.
var pingTool = provider.Tool{Type: "function", Function: provider.FunctionDecl{Name: "ping"}}

func usage(prompt, completion int) provider.Usage {
	return provider.Usage{PromptTokens: prompt, CompletionTokens: completion, TotalTokens: prompt + completion}
}

// mustJSON is the JSON encoding of v, for readable failure messages.
func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
