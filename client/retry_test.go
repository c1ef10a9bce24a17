package client

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// jobJSON and callJSON are minimal successful answers.
const (
	jobJSON  = `{"job_id": "j1", "team_id": "t", "status": "pending", "credits_reserved": 1}`
	callJSON = `{"call_id": "c1", "job_id": "j1", "model": "echo", "content": "hi", "finish_reason": "stop", "cost_usd": 0.00}`
)

// scripted is a test server whose n-th request (from 1) is answered by
// answer(n, w, r); it counts requests and keeps their Idempotency-Keys.
type scripted struct {
	*httptest.Server
	hits atomic.Int64
	mu   sync.Mutex
	keys []string
}

// idempotencyKeys returns the Idempotency-Key of every request so far.
func (s *scripted) idempotencyKeys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.keys...)
}

func newScripted(t *testing.T, answer func(n int, w http.ResponseWriter, r *http.Request)) *scripted {
	s := &scripted{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(s.hits.Add(1))
		s.mu.Lock()
		s.keys = append(s.keys, r.Header.Get("Idempotency-Key"))
		s.mu.Unlock()
		answer(n, w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// gatehouseError writes Gatehouse's error shape.
func gatehouseError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, `{"error": {"code": "`+code+`", "message": "scripted `+code+`"}}`)
}

// ok writes a 200 JSON body.
func ok(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, body)
}

// waitRecorder replaces c's sleep with one that records each wait and
// then really waits.
func waitRecorder(c *Client) func() []time.Duration {
	var mu sync.Mutex
	var waits []time.Duration
	c.sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
		return sleepContext(ctx, d)
	}
	return func() []time.Duration {
		mu.Lock()
		defer mu.Unlock()
		return append([]time.Duration(nil), waits...)
	}
}

func TestRetry503ThenSuccess(t *testing.T) {
	srv := newScripted(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			gatehouseError(w, 503, CodeUnavailable)
			return
		}
		ok(w, jobJSON)
	})
	c := New(srv.URL, "k", WithBackoff(20*time.Millisecond, time.Second))
	waits := waitRecorder(c)
	job, err := c.GetJob(context.Background(), "j1")
	if err != nil || job.ID != "j1" || job.CreditsReserved != OneCredit {
		t.Fatalf("GetJob = %+v, %v", job, err)
	}
	if got := srv.hits.Load(); got != 2 {
		t.Fatalf("attempts = %d, want 2", got)
	}
	w := waits()
	if len(w) != 1 || w[0] < 10*time.Millisecond || w[0] > 20*time.Millisecond {
		t.Fatalf("waits = %v, want one between base/2 and base (10ms..20ms)", w)
	}
}

func TestRetry429HonoursRetryAfter(t *testing.T) {
	srv := newScripted(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			gatehouseError(w, 429, CodeRateLimited)
			return
		}
		ok(w, callJSON)
	})
	c := New(srv.URL, "k", WithBackoff(time.Millisecond, 2*time.Millisecond))
	waits := waitRecorder(c)
	start := time.Now()
	resp, err := c.Chat(context.Background(), "j1", ChatRequest{Model: "echo", Messages: []Message{User("hi")}})
	if err != nil || resp.Content != "hi" {
		t.Fatalf("Chat = %+v, %v", resp, err)
	}
	if got := srv.hits.Load(); got != 2 {
		t.Fatalf("attempts = %d, want 2", got)
	}
	if w := waits(); len(w) != 1 || w[0] != time.Second {
		t.Fatalf("waits = %v, want exactly the Retry-After [1s]", w)
	}
	if el := time.Since(start); el < time.Second {
		t.Fatalf("returned after %v, before the Retry-After elapsed", el)
	}
}

