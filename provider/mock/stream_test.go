package mock

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// collect reads a stream to its end.
func collect(t *testing.T, s provider.Stream) []provider.Chunk {
	t.Helper()
	var chunks []provider.Chunk
	for {
		c, err := s.Recv()
		if err == io.EOF {
			return chunks
		}
		if err != nil {
			t.Fatalf("Recv after %d chunks: %v", len(chunks), err)
		}
		chunks = append(chunks, *c)
		if len(chunks) > 1000 {
			t.Fatal("stream does not end")
		}
	}
}

func TestChatStream(t *testing.T) {
	a, _ := newTestAdapter()
	tests := []struct {
		name   string
		extra  map[string]string
		req    provider.ChatRequest
		chunks []provider.Chunk // ID and Model are checked separately
	}{
		{
			name: "fixed text, one chunk per word",
			req:  provider.ChatRequest{Model: ModelFixed, Messages: []provider.Message{user("anything")}},
			chunks: []provider.Chunk{
				{Role: "assistant", Content: "This"}, {Content: " is"}, {Content: " a"}, {Content: " mock"},
				{Content: " response"}, {Content: " from"}, {Content: " Gatehouse."},
				{FinishReason: "stop", Usage: &provider.Usage{PromptTokens: 5, CompletionTokens: 10, TotalTokens: 15}},
			},
		},
		{
			name: "white space stays with the words",
			req:  provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{user("  hello\n\nworld \t")}},
			chunks: []provider.Chunk{
				{Role: "assistant", Content: "  hello"}, {Content: "\n\nworld \t"},
				{FinishReason: "stop", Usage: &provider.Usage{PromptTokens: 7, CompletionTokens: 4, TotalTokens: 11}},
			},
		},
		{
			name: "an empty answer still carries the role",
			req:  provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{system("x")}},
			chunks: []provider.Chunk{
				{Role: "assistant"},
				{FinishReason: "stop", Usage: &provider.Usage{PromptTokens: 4, CompletionTokens: 0, TotalTokens: 4}},
			},
		},
		{
			name: "max_tokens ends with length",
			req:  provider.ChatRequest{Model: ModelFixed, Messages: []provider.Message{user("anything")}, MaxTokens: intPtr(2)},
			chunks: []provider.Chunk{
				{Role: "assistant", Content: "This"}, {Content: " is "},
				{FinishReason: "length", Usage: &provider.Usage{PromptTokens: 5, CompletionTokens: 2, TotalTokens: 7}},
			},
		},
		{
			name: "a tool call arrives whole",
			req: provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{user("Weather in Paris? [mock:tool=get_weather]")},
				Tools: []provider.Tool{pingTool, weatherTool}},
			chunks: []provider.Chunk{
				{Role: "assistant", ToolCalls: []provider.ToolCallDelta{{Index: 0, ID: "call_mock_1", Name: "get_weather", Arguments: `{"city":"","days":1}`}}},
				{FinishReason: "tool_calls", Usage: &provider.Usage{PromptTokens: 14, CompletionTokens: 8, TotalTokens: 22}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep := provider.Endpoint{Extra: tt.extra}
			s, err := a.ChatStream(context.Background(), ep, &tt.req)
			if err != nil {
				t.Fatalf("ChatStream: %v", err)
			}
			defer s.Close()
			got := collect(t, s)
			resp, err := a.Chat(context.Background(), ep, &tt.req)
			if err != nil {
				t.Fatalf("Chat: %v", err)
			}
			var text strings.Builder
			for i := range got {
				if got[i].ID != resp.ID || got[i].Model != tt.req.Model {
					t.Errorf("chunk %d: id %q model %q, want %q %q", i, got[i].ID, got[i].Model, resp.ID, tt.req.Model)
				}
				got[i].ID, got[i].Model = "", ""
				text.WriteString(got[i].Content)
			}
			if g, w := mustJSON(t, got), mustJSON(t, tt.chunks); g != w {
				t.Errorf("chunks\n got %s\nwant %s", g, w)
			}
			if text.String() != resp.Message.Content.Text() {
				t.Errorf("streamed text %q differs from Chat's %q", text.String(), resp.Message.Content.Text())
			}
			if _, err := s.Recv(); err != io.EOF {
				t.Errorf("Recv after the end = %v, want io.EOF", err)
			}
		})
	}
}

