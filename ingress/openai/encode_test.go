package openai

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// TestEncodeChat encodes testdata/encode/<case>.input.json (an internal
// ChatResponse) and compares the chat.completion with <case>.golden.json.
func TestEncodeChat(t *testing.T) {
	cases := []string{
		"text",          // usage details, alias echoed, provider id/model ignored
		"tool_calls",    // content null, missing type filled in, total computed
		"text_and_tool", // parts joined, content kept beside tool_calls
		"empty",         // no content at all: "" and finish_reason "stop"
		"length",
	}
	for _, name := range cases {
		t.Run(name, func(t *testing.T) {
			var resp provider.ChatResponse
			if err := json.Unmarshal(readFile(t, filepath.Join("testdata/encode", name+".input.json")), &resp); err != nil {
				t.Fatal(err)
			}
			got := EncodeChat("smart", "chatcmpl-gh123", 1717243200, &resp)
			checkGoldenJSON(t, filepath.Join("testdata/encode", name+".golden.json"), got)
		})
	}
}

// TestEncodeChatExactBytes pins the field order and the absence of HTML
// escaping, which canonical golden comparison cannot see.
func TestEncodeChatExactBytes(t *testing.T) {
	resp := &provider.ChatResponse{
		Message:      provider.Message{Role: provider.RoleAssistant, Content: provider.TextContent("a<b")},
		FinishReason: provider.FinishStop,
		Usage:        provider.Usage{PromptTokens: 2, CompletionTokens: 1, TotalTokens: 3},
	}
	want := `{"id":"chatcmpl-1","object":"chat.completion","created":5,"model":"smart",` +
		`"choices":[{"index":0,"message":{"role":"assistant","content":"a<b","refusal":null},"logprobs":null,"finish_reason":"stop"}],` +
		`"usage":{"prompt_tokens":2,"completion_tokens":1,"total_tokens":3,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}},` +
		`"system_fingerprint":null}`
	if got := string(EncodeChat("smart", "chatcmpl-1", 5, resp)); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestEncodeChatNil guards the handler against a nil response.
func TestEncodeChatNil(t *testing.T) {
	got := EncodeChat("smart", "chatcmpl-1", 5, nil)
	want := `{"id":"chatcmpl-1","object":"chat.completion","created":5,"model":"smart",` +
		`"choices":[{"index":0,"message":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":"stop"}],` +
		`"usage":{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}},` +
		`"system_fingerprint":null}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