// The retry rule, status by status: calls (which may cost money) are
// repeated only on 429 and 503; idempotent requests on 429 and any 5xx.
func TestRetryRule(t *testing.T) {
	cases := []struct {
		status    int
		code      string
		callTries int64
		readTries int64
	}{
		{400, CodeInvalidRequest, 1, 1},
		{401, CodeUnauthorized, 1, 1},
		{402, CodeInsufficientCredits, 1, 1},
		{404, CodeNotFound, 1, 1},
		{409, CodeConflict, 1, 1},
		{429, CodeRateLimited, 3, 3},
		{500, CodeInternal, 1, 3},
		{502, CodeProviderError, 1, 3},
		{503, CodeUnavailable, 3, 3},
		{504, "gateway_timeout", 1, 3},
	}
	for _, tc := range cases {
		srv := newScripted(t, func(n int, w http.ResponseWriter, r *http.Request) { gatehouseError(w, tc.status, tc.code) })
		c := New(srv.URL, "k", WithBackoff(time.Millisecond, 2*time.Millisecond))
		_, err := c.Chat(context.Background(), "j1", ChatRequest{Model: "echo", Messages: []Message{User("hi")}})
		var apiErr *APIError
		if !errors.As(err, &apiErr) || apiErr.StatusCode != tc.status || apiErr.Code != tc.code {
			t.Fatalf("%d: Chat error = %v", tc.status, err)
		}
		if got := srv.hits.Swap(0); got != tc.callTries {
			t.Errorf("%d: Chat made %d attempts, want %d", tc.status, got, tc.callTries)
		}
		if _, err := c.JobCosts(context.Background(), "j1"); !errors.As(err, &apiErr) {
			t.Fatalf("%d: JobCosts error = %v", tc.status, err)
		}
		if got := srv.hits.Swap(0); got != tc.readTries {
			t.Errorf("%d: JobCosts made %d attempts, want %d", tc.status, got, tc.readTries)
		}
	}
}

// A retried CreateJob carries the same Idempotency-Key on every attempt:
// generated by the client, or the caller's own.
func TestCreateJobRetriesWithOneIdempotencyKey(t *testing.T) {
	srv := newScripted(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n%2 == 1 {
			gatehouseError(w, 502, CodeProviderError)
			return
		}
		w.WriteHeader(http.StatusCreated)
		ok(w, jobJSON)
	})
	c := New(srv.URL, "k", WithBackoff(time.Millisecond, 2*time.Millisecond))
	if _, err := c.CreateJob(context.Background(), JobParams{JobType: "x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateJob(context.Background(), JobParams{IdempotencyKey: "order-1234"}); err != nil {
		t.Fatal(err)
	}
	k := srv.idempotencyKeys()
	if len(k) != 4 || !strings.HasPrefix(k[0], "ghc-") || len(k[0]) < 20 || k[1] != k[0] || k[2] != "order-1234" || k[3] != "order-1234" {
		t.Fatalf("Idempotency-Keys = %q", k)
	}
	// Two creates never share a generated key.
	if _, err := c.CreateJob(context.Background(), JobParams{}); err != nil {
		t.Fatal(err)
	}
	if k = srv.idempotencyKeys(); k[4] == k[0] || k[4] == "" {
		t.Fatalf("a generated key was reused: %q", k)
	}
	// Without retries no key is needed, so none is invented.
	c0 := New(srv.URL, "k", WithMaxRetries(0))
	srv.hits.Store(1) // next answer is a success
	if _, err := c0.CreateJob(context.Background(), JobParams{}); err != nil {
		t.Fatal(err)
	}
	if k = srv.idempotencyKeys(); k[len(k)-1] != "" {
		t.Fatalf("without retries, Idempotency-Key = %q", k[len(k)-1])
	}
}

// hangUp reads the request and drops the connection without answering:
// the request was delivered, the answer lost.
func hangUp(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		conn.Close()
	}
}

// A connection lost after the request was sent: a call is not repeated
// (the model may have run), an idempotent request is.
func TestNetworkErrorAfterSending(t *testing.T) {
	srv := newScripted(t, func(n int, w http.ResponseWriter, r *http.Request) { hangUp(w, r) })
	c := New(srv.URL, "k", WithBackoff(time.Millisecond, 2*time.Millisecond))
	waits := waitRecorder(c)
	_, err := c.Chat(context.Background(), "j1", ChatRequest{Model: "echo", Messages: []Message{User("hi")}})
	var apiErr *APIError
	if err == nil || errors.As(err, &apiErr) {
		t.Fatalf("Chat error = %v, want a network error", err)
	}
	if got := len(waits()); got != 0 {
		t.Fatalf("a delivered call was retried %d times", got)
	}
	if _, err := c.CompleteJob(context.Background(), "j1", CompleteParams{}); err == nil {
		t.Fatal("CompleteJob succeeded against a server that hangs up")
	}
	if got := len(waits()); got != 2 {
		t.Fatalf("CompleteJob was retried %d times, want 2", got)
	}
}

// A request that never left (connection refused) is safe to repeat, even
// a call.
func TestNetworkErrorBeforeSending(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c := New("http://"+addr, "k", WithBackoff(time.Millisecond, 2*time.Millisecond))
	waits := waitRecorder(c)
	if _, err := c.Chat(context.Background(), "j1", ChatRequest{Model: "echo", Messages: []Message{User("hi")}}); err == nil {
		t.Fatal("Chat succeeded with no server")
	}
	if got := len(waits()); got != 2 {
		t.Fatalf("an undelivered call was retried %d times, want 2", got)
	}
}

