package anthropic

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// decoded is what DecodeMessages returned, shown together in a golden file.
type decoded struct {
	Request *provider.ChatRequest `json:"request"`
	Stream  bool                  `json:"stream"`
}

// TestDecodeMessages decodes testdata/decode/<case>.json and compares the
// internal request with <case>.golden.json.
func TestDecodeMessages(t *testing.T) {
	cases := []string{
		"system_string",     // sampling fields, stop_sequences, metadata, stream, top_k dropped
		"system_blocks",     // one system message per block, lone text block → string, parts kept
		"images",            // base64 → data: URL, url source kept
		"tool_round_trip",   // tools, tool_use → tool_calls, tool_result → tool messages first
		"thinking_only",     // thinking dropped, assistant turn with nothing left omitted
		"structured_output", // output_config.format → response_format json_schema
	}
	for _, name := range cases {
		t.Run(name, func(t *testing.T) {
			req, stream, err := DecodeMessages(readFile(t, filepath.Join("testdata/decode", name+".json")))
			if err != nil {
				t.Fatalf("DecodeMessages: %v", err)
			}
			got, err := json.Marshal(decoded{Request: req, Stream: stream})
			if err != nil {
				t.Fatal(err)
			}
			checkGoldenJSON(t, filepath.Join("testdata/decode", name+".golden.json"), got)
		})
	}
}

// TestDecodeToolChoice checks each Anthropic tool_choice against the
// OpenAI tool_choice and parallel_tool_calls it must become.
func TestDecodeToolChoice(t *testing.T) {
	const prefix = `{"model":"smart","max_tokens":10,"messages":[{"role":"user","content":"hi"}],` +
		`"tools":[{"name":"f","input_schema":{"type":"object"}}],"tool_choice":`
	cases := []struct {
		name, choice string
		want         string
		parallel     *bool
	}{
		{"absent", `null`, ``, nil},
		{"auto", `{"type":"auto"}`, `"auto"`, nil},
		{"any", `{"type":"any"}`, `"required"`, nil},
		{"none", `{"type":"none"}`, `"none"`, nil},
		{"tool", `{"type":"tool","name":"f"}`, `{"type":"function","function":{"name":"f"}}`, nil},
		{"auto serial", `{"type":"auto","disable_parallel_tool_use":true}`, `"auto"`, new(false)},
		{"any serial", `{"type":"any","disable_parallel_tool_use":true}`, `"required"`, new(false)},
		{"tool parallel allowed", `{"type":"tool","name":"f","disable_parallel_tool_use":false}`, `{"type":"function","function":{"name":"f"}}`, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _, err := DecodeMessages([]byte(prefix + tc.choice + `}`))
			if err != nil {
				t.Fatalf("DecodeMessages: %v", err)
			}
			if string(req.ToolChoice) != tc.want {
				t.Errorf("tool_choice = %s, want %s", req.ToolChoice, tc.want)
			}
			switch {
			case tc.parallel == nil && req.ParallelToolCall != nil:
				t.Errorf("parallel_tool_calls = %v, want unset", *req.ParallelToolCall)
			case tc.parallel != nil && (req.ParallelToolCall == nil || *req.ParallelToolCall != *tc.parallel):
				t.Errorf("parallel_tool_calls = %v, want %v", req.ParallelToolCall, *tc.parallel)
			}
		})
	}
}

