package bedrock

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

// foundationModels is ListFoundationModels' answer, trimmed to one model.
const foundationModels = `{"modelSummaries":[{"modelArn":"arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-3-opus-20240229-v1:0","modelId":"anthropic.claude-3-opus-20240229-v1:0","modelName":"Claude 3 Opus","providerName":"Anthropic","inputModalities":["TEXT","IMAGE"],"outputModalities":["TEXT"],"responseStreamingSupported":true,"customizationsSupported":[],"inferenceTypesSupported":["ON_DEMAND"],"modelLifecycle":{"status":"ACTIVE"}}]}`

func TestCheckRequest(t *testing.T) {
	tests := []struct {
		name         string
		endpoint     func(f *fakeUpstream) provider.Endpoint
		wantURI      string
		wantSigned   string // SignedHeaders; "" for a bearer key
		wantAuth     string // exact Authorization for a bearer key
		wantSecToken string
	}{
		{name: "SigV4", endpoint: func(f *fakeUpstream) provider.Endpoint { return f.sigV4Endpoint(false) },
			wantURI: "/foundation-models", wantSigned: "accept;host;x-amz-date"},
		{name: "SigV4 with session token", endpoint: func(f *fakeUpstream) provider.Endpoint { return f.sigV4Endpoint(true) },
			wantURI: "/foundation-models", wantSigned: "accept;host;x-amz-date;x-amz-security-token", wantSecToken: testToken},
		{name: "Bedrock API key", endpoint: func(f *fakeUpstream) provider.Endpoint { return f.bearerEndpoint() },
			wantURI: "/foundation-models", wantAuth: "Bearer " + testBearerKey},
		{name: "base URL with a path prefix", endpoint: func(f *fakeUpstream) provider.Endpoint {
			ep := f.sigV4Endpoint(false)
			ep.BaseURL += "/bedrock/"
			return ep
		}, wantURI: "/bedrock/foundation-models", wantSigned: "accept;host;x-amz-date"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, jsonAnswer(t, http.StatusOK, foundationModels, nil))
			if err := newTestAdapter().Check(t.Context(), tt.endpoint(f)); err != nil {
				t.Fatalf("Check = %v, want nil", err)
			}
			got := f.only(t) // fails unless the fake re-computed the same signature
			if got.Method != http.MethodGet || got.RequestURI != tt.wantURI {
				t.Errorf("request = %s %s, want GET %s", got.Method, got.RequestURI, tt.wantURI)
			}
			auth := got.Header.Get("Authorization")
			if tt.wantSigned != "" {
				parts := parseAuthorization(auth)
				if want := testKeyID + "/20240506/" + testRegion + "/bedrock/aws4_request"; parts["Credential"] != want {
					t.Errorf("Credential = %q, want %q", parts["Credential"], want)
				}
				if parts["SignedHeaders"] != tt.wantSigned {
					t.Errorf("SignedHeaders = %q, want %q", parts["SignedHeaders"], tt.wantSigned)
				}
			} else if auth != tt.wantAuth {
				t.Errorf("Authorization = %q, want %q", auth, tt.wantAuth)
			}
			if tok := got.Header.Get("X-Amz-Security-Token"); tok != tt.wantSecToken {
				t.Errorf("X-Amz-Security-Token = %q, want %q", tok, tt.wantSecToken)
			}
			if acc := got.Header.Get("Accept"); acc != "application/json" {
				t.Errorf("Accept = %q", acc)
			}
			if len(got.Body) != 0 {
				t.Errorf("body = %q, want none", got.Body)
			}
		})
	}
}

