package http

// Compatibility with the official OpenAI and Anthropic Go SDKs, used
// unchanged as clients of Gatehouse's /v1 surface (test-only dependencies).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go"
	aoption "github.com/anthropics/anthropic-sdk-go/option"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"

	"github.com/gatehouse-llm/gatehouse/sqlstore/storetest"
)

// fakeToolUpstreams are an OpenAI-format and an Anthropic-format upstream
// that both play the same tool round trip: asked about the weather, they
// call get_weather{"city":"Paris"}; given the tool's result, they answer
// "It is sunny in Paris."
func fakeToolUpstreams(t *testing.T) (openaiURL, anthropicURL string) {
	oa := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Stream   bool
			Messages []struct{ Role string }
		}
		raw, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(raw, &body)
		hasResult := false
		for _, m := range body.Messages {
			hasResult = hasResult || m.Role == "tool"
		}
		usage := `{"prompt_tokens":30,"completion_tokens":10,"total_tokens":40}`
		if !body.Stream {
			w.Header().Set("Content-Type", "application/json")
			if hasResult {
				fmt.Fprintf(w, `{"id":"c","object":"chat.completion","created":1,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"It is sunny in Paris."},"finish_reason":"stop"}],"usage":%s}`, usage)
			} else {
				fmt.Fprintf(w, `{"id":"c","object":"chat.completion","created":1,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},"finish_reason":"tool_calls"}],"usage":%s}`, usage)
			}
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		send := func(s string) { fmt.Fprintf(w, "data: %s\n\n", s); w.(http.Flusher).Flush() }
		head := `{"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":%s,"finish_reason":%s}]}`
		if hasResult {
			send(fmt.Sprintf(head, `{"role":"assistant","content":"It is sunny"}`, "null"))
			send(fmt.Sprintf(head, `{"content":" in Paris."}`, `"stop"`))
		} else {
			send(fmt.Sprintf(head, `{"role":"assistant","tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}]}`, "null"))
			send(fmt.Sprintf(head, `{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]}`, "null"))
			send(fmt.Sprintf(head, `{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]}`, `"tool_calls"`))
		}
		send(`{"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[],"usage":` + usage + `}`)
		send("[DONE]")
	}))
	t.Cleanup(oa.Close)
	an := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Stream   bool
			Messages []struct {
				Role    string
				Content json.RawMessage
			}
		}
		raw, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(raw, &body)
		hasResult := strings.Contains(string(raw), `"tool_result"`)
		if !body.Stream {
			w.Header().Set("Content-Type", "application/json")
			if hasResult {
				io.WriteString(w, `{"id":"msg_1","type":"message","role":"assistant","model":"claude-3-5-sonnet-20240620","content":[{"type":"text","text":"It is sunny in Paris."}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":30,"output_tokens":10}}`)
			} else {
				io.WriteString(w, `{"id":"msg_1","type":"message","role":"assistant","model":"claude-3-5-sonnet-20240620","content":[{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":30,"output_tokens":10}}`)
			}
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		ev := func(name, data string) {
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, data)
			w.(http.Flusher).Flush()
		}
		ev("message_start", `{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-3-5-sonnet-20240620","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":30,"output_tokens":1}}}`)
		if hasResult {
			ev("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`)
			ev("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"It is sunny"}}`)
			ev("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" in Paris."}}`)
			ev("content_block_stop", `{"type":"content_block_stop","index":0}`)
			ev("message_delta", `{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":10}}`)
		} else {
			ev("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{}}}`)
			ev("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\"city\":"}}`)
			ev("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"\"Paris\"}"}}`)
			ev("content_block_stop", `{"type":"content_block_stop","index":0}`)
			ev("message_delta", `{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":10}}`)
		}
		ev("message_stop", `{"type":"message_stop"}`)
	}))
	t.Cleanup(an.Close)
	return oa.URL, an.URL
}

