package anthropic

import (
	"bytes"
	"encoding/json"
	"io"

	"github.com/gatehouse-llm/gatehouse/internal/textjson"
	"github.com/gatehouse-llm/gatehouse/provider"
)

// message is Anthropic's Message object: the non-streamed answer, and the
// "message" of message_start (then with empty content and null stop
// reason).
type message struct {
	ID           string  `json:"id"`
	Type         string  `json:"type"`
	Role         string  `json:"role"`
	Model        string  `json:"model"`
	Content      []any   `json:"content"` // textBlock and toolUseBlock values
	StopReason   *string `json:"stop_reason"`
	StopSequence *string `json:"stop_sequence"`
	Usage        usage   `json:"usage"`
}

// textBlock is a text block of an answer; a streamed one starts empty.
type textBlock struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// toolUseBlock is a tool call of an answer; a streamed one starts with
// input {} and receives the arguments as input_json_delta events.
type toolUseBlock struct {
	Type  string          `json:"type"`
	ID    string          `json:"id"`
	Name  string          `json:"name"`
	Input json.RawMessage `json:"input"`
}

// usage is Anthropic's usage object. Its input_tokens exclude tokens read
// from or written to the prompt cache, which are reported separately.
type usage struct {
	InputTokens              int `json:"input_tokens"`
	CacheCreationInputTokens int `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     int `json:"cache_read_input_tokens"`
	OutputTokens             int `json:"output_tokens"`
}

// toUsage converts from provider.Usage, whose PromptTokens include cache
// reads and writes, to Anthropic's convention.
func toUsage(u provider.Usage) usage {
	return usage{
		InputTokens:              max(u.PromptTokens-u.CachedTokens-u.CacheWriteTokens, 0),
		CacheCreationInputTokens: u.CacheWriteTokens,
		CacheReadInputTokens:     u.CachedTokens,
		OutputTokens:             u.CompletionTokens,
	}
}

// Anthropic stop reasons the gateway produces.
const (
	stopEndTurn   = "end_turn"
	stopMaxTokens = "max_tokens"
	stopToolUse   = "tool_use"
	stopRefusal   = "refusal"
)

// stopReason maps a finish reason. Anthropic clients run tools only when
// stop_reason is tool_use, so an answer with tool calls never reports
// end_turn, whatever the upstream said.
func stopReason(finish string, toolCalls bool) string {
	switch finish {
	case provider.FinishLength:
		return stopMaxTokens
	case provider.FinishToolCalls:
		return stopToolUse
	case provider.FinishContentFilter:
		return stopRefusal
	}
	if toolCalls {
		return stopToolUse
	}
	return stopEndTurn
}

// toolInput turns OpenAI's arguments string into Anthropic's input
// object. Arguments that are not a JSON object (truncated output from a
// length stop, say) become {}: input must be an object, and a client that
// cannot parse the message loses the text as well.
func toolInput(args string) json.RawMessage {
	in := bytes.TrimSpace([]byte(args))
	var buf bytes.Buffer
	if len(in) == 0 || in[0] != '{' || json.Compact(&buf, in) != nil {
		return json.RawMessage("{}")
	}
	return buf.Bytes()
}

// EncodeMessage renders a complete Message. alias becomes "model" and id
// (conventionally "msg_...") the message id, so the client sees the
// gateway's names, not the provider's.
func EncodeMessage(alias, id string, resp *provider.ChatResponse) []byte {
	var buf bytes.Buffer
	if err := WriteMessage(&buf, alias, id, resp); err != nil {
		panic("ingress/anthropic: cannot encode response: " + err.Error())
	}
	return buf.Bytes()
}

// WriteMessage writes what EncodeMessage renders to w, escaping the
// answer's text straight into w: a long answer is never held a second
// time, as its encoded copy.
func WriteMessage(w io.Writer, alias, id string, resp *provider.ChatResponse) error {
	if resp == nil {
		resp = &provider.ChatResponse{}
	}
	blocks := []any{}
	text := resp.Message.Content.Text()
	if text != "" {
		blocks = append(blocks, textBlock{Type: blockText, Text: textjson.Placeholder})
	}
	for _, tc := range resp.Message.ToolCalls {
		blocks = append(blocks, toolUseBlock{Type: blockToolUse, ID: tc.ID, Name: tc.Function.Name, Input: toolInput(tc.Function.Arguments)})
	}
	stop := stopReason(resp.FinishReason, len(resp.Message.ToolCalls) > 0)
	return textjson.Write(w, message{
		ID:         id,
		Type:       "message",
		Role:       provider.RoleAssistant,
		Model:      alias,
		Content:    blocks,
		StopReason: &stop,
		Usage:      toUsage(resp.Usage),
	}, text)
}
