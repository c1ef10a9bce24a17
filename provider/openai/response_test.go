package openai

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/gatehouse-llm/gatehouse/provider"
)

func TestChatResponseMapping(t *testing.T) {
	tests := []struct {
		file     string
		provider string
		want     provider.ChatResponse
	}{
		{"text.json", "openai", provider.ChatResponse{
			ID: "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT", Model: "gpt-4.1-2025-04-14", Created: 1741569952,
			Message:      provider.Message{Role: "assistant", Content: provider.TextContent("Hello! How can I assist you today?")},
			FinishReason: provider.FinishStop,
			Usage:        provider.Usage{PromptTokens: 19, CompletionTokens: 10, TotalTokens: 29},
		}},
		{"tool_calls.json", "openai", provider.ChatResponse{
			ID: "chatcmpl-abc123", Model: "gpt-4o-mini", Created: 1699896916,
			Message: provider.Message{Role: "assistant", ToolCalls: []provider.ToolCall{
				{ID: "call_abc123", Type: "function", Function: provider.FunctionCall{Name: "get_current_weather", Arguments: "{\n\"location\": \"Boston, MA\"\n}"}},
				{ID: "call_def456", Type: "function", Function: provider.FunctionCall{Name: "get_current_time", Arguments: `{"timezone":"America/New_York"}`}},
			}},
			FinishReason: provider.FinishToolCalls,
			Usage:        provider.Usage{PromptTokens: 82, CompletionTokens: 17, TotalTokens: 99},
		}},
		{"length_cached_reasoning.json", "openai", provider.ChatResponse{
			ID: "chatcmpl-reason1", Model: "o3-mini-2025-01-31", Created: 1741570000,
			Message:      provider.Message{Role: "assistant", Content: provider.TextContent("Yes, 1009 is")},
			FinishReason: provider.FinishLength,
			Usage:        provider.Usage{PromptTokens: 2048, CompletionTokens: 2000, TotalTokens: 4048, CachedTokens: 1920, ReasoningTokens: 1984},
		}},
		{"content_filter.json", "azure", provider.ChatResponse{
			ID: "chatcmpl-azure1", Model: "gpt-4o-2024-11-20", Created: 1741570100,
			Message:      provider.Message{Role: "assistant"},
			FinishReason: provider.FinishContentFilter,
			Usage:        provider.Usage{PromptTokens: 12, TotalTokens: 12},
		}},
		{"deepseek_cache.json", "deepseek", provider.ChatResponse{
			ID: "930c60df-bf64-41c9-a88e-3ec75f81e00e", Model: "deepseek-chat", Created: 1705651092,
			Message:      provider.Message{Role: "assistant", Content: provider.TextContent("Hello! How can I help you today?")},
			FinishReason: provider.FinishStop,
			Usage:        provider.Usage{PromptTokens: 16, CompletionTokens: 10, TotalTokens: 26, CachedTokens: 12},
		}},
		// Ollama-style: arguments as an object, no type, no total_tokens.
		{"object_arguments.json", "ollama", provider.ChatResponse{
			ID: "chatcmpl-ollama", Model: "llama3.1", Created: 1741570200,
			Message: provider.Message{Role: "assistant", Content: provider.TextContent(""), ToolCalls: []provider.ToolCall{
				{ID: "call_1", Type: "function", Function: provider.FunctionCall{Name: "lookup", Arguments: `{"q":"gatehouse","limit":3}`}},
			}},
			FinishReason: provider.FinishToolCalls,
			Usage:        provider.Usage{PromptTokens: 30, CompletionTokens: 8, TotalTokens: 38},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			up := newFakeUpstream(t, replyJSON(http.StatusOK, readTestdata(t, "responses/"+tt.file)))
			ep := up.endpoint(tt.provider)
			got, err := New(tt.provider).Chat(t.Context(), ep, &provider.ChatRequest{Model: "m"})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("response =\n%+v\nwant\n%+v", *got, tt.want)
			}
		})
	}
}

func TestChatResponseMalformed(t *testing.T) {
	for _, file := range []string{"malformed.json", "no_choices.json"} {
		t.Run(file, func(t *testing.T) {
			up := newFakeUpstream(t, replyJSON(http.StatusOK, readTestdata(t, "responses/"+file)))
			_, err := New("openai").Chat(t.Context(), up.endpoint("openai"), &provider.ChatRequest{Model: "m"})
			pe := asProviderError(t, err)
			if pe.Kind != provider.ErrBadResponse || pe.Provider != "openai" || pe.Retryable() {
				t.Errorf("error = %+v, want non-retryable bad_response", pe)
			}
		})
	}
}

func TestNormalizeFinishReason(t *testing.T) {
	for in, want := range map[string]string{
		"stop": "stop", "eos": "stop", "length": "length", "model_length": "length",
		"tool_calls": "tool_calls", "function_call": "tool_calls", "content_filter": "content_filter",
		"error": "error", "": "",
	} {
		if got := normalizeFinishReason(in); got != want {
			t.Errorf("normalizeFinishReason(%q) = %q, want %q", in, got, want)
		}
	}
}
