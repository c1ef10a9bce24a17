package bedrock

import (
	"context"
	"reflect"
	"testing"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// TestResponseMapping maps canned Converse bodies (testdata/*.response.json,
// shaped as in the Converse API reference) to ChatResponse values.
func TestResponseMapping(t *testing.T) {
	text := func(s string) provider.Message {
		return provider.Message{Role: provider.RoleAssistant, Content: provider.TextContent(s)}
	}
	cases := []struct {
		file   string
		format *provider.ResponseFormat
		want   provider.ChatResponse
	}{
		{file: "text.response.json", want: provider.ChatResponse{
			Message: text("Hello! How can I help you today?"), FinishReason: "stop",
			Usage: provider.Usage{PromptTokens: 12, CompletionTokens: 9, TotalTokens: 21},
		}},
		{file: "tool_calls.response.json", want: provider.ChatResponse{
			Message: provider.Message{
				Role:    provider.RoleAssistant,
				Content: provider.TextContent("I'll check both cities."),
				ToolCalls: []provider.ToolCall{
					{ID: "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q", Type: "function", Function: provider.FunctionCall{Name: "get_weather", Arguments: `{"city":"Paris"}`}},
					{ID: "tooluse_2bJ0xq9VQ7aZk3Hn1MpW8g", Type: "function", Function: provider.FunctionCall{Name: "get_weather", Arguments: `{"city":"Berlin","unit":"celsius"}`}},
				},
			},
			FinishReason: "tool_calls",
			Usage:        provider.Usage{PromptTokens: 410, CompletionTokens: 98, TotalTokens: 508},
		}},
		{file: "max_tokens.response.json", want: provider.ChatResponse{
			Message: text("One, two, three, four"), FinishReason: "length",
			Usage: provider.Usage{PromptTokens: 15, CompletionTokens: 8, TotalTokens: 23},
		}},
		{file: "stop_sequence.response.json", want: provider.ChatResponse{
			Message: text("One, two, three"), FinishReason: "stop",
			Usage: provider.Usage{PromptTokens: 15, CompletionTokens: 6, TotalTokens: 21},
		}},
		{file: "guardrail.response.json", want: provider.ChatResponse{
			Message: text("Sorry, the model cannot answer this question."), FinishReason: "content_filter",
			Usage: provider.Usage{PromptTokens: 30, TotalTokens: 30},
		}},
		{file: "content_filtered.response.json", want: provider.ChatResponse{
			Message: provider.Message{Role: provider.RoleAssistant}, FinishReason: "content_filter",
			Usage: provider.Usage{PromptTokens: 30, TotalTokens: 30},
		}},
		{file: "cache_usage.response.json", want: provider.ChatResponse{
			Message: text("The contract renews on 1 March."), FinishReason: "stop",
			// inputTokens 24 excludes the 2048 cache-read and 1000
			// cache-write tokens; PromptTokens includes them.
			Usage: provider.Usage{PromptTokens: 3072, CompletionTokens: 50, TotalTokens: 3122, CachedTokens: 2048, CacheWriteTokens: 1000},
		}},
		{file: "reasoning.response.json", want: provider.ChatResponse{
			Message: text("42"), FinishReason: "stop",
			Usage: provider.Usage{PromptTokens: 40, CompletionTokens: 61, TotalTokens: 101},
		}},
		{file: "json_mode.response.json",
			format: &provider.ResponseFormat{Type: provider.FormatJSONSchema, JSONSchema: &provider.JSONSchema{Name: "color_list", Schema: []byte(`{"type":"object"}`)}},
			want: provider.ChatResponse{
				Message: text(`{"colors":["red","green","blue"]}`), FinishReason: "stop",
				Usage: provider.Usage{PromptTokens: 380, CompletionTokens: 45, TotalTokens: 425},
			}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			f := newFake(t, jsonAnswer(t, 200, tc.file, nil))
			req := textRequest()
			req.ResponseFormat = tc.format
			got, err := newTestAdapter().Chat(context.Background(), f.sigV4Endpoint(false), req)
			if err != nil {
				t.Fatal(err)
			}
			want := tc.want
			want.ID, want.Model, want.Created = testRequestID, testModel, fixedTime.Unix()
			if !reflect.DeepEqual(*got, want) {
				t.Errorf("response mismatch\n got: %+v\nwant: %+v", *got, want)
			}
		})
	}
}

// TestFinishReasons covers every documented stopReason.
func TestFinishReasons(t *testing.T) {
	cases := map[string]string{
		"end_turn":                      "stop",
		"stop_sequence":                 "stop",
		"max_tokens":                    "length",
		"model_context_window_exceeded": "length",
		"tool_use":                      "tool_calls",
		"guardrail_intervened":          "content_filter",
		"content_filtered":              "content_filter",
		"":                              "stop",
	}
	for stop, want := range cases {
		if got := finishReason(stop, false); got != want {
			t.Errorf("finishReason(%q) = %q, want %q", stop, got, want)
		}
	}
	if got := finishReason("tool_use", true); got != "stop" {
		t.Errorf("finishReason(tool_use, json mode) = %q, want stop", got)
	}
}
