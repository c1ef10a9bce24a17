package openai

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

	"github.com/gatehouse-llm/gatehouse/provider"
)

var update = flag.Bool("update", false, "rewrite golden request files in testdata/ from what the adapter sends")

// testKey is the credential every test endpoint uses; tests assert it
// never leaks into errors.
const testKey = "sk-test-0123456789abcdef-secret"

// captured is one request as the fake upstream saw it.
type captured struct {
	Method   string
	Path     string
	RawQuery string
	Header   http.Header
	Body     []byte
}

// fakeUpstream is an httptest server that records every request and
// answers with the test's handler.
type fakeUpstream struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []captured
}

func newFakeUpstream(t *testing.T, reply http.HandlerFunc) *fakeUpstream {
	t.Helper()
	f := &fakeUpstream{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.reqs = append(f.reqs, captured{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), body})
		f.mu.Unlock()
		reply(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

// requests returns what the upstream has received so far.
func (f *fakeUpstream) requests() []captured {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]captured(nil), f.reqs...)
}

// only returns the single request the upstream received.
func (f *fakeUpstream) only(t *testing.T) captured {
	t.Helper()
	reqs := f.requests()
	if len(reqs) != 1 {
		t.Fatalf("upstream got %d requests, want 1", len(reqs))
	}
	return reqs[0]
}

// endpoint points an endpoint for the named provider at the fake upstream.
func (f *fakeUpstream) endpoint(providerName string) provider.Endpoint {
	return provider.Endpoint{Provider: providerName, BaseURL: f.URL + "/v1", APIKey: testKey, Client: f.Client()}
}

// replyJSON answers with a status, a JSON body and extra headers (pairs).
func replyJSON(status int, body []byte, headers ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write(body)
	}
}

// replySSE answers 200 with an event stream body.
func replySSE(body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		w.Write(body)
	}
}

func readTestdata(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// canonicalJSON re-encodes JSON with sorted keys and exact numbers, so two
// documents compare equal exactly when they mean the same thing.
func canonicalJSON(t *testing.T, b []byte) string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("invalid JSON %q: %v", b, err)
	}
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// assertGoldenJSON compares a body with a golden file by meaning, or
// rewrites the golden with -update.
func assertGoldenJSON(t *testing.T, golden string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", golden)
	if *update {
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, got, "", "  "); err != nil {
			t.Fatalf("body is not JSON: %v", err)
		}
		pretty.WriteByte('\n')
		if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if g, w := canonicalJSON(t, got), canonicalJSON(t, want); g != w {
		t.Errorf("body differs from %s\n got: %s\nwant: %s", golden, g, w)
	}
}

// decodeClientRequest parses a client request the way the gateway does.
func decodeClientRequest(t *testing.T, path string) *provider.ChatRequest {
	t.Helper()
	var req provider.ChatRequest
	if err := json.Unmarshal(readTestdata(t, path), &req); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &req
}

// asProviderError fails the test unless err is a *provider.Error.
func asProviderError(t *testing.T, err error) *provider.Error {
	t.Helper()
	pe, ok := provider.AsError(err)
	if !ok {
		t.Fatalf("error %v (%T) is not a *provider.Error", err, err)
	}
	return pe
}

// okCompletion is a minimal valid non-streamed answer.
var okCompletion = []byte(`{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`)

// okStream is a minimal valid event stream.
var okStream = []byte("data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")

func ptr[T any](v T) *T { return &v }