// sdkWorld sets up aliases for the SDK tests and returns a team key:
// echo (mock/echo), embed (mock/embed), gpt (openai/gpt-4o at a fake
// OpenAI upstream), claude (anthropic/claude-3-5-sonnet-20240620 at a
// fake Anthropic upstream) and secret (exists, not granted).
func sdkWorld(t *testing.T, h *harness, credits string) string {
	oa, an := fakeToolUpstreams(t)
	h.admin("POST", "/api/provider-credentials/create", fmt.Sprintf(`{"provider": "openai", "credential_name": "d", "api_key": "sk-o", "api_base": %q}`, oa), 201)
	h.admin("POST", "/api/provider-credentials/create", fmt.Sprintf(`{"provider": "anthropic", "credential_name": "d", "api_key": "sk-a", "api_base": %q}`, an), 201)
	for _, a := range [][2]string{{"echo", "mock/echo"}, {"embed", "mock/embed"}, {"gpt", "openai/gpt-4o"}, {"claude", "anthropic/claude-3-5-sonnet-20240620"}, {"secret", "mock/fixed"}} {
		h.admin("POST", "/api/model-aliases/create", fmt.Sprintf(`{"alias": %q, "litellm_model": %q}`, a[0], a[1]), 201)
	}
	h.admin("POST", "/api/model-access-groups/create", `{"group_name": "g", "model_aliases": ["echo", "embed", "gpt", "claude"]}`, 201)
	h.admin("POST", "/api/organizations/create", `{"organization_id": "o", "name": "O"}`, 201)
	return h.admin("POST", "/api/teams/create", `{"organization_id": "o", "team_id": "t", "access_groups": ["g"], "credits_allocated": `+credits+`}`, 201)["virtual_key"].(string)
}

func openaiClient(h *harness, key string, opts ...option.RequestOption) openai.Client {
	return openai.NewClient(append([]option.RequestOption{option.WithAPIKey(key), option.WithBaseURL(h.Server.URL + "/v1/")}, opts...)...)
}

func weatherTool() openai.ChatCompletionToolUnionParam {
	return openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{Name: "get_weather", Description: openai.String("Weather in a city"),
		Parameters: shared.FunctionParameters{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}, "required": []string{"city"}}})
}

