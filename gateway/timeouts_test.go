package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse/provider"
	"github.com/gatehouse-llm/gatehouse/state"
)

// limitedGateway is testGateway with small first-byte and idle timeouts
// and a body cap, so stalls fail in milliseconds.
func limitedGateway(t *testing.T, primaryURL string, maxBody int64) (*Gateway, *state.Caller, func() error) {
	return limitedGatewayIdle(t, primaryURL, maxBody, 400*time.Millisecond)
}

func limitedGatewayIdle(t *testing.T, primaryURL string, maxBody int64, idle time.Duration) (*Gateway, *state.Caller, func() error) {
	st, caller := world(primaryURL, "http://127.0.0.1:1")
	g := New(DefaultRegistry(), NewEndpoints(nil, Timeouts{Connect: time.Second, FirstByte: 400 * time.Millisecond,
		Idle: idle, MaxBody: maxBody}), st, Options{Retry: RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, MaxRetryAfter: time.Second}})
	g.sleep = func(ctx context.Context, d time.Duration) error { return ctx.Err() }
	// The fallback alias points at a closed port: a call that falls back
	// fails with a network error instead of succeeding.
	return g, caller, func() error {
		_, err := g.Chat(context.Background(), caller, "primary", chatReq())
		return err
	}
}

// hold blocks until the test's request is cancelled (or a generous
// deadline passes, so a broken test cannot hang).
func hold(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(10 * time.Second):
	}
}

// Plain answers: a stall or cut after the provider started answering is
// final (no retry, no fallback: the provider may have done the work),
// detected by the idle timeout rather than the 10-minute total, and an
// answer over the cap is refused without being held.
func TestPlainAnswerFaults(t *testing.T) {
	body := `{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"` +
		strings.Repeat("x", 4096) + `"},"finish_reason":"stop"}],"usage":{"prompt_tokens":7,"completion_tokens":3,"total_tokens":10}}`
	cases := []struct {
		name     string
		script   func(w http.ResponseWriter, r *http.Request)
		maxBody  int64
		wantKind provider.ErrorKind
		wantMsg  string
		wantHits int64
	}{
		{"stall mid-body", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			io.WriteString(w, body[:100])
			w.(http.Flusher).Flush()
			hold(r)
		}, 0, provider.ErrTimeout, "no data for 400ms", 1},
		{"cut mid-body", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			io.WriteString(w, body[:100])
		}, 0, provider.ErrNetwork, "unexpected EOF", 1},
		{"over the cap, announced", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			io.WriteString(w, body)
		}, 1024, provider.ErrBadResponse, "larger than the gateway's 1KiB limit", 1},
		{"over the cap, chunked", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			for i := 0; i < len(body); i += 512 {
				io.WriteString(w, body[i:min(i+512, len(body))])
				w.(http.Flusher).Flush()
			}
		}, 1024, provider.ErrBadResponse, "larger than the gateway's 1KiB limit", 1},
		{"within the cap", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, body)
		}, int64(len(body)), "", "", 1},
		// Before any answer, retrying is safe: a 500 is retried.
		{"500 every time", func(w http.ResponseWriter, r *http.Request) { failWith(w, 500, "down") }, 0, provider.ErrNetwork, "", 3},
	}
	for _, tc := range cases {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			up := newUpstream(t, func(n int64, w http.ResponseWriter, r *http.Request) { tc.script(w, r) })
			_, _, call := limitedGateway(t, up.URL, tc.maxBody)
			start := time.Now()
			err := call()
			if tc.wantKind == "" {
				if err != nil {
					t.Fatalf("an answer of exactly the cap must pass: %v", err)
				}
				return
			}
			pe, ok := provider.AsError(err)
			if tc.wantMsg != "" && (!ok || pe.Kind != tc.wantKind || !strings.Contains(pe.Message, tc.wantMsg)) {
				t.Fatalf("err = %v, want %s containing %q", err, tc.wantKind, tc.wantMsg)
			}
			if got := up.hits.Load(); got != tc.wantHits {
				t.Fatalf("upstream asked %d times, want %d", got, tc.wantHits)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("took %s: the stall was not cut by the idle timeout", d)
			}
		})
	}
}

// Streams: headers that never come are a first-byte timeout, retried
// (the provider has not started); a stall after the first event is an
// idle timeout reported by Recv, never retried.
func TestStreamTimeouts(t *testing.T) {
	t.Run("hang before headers", func(t *testing.T) {
		up := newUpstream(t, func(n int64, w http.ResponseWriter, r *http.Request) { hold(r) })
		g, caller, _ := limitedGateway(t, up.URL, 0)
		s, err := g.ChatStream(context.Background(), caller, "primary", chatReq())
		pe, ok := provider.AsError(err)
		if !ok || pe.Kind != provider.ErrNetwork && pe.Kind != provider.ErrTimeout {
			t.Fatalf("err = %v", err)
		}
		// Three attempts at the primary, then the fallback's refused
		// connection (three attempts too) is the last error.
		primary := 0
		for _, a := range s.Attempts {
			if a.Alias.Alias == "primary" {
				primary++
				if pe, _ := provider.AsError(a.Err); pe == nil || pe.Kind != provider.ErrTimeout || !strings.Contains(pe.Message, "no response headers within 400ms") {
					t.Errorf("attempt error %v, want a first-byte timeout", a.Err)
				}
			}
		}
		if primary != 3 || up.hits.Load() != 3 {
			t.Fatalf("%d primary attempts, %d upstream hits; want 3 and 3", primary, up.hits.Load())
		}
	})
	t.Run("stall mid-stream", func(t *testing.T) {
		up := newUpstream(t, func(n int64, w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			sse(w, chunkHello)
			hold(r)
		})
		g, caller, _ := limitedGateway(t, up.URL, 0)
		s, err := g.ChatStream(context.Background(), caller, "primary", chatReq())
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if c, err := s.Recv(); err != nil || c.Content != "Hel" {
			t.Fatalf("first chunk: %v %v", c, err)
		}
		_, err = s.Recv()
		if pe, ok := provider.AsError(err); !ok || pe.Kind != provider.ErrTimeout || !strings.Contains(pe.Message, "no data for 400ms") {
			t.Fatalf("err = %v, want an idle timeout", err)
		}
		if up.hits.Load() != 1 {
			t.Fatalf("a stalled stream was retried: %d hits", up.hits.Load())
		}
	})
	t.Run("slow but steady stream", func(t *testing.T) {
		// Keep-alives every 50ms for 1.5s against a 1s idle limit: only
		// silences count, never a stream's length.
		up := newUpstream(t, func(n int64, w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			sse(w, chunkHello)
			for range 30 {
				time.Sleep(50 * time.Millisecond)
				fmt.Fprint(w, ": keep-alive\n\n")
				w.(http.Flusher).Flush()
			}
			sse(w, chunkLo, chunkUsage, "[DONE]")
		})
		g, caller, _ := limitedGatewayIdle(t, up.URL, 0, time.Second)
		s, err := g.ChatStream(context.Background(), caller, "primary", chatReq())
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		for {
			_, err := s.Recv()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("a steady stream was cut: %v", err)
			}
		}
	})
}