// A Retry-After above MaxRetryAfter, or past the context's deadline, is
// not sat out: the error comes back at once with its RetryAfter.
func TestRetryAfterNotSatOut(t *testing.T) {
	srv := newScripted(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", r.URL.Query().Get("after"))
		gatehouseError(w, 429, CodeRateLimited)
	})
	c := New(srv.URL, "k")
	for _, tc := range []struct {
		after   string
		timeout time.Duration
		want    time.Duration
	}{{"120", time.Minute, 2 * time.Minute}, {"5", time.Second, 5 * time.Second}} {
		ctx, cancel := context.WithTimeout(context.Background(), tc.timeout)
		start := time.Now()
		var j Job
		err := c.call(ctx, request{method: "GET", path: "/api/jobs/j1?after=" + tc.after, class: idempotent}, &j)
		cancel()
		var apiErr *APIError
		if !errors.As(err, &apiErr) || !IsRateLimited(err) || apiErr.RetryAfter != tc.want {
			t.Fatalf("Retry-After %s: error = %v", tc.after, err)
		}
		if el := time.Since(start); el > 500*time.Millisecond {
			t.Fatalf("Retry-After %s: waited %v", tc.after, el)
		}
	}
	if got := srv.hits.Load(); got != 2 {
		t.Fatalf("attempts = %d, want one per request", got)
	}
}

// Cancelling the context ends a backoff wait at once.
func TestCancelDuringBackoff(t *testing.T) {
	srv := newScripted(t, func(n int, w http.ResponseWriter, r *http.Request) { gatehouseError(w, 503, CodeUnavailable) })
	c := New(srv.URL, "k", WithBackoff(10*time.Second, 10*time.Second))
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.GetJob(ctx, "j1")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("returned after %v", el)
	}
}

// A stream is retried before it starts, never after.
func TestStreamRetriedOnlyBeforeItStarts(t *testing.T) {
	srv := newScripted(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			gatehouseError(w, 503, CodeUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: {\"type\":\"delta\",\"content\":\"Hel\"}\n\n")
		w.(http.Flusher).Flush()
		hangUp(w, r)
	})
	c := New(srv.URL, "k", WithBackoff(time.Millisecond, 2*time.Millisecond))
	var got []string
	var last error
	for ev, err := range c.ChatStream(context.Background(), "j1", ChatRequest{Model: "echo", Messages: []Message{User("Hello")}}) {
		if err != nil {
			last = err
			continue
		}
		got = append(got, ev.Content)
	}
	if len(got) != 1 || got[0] != "Hel" || !errors.Is(last, ErrStreamCut) {
		t.Fatalf("events %q, error %v; want one delta then ErrStreamCut", got, last)
	}
	if n := srv.hits.Load(); n != 2 {
		t.Fatalf("attempts = %d, want 2 (one retry before the stream started, none after)", n)
	}
}

func TestBackoffGrowsWithJitterAndCap(t *testing.T) {
	c := New("http://x", "k", WithBackoff(100*time.Millisecond, 400*time.Millisecond))
	for n, exp := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 4: 400 * time.Millisecond, 40: 400 * time.Millisecond} {
		for range 50 {
			d, ok := c.retryWait(context.Background(), n, nil)
			if !ok || d < exp/2 || d > exp {
				t.Fatalf("wait %d = %v, want within [%v, %v]", n, d, exp/2, exp)
			}
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"":                              0,
		"3":                             3 * time.Second,
		" 2 ":                           2 * time.Second,
		"0":                             0,
		"-1":                            0,
		"soon":                          0,
		"Wed, 01 Jan 2025 12:00:30 GMT": 30 * time.Second,
		"Wed, 01 Jan 2025 11:00:00 GMT": 0,
		"99999999999":                   24 * time.Hour,
	} {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

// An error body that is not Gatehouse's (a proxy's page) still gives a
// typed error, its code following from the status.
func TestErrorFromForeignBody(t *testing.T) {
	srv := newScripted(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		io.WriteString(w, "<html>bad gateway</html>\n")
	})
	_, err := New(srv.URL, "k", WithMaxRetries(0)).GetJob(context.Background(), "j1")
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 502 || apiErr.Code != CodeProviderError || apiErr.Message != "<html>bad gateway</html>" {
		t.Fatalf("error = %#v", err)
	}
}
