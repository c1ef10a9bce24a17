package gemini

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/gatehouse-llm/gatehouse/internal/fakeupstream"
	"github.com/gatehouse-llm/gatehouse/provider"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

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

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkGolden compares got (JSON) with testdata/name after indenting both,
// or rewrites the file under -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	buf, err := indentJSON(got)
	if err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, got)
	}
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	wantBuf, err := indentJSON(want)
	if err != nil {
		t.Fatalf("golden %s is not JSON: %v", name, err)
	}
	if !bytes.Equal(buf.Bytes(), wantBuf.Bytes()) {
		t.Errorf("%s mismatch\n--- got\n%s--- want\n%s", name, buf.Bytes(), wantBuf.Bytes())
	}
}

// indentJSON renders JSON in one canonical indented layout.
func indentJSON(b []byte) (*bytes.Buffer, error) {
	var compact, out bytes.Buffer
	if err := json.Compact(&compact, b); err != nil {
		return nil, err
	}
	if err := json.Indent(&out, compact.Bytes(), "", "  "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return &out, nil
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
