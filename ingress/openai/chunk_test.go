package openai

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// TestChunkEncoder feeds testdata/chunks/<case>.chunks.json (internal
// chunks) through a ChunkEncoder and compares the SSE body a handler would
// write, byte for byte, with <case>.golden.sse.
func TestChunkEncoder(t *testing.T) {
	cases := []struct {
		name         string
		includeUsage bool
		finalUsage   provider.Usage
	}{
		// role first, usage:null on every chunk, usage-only chunk last
		{"text_usage", true, provider.Usage{PromptTokens: 9, CompletionTokens: 3, TotalTokens: 12, CachedTokens: 4}},
		// id/type/name on a call's first piece only, no usage keys at all
		{"tool_calls", false, provider.Usage{}},
		// content before any role chunk still opens with the role
		{"content_first", false, provider.Usage{}},
		// a stream with nothing but a finish reason still sends the role
		{"finish_only", false, provider.Usage{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var chunks []provider.Chunk
			if err := json.Unmarshal(readFile(t, filepath.Join("testdata/chunks", tc.name+".chunks.json")), &chunks); err != nil {
				t.Fatal(err)
			}
			enc := NewChunkEncoder("fast", "chatcmpl-gh1", 1717243200)
			enc.IncludeUsage = tc.includeUsage
			var sse bytes.Buffer
			write := func(payload []byte) {
				if !json.Valid(payload) {
					t.Fatalf("invalid JSON payload: %s", payload)
				}
				sse.WriteString("data: ")
				sse.Write(payload)
				sse.WriteString("\n\n")
			}
			for i := range chunks {
				for _, p := range enc.Chunk(&chunks[i]) {
					write(p)
				}
			}
			if tc.includeUsage {
				write(enc.FinalUsage(tc.finalUsage))
			}
			sse.WriteString("data: [DONE]\n\n")
			checkGoldenText(t, filepath.Join("testdata/chunks", tc.name+".golden.sse"), sse.Bytes())
		})
	}
}

// TestChunkEncoderNothingToSay checks that chunks carrying nothing a client
// sees produce no payload once the role has been sent.
func TestChunkEncoderNothingToSay(t *testing.T) {
	enc := NewChunkEncoder("fast", "chatcmpl-gh1", 1)
	if got := enc.Chunk(nil); got != nil {
		t.Errorf("Chunk(nil) = %q, want nil", got)
	}
	if got := len(enc.Chunk(&provider.Chunk{Role: "assistant"})); got != 1 {
		t.Fatalf("role chunk gave %d payloads, want 1", got)
	}
	for _, c := range []provider.Chunk{{Role: "assistant"}, {Usage: &provider.Usage{PromptTokens: 1}}, {ID: "x", Model: "y"}} {
		if got := enc.Chunk(&c); got != nil {
			t.Errorf("Chunk(%+v) = %q, want nil", c, got)
		}
	}
}
