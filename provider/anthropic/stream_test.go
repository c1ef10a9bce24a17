package anthropic

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// TestStreamMapping replays canned event streams and asserts the exact
// chunk sequence, then io.EOF (twice: the end state is sticky).
func TestStreamMapping(t *testing.T) {
	const model = "claude-sonnet-4-5-20250929"
	jsonSchema := &provider.ResponseFormat{Type: "json_schema", JSONSchema: &provider.JSONSchema{
		Name: "weather_report", Schema: json.RawMessage(`{"type":"object"}`)}}
	cases := []struct {
		name   string
		format *provider.ResponseFormat
		want   []provider.Chunk
	}{
		{
			name: "text", // ping and the thinking block produce nothing
			want: []provider.Chunk{
				{ID: "msg_01Text", Model: model, Role: "assistant"},
				{ID: "msg_01Text", Model: model, Content: "Hello"},
				{ID: "msg_01Text", Model: model, Content: " there!"},
				{ID: "msg_01Text", Model: model, FinishReason: "stop",
					Usage: &provider.Usage{PromptTokens: 25, CompletionTokens: 15, TotalTokens: 40}},
			},
		},
		{
			// Block indexes 1 and 2 become tool call indexes 0 and 1. Usage:
			// message_delta's input_tokens (12) replaces message_start's (10);
			// cache_creation, absent from message_delta, keeps its 100.
			name: "tool_calls",
			want: []provider.Chunk{
				{ID: "msg_01Tools", Model: model, Role: "assistant"},
				{ID: "msg_01Tools", Model: model, Content: "Checking."},
				{ID: "msg_01Tools", Model: model, ToolCalls: []provider.ToolCallDelta{{Index: 0, ID: "toolu_01A", Name: "get_weather"}}},
				{ID: "msg_01Tools", Model: model, ToolCalls: []provider.ToolCallDelta{{Index: 0, Arguments: `{"city": "Pa`}}},
				{ID: "msg_01Tools", Model: model, ToolCalls: []provider.ToolCallDelta{{Index: 0, Arguments: `ris"}`}}},
				{ID: "msg_01Tools", Model: model, ToolCalls: []provider.ToolCallDelta{{Index: 1, ID: "toolu_01B", Name: "get_time"}}},
				{ID: "msg_01Tools", Model: model, ToolCalls: []provider.ToolCallDelta{{Index: 1, Arguments: `{}`}}},
				{ID: "msg_01Tools", Model: model, FinishReason: "tool_calls",
					Usage: &provider.Usage{PromptTokens: 2112, CompletionTokens: 89, TotalTokens: 2201, CachedTokens: 2000, CacheWriteTokens: 100}},
			},
		},
		{
			name:   "json_schema", // the forced tool's input streams as content
			format: jsonSchema,
			want: []provider.Chunk{
				{ID: "msg_01Json", Model: model, Role: "assistant"},
				{ID: "msg_01Json", Model: model, Content: `{"city": "Paris", `},
				{ID: "msg_01Json", Model: model, Content: `"temperature_c": 18.5}`},
				{ID: "msg_01Json", Model: model, FinishReason: "stop",
					Usage: &provider.Usage{PromptTokens: 380, CompletionTokens: 40, TotalTokens: 420}},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			up := newUpstream(t, sseBody(readFile(t, filepath.Join("testdata/streams", tc.name+".sse"))))
			s := startStream(t, up.endpoint(), tc.format)
			for i, want := range tc.want {
				got, err := s.Recv()
				if err != nil {
					t.Fatalf("chunk %d: %v", i, err)
				}
				if !reflect.DeepEqual(*got, want) {
					t.Fatalf("chunk %d:\n got %s\nwant %s", i, mustMarshal(t, got), mustMarshal(t, want))
				}
			}
			for range 2 {
				if c, err := s.Recv(); err != io.EOF {
					t.Fatalf("after last chunk: got %+v, %v; want io.EOF", c, err)
				}
			}
		})
	}
}

