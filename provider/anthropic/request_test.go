package anthropic

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// TestRequestMapping sends each testdata/requests/<case>.input.json (an
// OpenAI-shaped request) and compares the body the fake upstream received
// with <case>.request.json.
func TestRequestMapping(t *testing.T) {
	cases := []string{
		"plain_text",
		"system_prompt",
		"system_multiple",
		"consecutive_roles",
		"multimodal_image",
		"tools_tool_choice",
		"tool_round_trip",
		"json_object",
		"json_schema",
		"json_schema_with_tools",
		"sampling_params",
		"reasoning_effort",
	}
	canned := readFile(t, "testdata/responses/text.json")
	for _, name := range cases {
		t.Run(name, func(t *testing.T) {
			up := newUpstream(t, jsonBody(http.StatusOK, canned))
			var req provider.ChatRequest
			if err := json.Unmarshal(readFile(t, filepath.Join("testdata/requests", name+".input.json")), &req); err != nil {
				t.Fatal(err)
			}
			if _, err := testAdapter().Chat(context.Background(), up.endpoint(), &req); err != nil {
				t.Fatalf("Chat: %v", err)
			}
			got := up.Last(t)
			checkWireBasics(t, got, "application/json")
			checkGolden(t, filepath.Join("testdata/requests", name+".request.json"), got.Body)
		})
	}
}

// checkWireBasics asserts method, path, query and headers.
func checkWireBasics(t *testing.T, got captured, accept string) {
	t.Helper()
	if got.Method != http.MethodPost || got.Path != "/v1/messages" || got.RawQuery != "" {
		t.Errorf("request line = %s %s?%s, want POST /v1/messages", got.Method, got.Path, got.RawQuery)
	}
	for h, want := range map[string]string{
		"X-Api-Key":         testKey,
		"Anthropic-Version": "2023-06-01",
		"Content-Type":      "application/json",
		"Accept":            accept,
	} {
		if v := got.Header.Get(h); v != want {
			t.Errorf("header %s = %q, want %q", h, v, want)
		}
	}
	if got.Header.Get("Authorization") != "" {
		t.Error("Authorization header must not be sent; Anthropic authenticates with x-api-key")
	}
}

// TestStreamRequest checks that ChatStream sends the same body plus
// "stream": true and asks for an event stream.
func TestStreamRequest(t *testing.T) {
	up := newUpstream(t, sseBody(readFile(t, "testdata/streams/text.sse")))
	req := &provider.ChatRequest{Model: "claude-sonnet-4-5", Messages: []provider.Message{{Role: "user", Content: provider.TextContent("Hi")}}}
	s, err := testAdapter().ChatStream(context.Background(), up.endpoint(), req)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := up.Last(t)
	checkWireBasics(t, got, "text/event-stream")
	want := `{"max_tokens":4096,"messages":[{"content":[{"text":"Hi","type":"text"}],"role":"user"}],"model":"claude-sonnet-4-5","stream":true}`
	if c := compactJSON(t, got.Body); c != want {
		t.Errorf("body = %s\nwant   %s", c, want)
	}
}

func compactJSON(t *testing.T, b []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(v)
	return string(out)
}

