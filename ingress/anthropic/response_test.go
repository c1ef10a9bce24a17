package anthropic

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// TestEncodeMessage encodes testdata/encode/<case>.input.json (an internal
// ChatResponse) and compares the Message with <case>.golden.json.
func TestEncodeMessage(t *testing.T) {
	cases := []string{
		"text",            // cache reads and writes taken out of input_tokens
		"tool_use",        // text block then tool_use blocks; arguments compacted, "" → {}
		"stop_with_tools", // "stop" with tool calls → tool_use; non-object and broken arguments → {}
		"length",          // → max_tokens
		"refusal",         // content_filter → refusal, empty content array
	}
	for _, name := range cases {
		t.Run(name, func(t *testing.T) {
			var resp provider.ChatResponse
			if err := json.Unmarshal(readFile(t, filepath.Join("testdata/encode", name+".input.json")), &resp); err != nil {
				t.Fatal(err)
			}
			got := EncodeMessage("smart", "msg_gh01", &resp)
			checkGoldenJSON(t, filepath.Join("testdata/encode", name+".golden.json"), got)
		})
	}
}

// TestEncodeMessageExactBytes pins Anthropic's field order and unescaped
// text, which canonical golden comparison cannot see.
func TestEncodeMessageExactBytes(t *testing.T) {
	resp := &provider.ChatResponse{
		Message: provider.Message{Role: provider.RoleAssistant, Content: provider.TextContent("a<b"), ToolCalls: []provider.ToolCall{
			{ID: "toolu_1", Type: "function", Function: provider.FunctionCall{Name: "f", Arguments: `{"x":1}`}},
		}},
		FinishReason: provider.FinishToolCalls,
		Usage:        provider.Usage{PromptTokens: 10, CompletionTokens: 3, CachedTokens: 4},
	}
	want := `{"id":"msg_1","type":"message","role":"assistant","model":"smart","content":[` +
		`{"type":"text","text":"a<b"},{"type":"tool_use","id":"toolu_1","name":"f","input":{"x":1}}],` +
		`"stop_reason":"tool_use","stop_sequence":null,` +
		`"usage":{"input_tokens":6,"cache_creation_input_tokens":0,"cache_read_input_tokens":4,"output_tokens":3}}`
	if got := string(EncodeMessage("smart", "msg_1", resp)); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestStopReason(t *testing.T) {
	cases := []struct {
		finish    string
		toolCalls bool
		want      string
	}{
		{"stop", false, "end_turn"},
		{"", false, "end_turn"},
		{"something_new", false, "end_turn"},
		{"stop", true, "tool_use"},
		{"length", false, "max_tokens"},
		{"length", true, "max_tokens"},
		{"tool_calls", false, "tool_use"},
		{"content_filter", false, "refusal"},
	}
	for _, tc := range cases {
		if got := stopReason(tc.finish, tc.toolCalls); got != tc.want {
			t.Errorf("stopReason(%q, %v) = %q, want %q", tc.finish, tc.toolCalls, got, tc.want)
		}
	}
}