func TestOpenAISDK(t *testing.T) {
	h := newHarness(t, storetest.OpenSQLite(t))
	key := sdkWorld(t, h, "100")
	client := openaiClient(h, key)
	ctx := context.Background()

	// Plain call, with Gatehouse's headers.
	var resp *http.Response
	chat, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "echo",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Hello, Gatehouse")}}, option.WithResponseInto(&resp))
	if err != nil {
		t.Fatal(err)
	}
	if chat.Choices[0].Message.Content != "Hello, Gatehouse" || chat.Model != "echo" || chat.Usage.TotalTokens == 0 {
		t.Fatalf("plain call: %+v", chat)
	}
	if resp.Header.Get(headerJobID) == "" || resp.Header.Get(headerCallID) == "" || resp.Header.Get(headerCreditsRemaining) != "99" || resp.Header.Get(headerCostUSD) != "0.00" {
		t.Fatalf("headers: %v", resp.Header)
	}

	// Stream, accumulated the SDK's way; usage arrives in the last chunk.
	stream := client.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{Model: "echo",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("stream me please")}})
	acc := openai.ChatCompletionAccumulator{}
	chunks := 0
	for stream.Next() {
		acc.AddChunk(stream.Current())
		chunks++
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if acc.Choices[0].Message.Content != "stream me please" || acc.Usage.TotalTokens == 0 || chunks < 3 {
		t.Fatalf("stream: %q usage %+v chunks %d", acc.Choices[0].Message.Content, acc.Usage, chunks)
	}

	// Tool call round trip against an OpenAI-format upstream.
	params := openai.ChatCompletionNewParams{Model: "gpt", Tools: []openai.ChatCompletionToolUnionParam{weatherTool()},
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Weather in Paris?")}}
	first, err := client.Chat.Completions.New(ctx, params)
	if err != nil {
		t.Fatal(err)
	}
	tc := first.Choices[0].Message.ToolCalls
	if len(tc) != 1 || tc[0].Function.Name != "get_weather" || tc[0].Function.Arguments != `{"city":"Paris"}` || first.Choices[0].FinishReason != "tool_calls" {
		t.Fatalf("tool call: %+v", first.Choices[0])
	}
	params.Messages = append(params.Messages, first.Choices[0].Message.ToParam(), openai.ToolMessage("sunny, 24C", tc[0].ID))
	second, err := client.Chat.Completions.New(ctx, params)
	if err != nil || second.Choices[0].Message.Content != "It is sunny in Paris." {
		t.Fatalf("after the tool result: %+v %v", second, err)
	}

	// JSON schema output.
	schema := map[string]any{"type": "object", "properties": map[string]any{"name": map[string]any{"type": "string"}, "age": map[string]any{"type": "integer"}},
		"required": []string{"name", "age"}, "additionalProperties": false}
	structured, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "echo",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Describe a person")},
		ResponseFormat: openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONSchema: &shared.ResponseFormatJSONSchemaParam{
			JSONSchema: shared.ResponseFormatJSONSchemaJSONSchemaParam{Name: "person", Schema: schema, Strict: openai.Bool(true)}}}})
	if err != nil {
		t.Fatal(err)
	}
	var person struct {
		Name string `json:"name"`
		Age  *int   `json:"age"`
	}
	if err := json.Unmarshal([]byte(structured.Choices[0].Message.Content), &person); err != nil || person.Age == nil {
		t.Fatalf("structured output %q: %v", structured.Choices[0].Message.Content, err)
	}

	// Embeddings.
	emb, err := client.Embeddings.New(ctx, openai.EmbeddingNewParams{Model: "embed",
		Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"one", "two"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(emb.Data) != 2 || len(emb.Data[0].Embedding) == 0 || emb.Data[1].Index != 1 || emb.Model != "embed" {
		t.Fatalf("embeddings: %+v", emb)
	}

	// The model list is exactly what this key may call.
	page, err := client.Models.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range page.Data {
		ids = append(ids, m.ID)
	}
	if strings.Join(ids, ",") != "claude,echo,embed,gpt" {
		t.Fatalf("models: %v", ids)
	}
}

// Each refusal reaches the OpenAI SDK as its own *openai.Error with the
// status its retry logic and callers expect.
func TestOpenAISDKErrors(t *testing.T) {
	h := newHarness(t, storetest.OpenSQLite(t))
	key := sdkWorld(t, h, "100")
	ctx := context.Background()
	call := func(c openai.Client, model, text string) error {
		_, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: model,
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(text)}})
		return err
	}
	noRetry := openaiClient(h, key, option.WithMaxRetries(0))
	broke := h.admin("POST", "/api/teams/create", `{"organization_id": "o", "team_id": "broke", "access_groups": ["g"]}`, 201)["virtual_key"].(string)
	h.admin("POST", "/api/teams/create", `{"organization_id": "o", "team_id": "slow", "access_groups": ["g"], "credits_allocated": 10, "rate_limits": {"requests_per_minute": 1}}`, 201)
	slow := h.admin("POST", "/api/teams/slow/keys", `{}`, 201)["virtual_key"].(string)
	_ = call(openaiClient(h, slow), "echo", "first")
	tests := []struct {
		name   string
		err    error
		status int
		code   string
	}{
		{"invalid model", call(noRetry, "nope", "hi"), 404, "model_not_found"},
		{"no access", call(noRetry, "secret", "hi"), 403, "forbidden"},
		{"bad key", call(openaiClient(h, "gh-sk-wrong", option.WithMaxRetries(0)), "echo", "hi"), 401, "invalid_api_key"},
		{"no credits", call(openaiClient(h, broke), "echo", "hi"), 429, "insufficient_quota"},
		{"rate limited", call(openaiClient(h, slow, option.WithMaxRetries(0)), "echo", "second"), 429, "rate_limit_exceeded"},
		{"provider failure", call(noRetry, "echo", "fail [mock:error=500]"), 502, "provider_error"},
	}
	for _, tt := range tests {
		var apiErr *openai.Error
		if !errors.As(tt.err, &apiErr) {
			t.Errorf("%s: %T %v is not an *openai.Error", tt.name, tt.err, tt.err)
			continue
		}
		if apiErr.StatusCode != tt.status || apiErr.Code != tt.code || apiErr.Message == "" {
			t.Errorf("%s: status %d code %q message %q; want %d %q", tt.name, apiErr.StatusCode, apiErr.Code, apiErr.Message, tt.status, tt.code)
		}
	}
}

func anthropicClient(h *harness, key string, opts ...aoption.RequestOption) anthropic.Client {
	return anthropic.NewClient(append([]aoption.RequestOption{aoption.WithAPIKey(key), aoption.WithBaseURL(h.Server.URL)}, opts...)...)
}

func weatherToolParam() anthropic.ToolUnionParam {
	return anthropic.ToolUnionParam{OfTool: &anthropic.ToolParam{Name: "get_weather", Description: anthropic.String("Weather in a city"),
		InputSchema: anthropic.ToolInputSchemaParam{Properties: map[string]any{"city": map[string]any{"type": "string"}}, Required: []string{"city"}}}}
}

