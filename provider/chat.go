// Package provider defines Gatehouse's single internal model of an LLM call
// and the contract every upstream adapter implements.
//
// The model is shaped like OpenAI chat completions because that is the
// lingua franca clients already speak; adapters for other wire protocols
// (Anthropic Messages, Gemini generateContent, Bedrock Converse) translate to
// and from it. Subpackages hold one adapter each; this package imports none
// of them, so adapters can depend on it without cycles.
package provider

import (
	"bytes"
	"encoding/json"
	"errors"
)

// Roles a Message may carry.
const (
	RoleSystem    = "system"
	RoleDeveloper = "developer"
	RoleUser      = "user"
	RoleAssistant = "assistant"
	RoleTool      = "tool"
)

// Finish reasons, normalised to OpenAI's vocabulary so clients see one set
// whichever provider answered.
const (
	FinishStop          = "stop"
	FinishLength        = "length"
	FinishToolCalls     = "tool_calls"
	FinishContentFilter = "content_filter"
)

// ChatRequest is one chat completion request in Gatehouse's internal form.
// Model is the provider's own model name (the part after "provider/").
type ChatRequest struct {
	Model            string          `json:"model"`
	Messages         []Message       `json:"messages"`
	Tools            []Tool          `json:"tools,omitempty"`
	ToolChoice       json.RawMessage `json:"tool_choice,omitempty"`
	ResponseFormat   *ResponseFormat `json:"response_format,omitempty"`
	Temperature      *float64        `json:"temperature,omitempty"`
	TopP             *float64        `json:"top_p,omitempty"`
	MaxTokens        *int            `json:"max_tokens,omitempty"`
	Stop             []string        `json:"stop,omitempty"`
	Seed             *int64          `json:"seed,omitempty"`
	ReasoningEffort  string          `json:"reasoning_effort,omitempty"`
	User             string          `json:"user,omitempty"`
	ParallelToolCall *bool           `json:"parallel_tool_calls,omitempty"`

	// Extra holds request fields Gatehouse does not model. OpenAI-compatible
	// adapters forward them untouched so new upstream features work without
	// a Gatehouse release; other adapters ignore them.
	Extra map[string]json.RawMessage `json:"-"`
}

// knownChatFields lists the JSON keys ChatRequest models itself; everything
// else lands in Extra. "stream" and "stream_options" are owned by the
// gateway, which decides streaming per call.
var knownChatFields = map[string]bool{
	"model": true, "messages": true, "tools": true, "tool_choice": true,
	"response_format": true, "temperature": true, "top_p": true,
	"max_tokens": true, "max_completion_tokens": true, "stop": true,
	"seed": true, "reasoning_effort": true, "user": true,
	"parallel_tool_calls": true, "stream": true, "stream_options": true,
}

// IsModeledChatField reports whether a request field is one ChatRequest
// models itself. Such fields never come from Extra, even when an adapter
// deliberately leaves one out of the upstream body.
func IsModeledChatField(key string) bool { return knownChatFields[key] }

// UnmarshalJSON decodes an OpenAI-style request body, accepting
// max_completion_tokens as a synonym of max_tokens and a bare string for
// stop, and keeping unknown fields in Extra.
func (r *ChatRequest) UnmarshalJSON(b []byte) error {
	type plain ChatRequest
	var aux struct {
		plain
		Stop                json.RawMessage `json:"stop,omitempty"`
		MaxCompletionTokens *int            `json:"max_completion_tokens,omitempty"`
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	*r = ChatRequest(aux.plain)
	if aux.MaxCompletionTokens != nil && r.MaxTokens == nil {
		r.MaxTokens = aux.MaxCompletionTokens
	}
	if len(aux.Stop) > 0 && !bytes.Equal(aux.Stop, []byte("null")) {
		var one string
		if err := json.Unmarshal(aux.Stop, &one); err == nil {
			r.Stop = []string{one}
		} else if err := json.Unmarshal(aux.Stop, &r.Stop); err != nil {
			return errors.New("stop: must be a string or an array of strings")
		}
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	for k, v := range all {
		if knownChatFields[k] {
			continue
		}
		if r.Extra == nil {
			r.Extra = make(map[string]json.RawMessage)
		}
		r.Extra[k] = v
	}
	return nil
}

// Message is one conversation turn.
type Message struct {
	Role       string     `json:"role"`
	Content    Content    `json:"content"`
	Name       string     `json:"name,omitempty"`
	ToolCalls  []ToolCall `json:"tool_calls,omitempty"`
	ToolCallID string     `json:"tool_call_id,omitempty"`
}

// Content is a message body: either plain text or a list of parts (text
// and images). It remembers which form it arrived in so OpenAI-compatible
// upstreams receive exactly what the client sent.
type Content struct {
	Parts []Part
	// AsParts is true when the content must be encoded as an array even if
	// it holds a single text part.
	AsParts bool
}

// TextContent returns plain-text content.
func TextContent(s string) Content { return Content{Parts: []Part{{Type: PartText, Text: s}}} }

// Text concatenates the text parts, ignoring images. Adapters whose wire
// format only carries strings in a position (system prompts, tool results)
// use it.
func (c Content) Text() string {
	if len(c.Parts) == 1 {
		return c.Parts[0].Text
	}
	var buf bytes.Buffer
	for _, p := range c.Parts {
		if p.Type == PartText {
			buf.WriteString(p.Text)
		}
	}
	return buf.String()
}

// IsZero reports whether there is no content at all (an assistant turn that
// only calls tools, say).
func (c Content) IsZero() bool { return len(c.Parts) == 0 }

// MarshalJSON encodes a string when the content is a single text part that
// arrived as a string, null when empty, and an array of parts otherwise.
func (c Content) MarshalJSON() ([]byte, error) {
	switch {
	case len(c.Parts) == 0:
		return []byte("null"), nil
	case len(c.Parts) == 1 && c.Parts[0].Type == PartText && !c.AsParts:
		return json.Marshal(c.Parts[0].Text)
	default:
		return json.Marshal(c.Parts)
	}
}

// UnmarshalJSON accepts a string, null or an array of parts.
func (c *Content) UnmarshalJSON(b []byte) error {
	*c = Content{}
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || bytes.Equal(b, []byte("null")):
		return nil
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		c.Parts = []Part{{Type: PartText, Text: s}}
		return nil
	case b[0] == '[':
		c.AsParts = true
		return json.Unmarshal(b, &c.Parts)
	default:
		return errors.New("content: must be a string, null or an array of parts")
	}
}

// Part types.
const (
	PartText  = "text"
	PartImage = "image_url"
)

// Part is one piece of multimodal content.
type Part struct {
	Type     string    `json:"type"`
	Text     string    `json:"text,omitempty"`
	ImageURL *ImageURL `json:"image_url,omitempty"`
}

// ImageURL points at an image by URL or carries it inline as a data: URL
// ("data:image/png;base64,...").
type ImageURL struct {
	URL    string `json:"url"`
	Detail string `json:"detail,omitempty"`
}

// Tool is a function the model may call.
type Tool struct {
	Type     string       `json:"type"` // always "function"
	Function FunctionDecl `json:"function"`
}

// FunctionDecl declares a callable function with a JSON Schema for its
// arguments.
type FunctionDecl struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
	Strict      *bool           `json:"strict,omitempty"`
}