// TestToolChoiceMapping covers every tool_choice / parallel_tool_calls /
// response_format combination, and that thinking yields to forced tools.
func TestToolChoiceMapping(t *testing.T) {
	tools := []provider.Tool{{Type: "function", Function: provider.FunctionDecl{Name: "get_weather"}}}
	schema := &provider.ResponseFormat{Type: "json_schema", JSONSchema: &provider.JSONSchema{Name: "report", Schema: json.RawMessage(`{"type":"object"}`)}}
	cases := []struct {
		name       string
		tools      []provider.Tool
		choice     string
		parallel   *bool
		format     *provider.ResponseFormat
		effort     string
		wantChoice string // compact JSON, "" for absent
		wantThink  bool
	}{
		{name: "no tools no choice", wantChoice: ""},
		{name: "choice without tools is dropped", choice: `"required"`, wantChoice: ""},
		{name: "tools default", tools: tools, wantChoice: ""},
		{name: "auto", tools: tools, choice: `"auto"`, wantChoice: `{"type":"auto"}`},
		{name: "required", tools: tools, choice: `"required"`, wantChoice: `{"type":"any"}`},
		{name: "none", tools: tools, choice: `"none"`, wantChoice: `{"type":"none"}`},
		{name: "none ignores parallel", tools: tools, choice: `"none"`, parallel: ptr(false), wantChoice: `{"type":"none"}`},
		{name: "function", tools: tools, choice: `{"type":"function","function":{"name":"get_weather"}}`, wantChoice: `{"name":"get_weather","type":"tool"}`},
		{name: "parallel false alone", tools: tools, parallel: ptr(false), wantChoice: `{"disable_parallel_tool_use":true,"type":"auto"}`},
		{name: "parallel true alone", tools: tools, parallel: ptr(true), wantChoice: ""},
		{name: "required parallel false", tools: tools, choice: `"required"`, parallel: ptr(false), wantChoice: `{"disable_parallel_tool_use":true,"type":"any"}`},
		{name: "json only", format: schema, wantChoice: `{"disable_parallel_tool_use":true,"name":"report","type":"tool"}`},
		{name: "json with tools", tools: tools, format: schema, wantChoice: `{"type":"any"}`},
		{name: "json with tools none", tools: tools, choice: `"none"`, format: schema, wantChoice: `{"disable_parallel_tool_use":true,"name":"report","type":"tool"}`},
		{name: "json with named tool", tools: tools, choice: `{"type":"function","function":{"name":"get_weather"}}`, format: schema, wantChoice: `{"name":"get_weather","type":"tool"}`},
		{name: "thinking with auto", tools: tools, choice: `"auto"`, effort: "low", wantChoice: `{"type":"auto"}`, wantThink: true},
		{name: "thinking dropped for required", tools: tools, choice: `"required"`, effort: "low", wantChoice: `{"type":"any"}`},
		{name: "thinking dropped for json", format: schema, effort: "high", wantChoice: `{"disable_parallel_tool_use":true,"name":"report","type":"tool"}`},
		{name: "text format is no format", format: &provider.ResponseFormat{Type: "text"}, wantChoice: ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := &provider.ChatRequest{
				Model: "m", Messages: []provider.Message{{Role: "user", Content: provider.TextContent("x")}},
				Tools: tc.tools, ParallelToolCall: tc.parallel, ResponseFormat: tc.format, ReasoningEffort: tc.effort,
			}
			if tc.choice != "" {
				req.ToolChoice = json.RawMessage(tc.choice)
			}
			p, err := buildRequest(req, false)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if p.body.ToolChoice != nil {
				got = compactJSON(t, mustMarshal(t, p.body.ToolChoice))
			}
			if got != tc.wantChoice {
				t.Errorf("tool_choice = %s, want %s", got, tc.wantChoice)
			}
			if (p.body.Thinking != nil) != tc.wantThink {
				t.Errorf("thinking = %+v, want present=%v", p.body.Thinking, tc.wantThink)
			}
		})
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestTokenLimits pins the max_tokens / thinking budget arithmetic.
func TestTokenLimits(t *testing.T) {
	cases := []struct {
		effort     string
		max        *int
		wantMax    int
		wantBudget int
	}{
		{"", nil, DefaultMaxTokens, 0},
		{"", ptr(100), 100, 0},
		{"none", ptr(100), 100, 0},
		{"minimal", nil, DefaultMaxTokens, 0},
		{"low", nil, BudgetLow + DefaultMaxTokens, BudgetLow},
		{"medium", ptr(10000), 10000, BudgetMedium},
		{"medium", ptr(BudgetMedium), 2 * BudgetMedium, BudgetMedium},
		{"high", ptr(500), BudgetHigh + 500, BudgetHigh},
	}
	for _, tc := range cases {
		budget, err := thinkingBudget(tc.effort)
		if err != nil {
			t.Fatal(err)
		}
		gotMax, think := tokenLimits(tc.max, budget)
		gotBudget := 0
		if think != nil {
			gotBudget = think.BudgetTokens
			if think.Type != "enabled" || gotMax <= gotBudget {
				t.Errorf("effort %q: thinking %+v with max_tokens %d", tc.effort, think, gotMax)
			}
		}
		if gotMax != tc.wantMax || gotBudget != tc.wantBudget {
			t.Errorf("effort %q max %v: got max_tokens %d budget %d, want %d %d", tc.effort, tc.max, gotMax, gotBudget, tc.wantMax, tc.wantBudget)
		}
	}
}

// TestLocalValidation checks that requests Anthropic could not accept fail
// locally with ErrBadRequest, without a round trip.
func TestLocalValidation(t *testing.T) {
	user := provider.Message{Role: "user", Content: provider.TextContent("x")}
	withCall := func(args string) provider.Message {
		return provider.Message{Role: "assistant", ToolCalls: []provider.ToolCall{{ID: "t1", Type: "function", Function: provider.FunctionCall{Name: "f", Arguments: args}}}}
	}
	image := func(u string) provider.Message {
		return provider.Message{Role: "user", Content: provider.Content{AsParts: true, Parts: []provider.Part{{Type: "image_url", ImageURL: &provider.ImageURL{URL: u}}}}}
	}
	cases := []struct {
		name    string
		req     *provider.ChatRequest
		wantMsg string
	}{
		{"nil request", nil, "request is missing"},
		{"invalid tool arguments", &provider.ChatRequest{Messages: []provider.Message{user, withCall(`{"city": "Par`)}}, "arguments are not valid JSON"},
		{"non-object tool arguments", &provider.ChatRequest{Messages: []provider.Message{user, withCall(`[1,2]`)}}, "must be a JSON object"},
		{"tool call without id", &provider.ChatRequest{Messages: []provider.Message{user, {Role: "assistant", ToolCalls: []provider.ToolCall{{Function: provider.FunctionCall{Name: "f"}}}}}}, "needs an id"},
		{"tool result without id", &provider.ChatRequest{Messages: []provider.Message{user, {Role: "tool", Content: provider.TextContent("r")}}}, "tool_call_id"},
		{"ftp image", &provider.ChatRequest{Messages: []provider.Message{image("ftp://example.com/a.png")}}, "http(s) URL"},
		{"non-base64 data URL", &provider.ChatRequest{Messages: []provider.Message{image("data:image/png,rawbytes")}}, "data:<media type>;base64"},
		{"image without url", &provider.ChatRequest{Messages: []provider.Message{image("")}}, "no url"},
		{"unknown part", &provider.ChatRequest{Messages: []provider.Message{{Role: "user", Content: provider.Content{Parts: []provider.Part{{Type: "input_audio"}}}}}}, `unsupported content part type "input_audio"`},
		{"unknown role", &provider.ChatRequest{Messages: []provider.Message{{Role: "function", Content: provider.TextContent("x")}}}, `unsupported role "function"`},
		{"bad tool_choice string", &provider.ChatRequest{Messages: []provider.Message{user}, ToolChoice: json.RawMessage(`"sometimes"`)}, "tool_choice"},
		{"bad tool_choice object", &provider.ChatRequest{Messages: []provider.Message{user}, ToolChoice: json.RawMessage(`{"type":"function"}`)}, "tool_choice"},
		{"bad reasoning effort", &provider.ChatRequest{Messages: []provider.Message{user}, ReasoningEffort: "extreme"}, "reasoning_effort"},
		{"unknown response format", &provider.ChatRequest{Messages: []provider.Message{user}, ResponseFormat: &provider.ResponseFormat{Type: "xml"}}, "response_format"},
		{"json_schema without schema", &provider.ChatRequest{Messages: []provider.Message{user}, ResponseFormat: &provider.ResponseFormat{Type: "json_schema"}}, "json_schema is required"},
		{"schema name collides", &provider.ChatRequest{Messages: []provider.Message{user},
			Tools:          []provider.Tool{{Type: "function", Function: provider.FunctionDecl{Name: "report"}}},
			ResponseFormat: &provider.ResponseFormat{Type: "json_schema", JSONSchema: &provider.JSONSchema{Name: "report"}}}, "collides"},
		{"non-function tool", &provider.ChatRequest{Messages: []provider.Message{user}, Tools: []provider.Tool{{Type: "web_search"}}}, "unsupported tool type"},
		{"invalid schema JSON", &provider.ChatRequest{Messages: []provider.Message{user},
			Tools: []provider.Tool{{Type: "function", Function: provider.FunctionDecl{Name: "f", Parameters: json.RawMessage(`{"type":`)}}}}, "encoding request"},
	}
	up := newUpstream(t, jsonBody(http.StatusOK, readFile(t, "testdata/responses/text.json")))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := testAdapter().Chat(context.Background(), up.endpoint(), tc.req)
			pe := asProviderError(t, err, provider.ErrBadRequest)
			if !strings.Contains(pe.Message, tc.wantMsg) || pe.Provider != "anthropic" || pe.Status != 0 {
				t.Errorf("error = %+v, want message containing %q", pe, tc.wantMsg)
			}
			_, err = testAdapter().ChatStream(context.Background(), up.endpoint(), tc.req)
			asProviderError(t, err, provider.ErrBadRequest)
		})
	}
	if n := len(up.Requests()); n != 0 {
		t.Errorf("upstream received %d requests; invalid requests must fail locally", n)
	}
}