// The Anthropic SDK against aliases backed by Anthropic-, OpenAI- and
// mock upstreams: plain, streamed, and a tool round trip translated across
// formats both ways.
func TestAnthropicSDK(t *testing.T) {
	h := newHarness(t, storetest.OpenSQLite(t))
	key := sdkWorld(t, h, "100")
	client := anthropicClient(h, key)
	ctx := context.Background()

	msg, err := client.Messages.New(ctx, anthropic.MessageNewParams{Model: "echo", MaxTokens: 100,
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Bonjour"))}})
	if err != nil {
		t.Fatal(err)
	}
	if msg.Content[0].Text != "Bonjour" || msg.StopReason != "end_turn" || msg.Usage.OutputTokens == 0 {
		t.Fatalf("plain: %+v", msg)
	}

	for _, alias := range []string{"gpt", "claude"} { // OpenAI-format and Anthropic-format upstreams
		for _, streamed := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/stream=%v", alias, streamed), func(t *testing.T) {
				params := anthropic.MessageNewParams{Model: anthropic.Model(alias), MaxTokens: 200, Tools: []anthropic.ToolUnionParam{weatherToolParam()},
					Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Weather in Paris?"))}}
				send := func() anthropic.Message {
					if !streamed {
						m, err := client.Messages.New(ctx, params)
						if err != nil {
							t.Fatal(err)
						}
						return *m
					}
					s := client.Messages.NewStreaming(ctx, params)
					m := anthropic.Message{}
					for s.Next() {
						if err := m.Accumulate(s.Current()); err != nil {
							t.Fatal(err)
						}
					}
					if err := s.Err(); err != nil {
						t.Fatal(err)
					}
					return m
				}
				first := send()
				var toolID string
				for _, b := range first.Content {
					if b.Type == "tool_use" && b.Name == "get_weather" && strings.ReplaceAll(string(b.Input), " ", "") == `{"city":"Paris"}` {
						toolID = b.ID
					}
				}
				if toolID == "" || first.StopReason != "tool_use" {
					t.Fatalf("tool use: %+v", first)
				}
				params.Messages = append(params.Messages, first.ToParam(),
					anthropic.NewUserMessage(anthropic.NewToolResultBlock(toolID, "sunny, 24C", false)))
				second := send()
				if len(second.Content) == 0 || second.Content[0].Text != "It is sunny in Paris." || second.StopReason != "end_turn" {
					t.Fatalf("after the tool result: %+v", second)
				}
			})
		}
	}
}

// The OpenAI SDK against an alias backed by an Anthropic-format upstream:
// tools and streaming survive the translation both ways.
func TestOpenAISDKOverAnthropicUpstream(t *testing.T) {
	h := newHarness(t, storetest.OpenSQLite(t))
	key := sdkWorld(t, h, "100")
	client := openaiClient(h, key)
	ctx := context.Background()
	params := openai.ChatCompletionNewParams{Model: "claude", Tools: []openai.ChatCompletionToolUnionParam{weatherTool()},
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Weather in Paris?")}}
	stream := client.Chat.Completions.NewStreaming(ctx, params)
	acc := openai.ChatCompletionAccumulator{}
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	tc := acc.Choices[0].Message.ToolCalls
	if len(tc) != 1 || tc[0].Function.Name != "get_weather" || tc[0].Function.Arguments != `{"city":"Paris"}` {
		t.Fatalf("streamed tool call: %+v", acc.Choices[0].Message)
	}
	params.Messages = append(params.Messages, acc.Choices[0].Message.ToParam(), openai.ToolMessage("sunny, 24C", tc[0].ID))
	answer, err := client.Chat.Completions.New(ctx, params)
	if err != nil || answer.Choices[0].Message.Content != "It is sunny in Paris." || answer.Usage.PromptTokens != 30 {
		t.Fatalf("answer: %+v %v", answer, err)
	}
}

// Errors reach the Anthropic SDK in its own format and statuses.
func TestAnthropicSDKErrors(t *testing.T) {
	h := newHarness(t, storetest.OpenSQLite(t))
	key := sdkWorld(t, h, "100")
	broke := h.admin("POST", "/api/teams/create", `{"organization_id": "o", "team_id": "broke", "access_groups": ["g"]}`, 201)["virtual_key"].(string)
	ctx := context.Background()
	call := func(c anthropic.Client, model, text string) error {
		_, err := c.Messages.New(ctx, anthropic.MessageNewParams{Model: anthropic.Model(model), MaxTokens: 50,
			Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(text))}})
		return err
	}
	noRetry := anthropicClient(h, key, aoption.WithMaxRetries(0))
	h.admin("POST", "/api/teams/create", `{"organization_id": "o", "team_id": "slow", "access_groups": ["g"], "credits_allocated": 10, "rate_limits": {"requests_per_minute": 1}}`, 201)
	slow := h.admin("POST", "/api/teams/slow/keys", `{}`, 201)["virtual_key"].(string)
	_ = call(anthropicClient(h, slow), "echo", "first")
	tests := []struct {
		name, errType string
		err           error
		status        int
	}{
		{"invalid model", "not_found_error", call(noRetry, "nope", "hi"), 404},
		{"no access", "permission_error", call(noRetry, "secret", "hi"), 403},
		{"bad key", "authentication_error", call(anthropicClient(h, "gh-sk-wrong", aoption.WithMaxRetries(0)), "echo", "hi"), 401},
		{"no credits", "billing_error", call(anthropicClient(h, broke), "echo", "hi"), 402},
		{"rate limited", "rate_limit_error", call(anthropicClient(h, slow, aoption.WithMaxRetries(0)), "echo", "second"), 429},
		{"provider failure", "api_error", call(noRetry, "echo", "fail [mock:error=500]"), 502},
	}
	for _, tt := range tests {
		var apiErr *anthropic.Error
		if !errors.As(tt.err, &apiErr) {
			t.Errorf("%s: %T %v is not an *anthropic.Error", tt.name, tt.err, tt.err)
			continue
		}
		if apiErr.StatusCode != tt.status || !strings.Contains(apiErr.RawJSON(), `"type":"`+tt.errType+`"`) {
			t.Errorf("%s: status %d body %s; want %d %s", tt.name, apiErr.StatusCode, apiErr.RawJSON(), tt.status, tt.errType)
		}
	}
}

