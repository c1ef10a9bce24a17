package openai

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// decoded is what DecodeChat returned, in a form a golden file can show:
// ChatRequest hides Extra from JSON, so it is listed separately.
type decoded struct {
	Request      *provider.ChatRequest      `json:"request"`
	Extra        map[string]json.RawMessage `json:"extra"`
	Stream       bool                       `json:"stream"`
	IncludeUsage bool                       `json:"include_usage"`
}

// TestDecodeChat decodes testdata/decode/<case>.json and compares the
// result with <case>.golden.json.
func TestDecodeChat(t *testing.T) {
	cases := []string{
		"plain",             // string content, sampling fields, unknown field kept in Extra
		"stream_usage",      // stream + include_usage, n=1 accepted and removed
		"stream_no_usage",   // stream without stream_options
		"usage_not_stream",  // include_usage without stream is ignored
		"multimodal",        // parts array, image_url, max_completion_tokens, stop string
		"tools",             // tools, named tool_choice, parallel_tool_calls, tool round trip
		"legacy_functions",  // functions + function_call name, legacy history
		"legacy_call_modes", // function_call "auto"
	}
	for _, name := range cases {
		t.Run(name, func(t *testing.T) {
			body := readFile(t, filepath.Join("testdata/decode", name+".json"))
			req, stream, includeUsage, err := DecodeChat(body)
			if err != nil {
				t.Fatalf("DecodeChat: %v", err)
			}
			got, err := json.Marshal(decoded{Request: req, Extra: req.Extra, Stream: stream, IncludeUsage: includeUsage})
			if err != nil {
				t.Fatal(err)
			}
			checkGoldenJSON(t, filepath.Join("testdata/decode", name+".golden.json"), got)
		})
	}
}

// TestDecodeChatErrors checks that each refused body yields a BadRequest
// naming the field at fault.
func TestDecodeChatErrors(t *testing.T) {
	cases := []struct {
		name, body, param, message string
	}{
		{"not json", `{"model":`, "", "request body is not valid JSON: unexpected end of JSON input"},
		{"not an object", `[1]`, "", "request body must be a JSON object, got array"},
		{"missing model", `{"messages":[{"role":"user","content":"hi"}]}`, "model", "model: you must provide a model parameter"},
		{"missing messages", `{"model":"smart"}`, "messages", "messages: must be a non-empty array"},
		{"empty messages", `{"model":"smart","messages":[]}`, "messages", "messages: must be a non-empty array"},
		{"n too large", `{"model":"smart","n":3,"messages":[{"role":"user","content":"hi"}]}`, "n", "n: 3 choices were requested but Gatehouse returns exactly one; omit n or set it to 1"},
		{"n zero", `{"model":"smart","n":0,"messages":[{"role":"user","content":"hi"}]}`, "n", "n: 0 choices were requested but Gatehouse returns exactly one; omit n or set it to 1"},
		{"bad role", `{"model":"smart","messages":[{"role":"user","content":"hi"},{"role":"bot","content":"x"}]}`, "messages[1].role", `messages[1].role: unsupported role "bot"; use system, developer, user, assistant or tool`},
		{"tool without id", `{"model":"smart","messages":[{"role":"tool","content":"42"}]}`, "messages[0].tool_call_id", "messages[0].tool_call_id: a tool message must name the tool call it answers"},
		{"content number", `{"model":"smart","messages":[{"role":"user","content":"a"},{"role":"user","content":5}]}`, "messages[1].content", "messages[1].content: must be a string, an array of content parts or null"},
		{"temperature string", `{"model":"smart","temperature":"hot","messages":[{"role":"user","content":"hi"}]}`, "temperature", "temperature: expected a number, got string"},
		{"stream string", `{"model":"smart","stream":"yes","messages":[{"role":"user","content":"hi"}]}`, "stream", "stream: expected a boolean, got string"},
		{"functions and tools", `{"model":"smart","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"a"}}],"functions":[{"name":"b"}]}`, "functions", "functions: send either tools or the deprecated functions, not both"},
		{"function without name", `{"model":"smart","messages":[{"role":"user","content":"hi"}],"functions":[{"description":"x"}]}`, "functions[0].name", "functions[0].name: is required"},
		{"function_call and tool_choice", `{"model":"smart","messages":[{"role":"user","content":"hi"}],"tool_choice":"auto","function_call":"none"}`, "function_call", "function_call: send either tool_choice or the deprecated function_call, not both"},
		{"function_call bad", `{"model":"smart","messages":[{"role":"user","content":"hi"}],"function_call":"always"}`, "function_call", `function_call: must be "none", "auto" or {"name": "<function name>"}`},
		{"orphan function message", `{"model":"smart","messages":[{"role":"user","content":"hi"},{"role":"function","name":"f","content":"1"}]}`, "messages[1].name", `messages[1].name: no earlier assistant function_call of "f" for this function message to answer`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _, _, err := DecodeChat([]byte(tc.body))
			if req != nil {
				t.Errorf("request = %+v, want nil on error", req)
			}
			asBadRequest(t, err, tc.param, tc.message)
		})
	}
}
