package anthropic

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse/provider"
)

func anthropicError(errType, msg string) string {
	return `{"type":"error","error":{"type":"` + errType + `","message":"` + msg + `"},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fy"}`
}

func simpleRequest() *provider.ChatRequest {
	return &provider.ChatRequest{Model: "claude-sonnet-4-5", Messages: []provider.Message{{Role: "user", Content: provider.TextContent("x")}}}
}

// TestHTTPErrors checks non-2xx answers from both Chat and ChatStream.
func TestHTTPErrors(t *testing.T) {
	cases := []struct {
		name      string
		status    int
		header    map[string]string
		body      string
		wantKind  provider.ErrorKind
		wantCode  string
		wantMsg   string
		wantRetry time.Duration
		retryable bool
	}{
		{name: "400", status: 400, body: anthropicError("invalid_request_error", "messages: roles must alternate between \\\"user\\\" and \\\"assistant\\\""),
			wantKind: provider.ErrBadRequest, wantCode: "invalid_request_error", wantMsg: `messages: roles must alternate between "user" and "assistant"`},
		{name: "401", status: 401, body: anthropicError("authentication_error", "invalid x-api-key"),
			wantKind: provider.ErrAuth, wantCode: "authentication_error", wantMsg: "invalid x-api-key"},
		{name: "403", status: 403, body: anthropicError("permission_error", "Your API key does not have permission to use the specified resource."),
			wantKind: provider.ErrAuth, wantCode: "permission_error", wantMsg: "Your API key does not have permission to use the specified resource."},
		{name: "404", status: 404, body: anthropicError("not_found_error", "model: claude-nope"),
			wantKind: provider.ErrBadRequest, wantCode: "not_found_error", wantMsg: "model: claude-nope"},
		{name: "429 retry-after", status: 429, header: map[string]string{"Retry-After": "7"}, body: anthropicError("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit"),
			wantKind: provider.ErrRateLimited, wantCode: "rate_limit_error", wantMsg: "Number of request tokens has exceeded your per-minute rate limit", wantRetry: 7 * time.Second, retryable: true},
		{name: "500", status: 500, body: anthropicError("api_error", "Internal server error"),
			wantKind: provider.ErrServer, wantCode: "api_error", wantMsg: "Internal server error", retryable: true},
		{name: "529 overloaded", status: 529, header: map[string]string{"retry-after-ms": "1500"}, body: anthropicError("overloaded_error", "Overloaded"),
			wantKind: provider.ErrServer, wantCode: "overloaded_error", wantMsg: "Overloaded", wantRetry: 1500 * time.Millisecond, retryable: true},
		{name: "overloaded behind a proxy 400", status: 400, body: anthropicError("overloaded_error", "Overloaded"),
			wantKind: provider.ErrServer, wantCode: "overloaded_error", wantMsg: "Overloaded", retryable: true},
		{name: "502 html", status: 502, body: "<html><body>Bad Gateway</body></html>",
			wantKind: provider.ErrServer, wantMsg: "<html><body>Bad Gateway</body></html>", retryable: true},
		{name: "503 empty", status: 503, body: "",
			wantKind: provider.ErrServer, wantMsg: "Service Unavailable", retryable: true},
	}
	for _, tc := range cases {
		for _, streaming := range []bool{false, true} {
			name := tc.name
			if streaming {
				name += "/stream"
			}
			t.Run(name, func(t *testing.T) {
				up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
					for k, v := range tc.header {
						w.Header().Set(k, v)
					}
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(tc.status)
					io.WriteString(w, tc.body)
				})
				var err error
				if streaming {
					var s provider.Stream
					s, err = testAdapter().ChatStream(context.Background(), up.endpoint(), simpleRequest())
					if s != nil {
						t.Fatal("ChatStream returned a stream alongside an error")
					}
				} else {
					_, err = testAdapter().Chat(context.Background(), up.endpoint(), simpleRequest())
				}
				pe := asProviderError(t, err, tc.wantKind)
				if pe.Status != tc.status || pe.Code != tc.wantCode || pe.Message != tc.wantMsg || pe.Provider != "anthropic" {
					t.Errorf("error = %+v\nwant status %d code %q message %q", pe, tc.status, tc.wantCode, tc.wantMsg)
				}
				if pe.RetryAfter != tc.wantRetry || pe.Retryable() != tc.retryable {
					t.Errorf("RetryAfter %v Retryable %v, want %v %v", pe.RetryAfter, pe.Retryable(), tc.wantRetry, tc.retryable)
				}
			})
		}
	}
}

func TestLongErrorBodyTruncated(t *testing.T) {
	up := newUpstream(t, jsonBody(502, []byte(strings.Repeat("x", 10000))))
	_, err := testAdapter().Chat(context.Background(), up.endpoint(), simpleRequest())
	pe := asProviderError(t, err, provider.ErrServer)
	if len(pe.Message) > maxFallbackMessage+len("…") || !strings.HasPrefix(pe.Message, "xxxx") {
		t.Errorf("message length %d, want at most %d", len(pe.Message), maxFallbackMessage+len("…"))
	}
}

