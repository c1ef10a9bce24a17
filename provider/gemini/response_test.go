package gemini

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse/provider"
)

func TestResponseMapping(t *testing.T) {
	tests := []struct {
		file string
		want provider.ChatResponse
	}{
		{"text.response.json", provider.ChatResponse{
			ID: "mP9CaKyvJ4vT7M8PpNSX4Ac", Model: "gemini-2.5-flash",
			Message:      provider.Message{Role: "assistant", Content: provider.TextContent("Hello, world!")},
			FinishReason: provider.FinishStop,
			Usage: provider.Usage{PromptTokens: 120, CompletionTokens: 34, TotalTokens: 154,
				CachedTokens: 100, ReasoningTokens: 30},
		}},
		{"tool_calls.response.json", provider.ChatResponse{
			ID: "tool-resp-1", Model: "gemini-2.5-pro",
			Message: provider.Message{
				Role:    "assistant",
				Content: provider.TextContent("Let me check both cities."),
				ToolCalls: []provider.ToolCall{
					{ID: "call_0_gsig_-_8AAQ", Type: "function", Function: provider.FunctionCall{Name: "get_weather", Arguments: `{"city":"Paris","unit":"c"}`}},
					{ID: "call_1", Type: "function", Function: provider.FunctionCall{Name: "get_weather", Arguments: `{"city":"Rome"}`}},
					{ID: "call_2", Type: "function", Function: provider.FunctionCall{Name: "get_time", Arguments: `{}`}},
				},
			},
			FinishReason: provider.FinishToolCalls,
			Usage:        provider.Usage{PromptTokens: 80, CompletionTokens: 40, TotalTokens: 120},
		}},
		{"max_tokens.response.json", provider.ChatResponse{
			ID: "len-1", Model: "gemini-2.0-flash",
			Message:      provider.Message{Role: "assistant", Content: provider.TextContent("Once upon a")},
			FinishReason: provider.FinishLength,
			Usage:        provider.Usage{PromptTokens: 5, CompletionTokens: 3, TotalTokens: 8},
		}},
		{"safety.response.json", provider.ChatResponse{
			ID: "safety-1", Model: "gemini-2.5-flash",
			Message:      provider.Message{Role: "assistant", Content: provider.TextContent("")},
			FinishReason: provider.FinishContentFilter,
			Usage:        provider.Usage{PromptTokens: 12, TotalTokens: 12},
		}},
		{"blocked_prompt.response.json", provider.ChatResponse{
			ID: "blocked-1", Model: "gemini-2.5-flash",
			Message:      provider.Message{Role: "assistant", Content: provider.TextContent("")},
			FinishReason: provider.FinishContentFilter,
			Usage:        provider.Usage{PromptTokens: 9, TotalTokens: 9},
		}},
		{"tool_use_prompt.response.json", provider.ChatResponse{
			ID: "", Model: "gemini-2.5-flash",
			Message:      provider.Message{Role: "assistant", Content: provider.TextContent("It is sunny.")},
			FinishReason: provider.FinishStop,
			Usage: provider.Usage{PromptTokens: 16, CompletionTokens: 6, TotalTokens: 22,
				ReasoningTokens: 2},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			up := newFakeUpstream(t, respondFile(t, tt.file, "application/json"))
			req := chatRequest(t, `{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"hi"}]}`)
			before := time.Now().Unix()
			got, err := New().Chat(context.Background(), up.endpoint(), req)
			if err != nil {
				t.Fatalf("Chat: %v", err)
			}
			if got.Created < before || got.Created > time.Now().Unix() {
				t.Errorf("Created = %d, want now", got.Created)
			}
			got.Created = 0
			if !reflect.DeepEqual(*got, tt.want) {
				g, _ := json.MarshalIndent(got, "", "  ")
				w, _ := json.MarshalIndent(tt.want, "", "  ")
				t.Errorf("response mismatch\n--- got\n%s\n--- want\n%s", g, w)
			}
		})
	}
}

// TestFinishReasons covers every documented Gemini finish reason.
func TestFinishReasons(t *testing.T) {
	tests := []struct {
		reason string
		tools  bool
		want   string
	}{
		{"STOP", false, provider.FinishStop},
		{"STOP", true, provider.FinishToolCalls},
		{"", true, provider.FinishToolCalls},
		{"MAX_TOKENS", false, provider.FinishLength},
		{"MAX_TOKENS", true, provider.FinishLength},
		{"SAFETY", false, provider.FinishContentFilter},
		{"RECITATION", false, provider.FinishContentFilter},
		{"BLOCKLIST", false, provider.FinishContentFilter},
		{"PROHIBITED_CONTENT", true, provider.FinishContentFilter},
		{"SPII", false, provider.FinishContentFilter},
		{"IMAGE_SAFETY", false, provider.FinishContentFilter},
		{"OTHER", false, provider.FinishStop},
		{"LANGUAGE", false, provider.FinishStop},
		{"MALFORMED_FUNCTION_CALL", false, provider.FinishStop},
		{"FINISH_REASON_UNSPECIFIED", false, provider.FinishStop},
	}
	for _, tt := range tests {
		if got := mapFinishReason(tt.reason, tt.tools); got != tt.want {
			t.Errorf("mapFinishReason(%q, %v) = %q, want %q", tt.reason, tt.tools, got, tt.want)
		}
	}
}

