package anthropic

import (
	"net/http"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse/internal/fakeupstream"
	"github.com/gatehouse-llm/gatehouse/internal/golden"
	"github.com/gatehouse-llm/gatehouse/provider"
)

const testKey = "sk-ant-test-SECRET-0123456789"

// fixedTime is the adapter clock in tests, so Created is deterministic.
var fixedTime = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func testAdapter() *Adapter { return &Adapter{now: func() time.Time { return fixedTime }} }

// captured is one request as the fake upstream saw it.
type captured = fakeupstream.Request

// upstream is a fake Anthropic API recording every request (see
// internal/fakeupstream).
type upstream struct{ *fakeupstream.Server }

func newUpstream(t *testing.T, respond http.HandlerFunc) *upstream {
	t.Helper()
	return &upstream{fakeupstream.New(t, respond)}
}

func (u *upstream) endpoint() provider.Endpoint {
	return provider.Endpoint{Provider: "anthropic", BaseURL: u.URL, APIKey: testKey, Client: u.Client()}
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

// The golden-file helpers are shared with the other wire-format tests.
var (
	readFile      = golden.Read
	canonicalJSON = golden.Canonical
	checkGolden   = golden.JSON
)

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
