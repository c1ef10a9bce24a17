package client

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestMessageJSON(t *testing.T) {
	cases := []struct {
		m    Message
		want string
	}{
		{User("hi"), `{"role":"user","content":"hi"}`},
		{System(""), `{"role":"system","content":""}`},
		{ToolResult("call_1", "22°C"), `{"role":"tool","content":"22°C","tool_call_id":"call_1"}`},
		{Message{Role: RoleAssistant, ToolCalls: []ToolCall{{ID: "c", Type: "function", Function: FunctionCall{Name: "f", Arguments: "{}"}}}},
			`{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]}`},
		{UserParts(TextPart("look"), ImagePart("https://x/y.png")),
			`{"role":"user","content":[{"type":"text","text":"look"},{"type":"image_url","image_url":{"url":"https://x/y.png"}}]}`},
	}
	for _, tc := range cases {
		b, err := json.Marshal(tc.m)
		if err != nil || string(b) != tc.want {
			t.Errorf("%+v\n got %s (%v)\nwant %s", tc.m, b, err, tc.want)
			continue
		}
		var back Message
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if again, _ := json.Marshal(back); string(again) != tc.want {
			t.Errorf("round trip: %s", again)
		}
	}
}

func TestEncodeCall(t *testing.T) {
	req := ChatRequest{Model: "smart", Messages: []Message{User("hi")}, MaxTokens: Ptr(50), Seed: Ptr(int64(1) << 60),
		ToolChoice: ToolChoiceFunction("lookup"), Purpose: "p", CallMetadata: map[string]any{"step": 1},
		Extra: map[string]any{"logprobs": true}}
	b, err := encodeCall(req, &JobParams{JobType: "one", Metadata: map[string]any{"k": "v"}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"call_metadata":{"step":1},"job_metadata":{"k":"v"},"job_type":"one","logprobs":true,"max_tokens":50,"messages":[{"role":"user","content":"hi"}],"model":"smart","purpose":"p","seed":1152921504606846976,"tool_choice":{"function":{"name":"lookup"},"type":"function"}}`
	if string(b) != want {
		t.Fatalf("body\n got %s\nwant %s", b, want)
	}
	b, _ = encodeCall(ChatRequest{Model: "m", Messages: []Message{User("x")}, ToolChoice: ToolChoiceNone}, nil)
	if string(b) != `{"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":"none"}` {
		t.Fatalf("plain body: %s", b)
	}
	if _, err := encodeCall(ChatRequest{Model: "m", Extra: map[string]any{"temperature": 2}}, nil); err == nil || !strings.Contains(err.Error(), "temperature") {
		t.Fatalf("Extra overriding a modeled field: %v", err)
	}
}