func TestLatencyWaits(t *testing.T) {
	threeWords := &provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{user("one two three")}}
	t.Run("Chat adds the setting and the directive", func(t *testing.T) {
		a, rec := newTestAdapter()
		ep := provider.Endpoint{Extra: map[string]string{"latency_ms": "100"}}
		if _, err := a.Chat(context.Background(), ep, &provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{user("[mock:latency=250ms]")}}); err != nil {
			t.Fatal(err)
		}
		assertWaits(t, rec.recorded(), 350*time.Millisecond)
	})
	t.Run("a stream spreads latency over its content chunks", func(t *testing.T) {
		a, rec := newTestAdapter()
		ep := provider.Endpoint{Extra: map[string]string{"latency_ms": "100"}}
		s, err := a.ChatStream(context.Background(), ep, threeWords)
		if err != nil {
			t.Fatal(err)
		}
		if waits := rec.recorded(); len(waits) != 0 {
			t.Fatalf("ChatStream waited %v before returning", waits)
		}
		collect(t, s)
		assertWaits(t, rec.recorded(), 33333334, 33333333, 33333333, 0)
	})
	t.Run("a failing stream waits, then fails", func(t *testing.T) {
		a, rec := newTestAdapter()
		ep := provider.Endpoint{Extra: map[string]string{"latency_ms": "40", "error_status": "503"}}
		_, err := a.ChatStream(context.Background(), ep, threeWords)
		if pe, ok := provider.AsError(err); !ok || pe.Status != 503 || pe.Kind != provider.ErrServer {
			t.Fatalf("error = %v, want a 503 server error", err)
		}
		assertWaits(t, rec.recorded(), 40*time.Millisecond)
	})
	t.Run("Embed waits too", func(t *testing.T) {
		a, rec := newTestAdapter()
		ep := provider.Endpoint{Extra: map[string]string{"latency_ms": "5"}}
		if _, err := a.Embed(context.Background(), ep, &provider.EmbeddingRequest{Model: ModelEmbed, Input: []string{"a", "b [mock:latency=1s]"}}); err != nil {
			t.Fatal(err)
		}
		assertWaits(t, rec.recorded(), time.Second+5*time.Millisecond)
	})
}

func assertWaits(t *testing.T, got []time.Duration, want ...time.Duration) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("waits = %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("waits = %v, want %v", got, want)
		}
	}
}

func TestRealLatency(t *testing.T) {
	a := New()
	ep := provider.Endpoint{Extra: map[string]string{"latency_ms": "300"}}
	req := &provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{user("one two three")}}

	start := time.Now()
	if _, err := a.Chat(context.Background(), ep, req); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 300*time.Millisecond {
		t.Errorf("Chat answered after %v, before its 300ms latency", el)
	}

	start = time.Now()
	s, err := a.ChatStream(context.Background(), ep, req)
	if err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 150*time.Millisecond {
		t.Errorf("ChatStream took %v; it should return at once", el)
	}
	if _, err := s.Recv(); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 100*time.Millisecond {
		t.Errorf("first chunk after %v, want at least a third of the latency", el)
	}
	collect(t, s)
	if el := time.Since(start); el < 300*time.Millisecond {
		t.Errorf("stream ended after %v, before its 300ms latency", el)
	}
}