// ToolCall is the model's request to call a function. Arguments is the
// JSON-encoded argument object, as OpenAI sends it.
type ToolCall struct {
	ID       string       `json:"id"`
	Type     string       `json:"type"` // always "function"
	Function FunctionCall `json:"function"`
}

// FunctionCall names the function and carries its JSON arguments.
type FunctionCall struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

// Response format types.
const (
	FormatText       = "text"
	FormatJSONObject = "json_object"
	FormatJSONSchema = "json_schema"
)

// ResponseFormat asks for JSON output, optionally matching a schema.
type ResponseFormat struct {
	Type       string      `json:"type"`
	JSONSchema *JSONSchema `json:"json_schema,omitempty"`
}

// JSONSchema is a named schema for structured output.
type JSONSchema struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Schema      json.RawMessage `json:"schema,omitempty"`
	Strict      *bool           `json:"strict,omitempty"`
}

// ChatResponse is a completed (non-streamed) chat answer. Gatehouse asks
// for one choice per call, so there is exactly one message.
type ChatResponse struct {
	ID           string  `json:"id"`
	Model        string  `json:"model"` // as reported by the provider
	Created      int64   `json:"created"`
	Message      Message `json:"message"`
	FinishReason string  `json:"finish_reason"`
	Usage        Usage   `json:"usage"`
}

// Usage is what the provider reported for a call. PromptTokens includes
// cached tokens (OpenAI's convention); adapters for providers that report
// cache reads separately (Anthropic) add them in so that cost formulas are
// the same for every provider.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
	// CachedTokens are prompt tokens served from the provider's prompt
	// cache (billed at the cache-read price).
	CachedTokens int `json:"cached_tokens,omitempty"`
	// CacheWriteTokens are prompt tokens written to the cache (Anthropic's
	// cache_creation_input_tokens; billed at the cache-write price).
	CacheWriteTokens int `json:"cache_write_tokens,omitempty"`
	// ReasoningTokens are completion tokens spent on hidden reasoning;
	// they are already included in CompletionTokens.
	ReasoningTokens int `json:"reasoning_tokens,omitempty"`
}

// Add accumulates u2 into u; streams that report usage in pieces use it.
func (u *Usage) Add(u2 Usage) {
	u.PromptTokens += u2.PromptTokens
	u.CompletionTokens += u2.CompletionTokens
	u.TotalTokens += u2.TotalTokens
	u.CachedTokens += u2.CachedTokens
	u.CacheWriteTokens += u2.CacheWriteTokens
	u.ReasoningTokens += u2.ReasoningTokens
}

// Chunk is one streamed increment. A stream's chunks concatenated give the
// same message a non-streamed call would have returned; the final chunk(s)
// carry FinishReason and Usage.
type Chunk struct {
	ID           string          `json:"id,omitempty"`
	Model        string          `json:"model,omitempty"`
	Role         string          `json:"role,omitempty"`
	Content      string          `json:"content,omitempty"`
	ToolCalls    []ToolCallDelta `json:"tool_calls,omitempty"`
	FinishReason string          `json:"finish_reason,omitempty"`
	// Usage is set on the chunk that carries the provider's usage report,
	// normally the last one.
	Usage *Usage `json:"usage,omitempty"`
}

// ToolCallDelta is a piece of a streamed tool call, keyed by Index. The
// first delta for an index carries ID and Name; later ones append to
// Arguments.
type ToolCallDelta struct {
	Index     int    `json:"index"`
	ID        string `json:"id,omitempty"`
	Name      string `json:"name,omitempty"`
	Arguments string `json:"arguments,omitempty"`
}

// EmbeddingRequest asks for vector embeddings of one or more inputs.
type EmbeddingRequest struct {
	Model          string   `json:"model"`
	Input          []string `json:"input"`
	Dimensions     *int     `json:"dimensions,omitempty"`
	EncodingFormat string   `json:"encoding_format,omitempty"`
	User           string   `json:"user,omitempty"`
}

// EmbeddingResponse holds one vector per input, in input order.
type EmbeddingResponse struct {
	Model      string      `json:"model"`
	Embeddings [][]float64 `json:"embeddings"`
	Usage      Usage       `json:"usage"`
}
