package anthropic

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

// modelsPage is Anthropic's GET /v1/models answer for limit=1.
const modelsPage = `{"data":[{"type":"model","id":"claude-sonnet-4-5-20250929","display_name":"Claude Sonnet 4.5","created_at":"2025-09-29T00:00:00Z"}],"has_more":true,"first_id":"claude-sonnet-4-5-20250929","last_id":"claude-sonnet-4-5-20250929"}`

func TestCheckRequest(t *testing.T) {
	tests := []struct {
		name     string
		base     func(u *upstream) string
		wantPath string
	}{
		{"base without /v1", func(u *upstream) string { return u.URL }, "/v1/models"},
		{"base with /v1/", func(u *upstream) string { return u.URL + "/v1/" }, "/v1/models"},
		{"base behind a proxy prefix", func(u *upstream) string { return u.URL + "/anthropic" }, "/anthropic/v1/models"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newUpstream(t, jsonBody(http.StatusOK, []byte(modelsPage)))
			ep := up.endpoint()
			ep.BaseURL = tt.base(up)
			if err := testAdapter().Check(t.Context(), ep); err != nil {
				t.Fatalf("Check = %v, want nil", err)
			}
			reqs := up.Requests()
			if len(reqs) != 1 {
				t.Fatalf("upstream got %d requests, want 1", len(reqs))
			}
			got := reqs[0]
			if got.Method != http.MethodGet || got.Path != tt.wantPath || got.RawQuery != "limit=1" {
				t.Errorf("request = %s %s?%s, want GET %s?limit=1", got.Method, got.Path, got.RawQuery, tt.wantPath)
			}
			if h := got.Header.Get("x-api-key"); h != testKey {
				t.Errorf("x-api-key = %q", h)
			}
			if h := got.Header.Get("anthropic-version"); h != APIVersion {
				t.Errorf("anthropic-version = %q, want %q", h, APIVersion)
			}
			if h := got.Header.Get("Authorization"); h != "" {
				t.Errorf("Authorization = %q, want none", h)
			}
			if len(got.Body) != 0 {
				t.Errorf("body = %q, want none", got.Body)
			}
		})
	}
}

func TestCheckErrors(t *testing.T) {
	tests := []struct {
		name   string
		status int
		header map[string]string
		body   string
		want   provider.Error
	}{
		{name: "401", status: 401, body: anthropicError("authentication_error", "invalid x-api-key"),
			want: provider.Error{Kind: provider.ErrAuth, Status: 401, Code: "authentication_error", Message: "invalid x-api-key"}},
		{name: "403", status: 403, body: anthropicError("permission_error", "Your API key does not have permission to use the specified resource."),
			want: provider.Error{Kind: provider.ErrAuth, Status: 403, Code: "permission_error", Message: "Your API key does not have permission to use the specified resource."}},
		{name: "429 retry-after", status: 429, header: map[string]string{"Retry-After": "7"},
			body: anthropicError("rate_limit_error", "Number of requests has exceeded your per-minute rate limit"),
			want: provider.Error{Kind: provider.ErrRateLimited, Status: 429, Code: "rate_limit_error",
				Message: "Number of requests has exceeded your per-minute rate limit", RetryAfter: 7 * time.Second}},
		{name: "529 overloaded", status: 529, body: anthropicError("overloaded_error", "Overloaded"),
			want: provider.Error{Kind: provider.ErrServer, Status: 529, Code: "overloaded_error", Message: "Overloaded"}},
		{name: "2xx web page", status: 200, body: "<html><body>Sign in</body></html>",
			want: provider.Error{Kind: provider.ErrBadResponse, Status: 200, Message: "models list response is not JSON"}},
		{name: "2xx JSON array", status: 200, body: "[]",
			want: provider.Error{Kind: provider.ErrBadResponse, Status: 200, Message: "models list response is not a JSON object"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tc.header {
					w.Header().Set(k, v)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			})
			want := tc.want
			want.Provider = "anthropic"
			pe := asProviderError(t, testAdapter().Check(t.Context(), up.endpoint()), tc.want.Kind)
			if *pe != want {
				t.Errorf("Check error =\n%+v\nwant\n%+v", *pe, want)
			}
		})
	}
}

func TestCheckTransportErrors(t *testing.T) {
	t.Run("connection refused", func(t *testing.T) {
		up := newUpstream(t, jsonBody(http.StatusOK, []byte(modelsPage)))
		ep := up.endpoint()
		up.Close()
		pe := asProviderError(t, testAdapter().Check(t.Context(), ep), provider.ErrNetwork)
		if pe.Provider != "anthropic" || !pe.Retryable() {
			t.Errorf("error = %+v, want a retryable anthropic network error", pe)
		}
	})
	t.Run("deadline", func(t *testing.T) {
		up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		asProviderError(t, testAdapter().Check(ctx, up.endpoint()), provider.ErrTimeout)
	})
	t.Run("cancelled", func(t *testing.T) {
		up := newUpstream(t, jsonBody(http.StatusOK, []byte(modelsPage)))
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if err := testAdapter().Check(ctx, up.endpoint()); !errors.Is(err, context.Canceled) {
			t.Errorf("error = %v, want context.Canceled", err)
		}
	})
}

// The key must not surface in Check's errors, even when the upstream
// echoes it back.
func TestCheckNeverLeaksKey(t *testing.T) {
	var errs []error
	echo := newUpstream(t, jsonBody(401, []byte(anthropicError("authentication_error", "invalid x-api-key: "+testKey))))
	errs = append(errs, testAdapter().Check(t.Context(), echo.endpoint()))
	plain := newUpstream(t, jsonBody(502, []byte("proxy saw key "+testKey)))
	errs = append(errs, testAdapter().Check(t.Context(), plain.endpoint()))
	refused := newUpstream(t, jsonBody(200, []byte(modelsPage)))
	ep := refused.endpoint()
	refused.Close()
	errs = append(errs, testAdapter().Check(t.Context(), ep))

	for _, err := range errs {
		if err == nil {
			t.Fatal("expected an error")
		}
		if strings.Contains(err.Error(), testKey) {
			t.Errorf("key leaked in error: %v", err)
		}
	}
	if pe := asProviderError(t, errs[0], provider.ErrAuth); pe.Message != "invalid x-api-key: [redacted]" {
		t.Errorf("message = %q, want the provider's message with the key redacted", pe.Message)
	}
}
