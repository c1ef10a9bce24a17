package mock

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// TestSimulatedErrors checks each simulated failure, and that one a
// request's own directive asked for is marked RequestScoped (it must not
// trip a shared circuit breaker) while the endpoint's error_status, the
// simulated upstream being broken, is not.
func TestSimulatedErrors(t *testing.T) {
	tests := []struct {
		name  string
		extra map[string]string
		text  string
		want  provider.Error
	}{
		{
			name:  "error_status 429 carries a retry hint",
			extra: map[string]string{"error_status": "429"},
			text:  "hi",
			want: provider.Error{Provider: "mock", Kind: provider.ErrRateLimited, Status: 429, Code: "rate_limit_exceeded",
				Message:    "Rate limit reached for requests. Please try again in 1s (simulated by the Gatehouse mock provider).",
				RetryAfter: time.Second},
		},
		{
			name:  "error_status 500",
			extra: map[string]string{"error_status": "500"},
			text:  "hi",
			want: provider.Error{Provider: "mock", Kind: provider.ErrServer, Status: 500, Code: "server_error",
				Message: "The server had an error while processing your request (simulated by the Gatehouse mock provider)."},
		},
		{
			name: "directive 400",
			text: "hi [mock:error=400]",
			want: provider.Error{Provider: "mock", Kind: provider.ErrBadRequest, Status: 400, Code: "invalid_request_error",
				Message: "Invalid request (simulated by the Gatehouse mock provider).", RequestScoped: true},
		},
		{
			name: "directive 401",
			text: "[mock:error=401] hi",
			want: provider.Error{Provider: "mock", Kind: provider.ErrAuth, Status: 401, Code: "invalid_api_key",
				Message: "Incorrect API key provided (simulated by the Gatehouse mock provider).", RequestScoped: true},
		},
		{
			name: "directive 429",
			text: "[mock:error=429]",
			want: provider.Error{Provider: "mock", Kind: provider.ErrRateLimited, Status: 429, Code: "rate_limit_exceeded",
				Message:    "Rate limit reached for requests. Please try again in 1s (simulated by the Gatehouse mock provider).",
				RetryAfter: time.Second, RequestScoped: true},
		},
		{
			name: "directive 500",
			text: "[mock:error=500]",
			want: provider.Error{Provider: "mock", Kind: provider.ErrServer, Status: 500, Code: "server_error",
				Message: "The server had an error while processing your request (simulated by the Gatehouse mock provider).", RequestScoped: true},
		},
		{
			name:  "the directive wins over error_status",
			extra: map[string]string{"error_status": "500"},
			text:  "[mock:error=529]",
			want: provider.Error{Provider: "mock", Kind: provider.ErrServer, Status: 529, Code: "overloaded_error",
				Message: "Overloaded (simulated by the Gatehouse mock provider).", RequestScoped: true},
		},
		{
			name: "an unlisted status uses its standard text",
			text: "[mock:error=418]",
			want: provider.Error{Provider: "mock", Kind: provider.ErrBadRequest, Status: 418, Code: "mock_error",
				Message: "I'm a teapot (simulated by the Gatehouse mock provider).", RequestScoped: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep := provider.Endpoint{Extra: tt.extra}
			req := &provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{user(tt.text)}}
			a, _ := newTestAdapter()
			_, chatErr := a.Chat(context.Background(), ep, req)
			_, streamErr := a.ChatStream(context.Background(), ep, req)
			_, embedErr := a.Embed(context.Background(), ep, &provider.EmbeddingRequest{Model: ModelEmbed, Input: []string{tt.text}})
			for _, got := range []struct {
				call string
				err  error
			}{{"Chat", chatErr}, {"ChatStream", streamErr}, {"Embed", embedErr}} {
				pe, ok := provider.AsError(got.err)
				if !ok {
					t.Fatalf("%s: error = %v, want *provider.Error", got.call, got.err)
				}
				if *pe != tt.want {
					t.Errorf("%s: error = %+v\nwant %+v", got.call, *pe, tt.want)
				}
				if wantRetry := tt.want.Kind == provider.ErrRateLimited || tt.want.Kind == provider.ErrServer; pe.Retryable() != wantRetry {
					t.Errorf("%s: Retryable() = %v, want %v", got.call, pe.Retryable(), wantRetry)
				}
			}
		})
	}
}

