package bedrock

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// errorCases are Bedrock's documented error answers: restJson1 bodies
// {"message": ...} with the type in X-Amzn-ErrorType.
var errorCases = []struct {
	name      string
	status    int
	errorType string // X-Amzn-ErrorType
	body      string
	header    map[string]string
	kind      provider.ErrorKind
	code      string
	message   string
	retry     time.Duration
	retryable bool
}{
	{name: "400 validation", status: 400,
		errorType: "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/",
		body:      `{"message":"The model returned the following errors: messages: final assistant content cannot end with trailing whitespace"}`,
		kind:      provider.ErrBadRequest, code: "ValidationException",
		message: "The model returned the following errors: messages: final assistant content cannot end with trailing whitespace"},
	{name: "401 missing auth", status: 401,
		body: `{"Message":"Unable to parse authorization header"}`,
		kind: provider.ErrAuth, message: "Unable to parse authorization header"},
	{name: "403 unrecognized client", status: 403,
		errorType: "UnrecognizedClientException:http://internal.amazon.com/coral/com.amazon.coral.service/",
		body:      `{"message":"The security token included in the request is invalid."}`,
		kind:      provider.ErrAuth, code: "UnrecognizedClientException", message: "The security token included in the request is invalid."},
	{name: "403 access denied", status: 403,
		errorType: "AccessDeniedException:http://internal.amazon.com/coral/com.amazon.bedrock/",
		body:      `{"message":"You don't have access to the model with the specified model ID."}`,
		kind:      provider.ErrAuth, code: "AccessDeniedException", message: "You don't have access to the model with the specified model ID."},
	{name: "404 model not found", status: 404,
		errorType: "ResourceNotFoundException:http://internal.amazon.com/coral/com.amazon.bedrock/",
		body:      `{"message":"The provided model identifier is invalid."}`,
		kind:      provider.ErrBadRequest, code: "ResourceNotFoundException", message: "The provided model identifier is invalid."},
	{name: "429 throttled with Retry-After", status: 429,
		errorType: "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/",
		body:      `{"message":"Too many requests, please wait before trying again."}`,
		header:    map[string]string{"Retry-After": "7"},
		kind:      provider.ErrRateLimited, code: "ThrottlingException", message: "Too many requests, please wait before trying again.",
		retry: 7 * time.Second, retryable: true},
	{name: "400 service quota", status: 400,
		errorType: "ServiceQuotaExceededException:http://internal.amazon.com/coral/com.amazon.bedrock/",
		body:      `{"message":"Your request exceeds the service quota for your account."}`,
		kind:      provider.ErrRateLimited, code: "ServiceQuotaExceededException", message: "Your request exceeds the service quota for your account.",
		retryable: true},
	{name: "408 model timeout", status: 408,
		errorType: "ModelTimeoutException:http://internal.amazon.com/coral/com.amazon.bedrock/",
		body:      `{"message":"Model has timed out in processing the request."}`,
		kind:      provider.ErrTimeout, code: "ModelTimeoutException", message: "Model has timed out in processing the request.", retryable: true},
	{name: "500 internal", status: 500,
		errorType: "InternalServerException:http://internal.amazon.com/coral/com.amazon.bedrock/",
		body:      `{"message":"Internal server error"}`,
		kind:      provider.ErrServer, code: "InternalServerException", message: "Internal server error", retryable: true},
	{name: "503 unavailable", status: 503,
		errorType: "ServiceUnavailableException",
		body:      `{"message":"Bedrock is unable to process your request."}`,
		kind:      provider.ErrServer, code: "ServiceUnavailableException", message: "Bedrock is unable to process your request.", retryable: true},
	{name: "type only in body", status: 400,
		body: `{"__type":"com.amazon.coral.validate#ValidationException","message":"1 validation error detected"}`,
		kind: provider.ErrBadRequest, code: "ValidationException", message: "1 validation error detected"},
	{name: "502 HTML from a proxy", status: 502,
		body:   `<html><body>Bad Gateway</body></html>`,
		header: map[string]string{"Content-Type": "text/html"},
		kind:   provider.ErrServer, message: `<html><body>Bad Gateway</body></html>`, retryable: true},
}

