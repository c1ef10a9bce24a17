package openai

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// TestChatRequestGolden sends client requests through the adapter and
// compares what reaches the upstream with hand-checked golden bodies.
func TestChatRequestGolden(t *testing.T) {
	tests := []struct {
		name     string
		provider string
		stream   bool
	}{
		{"plain_text", "openai", false},
		{"system_prompt", "openai", false},
		{"image_url", "openai", false},
		{"image_data_url", "openai", false},
		{"single_text_part", "openai", false},
		{"tools", "openai", false},
		{"tool_result_turn", "openai", false},
		{"json_object", "openai", false},
		{"json_schema", "openai", false},
		{"sampling", "openai", false},
		{"extra_passthrough", "openai", false},
		{"reasoning_model", "openai", false},
		{"max_completion_tokens_nonreasoning", "openai", false},
		{"stream", "openai", true},
		{"mistral_stream", "mistral", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reply := replyJSON(http.StatusOK, okCompletion)
			if tt.stream {
				reply = replySSE(okStream)
			}
			up := newFakeUpstream(t, reply)
			a := New(tt.provider)
			req := decodeClientRequest(t, "chat/"+tt.name+".client.json")
			if tt.stream {
				s, err := a.ChatStream(t.Context(), up.endpoint(tt.provider), req)
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				for {
					if _, err := s.Recv(); err == io.EOF {
						break
					} else if err != nil {
						t.Fatal(err)
					}
				}
			} else if _, err := a.Chat(t.Context(), up.endpoint(tt.provider), req); err != nil {
				t.Fatal(err)
			}
			got := up.Only(t)
			if got.Method != http.MethodPost || got.Path != "/v1/chat/completions" || got.RawQuery != "" {
				t.Errorf("request line = %s %s?%s, want POST /v1/chat/completions", got.Method, got.Path, got.RawQuery)
			}
			assertGoldenJSON(t, "chat/"+tt.name+".request.json", got.Body)
		})
	}
}

func TestChatRequestHeaders(t *testing.T) {
	up := newFakeUpstream(t, replyJSON(http.StatusOK, okCompletion))
	if _, err := New("openai").Chat(t.Context(), up.endpoint("openai"), &provider.ChatRequest{Model: "gpt-4o"}); err != nil {
		t.Fatal(err)
	}
	h := up.Only(t).Header
	for name, want := range map[string]string{
		"Authorization": "Bearer " + testKey,
		"Content-Type":  "application/json",
		"Accept":        "application/json",
		"Api-Key":       "",
	} {
		if got := h.Get(name); got != want {
			t.Errorf("header %s = %q, want %q", name, got, want)
		}
	}
}

func TestStreamRequestAcceptsEventStream(t *testing.T) {
	up := newFakeUpstream(t, replySSE(okStream))
	s, err := New("openai").ChatStream(t.Context(), up.endpoint("openai"), &provider.ChatRequest{Model: "gpt-4o"})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if got := up.Only(t).Header.Get("Accept"); got != "text/event-stream" {
		t.Errorf("Accept = %q, want text/event-stream", got)
	}
}

// A keyless endpoint (a local Ollama or vLLM) sends no Authorization
// header rather than "Bearer ".
func TestNoKeyNoAuthorizationHeader(t *testing.T) {
	up := newFakeUpstream(t, replyJSON(http.StatusOK, okCompletion))
	ep := up.endpoint("ollama")
	ep.APIKey = ""
	if _, err := New("ollama").Chat(t.Context(), ep, &provider.ChatRequest{Model: "llama3.1"}); err != nil {
		t.Fatal(err)
	}
	if _, present := up.Only(t).Header["Authorization"]; present {
		t.Error("Authorization header sent without a key")
	}
}

// Extra is merged after the modelled fields, in key order, and can never
// override a modelled or gateway-owned field.
func TestExtraMergeOrderAndPrecedence(t *testing.T) {
	up := newFakeUpstream(t, replyJSON(http.StatusOK, okCompletion))
	req := &provider.ChatRequest{
		Model:       "gpt-4o",
		Messages:    []provider.Message{{Role: provider.RoleUser, Content: provider.TextContent("hi")}},
		Temperature: ptr(0.5),
		Extra: map[string]json.RawMessage{
			"zeta":        json.RawMessage(` { "b" : 1 } `),
			"alpha":       json.RawMessage(`true`),
			"model":       json.RawMessage(`"evil-model"`),
			"stream":      json.RawMessage(`true`),
			"temperature": json.RawMessage(`2`),
			"max_tokens":  json.RawMessage(`99999`),
		},
	}
	if _, err := New("openai").Chat(t.Context(), up.endpoint("openai"), req); err != nil {
		t.Fatal(err)
	}
	want := `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"temperature":0.5,"alpha":true,"zeta":{"b":1}}`
	if got := string(up.Only(t).Body); got != want {
		t.Errorf("body =\n%s\nwant\n%s", got, want)
	}
}

func TestExtraInvalidJSONIsRejectedLocally(t *testing.T) {
	up := newFakeUpstream(t, replyJSON(http.StatusOK, okCompletion))
	req := &provider.ChatRequest{Model: "gpt-4o", Extra: map[string]json.RawMessage{"bad": json.RawMessage(`{nope`)}}
	_, err := New("openai").Chat(t.Context(), up.endpoint("openai"), req)
	pe := asProviderError(t, err)
	if pe.Kind != provider.ErrBadRequest || pe.Message != "request field bad is not valid JSON" {
		t.Errorf("error = %+v", pe)
	}
	if n := len(up.Requests()); n != 0 {
		t.Errorf("upstream called %d times", n)
	}
}

func TestNilRequestIsRejected(t *testing.T) {
	up := newFakeUpstream(t, replyJSON(http.StatusOK, okCompletion))
	_, err := New("openai").Chat(t.Context(), up.endpoint("openai"), nil)
	if pe := asProviderError(t, err); pe.Kind != provider.ErrBadRequest {
		t.Errorf("kind = %s", pe.Kind)
	}
}
