package bedrock

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// Test credentials and clock. The secret values are distinctive so the
// leak tests can search error strings for them.
const (
	testRegion    = "us-west-2"
	testKeyID     = "AKIDEXAMPLE"
	testSecret    = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYSECRETKEY"
	testToken     = "FwoGZXIvYXdzSESSIONTOKENEXAMPLE"
	testBearerKey = "ABSKQmVkcm9ja0FQSUtleS1BPIKEYEXAMPLE"
	testModel     = "anthropic.claude-3-opus-20240229-v1:0"
	testRequestID = "5d1e8a7c-0b1f-4f37-9d1e-6c2b0f6e1a11"
)

// fixedTime is the signing clock: X-Amz-Date 20240506T070809Z.
var fixedTime = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

func newTestAdapter() *Adapter {
	return New(WithClock(func() time.Time { return fixedTime }))
}

// recorded is one request as the fake upstream saw it.
type recorded struct {
	Method     string
	RequestURI string // as sent on the wire, escapes included
	Header     http.Header
	Body       []byte
	// AuthErr is why authentication failed, nil when it passed.
	AuthErr error
}

// fakeUpstream is an httptest server speaking Bedrock's wire format. It
// authenticates every request the way Bedrock does (SigV4 re-computed from
// the received request, or the Bedrock API key) and answers 403 like
// Bedrock when that fails; respond produces the answer otherwise.
type fakeUpstream struct {
	srv     *httptest.Server
	respond http.HandlerFunc

	mu   sync.Mutex
	reqs []recorded
}

func newFake(t *testing.T, respond http.HandlerFunc) *fakeUpstream {
	t.Helper()
	f := &fakeUpstream{respond: respond}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeUpstream) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec := recorded{Method: r.Method, RequestURI: r.RequestURI, Header: r.Header.Clone(), Body: body}
	rec.AuthErr = authenticate(r, body)
	f.mu.Lock()
	f.reqs = append(f.reqs, rec)
	f.mu.Unlock()
	if rec.AuthErr != nil {
		w.Header().Set("X-Amzn-ErrorType", "InvalidSignatureException:http://internal.amazon.com/coral/com.amazon.coral.service/")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, `{"message":%q}`, "The request signature we calculated does not match the signature you provided.")
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	f.respond(w, r)
}

func (f *fakeUpstream) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

// only returns the only request received, failing the test otherwise or
// when it did not authenticate.
func (f *fakeUpstream) only(t *testing.T) recorded {
	t.Helper()
	reqs := f.requests()
	if len(reqs) != 1 {
		t.Fatalf("upstream received %d requests, want 1", len(reqs))
	}
	if reqs[0].AuthErr != nil {
		t.Fatalf("upstream rejected authentication: %v", reqs[0].AuthErr)
	}
	return reqs[0]
}

// sigV4Endpoint points at the fake with SigV4 credentials.
func (f *fakeUpstream) sigV4Endpoint(withToken bool) provider.Endpoint {
	ep := provider.Endpoint{
		Provider: "bedrock",
		BaseURL:  f.srv.URL,
		Extra: map[string]string{
			"region":                testRegion,
			"aws_access_key_id":     testKeyID,
			"aws_secret_access_key": testSecret,
		},
		Client: f.srv.Client(),
	}
	if withToken {
		ep.Extra["aws_session_token"] = testToken
	}
	return ep
}

// bearerEndpoint points at the fake with a Bedrock API key.
func (f *fakeUpstream) bearerEndpoint() provider.Endpoint {
	return provider.Endpoint{
		Provider: "bedrock",
		BaseURL:  f.srv.URL,
		APIKey:   testBearerKey,
		Extra:    map[string]string{"region": testRegion},
		Client:   f.srv.Client(),
	}
}

// authenticate accepts what Bedrock accepts: a Bedrock API key, or a
// SigV4 signature that matches the one recomputed here from the received
// method, path, signed headers and body with the test credentials and
// clock.
func authenticate(r *http.Request, body []byte) error {
	auth := r.Header.Get("Authorization")
	switch {
	case strings.HasPrefix(auth, "Bearer "):
		if strings.TrimPrefix(auth, "Bearer ") != testBearerKey {
			return errors.New("wrong Bedrock API key")
		}
		return nil
	case strings.HasPrefix(auth, "AWS4-HMAC-SHA256 "):
		creds := aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret, SessionToken: r.Header.Get("X-Amz-Security-Token")}
		if creds.SessionToken != "" && creds.SessionToken != testToken {
			return errors.New("wrong session token")
		}
		want, err := resign(r, body, creds, false)
		if err != nil {
			return err
		}
		if auth != want {
			return fmt.Errorf("signature mismatch:\n got  %s\n want %s", auth, want)
		}
		return nil
	default:
		return errors.New("missing Authorization header")
	}
}