func TestHTTPErrors(t *testing.T) {
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			header := map[string]string{}
			for k, v := range tc.header {
				header[k] = v
			}
			if tc.errorType != "" {
				header["X-Amzn-ErrorType"] = tc.errorType
			}
			f := newFake(t, jsonAnswer(t, tc.status, tc.body, header))
			check := func(err error) {
				t.Helper()
				pe := providerError(t, err, tc.kind)
				if pe.Status != tc.status || pe.Code != tc.code || pe.Message != tc.message ||
					pe.RetryAfter != tc.retry || pe.Retryable() != tc.retryable || pe.Provider != "bedrock" {
					t.Errorf("error = %+v (retryable %v)", pe, pe.Retryable())
				}
			}
			_, err := newTestAdapter().Chat(context.Background(), f.sigV4Endpoint(false), textRequest())
			check(err)
			s, err := newTestAdapter().ChatStream(context.Background(), f.sigV4Endpoint(false), textRequest())
			if s != nil {
				t.Error("ChatStream returned a stream with its error")
			}
			check(err)
		})
	}
}

// TestMalformed2xx rejects bodies that are not a Converse response.
func TestMalformed2xx(t *testing.T) {
	for _, body := range []string{`{"output": {"message": `, `{"stopReason":"end_turn"}`} {
		f := newFake(t, jsonAnswer(t, 200, body, nil))
		_, err := newTestAdapter().Chat(context.Background(), f.sigV4Endpoint(false), textRequest())
		providerError(t, err, provider.ErrBadResponse)
	}
}

// TestConnectionRefused reports a network error, retryable.
func TestConnectionRefused(t *testing.T) {
	f := newFake(t, answerBoth(t))
	ep := f.sigV4Endpoint(false)
	f.srv.Close()
	_, err := newTestAdapter().Chat(context.Background(), ep, textRequest())
	if pe := providerError(t, err, provider.ErrNetwork); !pe.Retryable() {
		t.Error("network error not retryable")
	}
	_, err = newTestAdapter().ChatStream(context.Background(), ep, textRequest())
	providerError(t, err, provider.ErrNetwork)
}

// TestContextTimeout reports a timeout when the deadline passes, both
// waiting for headers and in the middle of a stream.
func TestContextTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "-stream") {
			w.WriteHeader(200)
			_, _ = w.Write(encodeFrame(t, minimalStream[0]))
			w.(http.Flusher).Flush()
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := newTestAdapter().Chat(ctx, f.sigV4Endpoint(false), textRequest())
	providerError(t, err, provider.ErrTimeout)

	ctx2, cancel2 := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel2()
	s, err := newTestAdapter().ChatStream(ctx2, f.sigV4Endpoint(false), textRequest())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if c, err := s.Recv(); err != nil || c.Role != "assistant" {
		t.Fatalf("first Recv = %+v, %v", c, err)
	}
	_, err = s.Recv()
	providerError(t, err, provider.ErrTimeout)
}

// TestSecretsNeverInErrors makes every kind of failure and checks that no
// credential appears in the error, even when the upstream echoes the
// Authorization header and body back.
func TestSecretsNeverInErrors(t *testing.T) {
	echo := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Amzn-ErrorType", "ValidationException")
		w.WriteHeader(400)
		_, _ = w.Write([]byte(`{"message":"bad request with ` + r.Header.Get("Authorization") + ` token ` +
			r.Header.Get("X-Amz-Security-Token") + `"}`))
	}
	var errs []error
	f := newFake(t, echo)
	a := newTestAdapter()
	_, err := a.Chat(context.Background(), f.bearerEndpoint(), textRequest())
	errs = append(errs, err)
	_, err = a.ChatStream(context.Background(), f.sigV4Endpoint(true), textRequest())
	errs = append(errs, err)

	// Stream exception echoing the key.
	g := newFake(t, streamAnswer(t, []scriptedFrame{{Exception: "validationException",
		Payload: []byte(`{"message":"invalid key ` + testBearerKey + `"}`)}}))
	s, err := a.ChatStream(context.Background(), g.bearerEndpoint(), textRequest())
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Recv()
	s.Close()
	errs = append(errs, err)

	// Local credential errors and transport errors.
	ep := f.sigV4Endpoint(true)
	delete(ep.Extra, "aws_access_key_id")
	_, err = a.Chat(context.Background(), ep, textRequest())
	errs = append(errs, err)
	closed := newFake(t, echo)
	cep := closed.bearerEndpoint()
	closed.srv.Close()
	_, err = a.Chat(context.Background(), cep, textRequest())
	errs = append(errs, err)

	for i, err := range errs {
		if err == nil {
			t.Fatalf("case %d: no error", i)
		}
		msg := err.Error()
		for _, secret := range []string{testBearerKey, testSecret, testToken} {
			if strings.Contains(msg, secret) {
				t.Errorf("case %d: error leaks a credential: %s", i, msg)
			}
		}
	}
	for _, i := range []int{0, 1, 2} {
		if !strings.Contains(errs[i].Error(), "[redacted]") {
			t.Errorf("case %d: echoed credential was not redacted: %v", i, errs[i])
		}
	}
}