// TestCheckDefaultControlPlaneHost sends to bedrock.{region}, not
// bedrock-runtime.{region}, when BaseURL is empty.
func TestCheckDefaultControlPlaneHost(t *testing.T) {
	var gotURL, gotAuth string
	client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		gotURL, gotAuth = r.URL.String(), r.Header.Get("Authorization")
		return &http.Response{
			StatusCode: 200,
			Header:     http.Header{"Content-Type": {"application/json"}},
			Body:       io.NopCloser(strings.NewReader(foundationModels)),
			Request:    r,
		}, nil
	})}
	ep := provider.Endpoint{Extra: map[string]string{
		"region": "eu-central-1", "aws_access_key_id": testKeyID, "aws_secret_access_key": testSecret,
	}, Client: client}
	if err := newTestAdapter().Check(t.Context(), ep); err != nil {
		t.Fatal(err)
	}
	if want := "https://bedrock.eu-central-1.amazonaws.com/foundation-models"; gotURL != want {
		t.Errorf("URL = %q, want %q", gotURL, want)
	}
	if want := testKeyID + "/20240506/eu-central-1/bedrock/aws4_request"; parseAuthorization(gotAuth)["Credential"] != want {
		t.Errorf("Credential = %q, want %q", parseAuthorization(gotAuth)["Credential"], want)
	}
}

func TestCheckErrors(t *testing.T) {
	tests := []struct {
		name      string
		endpoint  func(f *fakeUpstream) provider.Endpoint
		status    int
		errorType string
		body      string
		header    map[string]string
		want      provider.Error
	}{
		{name: "401 unparsable authorization", status: 401, body: `{"Message":"Unable to parse authorization header"}`,
			want: provider.Error{Kind: provider.ErrAuth, Status: 401, Message: "Unable to parse authorization header"}},
		{name: "403 unrecognized client", status: 403,
			errorType: "UnrecognizedClientException:http://internal.amazon.com/coral/com.amazon.coral.service/",
			body:      `{"message":"The security token included in the request is invalid."}`,
			want: provider.Error{Kind: provider.ErrAuth, Status: 403, Code: "UnrecognizedClientException",
				Message: "The security token included in the request is invalid."}},
		{name: "403 no ListFoundationModels permission", status: 403,
			errorType: "AccessDeniedException:http://internal.amazon.com/coral/com.amazon.bedrock/",
			body:      `{"message":"User: arn:aws:iam::123456789012:user/gw is not authorized to perform: bedrock:ListFoundationModels"}`,
			want: provider.Error{Kind: provider.ErrAuth, Status: 403, Code: "AccessDeniedException",
				Message: "User: arn:aws:iam::123456789012:user/gw is not authorized to perform: bedrock:ListFoundationModels"}},
		{name: "wrong secret fails the fake's signature check",
			endpoint: func(f *fakeUpstream) provider.Endpoint {
				ep := f.sigV4Endpoint(false)
				ep.Extra["aws_secret_access_key"] = "not-the-secret"
				return ep
			},
			status: 200, body: foundationModels,
			want: provider.Error{Kind: provider.ErrAuth, Status: 403, Code: "InvalidSignatureException",
				Message: "The request signature we calculated does not match the signature you provided."}},
		{name: "429 throttled with Retry-After", status: 429,
			errorType: "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/",
			body:      `{"message":"Too many requests, please wait before trying again."}`,
			header:    map[string]string{"Retry-After": "7"},
			want: provider.Error{Kind: provider.ErrRateLimited, Status: 429, Code: "ThrottlingException",
				Message: "Too many requests, please wait before trying again.", RetryAfter: 7 * time.Second}},
		{name: "2xx web page", status: 200, body: "<html><body>Sign in</body></html>",
			want: provider.Error{Kind: provider.ErrBadResponse, Message: "ListFoundationModels response is not JSON"}},
		{name: "2xx JSON array", status: 200, body: "[]",
			want: provider.Error{Kind: provider.ErrBadResponse, Message: "ListFoundationModels response is not a JSON object"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header := map[string]string{}
			for k, v := range tt.header {
				header[k] = v
			}
			if tt.errorType != "" {
				header["X-Amzn-ErrorType"] = tt.errorType
			}
			f := newFake(t, jsonAnswer(t, tt.status, tt.body, header))
			ep := f.sigV4Endpoint(false)
			if tt.endpoint != nil {
				ep = tt.endpoint(f)
			}
			want := tt.want
			want.Provider = "bedrock"
			pe := providerError(t, newTestAdapter().Check(t.Context(), ep), tt.want.Kind)
			if *pe != want {
				t.Errorf("Check error =\n%+v\nwant\n%+v", *pe, want)
			}
		})
	}
}

