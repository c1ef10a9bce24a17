package bedrock

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/gatehouse-llm/gatehouse/provider"
)

func textRequest() *provider.ChatRequest {
	return &provider.ChatRequest{
		Model:    testModel,
		Messages: []provider.Message{{Role: provider.RoleUser, Content: provider.TextContent("Hello")}},
	}
}

// TestSigV4 checks the Authorization header field by field, and that the
// fake upstream's independent re-signing of the received request matches.
func TestSigV4(t *testing.T) {
	for _, withToken := range []bool{false, true} {
		for _, streaming := range []bool{false, true} {
			f := newFake(t, answerBoth(t))
			a := newTestAdapter()
			ep := f.sigV4Endpoint(withToken)
			if streaming {
				s, err := a.ChatStream(context.Background(), ep, textRequest())
				if err != nil {
					t.Fatal(err)
				}
				s.Close()
			} else if _, err := a.Chat(context.Background(), ep, textRequest()); err != nil {
				t.Fatal(err)
			}
			got := f.only(t) // fails unless the re-computed signature matched

			parts := parseAuthorization(got.Header.Get("Authorization"))
			if !strings.HasPrefix(got.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
				t.Errorf("Authorization = %q, want AWS4-HMAC-SHA256 scheme", got.Header.Get("Authorization"))
			}
			if want := testKeyID + "/20240506/" + testRegion + "/bedrock/aws4_request"; parts["Credential"] != want {
				t.Errorf("Credential = %q, want %q", parts["Credential"], want)
			}
			wantSigned := "accept;content-length;content-type;host;x-amz-date"
			if withToken {
				wantSigned += ";x-amz-security-token"
			}
			if parts["SignedHeaders"] != wantSigned {
				t.Errorf("SignedHeaders = %q, want %q", parts["SignedHeaders"], wantSigned)
			}
			if len(parts["Signature"]) != 64 {
				t.Errorf("Signature = %q, want 64 hex digits", parts["Signature"])
			}
			if d := got.Header.Get("X-Amz-Date"); d != "20240506T070809Z" {
				t.Errorf("X-Amz-Date = %q", d)
			}
			if tok := got.Header.Get("X-Amz-Security-Token"); (tok == testToken) != withToken {
				t.Errorf("X-Amz-Security-Token = %q (session token configured: %v)", tok, withToken)
			}
			wantAccept := "application/json"
			if streaming {
				wantAccept = "application/vnd.amazon.eventstream"
			}
			if acc := got.Header.Get("Accept"); acc != wantAccept {
				t.Errorf("Accept = %q, want %q", acc, wantAccept)
			}
		}
	}
}

// TestSigV4CanonicalPathIsDoubleEscaped pins the detail that breaks most
// hand-rolled Bedrock clients: the model id's ':' is sent as %3A, and the
// canonical request escapes that again (%253A), as all AWS services except
// S3 expect. A signature over the single-escaped path must not match.
func TestSigV4CanonicalPathIsDoubleEscaped(t *testing.T) {
	var single, double string
	var gotAuth string
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		creds := aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}
		gotAuth = r.Header.Get("Authorization")
		double, _ = resign(r, body, creds, false)
		single, _ = resign(r, body, creds, true)
		jsonAnswer(t, 200, "text.response.json", nil)(w, r)
	})
	if _, err := newTestAdapter().Chat(context.Background(), f.sigV4Endpoint(false), textRequest()); err != nil {
		t.Fatal(err)
	}
	if got := f.only(t).RequestURI; got != "/model/anthropic.claude-3-opus-20240229-v1%3A0/converse" {
		t.Errorf("request path = %q", got)
	}
	if gotAuth != double {
		t.Errorf("signature does not match the double-escaped canonical path")
	}
	if gotAuth == single {
		t.Errorf("signature matches the single-escaped canonical path")
	}
}