func startStream(t *testing.T, ep provider.Endpoint, format *provider.ResponseFormat) provider.Stream {
	t.Helper()
	req := &provider.ChatRequest{Model: "claude-sonnet-4-5", ResponseFormat: format,
		Messages: []provider.Message{{Role: "user", Content: provider.TextContent("x")}}}
	s, err := testAdapter().ChatStream(context.Background(), ep, req)
	if err != nil {
		t.Fatalf("ChatStream: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// drain reads until an error and returns it with the number of chunks.
func drain(s provider.Stream) (int, error) {
	for n := 0; ; n++ {
		if _, err := s.Recv(); err != nil {
			return n, err
		}
	}
}

// TestStreamFailures covers streams that end badly after a 200.
func TestStreamFailures(t *testing.T) {
	cases := []struct {
		file       string
		wantKind   provider.ErrorKind
		wantChunks int
		wantCode   string
		wantMsg    string
	}{
		{"error_event", provider.ErrServer, 2, "overloaded_error", "Overloaded"},
		{"truncated", provider.ErrStreamTruncated, 2, "", "stream ended before message_stop"},
		{"cut_mid_event", provider.ErrStreamTruncated, 1, "", "stream ended before message_stop"},
		{"malformed", provider.ErrBadResponse, 1, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			up := newUpstream(t, sseBody(readFile(t, filepath.Join("testdata/streams", tc.file+".sse"))))
			s := startStream(t, up.endpoint(), nil)
			n, err := drain(s)
			pe := asProviderError(t, err, tc.wantKind)
			if n != tc.wantChunks {
				t.Errorf("got %d chunks before the error, want %d", n, tc.wantChunks)
			}
			if pe.Code != tc.wantCode || (tc.wantMsg != "" && pe.Message != tc.wantMsg) || pe.Provider != "anthropic" {
				t.Errorf("error = %+v, want code %q message %q", pe, tc.wantCode, tc.wantMsg)
			}
			if _, again := s.Recv(); again != err {
				t.Errorf("second Recv = %v, want the same error %v", again, err)
			}
		})
	}
}

func TestStreamErrorEventKinds(t *testing.T) {
	for errType, want := range map[string]provider.ErrorKind{
		"overloaded_error":      provider.ErrServer,
		"api_error":             provider.ErrServer,
		"rate_limit_error":      provider.ErrRateLimited,
		"invalid_request_error": provider.ErrBadRequest,
		"authentication_error":  provider.ErrAuth,
		"something_new":         provider.ErrServer,
	} {
		if got := kindForErrorType(errType); got != want {
			t.Errorf("kindForErrorType(%q) = %s, want %s", errType, got, want)
		}
	}
}

// TestStreamPassThrough proves chunks are delivered as events arrive: the
// upstream sends one event and then blocks until the test has received it.
func TestStreamPassThrough(t *testing.T) {
	release := make(chan struct{})
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_p\",\"model\":\"m\",\"usage\":{\"input_tokens\":3}}}\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		io.WriteString(w, "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"later\"}}\n\n"+
			"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":1}}\n\n"+
			"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n")
	})
	defer close(release)
	s := startStream(t, up.endpoint(), nil)

	type result struct {
		c   *provider.Chunk
		err error
	}
	got := make(chan result, 1)
	go func() {
		c, err := s.Recv()
		got <- result{c, err}
	}()
	select {
	case r := <-got:
		if r.err != nil || r.c.ID != "msg_p" || r.c.Role != "assistant" {
			t.Fatalf("first chunk = %+v, %v", r.c, r.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("first chunk not delivered while the upstream was still streaming: the adapter buffers")
	}
	release <- struct{}{}
	c, err := s.Recv()
	if err != nil || c.Content != "later" {
		t.Fatalf("second chunk = %+v, %v", c, err)
	}
}

func TestStreamCloseIdempotent(t *testing.T) {
	up := newUpstream(t, sseBody(readFile(t, "testdata/streams/text.sse")))
	s := startStream(t, up.endpoint(), nil)
	if _, err := s.Recv(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("first Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := s.Recv(); err == nil || errors.Is(err, io.EOF) {
		t.Fatalf("Recv after Close = %v, want a failure, not a clean end", err)
	}
}
