package provider

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// limitsServer answers by the request path: /hang holds the headers,
// /stall sends half a body then nothing, /big sends n bytes (announced
// unless the query says chunked).
func limitsServer(t *testing.T) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hold := func() {
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		}
		switch r.URL.Path {
		case "/hang":
			hold()
		case "/stall":
			w.Header().Set("Content-Length", "100")
			io.WriteString(w, strings.Repeat("x", 50))
			w.(http.Flusher).Flush()
			hold()
		case "/big":
			n, _ := strconv.Atoi(r.URL.Query().Get("n"))
			if r.URL.Query().Get("chunked") == "" {
				w.Header().Set("Content-Length", strconv.Itoa(n))
			}
			for i := 0; i < n; i += 1000 {
				io.WriteString(w, strings.Repeat("x", min(1000, n-i)))
				w.(http.Flusher).Flush()
			}
		case "/error":
			w.WriteHeader(500)
			io.WriteString(w, strings.Repeat("e", 5000))
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func TestTransportLimits(t *testing.T) {
	s := limitsServer(t)
	client := &http.Client{Transport: NewTransport(http.DefaultTransport, Limits{FirstByte: 300 * time.Millisecond, Idle: 300 * time.Millisecond, MaxBody: 2000})}
	get := func(path string, ex *Exchange) ([]byte, error) {
		ctx := context.Background()
		if ex != nil {
			ctx = WithExchange(ctx, ex)
		}
		req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+path, nil)
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		return ReadBody(resp.Body, resp.ContentLength)
	}
	var te *TimeoutError
	var tl *BodyTooLargeError

	// A stream's headers are awaited for FirstByte; a plain call's are not.
	if _, err := get("/hang", &Exchange{Stream: true}); !errors.As(err, &te) || te.Phase != phaseHeaders {
		t.Errorf("stream hang: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+"/hang", nil)
	start := time.Now()
	_, err := client.Do(req)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) || errors.As(err, &te) || time.Since(start) < time.Second {
		t.Errorf("a plain call's headers must wait for its own deadline: %v after %s", err, time.Since(start))
	}

	// A stalled body fails after Idle, and the exchange knows the answer
	// had started.
	ex := &Exchange{}
	if _, err := get("/stall", ex); !errors.As(err, &te) || te.Phase != phaseData || !ex.Answered() || ex.Received() != 50 {
		t.Errorf("stall: %v answered %v received %d", err, ex.Answered(), ex.Received())
	}
	if pe := BodyFault("p", &TimeoutError{Phase: phaseData, Limit: time.Second}); pe == nil || pe.Kind != ErrTimeout {
		t.Errorf("an idle timeout classifies as %v", pe)
	}

	// The size cap: exactly the cap passes; one byte more fails, announced
	// or not; streams are not capped as a whole.
	for _, tc := range []struct {
		path    string
		ex      *Exchange
		tooLong bool
	}{
		{"/big?n=2000", nil, false},
		{"/big?n=2001", nil, true},
		{"/big?n=2001&chunked=1", nil, true},
		{"/big?n=50000&chunked=1", nil, true},
		{"/big?n=50000&chunked=1", &Exchange{Stream: true}, false},
	} {
		body, err := get(tc.path, tc.ex)
		if tc.tooLong != errors.As(err, &tl) || (!tc.tooLong && err != nil) {
			t.Errorf("%s (stream %v): %d bytes, %v", tc.path, tc.ex != nil, len(body), err)
		}
		if tc.tooLong && (tl.Limit != 2000 || !strings.Contains(BodyFault("p", err).Message, "2000B limit")) {
			t.Errorf("%s: %v", tc.path, BodyFault("p", err))
		}
	}
	// Error bodies are not success answers: the exchange is not answered,
	// and their size is the adapter's business.
	ex = &Exchange{}
	if body, err := get("/error", ex); err != nil || len(body) != 5000 || ex.Answered() {
		t.Errorf("error body: %d bytes, %v, answered %v", len(body), err, ex.Answered())
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{32 << 20: "32MiB", 1536 << 10: "1536KiB", 1 << 30: "1GiB", 100: "100B", 2000: "2000B"} {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