// TestModelIDEscaping covers ids with ':' and inference-profile ARNs with
// '/', which must stay inside one path segment.
func TestModelIDEscaping(t *testing.T) {
	cases := map[string]string{
		"anthropic.claude-3-opus-20240229-v1:0":                                           "/model/anthropic.claude-3-opus-20240229-v1%3A0/converse",
		"us.anthropic.claude-3-5-sonnet-20241022-v2:0":                                    "/model/us.anthropic.claude-3-5-sonnet-20241022-v2%3A0/converse",
		"arn:aws:bedrock:us-west-2:123456789012:inference-profile/us.meta.llama3-2-1b-v1": "/model/arn%3Aaws%3Abedrock%3Aus-west-2%3A123456789012%3Ainference-profile%2Fus.meta.llama3-2-1b-v1/converse",
	}
	for model, wantPath := range cases {
		f := newFake(t, answerBoth(t))
		req := textRequest()
		req.Model = model
		if _, err := newTestAdapter().Chat(context.Background(), f.sigV4Endpoint(false), req); err != nil {
			t.Fatalf("%s: %v", model, err)
		}
		if got := f.only(t).RequestURI; got != wantPath {
			t.Errorf("%s: path = %q, want %q", model, got, wantPath)
		}
	}
}

// TestBaseURLWithPathPrefix keeps a proxy's path prefix in front of the
// Bedrock path.
func TestBaseURLWithPathPrefix(t *testing.T) {
	f := newFake(t, answerBoth(t))
	ep := f.sigV4Endpoint(false)
	ep.BaseURL = f.srv.URL + "/bedrock-proxy/"
	if _, err := newTestAdapter().Chat(context.Background(), ep, textRequest()); err != nil {
		t.Fatal(err)
	}
	if got := f.only(t).RequestURI; got != "/bedrock-proxy/model/anthropic.claude-3-opus-20240229-v1%3A0/converse" {
		t.Errorf("path = %q", got)
	}
}

// TestBedrockAPIKey sends the endpoint's API key as a bearer token and
// does not sign.
func TestBedrockAPIKey(t *testing.T) {
	f := newFake(t, answerBoth(t))
	resp, err := newTestAdapter().Chat(context.Background(), f.bearerEndpoint(), textRequest())
	if err != nil {
		t.Fatal(err)
	}
	if resp.Message.Content.Text() != "Hello! How can I help you today?" {
		t.Errorf("content = %q", resp.Message.Content.Text())
	}
	got := f.only(t)
	if a := got.Header.Get("Authorization"); a != "Bearer "+testBearerKey {
		t.Errorf("Authorization = %q", a)
	}
	if d := got.Header.Get("X-Amz-Date"); d != "" {
		t.Errorf("X-Amz-Date = %q on a bearer request", d)
	}
	if strings.Contains(got.RequestURI, testBearerKey) {
		t.Error("API key in URL")
	}
}

// TestSigV4PreferredOverAPIKey signs when both kinds of credential are set.
func TestSigV4PreferredOverAPIKey(t *testing.T) {
	f := newFake(t, answerBoth(t))
	ep := f.sigV4Endpoint(false)
	ep.APIKey = testBearerKey
	if _, err := newTestAdapter().Chat(context.Background(), ep, textRequest()); err != nil {
		t.Fatal(err)
	}
	if a := f.only(t).Header.Get("Authorization"); !strings.HasPrefix(a, "AWS4-HMAC-SHA256 ") {
		t.Errorf("Authorization = %q, want SigV4", a)
	}
}

// localErrorCase is an endpoint Bedrock cannot be called with, and the
// error every entry point (chat, stream, check) gives before any request.
type localErrorCase struct {
	name    string
	edit    func(*provider.Endpoint)
	kind    provider.ErrorKind
	wantMsg string
}

