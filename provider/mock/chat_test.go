package mock

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/gatehouse-llm/gatehouse/provider"
)

func toolCallMessage(id, name, args string) provider.Message {
	return provider.Message{Role: provider.RoleAssistant, ToolCalls: []provider.ToolCall{{
		ID: id, Type: "function", Function: provider.FunctionCall{Name: name, Arguments: args},
	}}}
}

func TestChat(t *testing.T) {
	imageTurn := provider.Message{Role: provider.RoleUser, Content: provider.Content{AsParts: true, Parts: []provider.Part{
		{Type: provider.PartText, Text: "What is this?"},
		{Type: provider.PartImage, ImageURL: &provider.ImageURL{URL: "https://example.com/cat.png"}},
	}}}
	toolResult := provider.Message{Role: provider.RoleTool, ToolCallID: "call_1", Content: provider.TextContent("Sunny, 21 C")}
	personSchema := &provider.ResponseFormat{Type: provider.FormatJSONSchema, JSONSchema: &provider.JSONSchema{
		Name: "person",
		Schema: json.RawMessage(`{"type":"object","properties":{
			"name":{"type":"string"},"age":{"type":"integer"},
			"tags":{"type":"array","items":{"type":"string"}},
			"address":{"type":"object","properties":{"zip":{"type":"string","minLength":5},"street":{"type":"string"}},"required":["zip"]},
			"nickname":{"type":"string"}},
			"required":["name","age","tags","address"]}`),
	}}

	tests := []struct {
		name       string
		extra      map[string]string
		req        provider.ChatRequest
		wantMsg    provider.Message
		wantFinish string
		wantUsage  provider.Usage
	}{
		{
			name:       "echo answers the user's text",
			req:        provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{user("Hello, world!")}},
			wantMsg:    assistant("Hello, world!"),
			wantFinish: provider.FinishStop,
			wantUsage:  usage(7, 4),
		},
		{
			name:       "echo with a system prompt",
			req:        provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{system("You are terse."), user("Say hi")}},
			wantMsg:    assistant("Say hi"),
			wantFinish: provider.FinishStop,
			wantUsage:  usage(12, 2),
		},
		{
			name:       "echo answers the last user message",
			req:        provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{user("first"), assistant("reply"), user("second")}},
			wantMsg:    assistant("second"),
			wantFinish: provider.FinishStop,
			wantUsage:  usage(15, 2),
		},
		{
			name:       "echo without a user message is empty",
			req:        provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{system("x")}},
			wantMsg:    assistant(""),
			wantFinish: provider.FinishStop,
			wantUsage:  usage(4, 0),
		},
		{
			name:       "echo keeps directives in the text",
			req:        provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{user("[mock:latency=0s] hi")}},
			wantMsg:    assistant("[mock:latency=0s] hi"),
			wantFinish: provider.FinishStop,
			wantUsage:  usage(8, 5),
		},
		{
			name:       "echo of multimodal content counts the image",
			req:        provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{imageTurn}},
			wantMsg:    assistant("What is this?"),
			wantFinish: provider.FinishStop,
			wantUsage:  usage(4+3+85, 4),
		},
		{
			name:       "fixed answers the default text",
			req:        provider.ChatRequest{Model: ModelFixed, Messages: []provider.Message{user("anything")}},
			wantMsg:    assistant(DefaultFixedText),
			wantFinish: provider.FinishStop,
			wantUsage:  usage(5, 10),
		},
		{
			name:       "fixed answers the configured text",
			extra:      map[string]string{"fixed_text": "Pong."},
			req:        provider.ChatRequest{Model: ModelFixed, Messages: []provider.Message{user("anything")}},
			wantMsg:    assistant("Pong."),
			wantFinish: provider.FinishStop,
			wantUsage:  usage(5, 2),
		},
		{
			name: "tool call and tool result turns are counted",
			req: provider.ChatRequest{Model: ModelFixed, Messages: []provider.Message{
				user("Weather?"), toolCallMessage("call_1", "get_weather", `{"city":"Paris"}`), toolResult,
			}},
			wantMsg:    assistant(DefaultFixedText),
			wantFinish: provider.FinishStop,
			wantUsage:  usage(5+10+6, 10),
		},
		{
			name: "json_object wraps the text",
			req: provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{user("hi")},
				ResponseFormat: &provider.ResponseFormat{Type: provider.FormatJSONObject}},
			wantMsg:    assistant(`{"text":"hi"}`),
			wantFinish: provider.FinishStop,
			wantUsage:  usage(4, 4),
		},
		{
			name:       "json_schema gives a minimal instance",
			req:        provider.ChatRequest{Model: ModelFixed, Messages: []provider.Message{user("anything")}, ResponseFormat: personSchema},
			wantMsg:    assistant(`{"address":{"zip":"xxxxx"},"age":0,"name":"","tags":[]}`),
			wantFinish: provider.FinishStop,
			wantUsage:  usage(5, 14),
		},
		{
			name:       "text format is plain",
			req:        provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{user("hi")}, ResponseFormat: &provider.ResponseFormat{Type: provider.FormatText}},
			wantMsg:    assistant("hi"),
			wantFinish: provider.FinishStop,
			wantUsage:  usage(4, 1),
		},
		{
			name:       "max_tokens cuts the answer",
			req:        provider.ChatRequest{Model: ModelFixed, Messages: []provider.Message{user("anything")}, MaxTokens: intPtr(2)},
			wantMsg:    assistant("This is "),
			wantFinish: provider.FinishLength,
			wantUsage:  usage(5, 2),
		},
		{
			name:       "max_tokens cuts on a UTF-8 boundary",
			req:        provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{user("aéé")}, MaxTokens: intPtr(1)},
			wantMsg:    assistant("aé"),
			wantFinish: provider.FinishLength,
			wantUsage:  usage(5, 1),
		},
		{
			name:       "max_tokens exactly reached is a normal stop",
			req:        provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{user("Say hi")}, MaxTokens: intPtr(2)},
			wantMsg:    assistant("Say hi"),
			wantFinish: provider.FinishStop,
			wantUsage:  usage(5, 2),
		},
		{
			name:       "stop sequences end the answer at the earliest match",
			req:        provider.ChatRequest{Model: ModelFixed, Messages: []provider.Message{user("anything")}, Stop: []string{"Gatehouse", "mock"}},
			wantMsg:    assistant("This is a "),
			wantFinish: provider.FinishStop,
			wantUsage:  usage(5, 3),
		},
		{
			name: "tool directive without required parameters",
			req: provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{user("Go [mock:tool=ping]")},
				Tools: []provider.Tool{weatherTool, pingTool}},
			wantMsg:    toolCallMessage("call_mock_1", "ping", "{}"),
			wantFinish: provider.FinishToolCalls,
			wantUsage:  usage(8, 2),
		},
		{
			name: "tool directive fills required parameters",
			req: provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{user("Weather in Paris? [mock:tool=get_weather]")},
				Tools: []provider.Tool{weatherTool, pingTool}},
			wantMsg:    toolCallMessage("call_mock_1", "get_weather", `{"city":"","days":1}`),
			wantFinish: provider.FinishToolCalls,
			wantUsage:  usage(14, 8),
		},
		{
			name: "tool_choice forcing a function",
			req: provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{user("hi")},
				Tools: []provider.Tool{pingTool, weatherTool}, ToolChoice: json.RawMessage(`{"type":"function","function":{"name":"get_weather"}}`)},
			wantMsg:    toolCallMessage("call_mock_1", "get_weather", `{"city":"","days":1}`),
			wantFinish: provider.FinishToolCalls,
			wantUsage:  usage(4, 8),
		},
		{
			name: "a forced function wins over the directive",
			req: provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{user("hi [mock:tool=get_weather]")},
				Tools: []provider.Tool{pingTool, weatherTool}, ToolChoice: json.RawMessage(`{"type":"function","function":{"name":"ping"}}`)},
			wantMsg:    toolCallMessage("call_mock_1", "ping", "{}"),
			wantFinish: provider.FinishToolCalls,
			wantUsage:  usage(10, 2),
		},
		{
			name: "tool_choice none wins over the directive",
			req: provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{user("hi [mock:tool=ping]")},
				Tools: []provider.Tool{pingTool}, ToolChoice: json.RawMessage(`"none"`)},
			wantMsg:    assistant("hi [mock:tool=ping]"),
			wantFinish: provider.FinishStop,
			wantUsage:  usage(8, 5),
		},
		{
			name: "tool_choice required calls the first tool",
			req: provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{user("hi")},
				Tools: []provider.Tool{pingTool, weatherTool}, ToolChoice: json.RawMessage(`"required"`)},
			wantMsg:    toolCallMessage("call_mock_1", "ping", "{}"),
			wantFinish: provider.FinishToolCalls,
			wantUsage:  usage(4, 2),
		},
		{
			name: "tools without a directive answer text",
			req: provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{user("hi")},
				Tools: []provider.Tool{pingTool}, ToolChoice: json.RawMessage(`"auto"`)},
			wantMsg:    assistant("hi"),
			wantFinish: provider.FinishStop,
			wantUsage:  usage(4, 1),
		},
		{
			name: "the tool call ID counts the request's messages",
			req: provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{system("x"), user("[mock:tool=ping]")},
				Tools: []provider.Tool{pingTool}},
			wantMsg:    toolCallMessage("call_mock_2", "ping", "{}"),
			wantFinish: provider.FinishToolCalls,
			wantUsage:  usage(4+7, 2),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, _ := newTestAdapter()
			resp, err := a.Chat(context.Background(), provider.Endpoint{Provider: "mock", Extra: tt.extra}, &tt.req)
			if err != nil {
				t.Fatalf("Chat: %v", err)
			}
			if got, want := mustJSON(t, resp.Message), mustJSON(t, tt.wantMsg); got != want {
				t.Errorf("message\n got %s\nwant %s", got, want)
			}
			if resp.FinishReason != tt.wantFinish {
				t.Errorf("finish reason = %q, want %q", resp.FinishReason, tt.wantFinish)
			}
			if resp.Usage != tt.wantUsage {
				t.Errorf("usage = %+v, want %+v", resp.Usage, tt.wantUsage)
			}
			if resp.Model != tt.req.Model {
				t.Errorf("model = %q, want %q", resp.Model, tt.req.Model)
			}
			if resp.Created != fixedNow.Unix() {
				t.Errorf("created = %d, want %d", resp.Created, fixedNow.Unix())
			}
			if !strings.HasPrefix(resp.ID, "chatcmpl-mock-") || len(resp.ID) != len("chatcmpl-mock-")+24 {
				t.Errorf("id = %q, want chatcmpl-mock- and 24 hex digits", resp.ID)
			}
		})
	}
}

func TestChatIDIsDeterministic(t *testing.T) {
	a, _ := newTestAdapter()
	ep := provider.Endpoint{}
	ask := func(text string) string {
		resp, err := a.Chat(context.Background(), ep, &provider.ChatRequest{Model: ModelEcho, Messages: []provider.Message{user(text)}})
		if err != nil {
			t.Fatal(err)
		}
		return resp.ID
	}
	first, again, other := ask("hello"), ask("hello"), ask("hello!")
	if first != again {
		t.Errorf("same request gave IDs %q and %q", first, again)
	}
	if first == other {
		t.Errorf("different requests share ID %q", first)
	}
}
