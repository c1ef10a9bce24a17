package anthropic

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse/provider"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

const testKey = "sk-ant-test-SECRET-0123456789"

// fixedTime is the adapter clock in tests, so Created is deterministic.
var fixedTime = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func testAdapter() *Adapter { return &Adapter{now: func() time.Time { return fixedTime }} }

// captured is what the fake upstream saw of one request.
type captured struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   []byte
}

// upstream is a fake Anthropic API: it records every request and answers
// with respond.
type upstream struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []captured
}

func newUpstream(t *testing.T, respond http.HandlerFunc) *upstream {
	t.Helper()
	u := &upstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		u.reqs = append(u.reqs, captured{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), body})
		u.mu.Unlock()
		respond(w, r)
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *upstream) endpoint() provider.Endpoint {
	return provider.Endpoint{Provider: "anthropic", BaseURL: u.URL, APIKey: testKey, Client: u.Client()}
}

func (u *upstream) requests() []captured {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]captured(nil), u.reqs...)
}

func (u *upstream) last(t *testing.T) captured {
	t.Helper()
	reqs := u.requests()
	if len(reqs) == 0 {
		t.Fatal("upstream received no request")
	}
	return reqs[len(reqs)-1]
}

// jsonBody answers with status and a JSON body.
func jsonBody(status int, body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write(body)
	}
}

// sseBody answers 200 with an event stream.
func sseBody(body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		w.Write(body)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// canonicalJSON re-encodes JSON with sorted keys and indentation so that
// golden comparisons ignore formatting and key order but nothing else.
func canonicalJSON(t *testing.T, b []byte) string {
	t.Helper()
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, b)
	}
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(out) + "\n"
}

// checkGolden compares got with the golden file, or rewrites it under
// -update.
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	canon := canonicalJSON(t, got)
	if *update {
		if err := os.WriteFile(path, []byte(canon), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want := canonicalJSON(t, readFile(t, filepath.Clean(path)))
	if canon != want {
		t.Errorf("%s mismatch\n--- got\n%s--- want\n%s", path, canon, want)
	}
}

// asProviderError asserts err is a *provider.Error of the given kind.
func asProviderError(t *testing.T, err error, kind provider.ErrorKind) *provider.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("want %s error, got nil", kind)
	}
	pe, ok := provider.AsError(err)
	if !ok {
		t.Fatalf("want *provider.Error of kind %s, got %T: %v", kind, err, err)
	}
	if pe.Kind != kind {
		t.Fatalf("kind = %s, want %s (error: %v)", pe.Kind, kind, err)
	}
	return pe
}

func ptr[T any](v T) *T { return &v }
