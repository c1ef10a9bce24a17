package gemini

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// modelsPage is the Gemini API's models.list answer for pageSize=1.
const modelsPage = `{"models":[{"name":"models/gemini-2.5-flash","version":"001","displayName":"Gemini 2.5 Flash","description":"Stable version of Gemini 2.5 Flash","inputTokenLimit":1048576,"outputTokenLimit":65536,"supportedGenerationMethods":["generateContent","countTokens","createCachedContent","batchGenerateContent"],"temperature":1,"topP":0.95,"topK":64,"maxTemperature":2,"thinking":true}],"nextPageToken":"Ch5tb2RlbHMvZ2VtaW5pLTIuNS1mbGFzaA=="}`

func TestCheckRequest(t *testing.T) {
	tests := []struct {
		name     string
		base     func(f *fakeUpstream) string
		wantPath string
	}{
		{"bare base", func(f *fakeUpstream) string { return f.URL }, "/v1beta/models"},
		{"base naming v1beta", func(f *fakeUpstream) string { return f.URL + "/v1beta/" }, "/v1beta/models"},
		{"base naming v1", func(f *fakeUpstream) string { return f.URL + "/v1" }, "/v1/models"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newFakeUpstream(t, respondJSON(http.StatusOK, modelsPage))
			ep := up.endpoint()
			ep.BaseURL = tt.base(up)
			if err := New().Check(t.Context(), ep); err != nil {
				t.Fatalf("Check = %v, want nil", err)
			}
			got := up.Last(t)
			if got.Method != http.MethodGet || got.Path != tt.wantPath || got.RawQuery != "pageSize=1" {
				t.Errorf("request = %s %s?%s, want GET %s?pageSize=1", got.Method, got.Path, got.RawQuery, tt.wantPath)
			}
			if h := got.Header.Get("x-goog-api-key"); h != testKey {
				t.Errorf("x-goog-api-key = %q", h)
			}
			if strings.Contains(got.RawURL, testKey) {
				t.Errorf("key in URL %s", got.RawURL)
			}
			if len(got.Body) != 0 {
				t.Errorf("body = %q, want none", got.Body)
			}
		})
	}
}

func TestCheckErrors(t *testing.T) {
	// Check maps Gemini's error answers like every other call, and a 2xx
	// that is not a models list is a bad response.
	tests := append(append([]upstreamErrorCase{}, upstreamErrorCases...),
		upstreamErrorCase{
			name:   "2xx web page",
			status: 200,
			body:   "<html><body>Sign in</body></html>",
			want:   provider.Error{Kind: provider.ErrBadResponse, Message: "models list response is not JSON"},
		},
		upstreamErrorCase{
			name:   "2xx JSON array",
			status: 200,
			body:   `[]`,
			want:   provider.Error{Kind: provider.ErrBadResponse, Message: "models list response is not a JSON object"},
		},
	)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				respondJSON(tt.status, tt.body)(w, r)
			})
			want := tt.want
			want.Provider = "gemini"
			if pe := asProviderError(t, New().Check(t.Context(), up.endpoint())); *pe != want {
				t.Errorf("Check error =\n%+v\nwant\n%+v", *pe, want)
			}
		})
	}
}

func TestCheckTransportErrors(t *testing.T) {
	t.Run("connection refused", func(t *testing.T) {
		up := newFakeUpstream(t, respondJSON(http.StatusOK, modelsPage))
		ep := up.endpoint()
		up.Close()
		pe := asProviderError(t, New().Check(t.Context(), ep))
		if pe.Kind != provider.ErrNetwork || pe.Provider != "gemini" {
			t.Errorf("error = %+v, want a gemini network error", pe)
		}
	})
	t.Run("deadline", func(t *testing.T) {
		up := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		if pe := asProviderError(t, New().Check(ctx, up.endpoint())); pe.Kind != provider.ErrTimeout {
			t.Errorf("error = %+v, want a timeout", pe)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		up := newFakeUpstream(t, respondJSON(http.StatusOK, modelsPage))
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if err := New().Check(ctx, up.endpoint()); !errors.Is(err, context.Canceled) {
			t.Errorf("error = %v, want context.Canceled", err)
		}
	})
}

// The key must not surface in Check's errors, even when the upstream
// echoes it back.
func TestCheckNeverLeaksKey(t *testing.T) {
	var errs []error
	echo := newFakeUpstream(t, respondJSON(400, `{"error":{"code":400,"message":"API key `+testKey+` not valid.","status":"INVALID_ARGUMENT",
		"details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]}}`))
	errs = append(errs, New().Check(t.Context(), echo.endpoint()))
	plain := newFakeUpstream(t, respondJSON(502, "proxy saw key "+testKey))
	errs = append(errs, New().Check(t.Context(), plain.endpoint()))
	refused := newFakeUpstream(t, respondJSON(http.StatusOK, modelsPage))
	ep := refused.endpoint()
	refused.Close()
	errs = append(errs, New().Check(t.Context(), ep))

	for _, err := range errs {
		if err == nil {
			t.Fatal("expected an error")
		}
		if strings.Contains(err.Error(), testKey) {
			t.Errorf("key leaked in error: %v", err)
		}
	}
	if pe := asProviderError(t, errs[0]); pe.Kind != provider.ErrAuth || pe.Message != "API key [redacted] not valid." {
		t.Errorf("error = %+v, want ErrAuth with the key redacted from the message", pe)
	}
}
