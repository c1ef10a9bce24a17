package anthropic

import (
	"encoding/json"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// The types below mirror the Messages API wire format (version 2023-06-01).
// Only the fields Gatehouse reads or writes are modelled.

// messagesRequest is the body of POST /v1/messages.
type messagesRequest struct {
	Model         string      `json:"model"`
	System        any         `json:"system,omitempty"` // string or []block
	Messages      []turn      `json:"messages"`
	MaxTokens     int         `json:"max_tokens"`
	Metadata      *metadata   `json:"metadata,omitempty"`
	StopSequences []string    `json:"stop_sequences,omitempty"`
	Stream        bool        `json:"stream,omitempty"`
	Temperature   *float64    `json:"temperature,omitempty"`
	TopP          *float64    `json:"top_p,omitempty"`
	Thinking      *thinking   `json:"thinking,omitempty"`
	Tools         []toolDef   `json:"tools,omitempty"`
	ToolChoice    *toolChoice `json:"tool_choice,omitempty"`
}

// turn is one entry of "messages"; Role is "user" or "assistant".
type turn struct {
	Role    string  `json:"role"`
	Content []block `json:"content"`
}

// block is a request content block: text, image, tool_use or tool_result.
type block struct {
	Type      string          `json:"type"`
	Text      string          `json:"text,omitempty"`
	Source    *imageSource    `json:"source,omitempty"`
	ID        string          `json:"id,omitempty"`
	Name      string          `json:"name,omitempty"`
	Input     json.RawMessage `json:"input,omitempty"`
	ToolUseID string          `json:"tool_use_id,omitempty"`
	Content   any             `json:"content,omitempty"` // tool_result: string or []block
}

// Block types used in requests and responses.
const (
	blockText       = "text"
	blockImage      = "image"
	blockToolUse    = "tool_use"
	blockToolResult = "tool_result"
)

// imageSource is either {"type":"base64","media_type","data"} or
// {"type":"url","url"}.
type imageSource struct {
	Type      string `json:"type"`
	MediaType string `json:"media_type,omitempty"`
	Data      string `json:"data,omitempty"`
	URL       string `json:"url,omitempty"`
}

type metadata struct {
	UserID string `json:"user_id"`
}

type thinking struct {
	Type         string `json:"type"` // "enabled"
	BudgetTokens int    `json:"budget_tokens"`
}

type toolDef struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	InputSchema json.RawMessage `json:"input_schema"`
}

// toolChoice is {"type":"auto"|"any"|"none"|"tool", "name"?,
// "disable_parallel_tool_use"?}.
type toolChoice struct {
	Type                   string `json:"type"`
	Name                   string `json:"name,omitempty"`
	DisableParallelToolUse bool   `json:"disable_parallel_tool_use,omitempty"`
}

// messagesResponse is a non-streamed answer, and the "message" of a
// streamed message_start event.
type messagesResponse struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	Role       string          `json:"role"`
	Model      string          `json:"model"`
	Content    []responseBlock `json:"content"`
	StopReason string          `json:"stop_reason"`
	Usage      wireUsage       `json:"usage"`
}

// responseBlock is a content block of an answer. Thinking and server-tool
// blocks decode into it too; their fields are simply not read. Text stays
// undecoded in the body (provider.BodyJSON) so a long answer is decoded
// in place rather than copied.
type responseBlock struct {
	Type  string            `json:"type"`
	Text  provider.BodyJSON `json:"text"`
	ID    string            `json:"id"`
	Name  string            `json:"name"`
	Input json.RawMessage   `json:"input"`
}

// wireUsage has pointer fields because a stream's message_delta reports
// only some counts, and an absent count must not erase the one
// message_start gave.
type wireUsage struct {
	InputTokens              *int `json:"input_tokens"`
	OutputTokens             *int `json:"output_tokens"`
	CacheReadInputTokens     *int `json:"cache_read_input_tokens"`
	CacheCreationInputTokens *int `json:"cache_creation_input_tokens"`
}

// streamEvent is the data of any streamed event; which fields are set
// depends on Type.
type streamEvent struct {
	Type         string            `json:"type"`
	Message      *messagesResponse `json:"message"`       // message_start
	Index        int               `json:"index"`         // content_block_*
	ContentBlock *responseBlock    `json:"content_block"` // content_block_start
	Delta        *streamDelta      `json:"delta"`         // content_block_delta, message_delta
	Usage        *wireUsage        `json:"usage"`         // message_delta
	Error        *wireError        `json:"error"`         // error
}

// streamDelta is the "delta" of content_block_delta (text_delta,
// input_json_delta, thinking_delta, signature_delta) and of message_delta
// (stop_reason).
type streamDelta struct {
	Type        string `json:"type"`
	Text        string `json:"text"`
	PartialJSON string `json:"partial_json"`
	StopReason  string `json:"stop_reason"`
}

// errorBody is Anthropic's error envelope:
// {"type":"error","error":{"type":"...","message":"..."}}.
type errorBody struct {
	Type  string     `json:"type"`
	Error *wireError `json:"error"`
}

type wireError struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}
