package gemini

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// upstreamErrorCase is an error answer from Gemini and the error it maps to.
type upstreamErrorCase struct {
	name      string
	status    int
	header    map[string]string
	body      string
	want      provider.Error
	retryable bool
}

// upstreamErrorCases are Gemini's error answers and how each is mapped.
// Every entry point that reads an upstream answer maps them alike.
var upstreamErrorCases = []upstreamErrorCase{
	{
		name:   "400 invalid argument",
		status: 400,
		body:   `{"error":{"code":400,"message":"* GenerateContentRequest.contents: contents is not specified\n","status":"INVALID_ARGUMENT"}}`,
		want: provider.Error{Kind: provider.ErrBadRequest, Status: 400, Code: "INVALID_ARGUMENT",
			Message: "* GenerateContentRequest.contents: contents is not specified\n"},
	},
	{
		name:   "400 invalid key is an auth error",
		status: 400,
		body: `{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT",
			"details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com","metadata":{"service":"generativelanguage.googleapis.com"}}]}}`,
		want: provider.Error{Kind: provider.ErrAuth, Status: 400, Code: "INVALID_ARGUMENT",
			Message: "API key not valid. Please pass a valid API key."},
	},
	{
		name:   "401 unauthenticated",
		status: 401,
		body:   `{"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}}`,
		want: provider.Error{Kind: provider.ErrAuth, Status: 401, Code: "UNAUTHENTICATED",
			Message: "Request had invalid authentication credentials."},
	},
	{
		name:   "403 permission denied",
		status: 403,
		body:   `{"error":{"code":403,"message":"Method doesn't allow unregistered callers.","status":"PERMISSION_DENIED"}}`,
		want: provider.Error{Kind: provider.ErrAuth, Status: 403, Code: "PERMISSION_DENIED",
			Message: "Method doesn't allow unregistered callers."},
	},
	{
		name:   "404 model not found",
		status: 404,
		body:   `{"error":{"code":404,"message":"models/gemini-9 is not found for API version v1beta","status":"NOT_FOUND"}}`,
		want: provider.Error{Kind: provider.ErrBadRequest, Status: 404, Code: "NOT_FOUND",
			Message: "models/gemini-9 is not found for API version v1beta"},
	},
	{
		name:   "429 with Retry-After header",
		status: 429,
		header: map[string]string{"Retry-After": "17"},
		body:   `{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}}`,
		want: provider.Error{Kind: provider.ErrRateLimited, Status: 429, Code: "RESOURCE_EXHAUSTED",
			Message: "Resource has been exhausted (e.g. check quota).", RetryAfter: 17 * time.Second},
		retryable: true,
	},
	{
		name:   "429 with RetryInfo detail",
		status: 429,
		body: `{"error":{"code":429,"message":"You exceeded your current quota.","status":"RESOURCE_EXHAUSTED","details":[
			{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_requests","quotaId":"GenerateRequestsPerMinutePerProjectPerModel-FreeTier"}]},
			{"@type":"type.googleapis.com/google.rpc.Help","links":[{"description":"Learn more","url":"https://ai.google.dev/gemini-api/docs/rate-limits"}]},
			{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"38s"}]}}`,
		want: provider.Error{Kind: provider.ErrRateLimited, Status: 429, Code: "RESOURCE_EXHAUSTED",
			Message: "You exceeded your current quota.", RetryAfter: 38 * time.Second},
		retryable: true,
	},
	{
		name:   "header wins over RetryInfo",
		status: 429,
		header: map[string]string{"Retry-After": "2"},
		body:   `{"error":{"code":429,"message":"slow down","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"38s"}]}}`,
		want: provider.Error{Kind: provider.ErrRateLimited, Status: 429, Code: "RESOURCE_EXHAUSTED",
			Message: "slow down", RetryAfter: 2 * time.Second},
		retryable: true,
	},
	{
		name:   "500 internal",
		status: 500,
		body:   `{"error":{"code":500,"message":"An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting","status":"INTERNAL"}}`,
		want: provider.Error{Kind: provider.ErrServer, Status: 500, Code: "INTERNAL",
			Message: "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting"},
		retryable: true,
	},
	{
		name:   "503 wrapped in an array",
		status: 503,
		body:   `[{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}]`,
		want: provider.Error{Kind: provider.ErrServer, Status: 503, Code: "UNAVAILABLE",
			Message: "The model is overloaded. Please try again later."},
		retryable: true,
	},
	{
		name:      "502 html from a front end",
		status:    502,
		body:      "<html><body>502 Bad Gateway</body></html>",
		want:      provider.Error{Kind: provider.ErrServer, Status: 502, Message: "<html><body>502 Bad Gateway</body></html>"},
		retryable: true,
	},
	{
		name:      "empty body",
		status:    500,
		want:      provider.Error{Kind: provider.ErrServer, Status: 500, Message: "Internal Server Error"},
		retryable: true,
	},
}

