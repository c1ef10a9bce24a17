package gemini

import (
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/gatehouse-llm/gatehouse/internal/fakeupstream"
	"github.com/gatehouse-llm/gatehouse/internal/golden"
	"github.com/gatehouse-llm/gatehouse/provider"
)

// testKey is the API key every test sends; tests assert it never leaves
// the header.
const testKey = "AIzaSy-TEST-KEY-0123456789abcdef"

// captured is what the fake upstream saw of one request.
type captured = fakeupstream.Request

// fakeUpstream is a recording fake Gemini API (see internal/fakeupstream).
type fakeUpstream struct{ *fakeupstream.Server }

func newFakeUpstream(t *testing.T, handler http.HandlerFunc) *fakeUpstream {
	t.Helper()
	return &fakeUpstream{fakeupstream.New(t, handler)}
}

// endpoint points an Endpoint at the fake upstream.
func (f *fakeUpstream) endpoint() provider.Endpoint {
	return provider.Endpoint{Provider: "gemini", BaseURL: f.URL, APIKey: testKey, Client: f.Client()}
}

// respondJSON answers with status and a JSON body.
func respondJSON(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

// respondFile answers 200 with a file from testdata.
func respondFile(t *testing.T, name, contentType string) http.HandlerFunc {
	t.Helper()
	body := readTestdata(t, name)
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Write(body)
	}
}

// readTestdata returns testdata/name.
func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	return golden.Read(t, filepath.Join("testdata", name))
}

// checkGolden compares got (JSON) with testdata/name, or rewrites the
// file under -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.JSON(t, filepath.Join("testdata", name), got)
}

// chatRequest decodes an OpenAI-style body the way the gateway does.
func chatRequest(t *testing.T, body string) *provider.ChatRequest {
	t.Helper()
	var req provider.ChatRequest
	if err := json.Unmarshal([]byte(body), &req); err != nil {
		t.Fatalf("bad test request: %v", err)
	}
	return &req
}

// asProviderError fails the test unless err is a *provider.Error.
func asProviderError(t *testing.T, err error) *provider.Error {
	t.Helper()
	pe, ok := provider.AsError(err)
	if !ok {
		t.Fatalf("err = %T %v, want *provider.Error", err, err)
	}
	return pe
}
