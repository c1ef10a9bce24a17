package openai

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse/provider"
)

func TestStatusErrors(t *testing.T) {
	tests := []struct {
		name      string
		provider  string
		status    int
		file      string // under testdata/errors, or a literal body when it starts with "<"
		headers   []string
		want      provider.Error
		retryable bool
	}{
		{"400 context length", "openai", 400, "openai_400.json", nil, provider.Error{
			Kind: provider.ErrBadRequest, Status: 400, Code: "context_length_exceeded",
			Message: "This model's maximum context length is 128000 tokens. However, your messages resulted in 130012 tokens. Please reduce the length of the messages.",
		}, false},
		{"401", "openai", 401, "openai_401.json", nil, provider.Error{
			Kind: provider.ErrAuth, Status: 401, Code: "invalid_api_key",
			Message: "Incorrect API key provided: sk-test-*****cret. You can find your API key at https://platform.openai.com/account/api-keys.",
		}, false},
		{"429 retry-after", "openai", 429, "openai_429.json", []string{"Retry-After", "20"}, provider.Error{
			Kind: provider.ErrRateLimited, Status: 429, Code: "rate_limit_exceeded", RetryAfter: 20 * time.Second,
			Message: "Rate limit reached for gpt-4o-mini in organization org-abc on requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in 120ms.",
		}, true},
		{"429 retry-after-ms wins", "openai", 429, "openai_429.json", []string{"Retry-After", "20", "retry-after-ms", "1500"}, provider.Error{
			Kind: provider.ErrRateLimited, Status: 429, Code: "rate_limit_exceeded", RetryAfter: 1500 * time.Millisecond,
			Message: "Rate limit reached for gpt-4o-mini in organization org-abc on requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in 120ms.",
		}, true},
		{"500", "openai", 500, "openai_500.json", nil, provider.Error{
			Kind: provider.ErrServer, Status: 500, Code: "server_error",
			Message: "The server had an error while processing your request. Sorry about that!",
		}, true},
		{"503 html from a proxy", "openai", 503, "<html><body>Service Unavailable</body></html>", nil, provider.Error{
			Kind: provider.ErrServer, Status: 503, Message: "<html><body>Service Unavailable</body></html>",
		}, true},
		{"azure content filter", "azure", 400, "azure_content_filter.json", nil, provider.Error{
			Kind: provider.ErrContentFilter, Status: 400, Code: "content_filter",
			Message: "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
		}, false},
		{"azure deployment not found", "azure", 404, "azure_deployment_not_found.json", nil, provider.Error{
			Kind: provider.ErrBadRequest, Status: 404, Code: "DeploymentNotFound",
			Message: "The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.",
		}, false},
		{"mistral 422 detail object", "mistral", 422, "mistral_422.json", nil, provider.Error{
			Kind: provider.ErrBadRequest, Status: 422, Code: "invalid_request_error",
			Message: `{"detail":[{"type":"extra_forbidden","loc":["body","stream_options","include_usage"],"msg":"Extra inputs are not permitted","input":true}]}`,
		}, false},
		{"openrouter numeric code", "openrouter", 402, "openrouter_402.json", nil, provider.Error{
			Kind: provider.ErrBadRequest, Status: 402, Code: "402",
			Message: "Insufficient credits. Add more using https://openrouter.ai/settings/credits",
		}, false},
		{"xai string error", "xai", 400, "xai_400.json", nil, provider.Error{
			Kind: provider.ErrBadRequest, Status: 400, Code: "Client specified an invalid argument",
			Message: "Incorrect API key provided: xa***to. You can obtain an API key from https://console.x.ai.",
		}, false},
		{"empty body", "groq", 502, "", nil, provider.Error{
			Kind: provider.ErrServer, Status: 502, Message: "Bad Gateway",
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := []byte(tt.file)
			if strings.HasSuffix(tt.file, ".json") {
				body = readTestdata(t, "errors/"+tt.file)
			}
			up := newFakeUpstream(t, replyJSON(tt.status, body, tt.headers...))
			ep := up.endpoint(tt.provider)
			want := tt.want
			want.Provider = tt.provider
			req := &provider.ChatRequest{Model: "gpt-4o"}

			_, err := New(tt.provider).Chat(t.Context(), ep, req)
			if pe := asProviderError(t, err); *pe != want || pe.Retryable() != tt.retryable {
				t.Errorf("Chat error =\n%+v (retryable %v)\nwant\n%+v (retryable %v)", *pe, pe.Retryable(), want, tt.retryable)
			}
			// ChatStream reports the status before returning a stream.
			s, err := New(tt.provider).ChatStream(t.Context(), ep, req)
			if s != nil {
				t.Error("ChatStream returned a stream with its error")
			}
			if pe := asProviderError(t, err); pe.Kind != want.Kind || pe.Status != want.Status || pe.Message != want.Message {
				t.Errorf("ChatStream error = %+v, want %+v", *pe, want)
			}
		})
	}
}

func TestFallbackMessageTruncated(t *testing.T) {
	long := strings.Repeat("é", 600) // 1200 bytes, multi-byte runes
	up := newFakeUpstream(t, replyJSON(500, []byte(long)))
	_, err := New("openai").Chat(t.Context(), up.endpoint("openai"), &provider.ChatRequest{Model: "m"})
	pe := asProviderError(t, err)
	if want := strings.Repeat("é", 256) + "…"; pe.Message != want {
		t.Errorf("message = %q (%d bytes), want 256 runes and an ellipsis", pe.Message, len(pe.Message))
	}
}