// TestDecodeMessagesErrors checks that each refused body yields a
// BadRequest naming the field at fault.
func TestDecodeMessagesErrors(t *testing.T) {
	const user = `"messages":[{"role":"user","content":"hi"}]`
	cases := []struct {
		name, body, param, message string
	}{
		{"not json", `{"model":"smart"`, "", "request body is not valid JSON: unexpected end of JSON input"},
		{"not an object", `"hi"`, "", "request body must be a JSON object, got string"},
		{"missing model", `{"max_tokens":10,` + user + `}`, "model", "model: Field required"},
		{"missing max_tokens", `{"model":"smart",` + user + `}`, "max_tokens", "max_tokens: Field required"},
		{"zero max_tokens", `{"model":"smart","max_tokens":0,` + user + `}`, "max_tokens", "max_tokens: must be at least 1, got 0"},
		{"max_tokens string", `{"model":"smart","max_tokens":"10",` + user + `}`, "max_tokens", "max_tokens: expected an integer, got string"},
		{"no messages", `{"model":"smart","max_tokens":10,"messages":[]}`, "messages", "messages: at least one message is required"},
		{"system role", `{"model":"smart","max_tokens":10,"messages":[{"role":"system","content":"x"}]}`, "messages.0.role",
			`messages.0.role: unexpected role "system"; messages take "user" or "assistant", and the system prompt goes in the top-level system field`},
		{"missing content", `{"model":"smart","max_tokens":10,"messages":[{"role":"user"}]}`, "messages.0.content", "messages.0.content: Field required"},
		{"content number", `{"model":"smart","max_tokens":10,"messages":[{"role":"user","content":3}]}`, "messages.0.content", "messages.0.content: must be a string or an array of content blocks"},
		{"block not object", `{"model":"smart","max_tokens":10,"messages":[{"role":"user","content":["hi"]}]}`, "messages.0.content.0", "messages.0.content.0: expected an object, got string"},
		{"block field type", `{"model":"smart","max_tokens":10,"messages":[{"role":"user","content":[{"type":"text","text":5}]}]}`, "messages.0.content.0.text", "messages.0.content.0.text: expected a string, got number"},
		{"document block", `{"model":"smart","max_tokens":10,"messages":[{"role":"user","content":[{"type":"document","source":{"type":"url","url":"https://x/y.pdf"}}]}]}`, "messages.0.content.0.type",
			`messages.0.content.0.type: content block type "document" is not supported here; use text, image or tool_result blocks in user messages`},
		{"tool_use in user", `{"model":"smart","max_tokens":10,"messages":[{"role":"user","content":[{"type":"tool_use","id":"t","name":"f","input":{}}]}]}`, "messages.0.content.0.type",
			`messages.0.content.0.type: content block type "tool_use" is not supported here; use text, image or tool_result blocks in user messages`},
		{"image in assistant", `{"model":"smart","max_tokens":10,"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":[{"type":"image","source":{"type":"url","url":"https://x/a.png"}}]}]}`, "messages.1.content.0.type",
			`messages.1.content.0.type: content block type "image" is not supported here; use text or tool_use blocks in assistant messages`},
		{"file image", `{"model":"smart","max_tokens":10,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"file","file_id":"file_1"}}]}]}`, "messages.0.content.0.source.type",
			`messages.0.content.0.source.type: image source type "file" is not supported; use base64 or url`},
		{"image without source", `{"model":"smart","max_tokens":10,"messages":[{"role":"user","content":[{"type":"image"}]}]}`, "messages.0.content.0.source", "messages.0.content.0.source: Field required"},
		{"base64 without data", `{"model":"smart","max_tokens":10,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png"}}]}]}`, "messages.0.content.0.source",
			"messages.0.content.0.source: a base64 source needs media_type and data"},
		{"url without url", `{"model":"smart","max_tokens":10,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"url"}}]}]}`, "messages.0.content.0.source.url", "messages.0.content.0.source.url: Field required"},
		{"tool_result without id", `{"model":"smart","max_tokens":10,"messages":[{"role":"user","content":[{"type":"tool_result","content":"x"}]}]}`, "messages.0.content.0.tool_use_id", "messages.0.content.0.tool_use_id: Field required"},
		{"tool_result document", `{"model":"smart","max_tokens":10,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"search_result","source":"s"}]}]}]}`, "messages.0.content.0.content.0.type",
			`messages.0.content.0.content.0.type: content block type "search_result" is not supported here; use text or image blocks in tool results`},
		{"tool_use without id", `{"model":"smart","max_tokens":10,"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":[{"type":"tool_use","input":{}}]}]}`, "messages.1.content.0.id", "messages.1.content.0.id: Field required"},
		{"tool_use input array", `{"model":"smart","max_tokens":10,"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"f","input":[1]}]}]}`, "messages.1.content.0.input", "messages.1.content.0.input: must be a JSON object"},
		{"system image", `{"model":"smart","max_tokens":10,"system":[{"type":"image","source":{"type":"url","url":"https://x"}}],` + user + `}`, "system.0.type",
			`system.0.type: content block type "image" is not supported here; use text blocks`},
		{"system number", `{"model":"smart","max_tokens":10,"system":1,` + user + `}`, "system", "system: must be a string or an array of content blocks"},
		{"server tool", `{"model":"smart","max_tokens":10,"tools":[{"type":"web_search_20250305","name":"web_search"}],` + user + `}`, "tools.0.type",
			`tools.0.type: server tool "web_search_20250305" is not supported by this gateway; declare custom tools with name, description and input_schema`},
		{"tool without name", `{"model":"smart","max_tokens":10,"tools":[{"input_schema":{"type":"object"}}],` + user + `}`, "tools.0.name", "tools.0.name: Field required"},
		{"tool without schema", `{"model":"smart","max_tokens":10,"tools":[{"name":"f"}],` + user + `}`, "tools.0.input_schema", "tools.0.input_schema: Field required"},
		{"tool_choice type", `{"model":"smart","max_tokens":10,"tool_choice":{"type":"required"},` + user + `}`, "tool_choice.type", `tool_choice.type: must be "auto", "any", "tool" or "none", got "required"`},
		{"tool_choice name", `{"model":"smart","max_tokens":10,"tool_choice":{"type":"tool"},` + user + `}`, "tool_choice.name", "tool_choice.name: Field required"},
		{"output format type", `{"model":"smart","max_tokens":10,"output_config":{"format":{"type":"regex"}},` + user + `}`, "output_config.format.type", `output_config.format.type: must be "json_schema", got "regex"`},
		{"output format schema", `{"model":"smart","max_tokens":10,"output_config":{"format":{"type":"json_schema"}},` + user + `}`, "output_config.format.schema", "output_config.format.schema: Field required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _, err := DecodeMessages([]byte(tc.body))
			if req != nil {
				t.Errorf("request = %+v, want nil on error", req)
			}
			asBadRequest(t, err, tc.param, tc.message)
		})
	}
}
