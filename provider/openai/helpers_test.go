package openai

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/gatehouse-llm/gatehouse/internal/fakeupstream"
	"github.com/gatehouse-llm/gatehouse/internal/golden"
	"github.com/gatehouse-llm/gatehouse/provider"
)

// testKey is the credential every test endpoint uses; tests assert it
// never leaks into errors.
const testKey = "sk-test-0123456789abcdef-secret"

// captured is one request as the fake upstream saw it.
type captured = fakeupstream.Request

// fakeUpstream is a recording fake provider (see internal/fakeupstream).
type fakeUpstream struct{ *fakeupstream.Server }

func newFakeUpstream(t *testing.T, reply http.HandlerFunc) *fakeUpstream {
	t.Helper()
	return &fakeUpstream{fakeupstream.New(t, reply)}
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

// readTestdata reads a file under testdata/.
func readTestdata(t *testing.T, path string) []byte {
	t.Helper()
	return golden.Read(t, filepath.Join("testdata", path))
}

// canonicalJSON re-encodes JSON with sorted keys and exact numbers, so two
// documents compare equal exactly when they mean the same thing.
func canonicalJSON(t *testing.T, b []byte) string { return golden.Canonical(t, b) }

// assertGoldenJSON compares a body with a golden file under testdata/ by
// meaning, or rewrites the golden with -update.
func assertGoldenJSON(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.JSON(t, filepath.Join("testdata", name), got)
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
