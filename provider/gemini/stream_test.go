package gemini

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse/provider"
)

const simpleRequest = `{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"hi"}]}`

func TestStreamMapping(t *testing.T) {
	tests := []struct {
		file     string
		want     []provider.Chunk
		wantErr  error              // io.EOF, or nil when wantKind is set
		wantKind provider.ErrorKind // kind of the terminal *provider.Error
	}{
		{file: "text.stream.sse", wantErr: io.EOF, want: []provider.Chunk{
			{ID: "sx1", Model: "gemini-2.5-flash", Role: "assistant", Content: "Hel"},
			{ID: "sx1", Model: "gemini-2.5-flash"},
			{ID: "sx1", Model: "gemini-2.5-flash", Content: "lo", FinishReason: provider.FinishStop,
				Usage: &provider.Usage{PromptTokens: 10, CompletionTokens: 7, TotalTokens: 17, CachedTokens: 4, ReasoningTokens: 5}},
		}},
		{file: "tools.stream.sse", wantErr: io.EOF, want: []provider.Chunk{
			{ID: "st2", Model: "gemini-2.5-pro", Role: "assistant", Content: "Checking."},
			{ID: "st2", Model: "gemini-2.5-pro", ToolCalls: []provider.ToolCallDelta{
				{Index: 0, ID: "call_0_gsig_AAEC_w", Name: "get_weather", Arguments: `{"city":"Paris"}`},
				{Index: 1, ID: "call_1", Name: "get_time", Arguments: `{}`},
			}},
			{ID: "st2", Model: "gemini-2.5-pro", FinishReason: provider.FinishToolCalls,
				Usage: &provider.Usage{PromptTokens: 30, CompletionTokens: 20, TotalTokens: 50}},
		}},
		{file: "blocked.stream.sse", wantErr: io.EOF, want: []provider.Chunk{
			{ID: "sb3", Model: "gemini-2.5-flash", Role: "assistant", FinishReason: provider.FinishContentFilter,
				Usage: &provider.Usage{PromptTokens: 7, TotalTokens: 7}},
		}},
		{file: "usage_after_finish.stream.sse", wantErr: io.EOF, want: []provider.Chunk{
			{ID: "su4", Model: "gemini-2.0-flash", Role: "assistant", Content: "Done.", FinishReason: provider.FinishLength},
			{ID: "su4", Model: "gemini-2.0-flash", Usage: &provider.Usage{PromptTokens: 3, CompletionTokens: 2, TotalTokens: 5}},
		}},
		{file: "truncated.stream.sse", wantKind: provider.ErrStreamTruncated, want: []provider.Chunk{
			{ID: "tr5", Model: "gemini-2.5-flash", Role: "assistant", Content: "Part one"},
			{ID: "tr5", Model: "gemini-2.5-flash", Content: ", part two"},
		}},
		{file: "cut_mid_event.stream.sse", wantKind: provider.ErrStreamTruncated, want: []provider.Chunk{
			{ID: "tr5", Model: "gemini-2.5-flash", Role: "assistant", Content: "Part one"},
			{ID: "tr5", Model: "gemini-2.5-flash", Content: ", part two"},
		}},
		{file: "malformed.stream.sse", wantKind: provider.ErrBadResponse, want: []provider.Chunk{
			{ID: "me6", Model: "gemini-2.5-flash", Role: "assistant", Content: "Hi"},
		}},
		{file: "error_event.stream.sse", wantKind: provider.ErrServer, want: []provider.Chunk{
			{ID: "ee7", Model: "gemini-2.5-flash", Role: "assistant", Content: "Hi"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			up := newFakeUpstream(t, respondFile(t, tt.file, "text/event-stream"))
			s, err := New().ChatStream(context.Background(), up.endpoint(), chatRequest(t, simpleRequest))
			if err != nil {
				t.Fatalf("ChatStream: %v", err)
			}
			defer s.Close()
			var got []provider.Chunk
			for {
				c, err := s.Recv()
				if err != nil {
					checkStreamEnd(t, err, tt.wantErr, tt.wantKind)
					// The terminal result is sticky.
					if _, again := s.Recv(); again == nil || again.Error() != err.Error() {
						t.Errorf("second Recv after end = %v, want %v", again, err)
					}
					break
				}
				got = append(got, *c)
			}
			if !reflect.DeepEqual(got, tt.want) {
				g, _ := json.MarshalIndent(got, "", "  ")
				w, _ := json.MarshalIndent(tt.want, "", "  ")
				t.Errorf("chunks mismatch\n--- got\n%s\n--- want\n%s", g, w)
			}
		})
	}
}

func checkStreamEnd(t *testing.T, err, wantErr error, wantKind provider.ErrorKind) {
	t.Helper()
	if wantKind == "" {
		if !errors.Is(err, wantErr) {
			t.Errorf("end = %v, want %v", err, wantErr)
		}
		return
	}
	pe := asProviderError(t, err)
	if pe.Kind != wantKind || pe.Provider != "gemini" {
		t.Errorf("end = %+v, want kind %s", pe, wantKind)
	}
}

// TestStreamErrorEvent checks the details kept from an error reported
// inside the stream.
func TestStreamErrorEvent(t *testing.T) {
	up := newFakeUpstream(t, respondFile(t, "error_event.stream.sse", "text/event-stream"))
	s, err := New().ChatStream(context.Background(), up.endpoint(), chatRequest(t, simpleRequest))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Recv(); err != nil {
		t.Fatal(err)
	}
	_, err = s.Recv()
	pe := asProviderError(t, err)
	want := provider.Error{Provider: "gemini", Kind: provider.ErrServer, Status: 503, Code: "UNAVAILABLE",
		Message: "The model is overloaded. Please try again later."}
	if *pe != want {
		t.Errorf("err = %+v, want %+v", *pe, want)
	}
}

// TestStreamPassThrough proves Recv hands over an event while the upstream
// is still holding the connection open, i.e. nothing is buffered ahead.
func TestStreamPassThrough(t *testing.T) {
	release := make(chan struct{})
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	up := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"first\"}],\"role\":\"model\"}}],\"responseId\":\"p1\"}\r\n\r\n")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		io.WriteString(w, "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\" second\"}],\"role\":\"model\"},\"finishReason\":\"STOP\"}],\"responseId\":\"p1\"}\r\n\r\n")
	})
	s, err := New().ChatStream(context.Background(), up.endpoint(), chatRequest(t, simpleRequest))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	type result struct {
		c   *provider.Chunk
		err error
	}
	first := make(chan result, 1)
	go func() {
		c, err := s.Recv()
		first <- result{c, err}
	}()
	select {
	case r := <-first:
		if r.err != nil || r.c.Content != "first" {
			t.Fatalf("first Recv = %+v, %v", r.c, r.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("first chunk not delivered while the upstream held the stream open")
	}
	close(release)
	c, err := s.Recv()
	if err != nil || c.Content != " second" || c.FinishReason != provider.FinishStop {
		t.Fatalf("second Recv = %+v, %v", c, err)
	}
	if _, err := s.Recv(); err != io.EOF {
		t.Fatalf("third Recv = %v, want io.EOF", err)
	}
}

func TestStreamCloseIdempotent(t *testing.T) {
	up := newFakeUpstream(t, respondFile(t, "text.stream.sse", "text/event-stream"))
	s, err := New().ChatStream(context.Background(), up.endpoint(), chatRequest(t, simpleRequest))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("first Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := s.Recv(); err == nil {
		t.Fatal("Recv after Close succeeded")
	}
}
