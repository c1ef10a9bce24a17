package bedrock

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse-llm/gatehouse/internal/golden"
	"github.com/gatehouse-llm/gatehouse/provider"
)

// minimalStream is a complete ConverseStream answer for tests that only
// look at the request.
var minimalStream = []scriptedFrame{
	{Event: "messageStart", Payload: json.RawMessage(`{"role":"assistant"}`)},
	{Event: "messageStop", Payload: json.RawMessage(`{"stopReason":"end_turn"}`)},
	{Event: "metadata", Payload: json.RawMessage(`{"usage":{"inputTokens":1,"outputTokens":1,"totalTokens":2},"metrics":{"latencyMs":1}}`)},
}

// answerBoth answers Converse with a text response and ConverseStream with
// minimalStream.
func answerBoth(t *testing.T) http.HandlerFunc {
	chat := jsonAnswer(t, 200, "text.response.json", nil)
	stream := streamAnswer(t, minimalStream)
	return func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/converse-stream") {
			stream(w, r)
			return
		}
		chat(w, r)
	}
}

const weatherTool = `{"type":"function","function":{"name":"get_weather","description":"Current weather for a city","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}`

// TestRequestMapping sends OpenAI-shaped requests through Chat and
// ChatStream and compares the Converse body the upstream received with
// testdata/<case>.request.json (hand-checked against the Converse API
// reference; regenerate with -update and re-check).
func TestRequestMapping(t *testing.T) {
	cases := []struct {
		name string
		req  string
	}{
		{"plain_text", `{"model":"m","messages":[{"role":"user","content":"Hello, Bedrock!"}]}`},
		{"system_prompt", `{"model":"m","messages":[
			{"role":"system","content":"You are terse."},
			{"role":"user","content":"Hi"},
			{"role":"developer","content":"Answer in French."},
			{"role":"assistant","content":"Bonjour"},
			{"role":"user","content":[{"type":"text","text":"How are you?"}]},
			{"role":"user","content":"Be brief."}]}`},
		{"image_data_url", `{"model":"m","messages":[{"role":"user","content":[
			{"type":"text","text":"What is in these images?"},
			{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}},
			{"type":"image_url","image_url":{"url":"data:image/jpeg;base64,/9j/4AAQSkZJRg==","detail":"high"}},
			{"type":"image_url","image_url":{"url":"data:image/webp;base64,UklGRg=="}}]}]}`},
		{"tools_auto", `{"model":"m","messages":[{"role":"user","content":"Weather in Paris?"}],
			"tools":[` + weatherTool + `,{"type":"function","function":{"name":"get_time"}}],"tool_choice":"auto"}`},
		{"tools_required", `{"model":"m","messages":[{"role":"user","content":"Weather in Paris?"}],
			"tools":[` + weatherTool + `],"tool_choice":"required"}`},
		{"tools_named", `{"model":"m","messages":[{"role":"user","content":"Weather in Paris?"}],
			"tools":[` + weatherTool + `],"tool_choice":{"type":"function","function":{"name":"get_weather"}}}`},
		{"tools_none", `{"model":"m","messages":[{"role":"user","content":"Weather in Paris?"}],
			"tools":[` + weatherTool + `],"tool_choice":"none"}`},
		{"tool_call_roundtrip", `{"model":"m","tools":[` + weatherTool + `],"messages":[
			{"role":"user","content":"Weather in Paris and Berlin?"},
			{"role":"assistant","content":"Let me check.","tool_calls":[
				{"id":"tooluse_paris01","type":"function","function":{"name":"get_weather","arguments":"{\"city\": \"Paris\"}"}},
				{"id":"tooluse_berlin2","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Berlin\"}"}}]},
			{"role":"tool","tool_call_id":"tooluse_paris01","content":"{\"temp_c\": 18, \"sky\": \"cloudy\"}"},
			{"role":"tool","tool_call_id":"tooluse_berlin2","content":"sunny, 21C"},
			{"role":"user","content":"Which is warmer?"}]}`},
		{"response_format_json_object", `{"model":"m","messages":[{"role":"user","content":"List three colors as JSON."}],
			"response_format":{"type":"json_object"}}`},
		{"response_format_json_schema", `{"model":"m","messages":[{"role":"user","content":"List three colors."}],
			"response_format":{"type":"json_schema","json_schema":{"name":"color_list","description":"A list of colors",
				"schema":{"type":"object","properties":{"colors":{"type":"array","items":{"type":"string"}}},"required":["colors"]},"strict":true}}}`},
		{"sampling_params", `{"model":"m","messages":[{"role":"user","content":"Count to ten."}],
			"temperature":0.2,"top_p":0.9,"max_tokens":256,"stop":["END","STOP"],"seed":42,"user":"user-7"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var req provider.ChatRequest
			if err := json.Unmarshal([]byte(tc.req), &req); err != nil {
				t.Fatal(err)
			}
			req.Model = testModel
			goldenPath := filepath.Join("testdata", tc.name+".request.json")

			for _, streaming := range []bool{false, true} {
				f := newFake(t, answerBoth(t))
				a := newTestAdapter()
				ep := f.sigV4Endpoint(false)
				var err error
				if streaming {
					var s provider.Stream
					s, err = a.ChatStream(context.Background(), ep, &req)
					if err == nil {
						_, err = collect(t, s)
						if errors.Is(err, io.EOF) {
							err = nil
						}
						s.Close()
					}
				} else {
					_, err = a.Chat(context.Background(), ep, &req)
				}
				if err != nil {
					t.Fatalf("streaming=%v: %v", streaming, err)
				}
				got := f.only(t)
				wantPath := "/model/anthropic.claude-3-opus-20240229-v1%3A0/converse"
				if streaming {
					wantPath += "-stream"
				}
				if got.Method != http.MethodPost || got.RequestURI != wantPath {
					t.Errorf("streaming=%v: request line = %s %s, want POST %s", streaming, got.Method, got.RequestURI, wantPath)
				}
				if ct := got.Header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type = %q", ct)
				}
				golden.JSON(t, goldenPath, got.Body)
			}
		})
	}
}

// TestRequestRejectedLocally covers input Converse cannot express; nothing
// may reach the upstream.
func TestRequestRejectedLocally(t *testing.T) {
	cases := []struct {
		name    string
		req     string
		wantMsg string
	}{
		{"http image URL", `{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://example.com/cat.png"}}]}]}`,
			"messages[0]: content[0]: bedrock Converse cannot fetch image URLs; send the image inline as a base64 data: URL"},
		{"unsupported image type", `{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/tiff;base64,AAAA"}}]}]}`,
			`messages[0]: content[0]: unsupported image type "image/tiff" (bedrock accepts png, jpeg, gif and webp)`},
		{"bad base64", `{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,@@@"}}]}]}`,
			"messages[0]: content[0]: data: URL image is not valid base64"},
		{"bad tool arguments", `{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"t1","type":"function","function":{"name":"f","arguments":"{nope"}}]}]}`,
			"messages[0]: tool_calls[0]: function.arguments is not valid JSON"},
		{"unknown role", `{"model":"m","messages":[{"role":"robot","content":"hi"}]}`,
			`messages[0]: unsupported role "robot"`},
		{"bad tool_choice", `{"model":"m","messages":[{"role":"user","content":"hi"}],"tool_choice":"sometimes"}`,
			`tool_choice: unsupported value "sometimes"`},
		{"schema name collides with tool", `{"model":"m","messages":[{"role":"user","content":"hi"}],"tools":[` + weatherTool + `],
			"response_format":{"type":"json_schema","json_schema":{"name":"get_weather","schema":{"type":"object"}}}}`,
			`response_format: schema name "get_weather" collides with a tool of the same name`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, answerBoth(t))
			var req provider.ChatRequest
			if err := json.Unmarshal([]byte(tc.req), &req); err != nil {
				t.Fatal(err)
			}
			req.Model = testModel
			_, err := newTestAdapter().Chat(context.Background(), f.sigV4Endpoint(false), &req)
			pe := providerError(t, err, provider.ErrBadRequest)
			if pe.Message != tc.wantMsg {
				t.Errorf("message = %q, want %q", pe.Message, tc.wantMsg)
			}
			if pe.Retryable() {
				t.Error("local request errors must not be retryable")
			}
			if _, err := newTestAdapter().ChatStream(context.Background(), f.sigV4Endpoint(false), &req); err == nil {
				t.Error("ChatStream accepted the request")
			}
			if n := len(f.requests()); n != 0 {
				t.Errorf("upstream received %d requests, want 0", n)
			}
		})
	}
}