func TestUpstreamErrors(t *testing.T) {
	tests := upstreamErrorCases
	for _, tt := range tests {
		for _, streaming := range []bool{false, true} {
			name := tt.name
			if streaming {
				name += " (stream)"
			}
			t.Run(name, func(t *testing.T) {
				up := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) {
					for k, v := range tt.header {
						w.Header().Set(k, v)
					}
					w.Header().Set("Content-Type", "application/json; charset=UTF-8")
					w.WriteHeader(tt.status)
					io.WriteString(w, tt.body)
				})
				req := chatRequest(t, simpleRequest)
				var err error
				if streaming {
					var s provider.Stream
					s, err = New().ChatStream(context.Background(), up.endpoint(), req)
					if s != nil {
						t.Error("ChatStream returned a stream with its error")
					}
				} else {
					_, err = New().Chat(context.Background(), up.endpoint(), req)
				}
				pe := asProviderError(t, err)
				want := tt.want
				want.Provider = "gemini"
				if *pe != want {
					t.Errorf("err = %+v\nwant  %+v", *pe, want)
				}
				if pe.Retryable() != tt.retryable {
					t.Errorf("Retryable = %v, want %v", pe.Retryable(), tt.retryable)
				}
			})
		}
	}
}

func TestLongErrorBodyTruncated(t *testing.T) {
	up := newFakeUpstream(t, respondJSON(http.StatusBadGateway, strings.Repeat("é", 1000)))
	_, err := New().Chat(context.Background(), up.endpoint(), chatRequest(t, simpleRequest))
	pe := asProviderError(t, err)
	if len(pe.Message) > maxMessageLen+len("…") || !strings.HasSuffix(pe.Message, "…") {
		t.Errorf("message of %d bytes not truncated: %q", len(pe.Message), pe.Message)
	}
	if !strings.HasPrefix(pe.Message, "éé") || strings.ContainsRune(pe.Message, '\uFFFD') {
		t.Errorf("message split a rune: %q", pe.Message)
	}
}

func TestConnectionRefused(t *testing.T) {
	up := newFakeUpstream(t, respondJSON(http.StatusOK, okBody))
	ep := up.endpoint()
	up.Close()
	for _, streaming := range []bool{false, true} {
		var err error
		if streaming {
			_, err = New().ChatStream(context.Background(), ep, chatRequest(t, simpleRequest))
		} else {
			_, err = New().Chat(context.Background(), ep, chatRequest(t, simpleRequest))
		}
		pe := asProviderError(t, err)
		if pe.Kind != provider.ErrNetwork || !pe.Retryable() || pe.Provider != "gemini" {
			t.Errorf("stream=%v: err = %+v, want retryable network error", streaming, pe)
		}
	}
}

func TestContextTimeout(t *testing.T) {
	up := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	for _, streaming := range []bool{false, true} {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		var err error
		if streaming {
			_, err = New().ChatStream(ctx, up.endpoint(), chatRequest(t, simpleRequest))
		} else {
			_, err = New().Chat(ctx, up.endpoint(), chatRequest(t, simpleRequest))
		}
		cancel()
		pe := asProviderError(t, err)
		if pe.Kind != provider.ErrTimeout {
			t.Errorf("stream=%v: err = %+v, want timeout", streaming, pe)
		}
	}
}

// TestStreamTimeoutMidStream checks that our own deadline cutting an open
// stream is a timeout, not a truncation.
func TestStreamTimeoutMidStream(t *testing.T) {
	up := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]}}]}\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	s, err := New().ChatStream(ctx, up.endpoint(), chatRequest(t, simpleRequest))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Recv(); err != nil {
		t.Fatal(err)
	}
	_, err = s.Recv()
	if pe := asProviderError(t, err); pe.Kind != provider.ErrTimeout {
		t.Errorf("err = %+v, want timeout", pe)
	}
}