// TestBaseURL pins the ANTHROPIC_BASE_URL convention.
func TestBaseURL(t *testing.T) {
	for base, want := range map[string]string{
		"":                                  "https://api.anthropic.com/v1/messages",
		"https://api.anthropic.com":         "https://api.anthropic.com/v1/messages",
		"https://api.anthropic.com/":        "https://api.anthropic.com/v1/messages",
		"https://proxy.example.com/v1":      "https://proxy.example.com/v1/messages",
		"https://proxy.example.com/claude/": "https://proxy.example.com/claude/v1/messages",
	} {
		if got := messagesURL(base); got != want {
			t.Errorf("messagesURL(%q) = %q, want %q", base, got, want)
		}
	}
	// And on the wire: a base with /v1 and a trailing slash still hits /v1/messages.
	up := newUpstream(t, jsonBody(http.StatusOK, readFile(t, "testdata/responses/text.json")))
	ep := up.endpoint()
	ep.BaseURL = up.URL + "/v1/"
	req := &provider.ChatRequest{Model: "m", Messages: []provider.Message{{Role: "user", Content: provider.TextContent("x")}}}
	if _, err := testAdapter().Chat(context.Background(), ep, req); err != nil {
		t.Fatal(err)
	}
	if p := up.Last(t).Path; p != "/v1/messages" {
		t.Errorf("path = %q, want /v1/messages", p)
	}
}