func TestRequestErrors(t *testing.T) {
	tools := []provider.Tool{pingTool}
	schemaFormat := func(schema string) *provider.ResponseFormat {
		return &provider.ResponseFormat{Type: provider.FormatJSONSchema, JSONSchema: &provider.JSONSchema{Name: "s", Schema: json.RawMessage(schema)}}
	}
	tests := []struct {
		name       string
		extra      map[string]string
		req        *provider.ChatRequest
		wantStatus int
		wantCode   string
		wantMsg    string
	}{
		{"nil request", nil, nil, 400, "invalid_request_error", "messages: at least one message is required"},
		{"no messages", nil, &provider.ChatRequest{Model: ModelEcho}, 400, "invalid_request_error", "messages: at least one message is required"},
		{"unknown model", nil, &provider.ChatRequest{Model: "gpt-4o", Messages: []provider.Message{user("hi")}},
			404, "model_not_found", "The model `gpt-4o` does not exist; the mock provider serves echo, fixed and embed."},
		{"embedding model in chat", nil, &provider.ChatRequest{Model: ModelEmbed, Messages: []provider.Message{user("hi")}},
			400, "invalid_request_error", `"embed" is an embedding model; chat with echo or fixed`},
		{"bad latency_ms", map[string]string{"latency_ms": "fast"}, &provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{user("hi")}},
			400, "mock_config", `mock provider setting: latency_ms must be whole milliseconds from 0 to 60000, got "fast"`},
		{"latency_ms over a minute", map[string]string{"latency_ms": "60001"}, &provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{user("hi")}},
			400, "mock_config", `mock provider setting: latency_ms must be whole milliseconds from 0 to 60000, got "60001"`},
		{"bad error_status", map[string]string{"error_status": "200"}, &provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{user("hi")}},
			400, "mock_config", `mock provider setting: error_status must be an HTTP status from 400 to 599, got "200"`},
		{"unknown directive", nil, &provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{user("[mock:eror=429]")}},
			400, "invalid_mock_directive", "unknown directive [mock:eror=...]; known: error, latency, tool"},
		{"directive status out of range", nil, &provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{user("[mock:error=302]")}},
			400, "invalid_mock_directive", "[mock:error=302]: want an HTTP status from 400 to 599"},
		{"directive latency malformed", nil, &provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{user("[mock:latency=250]")}},
			400, "invalid_mock_directive", "[mock:latency=250]: want a non-negative duration such as 250ms or 2s"},
		{"directive latency negative", nil, &provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{user("[mock:latency=-1s]")}},
			400, "invalid_mock_directive", "[mock:latency=-1s]: want a non-negative duration such as 250ms or 2s"},
		{"total latency over a minute", map[string]string{"latency_ms": "30000"}, &provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{user("[mock:latency=31s]")}},
			400, "invalid_mock_directive", "total latency 1m1s exceeds the maximum of 1m0s"},
		{"directive without a value", nil, &provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{user("[mock:error]")}},
			400, "invalid_mock_directive", `directive "[mock:error]" must have the form [mock:key=value]`},
		{"unterminated directive", nil, &provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{user("hi [mock:error=429")}},
			400, "invalid_mock_directive", `unterminated directive "[mock:error=429"`},
		{"repeated directive", nil, &provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{user("[mock:error=429][mock:error=500]")}},
			400, "invalid_mock_directive", `directive "error" is given twice`},
		{"bad tool name", nil, &provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{user("[mock:tool=a b]")}},
			400, "invalid_mock_directive", "[mock:tool=a b]: a tool name has 1 to 64 letters, digits, '_' or '-'"},
		{"directive names an undeclared tool", nil, &provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{user("[mock:tool=search]")}, Tools: tools},
			400, "invalid_request_error", `[mock:tool=search] names tool "search", which the request does not declare`},
		{"tool directive without tools", nil, &provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{user("[mock:tool=ping]")}},
			400, "invalid_request_error", `[mock:tool=ping] names tool "ping", which the request does not declare`},
		{"forced function not declared", nil, &provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{user("hi")}, Tools: tools,
			ToolChoice: json.RawMessage(`{"type":"function","function":{"name":"search"}}`)},
			400, "invalid_request_error", `tool_choice names tool "search", which the request does not declare`},
		{"required without tools", nil, &provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{user("hi")}, ToolChoice: json.RawMessage(`"required"`)},
			400, "invalid_request_error", `tool_choice "required" needs at least one tool`},
		{"unknown tool_choice", nil, &provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{user("hi")}, Tools: tools, ToolChoice: json.RawMessage(`"any"`)},
			400, "invalid_request_error", `tool_choice "any" is not one of auto, none, required`},
		{"malformed tool_choice", nil, &provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{user("hi")}, Tools: tools, ToolChoice: json.RawMessage(`{"type":"tool"}`)},
			400, "invalid_request_error", `tool_choice must be "auto", "none", "required" or {"type":"function","function":{"name":...}}`},
		{"tool parameters not JSON", nil, &provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{user("[mock:tool=bad]")},
			Tools: []provider.Tool{{Type: "function", Function: provider.FunctionDecl{Name: "bad", Parameters: json.RawMessage(`{`)}}}},
			400, "invalid_request_error", "tool bad: parameters: not valid JSON: unexpected EOF"},
		{"max_tokens zero", nil, &provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{user("hi")}, MaxTokens: intPtr(0)},
			400, "invalid_request_error", "max_tokens must be at least 1, got 0"},
		{"unknown response format", nil, &provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{user("hi")}, ResponseFormat: &provider.ResponseFormat{Type: "xml"}},
			400, "invalid_request_error", `response_format.type "xml" is not one of text, json_object, json_schema`},
		{"json_schema without a schema", nil, &provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{user("hi")}, ResponseFormat: &provider.ResponseFormat{Type: provider.FormatJSONSchema}},
			400, "invalid_request_error", "response_format.json_schema is required when type is json_schema"},
		{"json_schema with a remote $ref", nil, &provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{user("hi")}, ResponseFormat: schemaFormat(`{"$ref":"https://example.com/s.json"}`)},
			400, "invalid_request_error", `response_format.json_schema.schema: $ref "https://example.com/s.json": only local references (#/...) are supported`},
		{"json_schema with a dangling $ref", nil, &provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{user("hi")}, ResponseFormat: schemaFormat(`{"type":"object","properties":{"a":{"$ref":"#/$defs/A"}},"required":["a"]}`)},
			400, "invalid_request_error", `response_format.json_schema.schema: $ref "#/$defs/A" does not resolve`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, rec := newTestAdapter()
			ep := provider.Endpoint{Provider: "mock-ci", APIKey: "sk-mock-secret", Extra: tt.extra}
			for _, call := range []string{"Chat", "ChatStream"} {
				var err error
				if call == "Chat" {
					_, err = a.Chat(context.Background(), ep, tt.req)
				} else {
					_, err = a.ChatStream(context.Background(), ep, tt.req)
				}
				pe, ok := provider.AsError(err)
				if !ok {
					t.Fatalf("%s: error = %v, want *provider.Error", call, err)
				}
				want := provider.Error{Provider: "mock-ci", Kind: provider.KindForStatus(tt.wantStatus), Status: tt.wantStatus, Code: tt.wantCode, Message: tt.wantMsg}
				if *pe != want {
					t.Errorf("%s: error = %+v\nwant %+v", call, *pe, want)
				}
				if pe.Retryable() {
					t.Errorf("%s: a request error must not be retryable", call)
				}
				if strings.Contains(err.Error(), ep.APIKey) {
					t.Errorf("%s: error %q contains the API key", call, err)
				}
			}
			if waits := rec.recorded(); len(waits) != 0 {
				t.Errorf("a rejected request waited %v; it should fail at once", waits)
			}
		})
	}
}
