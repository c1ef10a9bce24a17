package gemini

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

const okBody = `{"candidates":[{"content":{"role":"model","parts":[{"text":"ok"}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":1,"candidatesTokenCount":1,"totalTokenCount":2},"modelVersion":"gemini-2.5-flash","responseId":"r1"}`

const okStream = "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"ok\"}]},\"finishReason\":\"STOP\"}],\"modelVersion\":\"gemini-2.5-flash\",\"responseId\":\"r1\"}\r\n\r\n"

// requestCases are OpenAI-style requests whose Gemini translation is kept
// in testdata/<name>.request.json (hand-checked against the Gemini API
// reference).
var requestCases = []struct {
	name string
	body string
}{
	{"plain_text", `{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"Hello"}]}`},
	{"system_prompt", `{"model":"gemini-2.5-flash","messages":[
		{"role":"system","content":"You are terse."},
		{"role":"developer","content":"Answer in French."},
		{"role":"user","content":"Hi"},
		{"role":"assistant","content":"Salut."},
		{"role":"user","content":"How are you?"},
		{"role":"user","content":[{"type":"text","text":"Second user turn, merged."}]}]}`},
	{"image_url", `{"model":"gemini-2.5-flash","messages":[{"role":"user","content":[
		{"type":"text","text":"Compare these."},
		{"type":"image_url","image_url":{"url":"https://example.com/cat.PNG?size=large"}},
		{"type":"image_url","image_url":{"url":"https://example.com/render/42","detail":"high"}}]}]}`},
	{"image_data_url", `{"model":"gemini-2.5-flash","messages":[{"role":"user","content":[
		{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}},
		{"type":"image_url","image_url":{"url":"data:image/svg+xml,%3Csvg%2F%3E"}},
		{"type":"text","text":"What is this?"}]}]}`},
	{"tools_tool_choice", `{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"Weather in Paris?"}],
		"tools":[
			{"type":"function","function":{"name":"get_weather","description":"Current weather","strict":true,
				"parameters":{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["c","f"]}},"required":["city"],"additionalProperties":false}}},
			{"type":"function","function":{"name":"get_time"}}],
		"tool_choice":{"type":"function","function":{"name":"get_weather"}}}`},
	{"tool_round_trip", `{"model":"gemini-2.5-flash","messages":[
		{"role":"user","content":"Weather in Paris and Rome?"},
		{"role":"assistant","content":null,"tool_calls":[
			{"id":"call_0_gsig_c2lnbmF0dXJlLWJ5dGVz","type":"function","function":{"name":"get_weather","arguments":"{\"city\": \"Paris\"}"}},
			{"id":"call_1","type":"function","function":{"name":"get_forecast","arguments":""}}]},
		{"role":"tool","tool_call_id":"call_0_gsig_c2lnbmF0dXJlLWJ5dGVz","content":"{\"temp\": 21, \"sky\": \"clear\"}"},
		{"role":"tool","tool_call_id":"call_1","content":"rain tomorrow"},
		{"role":"user","content":"Thanks. Summarise."}],
		"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}},
			{"type":"function","function":{"name":"get_forecast","parameters":{"type":"object","properties":{}}}}]}`},
	{"response_format_json_object", `{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"List three colours as JSON."}],
		"response_format":{"type":"json_object"}}`},
	{"response_format_json_schema", `{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"A colour."}],
		"response_format":{"type":"json_schema","json_schema":{"name":"colour","strict":true,
			"schema":{"type":"object","properties":{"name":{"type":"string"},"hex":{"type":"string"}},"required":["name","hex"],"additionalProperties":false}}}}`},
	{"sampling_params", `{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"Count."}],
		"temperature":0.2,"top_p":0.9,"max_completion_tokens":256,"stop":"END","seed":42,
		"user":"u-1","parallel_tool_calls":false,"logit_bias":{"50256":-100}}`},
	{"reasoning_budget", `{"model":"gemini-2.5-pro","messages":[{"role":"user","content":"Prove it."}],"reasoning_effort":"medium"}`},
	{"reasoning_level", `{"model":"gemini-3-pro-preview","messages":[{"role":"user","content":"Prove it."}],"reasoning_effort":"minimal"}`},
}

func TestRequestMapping(t *testing.T) {
	for _, tc := range requestCases {
		t.Run(tc.name, func(t *testing.T) {
			up := newFakeUpstream(t, respondJSON(http.StatusOK, okBody))
			req := chatRequest(t, tc.body)
			if _, err := New().Chat(context.Background(), up.endpoint(), req); err != nil {
				t.Fatalf("Chat: %v", err)
			}
			got := up.Last(t)
			if got.Method != http.MethodPost {
				t.Errorf("method = %s, want POST", got.Method)
			}
			wantPath := "/v1beta/models/" + req.Model + ":generateContent"
			if got.Path != wantPath {
				t.Errorf("path = %q, want %q", got.Path, wantPath)
			}
			if got.RawQuery != "" {
				t.Errorf("query = %q, want none", got.RawQuery)
			}
			checkAuth(t, got)
			if ct := got.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			checkGolden(t, tc.name+".request.json", got.Body)
		})
	}
}

// TestStreamRequestMapping checks that streaming sends the same body to
// streamGenerateContent with alt=sse.
func TestStreamRequestMapping(t *testing.T) {
	for _, tc := range requestCases {
		t.Run(tc.name, func(t *testing.T) {
			up := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/event-stream")
				io.WriteString(w, okStream)
			})
			req := chatRequest(t, tc.body)
			s, err := New().ChatStream(context.Background(), up.endpoint(), req)
			if err != nil {
				t.Fatalf("ChatStream: %v", err)
			}
			defer s.Close()
			for {
				if _, err := s.Recv(); err == io.EOF {
					break
				} else if err != nil {
					t.Fatalf("Recv: %v", err)
				}
			}
			got := up.Last(t)
			wantPath := "/v1beta/models/" + req.Model + ":streamGenerateContent"
			if got.Path != wantPath || got.RawQuery != "alt=sse" {
				t.Errorf("url = %s?%s, want %s?alt=sse", got.Path, got.RawQuery, wantPath)
			}
			if accept := got.Header.Get("Accept"); accept != "text/event-stream" {
				t.Errorf("Accept = %q", accept)
			}
			checkAuth(t, got)
			checkGolden(t, tc.name+".request.json", got.Body)
		})
	}
}

// checkAuth asserts the key travels in x-goog-api-key and nowhere in the
// URL.
func checkAuth(t *testing.T, got captured) {
	t.Helper()
	if k := got.Header.Get("x-goog-api-key"); k != testKey {
		t.Errorf("x-goog-api-key = %q, want the endpoint key", k)
	}
	if strings.Contains(got.RawURL, testKey) || strings.Contains(got.RawURL, "key=") {
		t.Errorf("URL %q carries the key", got.RawURL)
	}
	if a := got.Header.Get("Authorization"); a != "" {
		t.Errorf("Authorization = %q, want none", a)
	}
}