func TestCancellation(t *testing.T) {
	slow := provider.Endpoint{Extra: map[string]string{"latency_ms": "30000"}}
	req := &provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{user("one two")}}
	embedReq := &provider.EmbeddingRequest{Model: ModelEmbed, Input: []string{"x"}}
	a := New()

	// within fails the test if f takes longer than five seconds, proving the
	// wait was cut short rather than slept through.
	within := func(t *testing.T, f func()) {
		t.Helper()
		done := make(chan struct{})
		go func() { f(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("the call ignored its context")
		}
	}

	t.Run("Chat cancelled returns the context's error", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(20*time.Millisecond, cancel)
		within(t, func() {
			if _, err := a.Chat(ctx, slow, req); !errors.Is(err, context.Canceled) {
				t.Errorf("error = %v, want context.Canceled", err)
			}
		})
	})
	t.Run("Chat past its deadline is an upstream timeout", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		within(t, func() {
			_, err := a.Chat(ctx, slow, req)
			if pe, ok := provider.AsError(err); !ok || pe.Kind != provider.ErrTimeout || !pe.Retryable() {
				t.Errorf("error = %v, want a retryable ErrTimeout", err)
			}
		})
	})
	t.Run("Embed past its deadline is an upstream timeout", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		within(t, func() {
			_, err := a.Embed(ctx, slow, embedReq)
			if pe, ok := provider.AsError(err); !ok || pe.Kind != provider.ErrTimeout {
				t.Errorf("error = %v, want ErrTimeout", err)
			}
		})
	})
	t.Run("ChatStream on a cancelled context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := a.ChatStream(ctx, provider.Endpoint{}, req); !errors.Is(err, context.Canceled) {
			t.Errorf("error = %v, want context.Canceled", err)
		}
	})
	t.Run("Recv returns ctx.Err() when cancelled mid-wait", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		s, err := a.ChatStream(ctx, slow, req)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		time.AfterFunc(20*time.Millisecond, cancel)
		within(t, func() {
			if _, err := s.Recv(); err != context.Canceled {
				t.Errorf("Recv = %v, want context.Canceled", err)
			}
		})
		if _, err := s.Recv(); err != context.Canceled {
			t.Errorf("Recv after cancellation = %v, want context.Canceled", err)
		}
	})
	t.Run("Recv returns ctx.Err() past the deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		s, err := a.ChatStream(ctx, slow, req)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		within(t, func() {
			if _, err := s.Recv(); err != context.DeadlineExceeded {
				t.Errorf("Recv = %v, want context.DeadlineExceeded", err)
			}
		})
	})
	t.Run("Recv without latency still honours cancellation", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		s, err := a.ChatStream(ctx, provider.Endpoint{}, req)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := s.Recv(); err != nil {
			t.Fatal(err)
		}
		cancel()
		if _, err := s.Recv(); err != context.Canceled {
			t.Errorf("Recv = %v, want context.Canceled", err)
		}
	})
	t.Run("Close cuts a wait short and is idempotent", func(t *testing.T) {
		s, err := a.ChatStream(context.Background(), slow, req)
		if err != nil {
			t.Fatal(err)
		}
		time.AfterFunc(20*time.Millisecond, func() { s.Close() })
		within(t, func() {
			if _, err := s.Recv(); err != errStreamClosed {
				t.Errorf("Recv = %v, want errStreamClosed", err)
			}
		})
		if err := s.Close(); err != nil {
			t.Errorf("second Close = %v", err)
		}
		if _, err := s.Recv(); err != errStreamClosed {
			t.Errorf("Recv after Close = %v, want errStreamClosed", err)
		}
	})
}

func TestSplitWords(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"one", []string{"one"}},
		{"one two", []string{"one", " two"}},
		{" lead", []string{" lead"}},
		{"trail  ", []string{"trail  "}},
		{"   ", []string{"   "}},
		{"a\u00a0b\u3000c", []string{"a", "\u00a0b", "\u3000c"}},
		{"héllo wörld", []string{"héllo", " wörld"}},
	}
	for _, tt := range tests {
		got := splitWords(tt.in)
		if mustJSON(t, got) != mustJSON(t, tt.want) {
			t.Errorf("splitWords(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSpread(t *testing.T) {
	assertWaits(t, spread(10, 3), 4, 3, 3)
	assertWaits(t, spread(0, 2), 0, 0)
	assertWaits(t, spread(7, 1), 7)
	if got := spread(5, 0); got != nil {
		t.Errorf("spread(5, 0) = %v, want nil", got)
	}
}