// TestToolRoundTrip feeds the tool calls of one answer back as the
// client would and checks that the follow-up names each function and
// returns the thought signature.
func TestToolRoundTrip(t *testing.T) {
	up := newFakeUpstream(t, respondFile(t, "tool_calls.response.json", "application/json"))
	ep := up.endpoint()
	first, err := New().Chat(context.Background(), ep, chatRequest(t, `{"model":"gemini-2.5-pro","messages":[{"role":"user","content":"Weather?"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	calls := first.Message.ToolCalls
	msgs := []provider.Message{
		{Role: "user", Content: provider.TextContent("Weather?")},
		first.Message,
		// Results arrive out of order; the id, not the position, names them.
		{Role: "tool", ToolCallID: calls[2].ID, Content: provider.TextContent("12:00")},
		{Role: "tool", ToolCallID: calls[0].ID, Content: provider.TextContent(`{"temp":21}`)},
		{Role: "tool", ToolCallID: calls[1].ID, Content: provider.TextContent(`[1,2]`)},
	}
	if _, err := New().Chat(context.Background(), ep, &provider.ChatRequest{Model: "gemini-2.5-pro", Messages: msgs}); err != nil {
		t.Fatal(err)
	}
	var body struct {
		Contents []struct {
			Role  string `json:"role"`
			Parts []struct {
				Text             string `json:"text"`
				ThoughtSignature string `json:"thoughtSignature"`
				FunctionCall     *struct {
					Name string          `json:"name"`
					Args json.RawMessage `json:"args"`
				} `json:"functionCall"`
				FunctionResponse *struct {
					Name     string          `json:"name"`
					Response json.RawMessage `json:"response"`
				} `json:"functionResponse"`
			} `json:"parts"`
		} `json:"contents"`
	}
	if err := json.Unmarshal(up.Last(t).Body, &body); err != nil {
		t.Fatal(err)
	}
	if len(body.Contents) != 3 {
		t.Fatalf("got %d contents, want 3: %s", len(body.Contents), up.Last(t).Body)
	}
	model := body.Contents[1]
	if model.Role != "model" || len(model.Parts) != 4 {
		t.Fatalf("model turn = %+v", model)
	}
	if model.Parts[0].Text != "Let me check both cities." {
		t.Errorf("model text = %q", model.Parts[0].Text)
	}
	if p := model.Parts[1]; p.FunctionCall == nil || p.FunctionCall.Name != "get_weather" || p.ThoughtSignature != "+/8AAQ==" || string(p.FunctionCall.Args) != `{"city":"Paris","unit":"c"}` {
		t.Errorf("first call = %+v %+v, want get_weather with signature +/8AAQ==", p, p.FunctionCall)
	}
	if p := model.Parts[2]; p.ThoughtSignature != "" {
		t.Errorf("second call carries signature %q, want none", p.ThoughtSignature)
	}
	results := body.Contents[2]
	want := []struct{ name, response string }{
		{"get_time", `{"content":"12:00"}`},
		{"get_weather", `{"temp":21}`},
		{"get_weather", `{"content":"[1,2]"}`},
	}
	if results.Role != "user" || len(results.Parts) != len(want) {
		t.Fatalf("results turn = %+v", results)
	}
	for i, w := range want {
		fr := results.Parts[i].FunctionResponse
		if fr == nil || fr.Name != w.name || string(fr.Response) != w.response {
			t.Errorf("result %d = %+v, want %s %s", i, fr, w.name, w.response)
		}
	}
}

func TestResponseMalformedJSON(t *testing.T) {
	up := newFakeUpstream(t, respondJSON(http.StatusOK, `{"candidates":[{"content":`))
	_, err := New().Chat(context.Background(), up.endpoint(), chatRequest(t, `{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"hi"}]}`))
	pe := asProviderError(t, err)
	if pe.Kind != provider.ErrBadResponse || pe.Provider != "gemini" {
		t.Errorf("err = %+v, want bad_response from gemini", pe)
	}
}