func TestContextCanceledIsReturnedAsIs(t *testing.T) {
	up := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	_, err := New().Chat(ctx, up.endpoint(), chatRequest(t, simpleRequest))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// TestKeyNeverInErrors provokes every kind of failure with a key that the
// upstream echoes and checks no error text carries it.
func TestKeyNeverInErrors(t *testing.T) {
	echo := func(status int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			key := r.Header.Get("x-goog-api-key")
			w.WriteHeader(status)
			io.WriteString(w, `{"error":{"code":`+strconv.Itoa(status)+`,"message":"bad key `+key+`","status":"INVALID_ARGUMENT"}}`)
		}
	}
	plainEcho := func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		io.WriteString(w, "upstream said "+r.Header.Get("x-goog-api-key"))
	}
	streamEcho := func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `data: {"error":{"code":400,"message":"key `+r.Header.Get("x-goog-api-key")+`","status":"INVALID_ARGUMENT"}}`+"\n\n")
	}
	var errs []error
	for _, h := range []http.HandlerFunc{echo(400), echo(429), plainEcho, respondJSON(200, "{not json"), streamEcho} {
		up := newFakeUpstream(t, h)
		_, err := New().Chat(context.Background(), up.endpoint(), chatRequest(t, simpleRequest))
		errs = append(errs, err)
		s, err := New().ChatStream(context.Background(), up.endpoint(), chatRequest(t, simpleRequest))
		if err == nil {
			_, err = s.Recv()
			s.Close()
		}
		errs = append(errs, err)
		_, err = New().Embed(context.Background(), up.endpoint(), &provider.EmbeddingRequest{Model: "gemini-embedding-001", Input: []string{"x"}})
		errs = append(errs, err)
	}
	closed := newFakeUpstream(t, respondJSON(200, okBody))
	ep := closed.endpoint()
	closed.Close()
	_, err := New().Chat(context.Background(), ep, chatRequest(t, simpleRequest))
	errs = append(errs, err)
	for i, err := range errs {
		if err == nil {
			t.Errorf("case %d: no error", i)
			continue
		}
		if strings.Contains(err.Error(), testKey) {
			t.Errorf("case %d: error leaks the key: %v", i, err)
		}
	}
}

// TestRequestsGatehouseCannotTranslate are refused before anything is
// sent, as bad requests.
func TestRequestsGatehouseCannotTranslate(t *testing.T) {
	tests := []struct{ name, body string }{
		{"unknown tool_call_id", `{"model":"m","messages":[{"role":"tool","tool_call_id":"call_9","content":"x"}]}`},
		{"unknown role", `{"model":"m","messages":[{"role":"narrator","content":"x"}]}`},
		{"ftp image", `{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"ftp://h/a.png"}}]}]}`},
		{"data url without type", `{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:;base64,AAAA"}}]}]}`},
		{"audio part", `{"model":"m","messages":[{"role":"user","content":[{"type":"input_audio"}]}]}`},
		{"array arguments", `{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"[1]"}}]}]}`},
		{"broken arguments", `{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"{\"a\":"}}]}]}`},
		{"bad tool_choice", `{"model":"m","messages":[],"tool_choice":"sometimes"}`},
		{"bad effort", `{"model":"m","messages":[],"reasoning_effort":"extreme"}`},
		{"schema not an object", `{"model":"m","messages":[],"tools":[{"type":"function","function":{"name":"f","parameters":[1]}}]}`},
		{"unknown response format", `{"model":"m","messages":[],"response_format":{"type":"xml"}}`},
	}
	up := newFakeUpstream(t, respondJSON(http.StatusOK, okBody))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New().Chat(context.Background(), up.endpoint(), chatRequest(t, tt.body))
			pe := asProviderError(t, err)
			if pe.Kind != provider.ErrBadRequest || pe.Status != 0 {
				t.Errorf("err = %+v, want unsent bad request", pe)
			}
			_, err = New().ChatStream(context.Background(), up.endpoint(), chatRequest(t, tt.body))
			if pe := asProviderError(t, err); pe.Kind != provider.ErrBadRequest {
				t.Errorf("stream err = %+v, want bad request", pe)
			}
		})
	}
	if n := len(up.Requests()); n != 0 {
		t.Errorf("%d requests reached the upstream", n)
	}
}