// resign signs a copy of the received request the way a SigV4 verifier
// does: same method, escaped path, query, the headers named in
// SignedHeaders and the SHA-256 of the received body. singleEscape turns
// off the extra escaping of the canonical path (S3 style) so a test can
// prove the client used the double-escaped form other services require.
func resign(r *http.Request, body []byte, creds aws.Credentials, singleEscape bool) (string, error) {
	signed := parseAuthorization(r.Header.Get("Authorization"))["SignedHeaders"]
	if signed == "" {
		return "", errors.New("no SignedHeaders in Authorization")
	}
	cp, err := http.NewRequest(r.Method, "http://"+r.Host+r.RequestURI, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	for _, h := range strings.Split(signed, ";") {
		if h == "host" || h == "content-length" {
			continue // taken from the URL and the body
		}
		cp.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
	}
	sum := sha256.Sum256(body)
	err = v4.NewSigner().SignHTTP(context.Background(), creds, cp, hex.EncodeToString(sum[:]), "bedrock", testRegion, fixedTime,
		func(o *v4.SignerOptions) { o.DisableURIPathEscaping = singleEscape })
	return cp.Header.Get("Authorization"), err
}

// parseAuthorization splits "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=..."
// into its named parts.
func parseAuthorization(h string) map[string]string {
	out := map[string]string{}
	_, rest, _ := strings.Cut(h, " ")
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		out[k] = v
	}
	return out
}

// --- canned answers ---

// jsonAnswer replies with a testdata file when body names one (*.json),
// with body itself otherwise.
func jsonAnswer(t *testing.T, status int, body string, header map[string]string) http.HandlerFunc {
	t.Helper()
	raw := []byte(body)
	if strings.HasSuffix(body, ".json") {
		raw = readTestdata(t, body)
	}
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amzn-RequestId", testRequestID)
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		_, _ = w.Write(raw)
	}
}

// scriptedFrame is one frame of a canned ConverseStream answer, as stored
// in testdata/*.stream.json: an event (":event-type") or an exception
// (":exception-type") with its JSON payload.
type scriptedFrame struct {
	Event     string          `json:"event,omitempty"`
	Exception string          `json:"exception,omitempty"`
	Payload   json.RawMessage `json:"payload"`
}

// encodeFrame builds the binary frame Bedrock would send, with the real
// eventstream Encoder.
func encodeFrame(t *testing.T, f scriptedFrame) []byte {
	t.Helper()
	var msg eventstream.Message
	if f.Exception != "" {
		msg.Headers.Set(":message-type", eventstream.StringValue("exception"))
		msg.Headers.Set(":exception-type", eventstream.StringValue(f.Exception))
	} else {
		msg.Headers.Set(":event-type", eventstream.StringValue(f.Event))
		msg.Headers.Set(":message-type", eventstream.StringValue("event"))
	}
	msg.Headers.Set(":content-type", eventstream.StringValue("application/json"))
	msg.Payload = f.Payload
	var buf bytes.Buffer
	if err := eventstream.NewEncoder().Encode(&buf, msg); err != nil {
		t.Fatalf("encode frame: %v", err)
	}
	return buf.Bytes()
}

func loadScript(t *testing.T, file string) []scriptedFrame {
	t.Helper()
	var frames []scriptedFrame
	if err := json.Unmarshal(readTestdata(t, file), &frames); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return frames
}

// streamAnswer replies 200 with the frames, flushing after each so the
// client sees them one by one.
func streamAnswer(t *testing.T, frames []scriptedFrame) http.HandlerFunc {
	t.Helper()
	encoded := make([][]byte, len(frames))
	for i, f := range frames {
		encoded[i] = encodeFrame(t, f)
	}
	return rawStreamAnswer(encoded...)
}

// rawStreamAnswer replies 200 with already-encoded frame bytes.
func rawStreamAnswer(chunks ...[]byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
		w.Header().Set("X-Amzn-RequestId", testRequestID)
		w.WriteHeader(http.StatusOK)
		for _, c := range chunks {
			_, _ = w.Write(c)
			w.(http.Flusher).Flush()
		}
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

// collect reads a stream to its end.
func collect(t *testing.T, s provider.Stream) ([]provider.Chunk, error) {
	t.Helper()
	var chunks []provider.Chunk
	for i := 0; i < 1000; i++ {
		c, err := s.Recv()
		if err != nil {
			return chunks, err
		}
		chunks = append(chunks, *c)
	}
	t.Fatal("stream did not end")
	return nil, nil
}

// providerError asserts err is a *provider.Error of the given kind.
func providerError(t *testing.T, err error, kind provider.ErrorKind) *provider.Error {
	t.Helper()
	pe, ok := provider.AsError(err)
	if !ok {
		t.Fatalf("error %v (%T) is not a *provider.Error", err, err)
	}
	if pe.Kind != kind {
		t.Fatalf("error kind = %q, want %q (error: %v)", pe.Kind, kind, pe)
	}
	return pe
}