func TestConnectionRefused(t *testing.T) {
	up := newFakeUpstream(t, replyJSON(http.StatusOK, okCompletion))
	ep := up.endpoint("openai")
	up.Close()
	_, err := New("openai").Chat(t.Context(), ep, &provider.ChatRequest{Model: "m"})
	pe := asProviderError(t, err)
	if pe.Kind != provider.ErrNetwork || pe.Provider != "openai" || !pe.Retryable() {
		t.Errorf("error = %+v, want retryable network error", pe)
	}
	_, err = New("openai").ChatStream(t.Context(), ep, &provider.ChatRequest{Model: "m"})
	if pe := asProviderError(t, err); pe.Kind != provider.ErrNetwork {
		t.Errorf("ChatStream error = %+v", pe)
	}
}

func TestContextTimeout(t *testing.T) {
	up := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // never answers
	})
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err := New("openai").Chat(ctx, up.endpoint("openai"), &provider.ChatRequest{Model: "m"})
	pe := asProviderError(t, err)
	if pe.Kind != provider.ErrTimeout || !pe.Retryable() {
		t.Errorf("error = %+v, want retryable timeout", pe)
	}
}

// A stream whose upstream goes silent past the caller's deadline reports
// a timeout, not a truncated stream.
func TestStreamContextTimeout(t *testing.T) {
	up := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write([]byte(`data: {"id":"c","choices":[{"index":0,"delta":{"content":"a"}}]}` + "\n\n"))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	s, err := New("openai").ChatStream(ctx, up.endpoint("openai"), &provider.ChatRequest{Model: "m"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if c, err := s.Recv(); err != nil || c.Content != "a" {
		t.Fatalf("first Recv = %+v, %v", c, err)
	}
	_, err = s.Recv()
	if pe := asProviderError(t, err); pe.Kind != provider.ErrTimeout {
		t.Errorf("error = %+v, want timeout", pe)
	}
}

func TestContextCanceledIsReturnedUnchanged(t *testing.T) {
	up := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := New("openai").Chat(ctx, up.endpoint("openai"), &provider.ChatRequest{Model: "m"})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
}

// The key must not surface in any error, even when the upstream echoes it
// back in its message, its code or a mid-stream error.
func TestAPIKeyNeverInErrors(t *testing.T) {
	echo := []byte(`{"error":{"message":"Incorrect API key provided: ` + testKey + `","type":"invalid_request_error","code":"` + testKey + `"}}`)
	var errs []error
	collectErr := func(err error) {
		if err == nil {
			t.Error("expected an error")
		}
		errs = append(errs, err)
	}

	up := newFakeUpstream(t, replyJSON(401, echo))
	for _, name := range []string{"openai", "azure", "groq"} {
		_, err := New(name).Chat(t.Context(), up.endpoint(name), &provider.ChatRequest{Model: "gpt-4o"})
		collectErr(err)
		_, err = New(name).Embed(t.Context(), up.endpoint(name), &provider.EmbeddingRequest{Model: "e", Input: []string{"x"}})
		collectErr(err)
	}

	plain := newFakeUpstream(t, replyJSON(500, []byte("upstream said: "+testKey)))
	_, err := New("openai").Chat(t.Context(), plain.endpoint("openai"), &provider.ChatRequest{Model: "m"})
	collectErr(err)

	midStream := newFakeUpstream(t, replySSE([]byte(`data: {"error":{"message":"bad key `+testKey+`"}}`+"\n\n")))
	s, err := New("openai").ChatStream(t.Context(), midStream.endpoint("openai"), &provider.ChatRequest{Model: "m"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Recv()
	collectErr(err)
	s.Close()

	malformed := newFakeUpstream(t, replyJSON(200, []byte(`{"id":"`+testKey+`",`)))
	_, err = New("openai").Chat(t.Context(), malformed.endpoint("openai"), &provider.ChatRequest{Model: "m"})
	collectErr(err)

	refused := newFakeUpstream(t, replyJSON(200, okCompletion))
	ep := refused.endpoint("openai")
	refused.Close()
	_, err = New("openai").Chat(t.Context(), ep, &provider.ChatRequest{Model: "m"})
	collectErr(err)

	_, err = New("openai").Chat(t.Context(), ep, &provider.ChatRequest{Model: "o3", Temperature: ptr(0.1)})
	collectErr(err)

	for _, err := range errs {
		if err != nil && strings.Contains(err.Error(), testKey) {
			t.Errorf("key leaked in error: %v", err)
		}
	}
	if !strings.Contains(errs[0].Error(), "Incorrect API key provided: [REDACTED]") {
		t.Errorf("first error = %v, want the message kept with the key redacted", errs[0])
	}
}

func TestParseErrorBodyTolerant(t *testing.T) {
	for _, body := range []string{"", "null", "[]", `{"error":null}`, `{"error":42}`, `{"error":{"message":["a"]}}`, "\xff\xfe"} {
		d := parseErrorBody([]byte(body)) // must not panic
		_ = d
	}
	if d := parseErrorBody([]byte(`{"detail":"Not Found"}`)); d.message != "Not Found" {
		t.Errorf("detail message = %q", d.message)
	}
}