func TestMalformedSuccessBody(t *testing.T) {
	up := newUpstream(t, jsonBody(200, []byte(`{"id":"msg_1","type":"message","content":[{"type":"text","text":"hi"}`)))
	_, err := testAdapter().Chat(context.Background(), up.endpoint(), simpleRequest())
	pe := asProviderError(t, err, provider.ErrBadResponse)
	if pe.Status != 200 || !strings.HasPrefix(pe.Message, "malformed response JSON") {
		t.Errorf("error = %+v", pe)
	}
}

func TestErrorEnvelopeWithSuccessStatus(t *testing.T) {
	up := newUpstream(t, jsonBody(200, []byte(anthropicError("overloaded_error", "Overloaded"))))
	_, err := testAdapter().Chat(context.Background(), up.endpoint(), simpleRequest())
	pe := asProviderError(t, err, provider.ErrServer)
	if pe.Code != "overloaded_error" || pe.Message != "Overloaded" {
		t.Errorf("error = %+v", pe)
	}
}

func TestConnectionRefused(t *testing.T) {
	up := newUpstream(t, jsonBody(200, nil))
	ep := up.endpoint()
	up.Close()
	_, err := testAdapter().Chat(context.Background(), ep, simpleRequest())
	asProviderError(t, err, provider.ErrNetwork)
	_, err = testAdapter().ChatStream(context.Background(), ep, simpleRequest())
	asProviderError(t, err, provider.ErrNetwork)
}

// hang answers only when the client gives up.
func hang(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }

func TestContextTimeout(t *testing.T) {
	up := newUpstream(t, hang)
	for _, streaming := range []bool{false, true} {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		var err error
		if streaming {
			_, err = testAdapter().ChatStream(ctx, up.endpoint(), simpleRequest())
		} else {
			_, err = testAdapter().Chat(ctx, up.endpoint(), simpleRequest())
		}
		cancel()
		pe := asProviderError(t, err, provider.ErrTimeout)
		if !pe.Retryable() {
			t.Error("timeout must be retryable")
		}
	}
}

// TestStreamTimeoutMidway: the deadline passes after the headers, while
// Recv waits for the next event.
func TestStreamTimeoutMidway(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(200)
		io.WriteString(w, "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_t\",\"model\":\"m\",\"usage\":{\"input_tokens\":1}}}\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	s, err := testAdapter().ChatStream(ctx, up.endpoint(), simpleRequest())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Recv(); err != nil {
		t.Fatal(err)
	}
	_, err = s.Recv()
	asProviderError(t, err, provider.ErrTimeout)
}

func TestContextCanceled(t *testing.T) {
	up := newUpstream(t, hang)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	_, err := testAdapter().Chat(ctx, up.endpoint(), simpleRequest())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled (a client disconnect is not an upstream failure)", err)
	}
}

// TestKeyNeverLeaks runs every failure path, including an upstream that
// echoes the key, and checks no error text contains it.
func TestKeyNeverLeaks(t *testing.T) {
	echo := anthropicError("authentication_error", "invalid x-api-key: "+testKey)
	scenarios := map[string]http.HandlerFunc{
		"401 echoing key":       jsonBody(401, []byte(echo)),
		"500 plain echoing key": jsonBody(500, []byte("upstream saw key "+testKey)),
		"2xx error envelope":    jsonBody(200, []byte(echo)),
		"malformed":             jsonBody(200, []byte("{")),
		"stream error event":    sseBody([]byte("event: error\ndata: " + echo + "\n\n")),
		"stream truncated":      sseBody([]byte("event: ping\ndata: {\"type\":\"ping\"}\n\n")),
	}
	check := func(t *testing.T, err error) {
		t.Helper()
		if err == nil {
			t.Fatal("expected an error")
		}
		if strings.Contains(err.Error(), testKey) {
			t.Errorf("key leaked: %v", err)
		}
		if pe, ok := provider.AsError(err); ok && strings.Contains(pe.Message+pe.Code, testKey) {
			t.Errorf("key leaked in fields: %+v", pe)
		}
	}
	for name, h := range scenarios {
		t.Run(name, func(t *testing.T) {
			up := newUpstream(t, h)
			_, err := testAdapter().Chat(context.Background(), up.endpoint(), simpleRequest())
			if !strings.HasPrefix(name, "stream") {
				check(t, err)
				return
			}
			s, err := testAdapter().ChatStream(context.Background(), up.endpoint(), simpleRequest())
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			_, err = drain(s)
			check(t, err)
		})
	}
	t.Run("transport errors", func(t *testing.T) {
		up := newUpstream(t, jsonBody(200, nil))
		ep := up.endpoint()
		up.Close()
		_, err := testAdapter().Chat(context.Background(), ep, simpleRequest())
		check(t, err)
		ep.BaseURL = "http://in valid"
		_, err = testAdapter().Chat(context.Background(), ep, simpleRequest())
		check(t, err)
	})
}