var localErrorCases = []localErrorCase{
	{"no credentials", func(ep *provider.Endpoint) {
		delete(ep.Extra, "aws_access_key_id")
		delete(ep.Extra, "aws_secret_access_key")
	}, provider.ErrAuth, "bedrock: no credentials: set aws_access_key_id and aws_secret_access_key, or a Bedrock API key"},
	{"secret without key id", func(ep *provider.Endpoint) {
		delete(ep.Extra, "aws_access_key_id")
	}, provider.ErrAuth, "bedrock: aws_access_key_id and aws_secret_access_key must both be set"},
	{"key id without secret", func(ep *provider.Endpoint) {
		delete(ep.Extra, "aws_secret_access_key")
	}, provider.ErrAuth, "bedrock: aws_access_key_id and aws_secret_access_key must both be set"},
	{"no region", func(ep *provider.Endpoint) {
		delete(ep.Extra, "region")
	}, provider.ErrBadRequest, `bedrock: endpoint has no region: set Extra["region"] (e.g. "us-east-1")`},
	{"no region, default base URL, API key", func(ep *provider.Endpoint) {
		ep.Extra = nil
		ep.APIKey = testBearerKey
		ep.BaseURL = ""
	}, provider.ErrBadRequest, `bedrock: endpoint has no region: set Extra["region"] (e.g. "us-east-1")`},
	{"region that is not a region", func(ep *provider.Endpoint) {
		ep.Extra["region"] = "evil.com/x"
	}, provider.ErrBadRequest, `bedrock: invalid region "evil.com/x"`},
	{"region that is not a region, default base URL", func(ep *provider.Endpoint) {
		ep.BaseURL = ""
		ep.Extra["region"] = "evil.com/x"
	}, provider.ErrBadRequest, `bedrock: invalid region "evil.com/x"`},
}

// TestCredentialAndRegionErrors fails locally, before any request.
func TestCredentialAndRegionErrors(t *testing.T) {
	cases := localErrorCases
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, answerBoth(t))
			ep := f.sigV4Endpoint(false)
			tc.edit(&ep)
			_, err := newTestAdapter().Chat(context.Background(), ep, textRequest())
			pe := providerError(t, err, tc.kind)
			if pe.Message != tc.wantMsg || pe.Provider != "bedrock" {
				t.Errorf("error = %q from %q, want %q", pe.Message, pe.Provider, tc.wantMsg)
			}
			if _, err := newTestAdapter().ChatStream(context.Background(), ep, textRequest()); err == nil {
				t.Error("ChatStream succeeded")
			}
			if n := len(f.requests()); n != 0 {
				t.Errorf("upstream received %d requests", n)
			}
		})
	}
}

// roundTripFunc lets a test see the exact outgoing URL without DNS.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestDefaultBaseURL builds the regional endpoint when BaseURL is empty.
func TestDefaultBaseURL(t *testing.T) {
	var gotURL, gotHost string
	client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		gotURL, gotHost = r.URL.String(), r.Host
		return &http.Response{
			StatusCode: 200,
			Header:     http.Header{"Content-Type": {"application/json"}},
			Body:       io.NopCloser(strings.NewReader(string(readTestdata(t, "text.response.json")))),
			Request:    r,
		}, nil
	})}
	ep := provider.Endpoint{Extra: map[string]string{
		"region": "eu-central-1", "aws_access_key_id": testKeyID, "aws_secret_access_key": testSecret,
	}, Client: client}
	if _, err := newTestAdapter().Chat(context.Background(), ep, textRequest()); err != nil {
		t.Fatal(err)
	}
	if want := "https://bedrock-runtime.eu-central-1.amazonaws.com/model/anthropic.claude-3-opus-20240229-v1%3A0/converse"; gotURL != want {
		t.Errorf("URL = %q, want %q", gotURL, want)
	}
	if gotHost != "" && gotHost != "bedrock-runtime.eu-central-1.amazonaws.com" {
		t.Errorf("Host = %q", gotHost)
	}
}