// TestCheckLocalErrors fails before any request, as chat does.
func TestCheckLocalErrors(t *testing.T) {
	tests := localErrorCases
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, jsonAnswer(t, http.StatusOK, foundationModels, nil))
			ep := f.sigV4Endpoint(false)
			tt.edit(&ep)
			pe := providerError(t, newTestAdapter().Check(t.Context(), ep), tt.kind)
			if pe.Message != tt.wantMsg || pe.Provider != "bedrock" {
				t.Errorf("error = %q from %q, want %q", pe.Message, pe.Provider, tt.wantMsg)
			}
			if n := len(f.requests()); n != 0 {
				t.Errorf("upstream received %d requests", n)
			}
		})
	}
}

func TestCheckTransportErrors(t *testing.T) {
	t.Run("connection refused", func(t *testing.T) {
		f := newFake(t, jsonAnswer(t, http.StatusOK, foundationModels, nil))
		ep := f.sigV4Endpoint(false)
		f.srv.Close()
		pe := providerError(t, newTestAdapter().Check(t.Context(), ep), provider.ErrNetwork)
		if pe.Provider != "bedrock" || !pe.Retryable() {
			t.Errorf("error = %+v, want a retryable bedrock network error", pe)
		}
	})
	t.Run("deadline", func(t *testing.T) {
		f := newFake(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		providerError(t, newTestAdapter().Check(ctx, f.sigV4Endpoint(false)), provider.ErrTimeout)
	})
	t.Run("cancelled", func(t *testing.T) {
		f := newFake(t, jsonAnswer(t, http.StatusOK, foundationModels, nil))
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if err := newTestAdapter().Check(ctx, f.sigV4Endpoint(false)); !errors.Is(err, context.Canceled) {
			t.Errorf("error = %v, want context.Canceled", err)
		}
	})
}

// No credential value may surface in Check's errors, even when the
// upstream echoes it back.
func TestCheckNeverLeaksSecrets(t *testing.T) {
	accessDenied := map[string]string{"X-Amzn-ErrorType": "AccessDeniedException"}
	var errs []error
	bearer := newFake(t, jsonAnswer(t, 403, `{"message":"rejected `+testBearerKey+`"}`, accessDenied))
	errs = append(errs, newTestAdapter().Check(t.Context(), bearer.bearerEndpoint()))
	signed := newFake(t, jsonAnswer(t, 403, `{"message":"rejected `+testSecret+` / `+testToken+`"}`, accessDenied))
	errs = append(errs, newTestAdapter().Check(t.Context(), signed.sigV4Endpoint(true)))
	plain := newFake(t, jsonAnswer(t, 500, "upstream saw "+testSecret+" "+testToken, nil))
	errs = append(errs, newTestAdapter().Check(t.Context(), plain.sigV4Endpoint(true)))
	refused := newFake(t, jsonAnswer(t, http.StatusOK, foundationModels, nil))
	ep := refused.bearerEndpoint()
	refused.srv.Close()
	errs = append(errs, newTestAdapter().Check(t.Context(), ep))

	for _, err := range errs {
		if err == nil {
			t.Fatal("expected an error")
		}
		for _, secret := range []string{testBearerKey, testSecret, testToken} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("secret leaked in error: %v", err)
			}
		}
	}
	if pe := providerError(t, errs[0], provider.ErrAuth); pe.Message != "rejected [redacted]" {
		t.Errorf("message = %q, want the upstream's message with the key redacted", pe.Message)
	}
	if pe := providerError(t, errs[1], provider.ErrAuth); pe.Message != "rejected [redacted] / [redacted]" {
		t.Errorf("message = %q, want the upstream's message with the secrets redacted", pe.Message)
	}
}
