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

// modelList is OpenAI's GET /models answer, trimmed to one model.
var modelList = []byte(`{"object":"list","data":[{"id":"gpt-4o-mini","object":"model","created":1721172741,"owned_by":"system"}]}`)

// azureModelList is Azure's "Models - List" answer, trimmed to one model.
var azureModelList = []byte(`{"data":[{"status":"succeeded","capabilities":{"fine_tune":false,"inference":true,"completion":false,"chat_completion":true,"embeddings":false},"lifecycle_status":"generally-available","id":"gpt-4o-2024-08-06","created_at":1722902400,"object":"model"}],"object":"list"}`)

func TestCheckRequest(t *testing.T) {
	tests := []struct {
		name      string
		provider  string
		key       string
		extra     map[string]string
		reply     []byte
		wantPath  string
		wantQuery string
		wantAuth  string // Authorization header
		wantKey   string // api-key header
	}{
		{name: "openai", provider: "openai", key: testKey, reply: modelList,
			wantPath: "/v1/models", wantAuth: "Bearer " + testKey},
		{name: "compatible provider", provider: "groq", key: testKey, reply: modelList,
			wantPath: "/v1/models", wantAuth: "Bearer " + testKey},
		{name: "together answers a bare array", provider: "together_ai", key: testKey,
			reply:    []byte(`[{"id":"meta-llama/Llama-3.3-70B-Instruct-Turbo","object":"model","created":0,"type":"chat"}]`),
			wantPath: "/v1/models", wantAuth: "Bearer " + testKey},
		{name: "ollama without a key", provider: "ollama", reply: []byte(`{"object":"list","data":[{"id":"llama3.2:latest","object":"model","created":1730000000,"owned_by":"library"}]}`),
			wantPath: "/v1/models"},
		{name: "azure default api-version", provider: "azure", key: testKey, reply: azureModelList,
			wantPath: "/openai/models", wantQuery: "api-version=" + DefaultAzureAPIVersion, wantKey: testKey},
		{name: "azure configured api-version", provider: "azure", key: testKey, reply: azureModelList,
			extra:    map[string]string{"api_version": "2025-04-01-preview"},
			wantPath: "/openai/models", wantQuery: "api-version=2025-04-01-preview", wantKey: testKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newFakeUpstream(t, replyJSON(http.StatusOK, tt.reply))
			ep := up.endpoint(tt.provider)
			ep.APIKey = tt.key
			ep.Extra = tt.extra
			if tt.provider == "azure" {
				ep.BaseURL = up.URL // Azure's api_base is the resource root
			}
			if err := New(tt.provider).Check(t.Context(), ep); err != nil {
				t.Fatalf("Check = %v, want nil", err)
			}
			got := up.Only(t)
			if got.Method != http.MethodGet || got.Path != tt.wantPath || got.RawQuery != tt.wantQuery {
				t.Errorf("request = %s %s?%s, want GET %s?%s", got.Method, got.Path, got.RawQuery, tt.wantPath, tt.wantQuery)
			}
			if h := got.Header.Get("Authorization"); h != tt.wantAuth {
				t.Errorf("Authorization = %q, want %q", h, tt.wantAuth)
			}
			if h := got.Header.Get("api-key"); h != tt.wantKey {
				t.Errorf("api-key = %q, want %q", h, tt.wantKey)
			}
			if len(got.Body) != 0 {
				t.Errorf("body = %q, want none", got.Body)
			}
		})
	}
}

