package openai

import (
	"net/http"
	"testing"

	"github.com/gatehouse-llm/gatehouse/provider"
)

func TestIsReasoningModel(t *testing.T) {
	tests := map[string]bool{
		"o1": true, "o1-mini": true, "o1-preview-2024-09-12": true, "o1-pro": true,
		"o3": true, "o3-mini": true, "o3-pro-2025-06-10": true,
		"o4-mini": true, "o4-mini-2025-04-16": true, "o4-mini-deep-research": true,
		"gpt-5": true, "gpt-5-mini": true, "gpt-5-nano-2025-08-07": true, "gpt-5.1": true,
		"GPT-5": true, "ft:o4-mini-2025-04-16:acme::abc123": true,
		"gpt-4o": false, "gpt-4.1-mini": false, "gpt-4o-mini": false, "o10": false,
		"o4": false, "gpt-50": false, "omni-moderation-latest": false, "": false,
		"ft:gpt-4o-mini:acme::x": false, "openai/o3": false,
	}
	for model, want := range tests {
		if got := IsReasoningModel(model); got != want {
			t.Errorf("IsReasoningModel(%q) = %v, want %v", model, got, want)
		}
	}
}

// A reasoning model with a non-default temperature or top_p fails locally,
// naming model and parameter, without calling upstream.
func TestReasoningModelRejectsSampling(t *testing.T) {
	tests := []struct {
		name  string
		req   provider.ChatRequest
		wants string
	}{
		{"temperature", provider.ChatRequest{Model: "o3-mini", Temperature: ptr(0.2)},
			`model "o3-mini" is a reasoning model and does not support temperature=0.2; only the default (1) is allowed`},
		{"top_p", provider.ChatRequest{Model: "gpt-5-mini", Temperature: ptr(1.0), TopP: ptr(0.95)},
			`model "gpt-5-mini" is a reasoning model and does not support top_p=0.95; only the default (1) is allowed`},
		{"zero temperature", provider.ChatRequest{Model: "o1", Temperature: ptr(0.0)},
			`model "o1" is a reasoning model and does not support temperature=0; only the default (1) is allowed`},
	}
	for _, tt := range tests {
		for _, name := range []string{"openai", "azure"} {
			t.Run(tt.name+"/"+name, func(t *testing.T) {
				up := newFakeUpstream(t, replyJSON(http.StatusOK, okCompletion))
				_, err := New(name).Chat(t.Context(), up.endpoint(name), &tt.req)
				pe := asProviderError(t, err)
				if pe.Kind != provider.ErrBadRequest || pe.Provider != name || pe.Status != 0 || pe.Message != tt.wants {
					t.Errorf("error = %+v\nwant message %s", pe, tt.wants)
				}
				if pe.Retryable() {
					t.Error("local validation error is retryable")
				}
				if n := len(up.Requests()); n != 0 {
					t.Errorf("upstream called %d times", n)
				}
				if _, err := New(name).ChatStream(t.Context(), up.endpoint(name), &tt.req); err == nil {
					t.Error("ChatStream accepted the request")
				}
			})
		}
	}
}

// Compatible providers serve their own models under their own rules; the
// OpenAI reasoning rules are not applied to them.
func TestReasoningRulesOnlyForOpenAIModels(t *testing.T) {
	up := newFakeUpstream(t, replyJSON(http.StatusOK, okCompletion))
	req := &provider.ChatRequest{Model: "o3-mini", Temperature: ptr(0.2), MaxTokens: ptr(10)}
	if _, err := New("openrouter").Chat(t.Context(), up.endpoint("openrouter"), req); err != nil {
		t.Fatal(err)
	}
	want := `{"model":"o3-mini","messages":[],"temperature":0.2,"max_tokens":10}`
	if got := string(up.Only(t).Body); got != want {
		t.Errorf("body = %s, want %s", got, want)
	}
}

// The caller's request is not modified by the reasoning rewrite, so a
// fallback to another provider sends what the client asked for.
func TestReasoningRewriteLeavesRequestIntact(t *testing.T) {
	up := newFakeUpstream(t, replyJSON(http.StatusOK, okCompletion))
	req := &provider.ChatRequest{Model: "o4-mini", Temperature: ptr(1.0), MaxTokens: ptr(50)}
	if _, err := New("openai").Chat(t.Context(), up.endpoint("openai"), req); err != nil {
		t.Fatal(err)
	}
	if req.Temperature == nil || *req.Temperature != 1 || req.MaxTokens == nil || *req.MaxTokens != 50 {
		t.Errorf("request mutated: temperature=%v max_tokens=%v", req.Temperature, req.MaxTokens)
	}
	want := `{"model":"o4-mini","messages":[],"max_completion_tokens":50}`
	if got := string(up.Only(t).Body); got != want {
		t.Errorf("body = %s, want %s", got, want)
	}
}
