package anthropic

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// TestResponseMapping feeds canned Messages API bodies from
// testdata/responses/<case>.json through Chat and compares the
// ChatResponse with <case>.expected.json.
func TestResponseMapping(t *testing.T) {
	jsonSchema := &provider.ResponseFormat{Type: "json_schema", JSONSchema: &provider.JSONSchema{
		Name: "weather_report", Schema: json.RawMessage(`{"type":"object"}`)}}
	cases := []struct {
		name   string
		body   string // testdata/responses file, defaults to name
		format *provider.ResponseFormat
		tools  []provider.Tool
	}{
		{name: "text"},
		{name: "tool_use"},
		{name: "max_tokens"},
		{name: "stop_sequence"},
		{name: "refusal"},
		{name: "cache_usage"},
		{name: "json_schema", format: jsonSchema},
		{name: "json_schema_with_tool_call", format: jsonSchema,
			tools: []provider.Tool{{Type: "function", Function: provider.FunctionDecl{Name: "get_weather"}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			up := newUpstream(t, jsonBody(http.StatusOK, readFile(t, filepath.Join("testdata/responses", tc.name+".json"))))
			req := &provider.ChatRequest{
				Model:          "claude-sonnet-4-5",
				Messages:       []provider.Message{{Role: "user", Content: provider.TextContent("x")}},
				ResponseFormat: tc.format,
				Tools:          tc.tools,
			}
			resp, err := testAdapter().Chat(context.Background(), up.endpoint(), req)
			if err != nil {
				t.Fatalf("Chat: %v", err)
			}
			checkGolden(t, filepath.Join("testdata/responses", tc.name+".expected.json"), mustMarshal(t, resp))
		})
	}
}

// TestUsageMapping pins the prompt-token convention independently of the
// goldens: cache reads and writes are part of PromptTokens.
func TestUsageMapping(t *testing.T) {
	got := toUsage(wireUsage{InputTokens: ptr(10), OutputTokens: ptr(50), CacheReadInputTokens: ptr(1000), CacheCreationInputTokens: ptr(200)})
	want := provider.Usage{PromptTokens: 1210, CompletionTokens: 50, TotalTokens: 1260, CachedTokens: 1000, CacheWriteTokens: 200}
	if got != want {
		t.Errorf("usage = %+v, want %+v", got, want)
	}
	if got := toUsage(wireUsage{}); got != (provider.Usage{}) {
		t.Errorf("empty usage = %+v", got)
	}
}

func TestFinishReason(t *testing.T) {
	cases := []struct {
		stop            string
		json, toolCalls bool
		want            string
	}{
		{"end_turn", false, false, provider.FinishStop},
		{"stop_sequence", false, false, provider.FinishStop},
		{"pause_turn", false, false, provider.FinishStop},
		{"max_tokens", false, false, provider.FinishLength},
		{"model_context_window_exceeded", false, false, provider.FinishLength},
		{"tool_use", false, true, provider.FinishToolCalls},
		{"tool_use", true, false, provider.FinishStop},
		{"tool_use", true, true, provider.FinishToolCalls},
		{"refusal", false, false, provider.FinishContentFilter},
	}
	for _, tc := range cases {
		if got := finishReason(tc.stop, tc.json, tc.toolCalls); got != tc.want {
			t.Errorf("finishReason(%q, json=%v, calls=%v) = %q, want %q", tc.stop, tc.json, tc.toolCalls, got, tc.want)
		}
	}
}
