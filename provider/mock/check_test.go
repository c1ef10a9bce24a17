package mock

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse/provider"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name      string
		ep        provider.Endpoint
		want      *provider.Error // nil: Check succeeds
		wantWaits []time.Duration
	}{
		{name: "no settings", ep: provider.Endpoint{}, wantWaits: []time.Duration{0}},
		{name: "any key is accepted", ep: provider.Endpoint{APIKey: "sk-anything"}, wantWaits: []time.Duration{0}},
		{name: "latency is waited", ep: provider.Endpoint{Extra: map[string]string{"latency_ms": "250"}},
			wantWaits: []time.Duration{250 * time.Millisecond}},
		{name: "error_status 401", ep: provider.Endpoint{Extra: map[string]string{"error_status": "401"}},
			want: &provider.Error{Provider: "mock", Kind: provider.ErrAuth, Status: 401, Code: "invalid_api_key",
				Message: "Incorrect API key provided (simulated by the Gatehouse mock provider)."},
			wantWaits: []time.Duration{0}},
		{name: "error_status 429 carries a retry hint", ep: provider.Endpoint{Provider: "mock-ci", Extra: map[string]string{"error_status": "429", "latency_ms": "10"}},
			want: &provider.Error{Provider: "mock-ci", Kind: provider.ErrRateLimited, Status: 429, Code: "rate_limit_exceeded",
				Message:    "Rate limit reached for requests. Please try again in 1s (simulated by the Gatehouse mock provider).",
				RetryAfter: time.Second},
			wantWaits: []time.Duration{10 * time.Millisecond}},
		{name: "error_status 500", ep: provider.Endpoint{Extra: map[string]string{"error_status": "500"}},
			want: &provider.Error{Provider: "mock", Kind: provider.ErrServer, Status: 500, Code: "server_error",
				Message: "The server had an error while processing your request (simulated by the Gatehouse mock provider)."},
			wantWaits: []time.Duration{0}},
		{name: "malformed setting", ep: provider.Endpoint{Extra: map[string]string{"error_status": "200"}},
			want: &provider.Error{Provider: "mock", Kind: provider.ErrBadRequest, Status: 400, Code: "mock_config",
				Message: `mock provider setting: error_status must be an HTTP status from 400 to 599, got "200"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, rec := newTestAdapter()
			err := a.Check(context.Background(), tt.ep)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Check = %v, want nil", err)
				}
			} else {
				pe, ok := provider.AsError(err)
				if !ok {
					t.Fatalf("Check = %v (%T), want *provider.Error", err, err)
				}
				if *pe != *tt.want {
					t.Errorf("Check error =\n%+v\nwant\n%+v", *pe, *tt.want)
				}
			}
			if got := rec.recorded(); mustJSON(t, got) != mustJSON(t, tt.wantWaits) {
				t.Errorf("waits = %v, want %v", got, tt.wantWaits)
			}
		})
	}
}

// Check fails exactly like Chat for the same error_status.
func TestCheckMatchesChatError(t *testing.T) {
	for _, status := range []string{"400", "401", "403", "429", "500", "503", "529", "418"} {
		ep := provider.Endpoint{Extra: map[string]string{"error_status": status}}
		a, _ := newTestAdapter()
		_, chatErr := a.Chat(context.Background(), ep, &provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{user("hi")}})
		checkErr := a.Check(context.Background(), ep)
		ce, ok1 := provider.AsError(chatErr)
		ke, ok2 := provider.AsError(checkErr)
		if !ok1 || !ok2 || *ce != *ke {
			t.Errorf("status %s: Check error %v, Chat error %v", status, checkErr, chatErr)
		}
	}
}

func TestCheckHonoursContext(t *testing.T) {
	ep := provider.Endpoint{Extra: map[string]string{"latency_ms": "5000"}}
	t.Run("deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := New().Check(ctx, ep)
		pe, ok := provider.AsError(err)
		if !ok || pe.Kind != provider.ErrTimeout || pe.Provider != "mock" {
			t.Errorf("Check = %v, want a mock timeout", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Check took %s, want it to stop at the deadline", d)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := New().Check(ctx, ep); !errors.Is(err, context.Canceled) {
			t.Errorf("Check = %v, want context.Canceled", err)
		}
	})
}