// A stream the upstream breaks after its first chunk (cut without its
// end, a malformed chunk, a stall, a failure reported mid-stream) makes
// each official SDK raise, with the text so far and never a finish
// reason or usage that would pass it off as complete.
func TestSDKsRaiseOnBrokenStreams(t *testing.T) {
	h := newHarness(t, storetest.OpenSQLite(t))
	faultGateway(h)
	up := newFaultUpstream(t)
	key, _ := faultWorld(t, h, up.URL)
	ctx := context.Background()
	oc, ac := openaiClient(h, key, option.WithMaxRetries(0)), anthropicClient(h, key, aoption.WithMaxRetries(0))
	for i, fault := range []string{"cut", "malformed", "stall", "overloaded"} {
		text := fmt.Sprintf("fault:%s:%d", fault, 1000+i)
		t.Run("openai/"+fault, func(t *testing.T) {
			stream := oc.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{Model: "faulty",
				Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(text + "/openai")}})
			defer stream.Close() // a stream ended by an error still holds its connection
			acc := openai.ChatCompletionAccumulator{}
			for stream.Next() {
				acc.AddChunk(stream.Current())
			}
			if stream.Err() == nil {
				t.Fatalf("the OpenAI SDK finished a broken stream without an error (content %q)", acc.Choices[0].Message.Content)
			}
			if !strings.Contains(stream.Err().Error(), "error while streaming") {
				t.Errorf("error %v is not the SDK's stream error", stream.Err())
			}
			if len(acc.Choices) != 1 || acc.Choices[0].Message.Content != "Hello" || acc.Choices[0].FinishReason != "" || acc.Usage.TotalTokens != 0 {
				t.Errorf("before the error: %+v usage %+v", acc.Choices, acc.Usage)
			}
		})
		t.Run("anthropic/"+fault, func(t *testing.T) {
			s := ac.Messages.NewStreaming(ctx, anthropic.MessageNewParams{Model: "faulty", MaxTokens: 100,
				Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(text + "/anthropic"))}})
			defer s.Close()
			m := anthropic.Message{}
			stopped := false
			for s.Next() {
				ev := s.Current()
				stopped = stopped || ev.Type == "message_stop"
				if err := m.Accumulate(ev); err != nil {
					t.Fatal(err)
				}
			}
			var apiErr *anthropic.Error
			if !errors.As(s.Err(), &apiErr) {
				t.Fatalf("the Anthropic SDK ended a broken stream with %v, want an *anthropic.Error", s.Err())
			}
			wantType := "api_error"
			if fault == "overloaded" {
				wantType = "overloaded_error"
			}
			if !strings.Contains(apiErr.RawJSON(), `"type":"`+wantType+`"`) {
				t.Errorf("error event %s, want type %s", apiErr.RawJSON(), wantType)
			}
			if stopped || m.StopReason != "" || len(m.Content) != 1 || m.Content[0].Text != "Hello" {
				t.Errorf("before the error: stop %v reason %q content %+v", stopped, m.StopReason, m.Content)
			}
		})
		// A sound answer between cases, so the team's own circuit breaker
		// never sees five failures in a row.
		if _, err := oc.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "faulty",
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hello")}}); err != nil {
			t.Fatal(err)
		}
	}
}
