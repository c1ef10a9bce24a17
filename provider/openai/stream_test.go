package openai

import (
	"context"
	"errors"
	"io"
	"net/http"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// collect reads a stream to its end and returns the chunks and the final
// error (io.EOF for a clean end).
func collect(t *testing.T, s provider.Stream) ([]provider.Chunk, error) {
	t.Helper()
	var chunks []provider.Chunk
	for range 100 {
		c, err := s.Recv()
		if err != nil {
			return chunks, err
		}
		chunks = append(chunks, *c)
	}
	t.Fatal("stream did not end after 100 chunks")
	return nil, nil
}

func TestStreamChunks(t *testing.T) {
	const textModel = "gpt-4o-mini-2024-07-18"
	tests := []struct {
		file     string
		provider string
		want     []provider.Chunk
	}{
		{"text.sse", "openai", []provider.Chunk{
			{ID: "chatcmpl-123", Model: textModel, Role: "assistant"},
			{ID: "chatcmpl-123", Model: textModel, Content: "Hello"},
			{ID: "chatcmpl-123", Model: textModel, Content: "!"},
			{ID: "chatcmpl-123", Model: textModel, FinishReason: provider.FinishStop},
			{ID: "chatcmpl-123", Model: textModel, Usage: &provider.Usage{PromptTokens: 9, CompletionTokens: 2, TotalTokens: 11, CachedTokens: 4}},
		}},
		{"tool_calls.sse", "openai", []provider.Chunk{
			{ID: "chatcmpl-tc", Model: "gpt-4o", Role: "assistant", ToolCalls: []provider.ToolCallDelta{{Index: 0, ID: "call_DdmO9pD3xa9XTPNJ32zg2hcA", Name: "get_weather"}}},
			{ID: "chatcmpl-tc", Model: "gpt-4o", ToolCalls: []provider.ToolCallDelta{{Index: 0, Arguments: `{"`}}},
			{ID: "chatcmpl-tc", Model: "gpt-4o", ToolCalls: []provider.ToolCallDelta{{Index: 0, Arguments: `location":"Paris"}`}}},
			{ID: "chatcmpl-tc", Model: "gpt-4o", ToolCalls: []provider.ToolCallDelta{{Index: 1, ID: "call_2", Name: "get_time", Arguments: "{}"}}},
			{ID: "chatcmpl-tc", Model: "gpt-4o", FinishReason: provider.FinishToolCalls},
			{ID: "chatcmpl-tc", Model: "gpt-4o", Usage: &provider.Usage{PromptTokens: 60, CompletionTokens: 25, TotalTokens: 85}},
		}},
		{"groq_x_groq.sse", "groq", []provider.Chunk{
			{ID: "chatcmpl-groq", Model: "llama-3.3-70b-versatile", Role: "assistant"},
			{ID: "chatcmpl-groq", Model: "llama-3.3-70b-versatile", Content: "Hi"},
			{ID: "chatcmpl-groq", Model: "llama-3.3-70b-versatile", FinishReason: provider.FinishStop,
				Usage: &provider.Usage{PromptTokens: 12, CompletionTokens: 1, TotalTokens: 13}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			up := newFakeUpstream(t, replySSE(readTestdata(t, "streams/"+tt.file)))
			s, err := New(tt.provider).ChatStream(t.Context(), up.endpoint(tt.provider), &provider.ChatRequest{Model: "m"})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			got, err := collect(t, s)
			if err != io.EOF {
				t.Fatalf("stream ended with %v, want io.EOF", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("chunks =\n%+v\nwant\n%+v", got, tt.want)
			}
			if _, err := s.Recv(); err != io.EOF {
				t.Errorf("Recv after end = %v, want io.EOF", err)
			}
		})
	}
}

// The first event must reach the caller while the upstream is still
// holding the connection open: nothing is buffered or read ahead. Both
// ChatStream and the first Recv run under the timeout, so an adapter that
// waits for the whole body fails the test instead of hanging it.
func TestStreamPassThrough(t *testing.T) {
	release := make(chan struct{})
	up := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write([]byte(`data: {"id":"c1","choices":[{"index":0,"delta":{"role":"assistant","content":"first"},"finish_reason":null}]}` + "\n\n"))
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		w.Write([]byte(`data: {"id":"c1","choices":[{"index":0,"delta":{"content":"second"},"finish_reason":"stop"}]}` + "\n\ndata: [DONE]\n\n"))
	})
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	defer unblock()

	type result struct {
		stream provider.Stream
		chunk  *provider.Chunk
		err    error
	}
	first := make(chan result, 1)
	go func() {
		s, err := New("openai").ChatStream(t.Context(), up.endpoint("openai"), &provider.ChatRequest{Model: "m"})
		if err != nil {
			first <- result{err: err}
			return
		}
		c, err := s.Recv()
		first <- result{s, c, err}
	}()
	var s provider.Stream
	select {
	case r := <-first:
		if r.err != nil {
			t.Fatal(r.err)
		}
		s = r.stream
		if r.chunk.Content != "first" || r.chunk.Role != "assistant" {
			t.Errorf("first chunk = %+v", r.chunk)
		}
	case <-time.After(5 * time.Second):
		unblock() // let the adapter finish so the goroutine can exit
		t.Fatal("first chunk not delivered while upstream held the stream open")
	}
	defer s.Close()
	unblock()
	c, err := s.Recv()
	if err != nil || c.Content != "second" || c.FinishReason != provider.FinishStop {
		t.Fatalf("second Recv = %+v, %v", c, err)
	}
	if _, err := s.Recv(); err != io.EOF {
		t.Errorf("third Recv = %v, want io.EOF", err)
	}
}

func TestStreamTruncated(t *testing.T) {
	for _, file := range []string{"truncated_boundary.sse", "truncated_midevent.sse"} {
		t.Run(file, func(t *testing.T) {
			up := newFakeUpstream(t, replySSE(readTestdata(t, "streams/"+file)))
			s, err := New("openai").ChatStream(t.Context(), up.endpoint("openai"), &provider.ChatRequest{Model: "m"})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			chunks, err := collect(t, s)
			if len(chunks) != 1 || chunks[0].Content != "Hel" {
				t.Errorf("chunks before the cut = %+v", chunks)
			}
			pe := asProviderError(t, err)
			if pe.Kind != provider.ErrStreamTruncated || pe.Provider != "openai" {
				t.Errorf("error = %+v, want stream_truncated", pe)
			}
			if _, again := s.Recv(); again != err {
				t.Errorf("Recv after failure = %v, want the same error", again)
			}
		})
	}
}

func TestStreamMalformedChunk(t *testing.T) {
	up := newFakeUpstream(t, replySSE(readTestdata(t, "streams/malformed.sse")))
	s, err := New("openai").ChatStream(t.Context(), up.endpoint("openai"), &provider.ChatRequest{Model: "m"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	chunks, err := collect(t, s)
	if len(chunks) != 1 || chunks[0].Content != "ok" {
		t.Errorf("chunks = %+v", chunks)
	}
	if pe := asProviderError(t, err); pe.Kind != provider.ErrBadResponse {
		t.Errorf("error = %+v, want bad_response", pe)
	}
}

// OpenRouter reports failures after the stream started as a chunk with an
// error object.
func TestStreamMidStreamError(t *testing.T) {
	up := newFakeUpstream(t, replySSE(readTestdata(t, "streams/mid_stream_error.sse")))
	s, err := New("openrouter").ChatStream(t.Context(), up.endpoint("openrouter"), &provider.ChatRequest{Model: "openai/gpt-4o"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	chunks, err := collect(t, s)
	if len(chunks) != 1 || chunks[0].Content != "Par" {
		t.Errorf("chunks = %+v", chunks)
	}
	pe := asProviderError(t, err)
	want := provider.Error{Provider: "openrouter", Kind: provider.ErrServer, Code: "server_error", Message: "Provider disconnected unexpectedly"}
	if *pe != want {
		t.Errorf("error = %+v, want %+v", *pe, want)
	}
}

// Mistral's reasoning models stream content as typed parts.
func TestStreamContentParts(t *testing.T) {
	body := `data: {"id":"m1","model":"magistral-medium","choices":[{"index":0,"delta":{"content":[{"type":"thinking","thinking":[{"type":"text","text":"hmm"}]},{"type":"text","text":"Brie"}]},"finish_reason":null}]}` +
		"\n\n" + `data: {"id":"m1","model":"magistral-medium","choices":[{"index":0,"delta":{"content":""},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8}}` + "\n\ndata: [DONE]\n\n"
	up := newFakeUpstream(t, replySSE([]byte(body)))
	s, err := New("mistral").ChatStream(t.Context(), up.endpoint("mistral"), &provider.ChatRequest{Model: "magistral-medium"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := collect(t, s)
	if err != io.EOF {
		t.Fatal(err)
	}
	want := []provider.Chunk{
		{ID: "m1", Model: "magistral-medium", Content: "Brie"},
		{ID: "m1", Model: "magistral-medium", FinishReason: "stop", Usage: &provider.Usage{PromptTokens: 5, CompletionTokens: 3, TotalTokens: 8}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("chunks = %+v, want %+v", got, want)
	}
}

func TestStreamCloseIdempotent(t *testing.T) {
	up := newFakeUpstream(t, replySSE(readTestdata(t, "streams/text.sse")))
	s, err := New("openai").ChatStream(t.Context(), up.endpoint("openai"), &provider.ChatRequest{Model: "m"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if _, err := s.Recv(); !errors.Is(err, errStreamClosed) {
		t.Errorf("Recv after Close = %v, want errStreamClosed", err)
	}
}

// Close from another goroutine unblocks a Recv waiting on a silent
// upstream.
func TestStreamCloseUnblocksRecv(t *testing.T) {
	hold := make(chan struct{})
	defer close(hold)
	up := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		select {
		case <-hold:
		case <-r.Context().Done():
		}
	})
	// The deadline only matters if the adapter wrongly waits for the body.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	s, err := New("openai").ChatStream(ctx, up.endpoint("openai"), &provider.ChatRequest{Model: "m"})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.Recv()
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	s.Close()
	select {
	case err := <-done:
		if !errors.Is(err, errStreamClosed) {
			t.Errorf("Recv = %v, want errStreamClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Recv still blocked after Close")
	}
}