func TestCheckErrors(t *testing.T) {
	azure401 := []byte(`{"error":{"code":"401","message":"Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource."}}`)
	tests := []struct {
		name     string
		provider string
		status   int
		body     []byte
		headers  []string
		want     provider.Error
	}{
		{"openai 401", "openai", 401, readTestdata(t, "errors/openai_401.json"), nil, provider.Error{
			Kind: provider.ErrAuth, Status: 401, Code: "invalid_api_key",
			Message: "Incorrect API key provided: sk-test-*****cret. You can find your API key at https://platform.openai.com/account/api-keys.",
		}},
		{"azure 401", "azure", 401, azure401, nil, provider.Error{
			Kind: provider.ErrAuth, Status: 401, Code: "401",
			Message: "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.",
		}},
		{"429 with Retry-After", "openai", 429, readTestdata(t, "errors/openai_429.json"), []string{"Retry-After", "20"}, provider.Error{
			Kind: provider.ErrRateLimited, Status: 429, Code: "rate_limit_exceeded", RetryAfter: 20 * time.Second,
			Message: "Rate limit reached for gpt-4o-mini in organization org-abc on requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in 120ms.",
		}},
		{"404 without a models list", "openai_compatible", 404, []byte(`{"detail":"Not Found"}`), nil, provider.Error{
			Kind: provider.ErrBadRequest, Status: 404, Message: "Not Found",
		}},
		{"2xx web page from a wrong api_base", "openai", 200, []byte("<!doctype html><html><body>Welcome</body></html>"), nil, provider.Error{
			Kind: provider.ErrBadResponse, Message: "models list response is not JSON",
		}},
		{"2xx empty body", "openai", 200, nil, nil, provider.Error{
			Kind: provider.ErrBadResponse, Message: "models list response is not JSON",
		}},
		{"2xx JSON that is no list", "openai", 200, []byte(`"ok"`), nil, provider.Error{
			Kind: provider.ErrBadResponse, Message: "models list response is not a JSON object or array",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newFakeUpstream(t, replyJSON(tt.status, tt.body, tt.headers...))
			ep := up.endpoint(tt.provider)
			want := tt.want
			want.Provider = tt.provider
			err := New(tt.provider).Check(t.Context(), ep)
			if pe := asProviderError(t, err); *pe != want {
				t.Errorf("Check error =\n%+v\nwant\n%+v", *pe, want)
			}
		})
	}
}

func TestCheckTransportErrors(t *testing.T) {
	t.Run("connection refused", func(t *testing.T) {
		up := newFakeUpstream(t, replyJSON(http.StatusOK, modelList))
		ep := up.endpoint("openai")
		up.Close()
		pe := asProviderError(t, New("openai").Check(t.Context(), ep))
		if pe.Kind != provider.ErrNetwork || pe.Provider != "openai" {
			t.Errorf("error = %+v, want a network error", pe)
		}
	})
	t.Run("deadline", func(t *testing.T) {
		up := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		pe := asProviderError(t, New("openai").Check(ctx, up.endpoint("openai")))
		if pe.Kind != provider.ErrTimeout {
			t.Errorf("error = %+v, want a timeout", pe)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		up := newFakeUpstream(t, replyJSON(http.StatusOK, modelList))
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if err := New("openai").Check(ctx, up.endpoint("openai")); !errors.Is(err, context.Canceled) {
			t.Errorf("error = %v, want context.Canceled", err)
		}
	})
	t.Run("azure without api_base", func(t *testing.T) {
		pe := asProviderError(t, NewAzure().Check(t.Context(), provider.Endpoint{Provider: "azure", APIKey: testKey}))
		if pe.Kind != provider.ErrBadRequest {
			t.Errorf("error = %+v, want invalid_request", pe)
		}
	})
}

// The key must not surface in Check's errors, even when the upstream
// echoes it back.
func TestCheckNeverLeaksKey(t *testing.T) {
	echo := []byte(`{"error":{"message":"Incorrect API key provided: ` + testKey + `","type":"invalid_request_error","code":"invalid_api_key"}}`)
	var errs []error
	for _, name := range []string{"openai", "azure", "groq"} {
		up := newFakeUpstream(t, replyJSON(401, echo))
		errs = append(errs, New(name).Check(t.Context(), up.endpoint(name)))
	}
	plain := newFakeUpstream(t, replyJSON(500, []byte("upstream said: "+testKey)))
	errs = append(errs, New("openai").Check(t.Context(), plain.endpoint("openai")))
	refused := newFakeUpstream(t, replyJSON(200, modelList))
	ep := refused.endpoint("openai")
	refused.Close()
	errs = append(errs, New("openai").Check(t.Context(), ep))

	for _, err := range errs {
		if err == nil {
			t.Fatal("expected an error")
		}
		if strings.Contains(err.Error(), testKey) {
			t.Errorf("key leaked in error: %v", err)
		}
	}
	if pe := asProviderError(t, errs[0]); pe.Message != "Incorrect API key provided: [REDACTED]" {
		t.Errorf("message = %q, want the provider's message with the key redacted", pe.Message)
	}
}
