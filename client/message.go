package client

import (
	"bytes"
	"encoding/json"
	"errors"
)

// Message roles.
const (
	RoleSystem    = "system"
	RoleDeveloper = "developer"
	RoleUser      = "user"
	RoleAssistant = "assistant"
	RoleTool      = "tool"
)

// Message is one conversation turn, in OpenAI's shape, which Gatehouse
// translates for every provider.
type Message struct {
	Role string
	// Content is the text of the turn. Parts, when set, replaces it with
	// multimodal content (text and images).
	Content string
	Parts   []Part
	// Name optionally names the author.
	Name string
	// ToolCalls are the calls an assistant turn made (see
	// ChatResponse.Message).
	ToolCalls []ToolCall
	// ToolCallID ties a tool result to the call it answers.
	ToolCallID string
}

// Part is one piece of multimodal content.
type Part struct {
	Type     string    `json:"type"` // "text" or "image_url"
	Text     string    `json:"text,omitempty"`
	ImageURL *ImageURL `json:"image_url,omitempty"`
}

// ImageURL points at an image by URL, or carries it as a data: URL
// ("data:image/png;base64,…").
type ImageURL struct {
	URL    string `json:"url"`
	Detail string `json:"detail,omitempty"` // "low", "high" or "auto"
}

// User is a user turn with text, the usual way to ask.
func User(text string) Message { return Message{Role: RoleUser, Content: text} }

// System is a system turn, for instructions the model should follow.
func System(text string) Message { return Message{Role: RoleSystem, Content: text} }

// Assistant is an earlier answer of the model, for replaying a
// conversation.
func Assistant(text string) Message { return Message{Role: RoleAssistant, Content: text} }

// ToolResult answers the tool call callID with its result, so the model
// can continue after calling a tool.
func ToolResult(callID, content string) Message {
	return Message{Role: RoleTool, Content: content, ToolCallID: callID}
}

// UserParts is a user turn with multimodal content.
func UserParts(parts ...Part) Message { return Message{Role: RoleUser, Parts: parts} }

// TextPart is a text piece of multimodal content.
func TextPart(text string) Part { return Part{Type: "text", Text: text} }

// ImagePart is an image piece of multimodal content, by URL or data: URL.
func ImagePart(url string) Part { return Part{Type: "image_url", ImageURL: &ImageURL{URL: url}} }

// messageJSON is Message on the wire.
type messageJSON struct {
	Role       string          `json:"role"`
	Content    json.RawMessage `json:"content"`
	Name       string          `json:"name,omitempty"`
	ToolCalls  []ToolCall      `json:"tool_calls,omitempty"`
	ToolCallID string          `json:"tool_call_id,omitempty"`
}

// MarshalJSON writes content as the parts when there are any, as null for
// an assistant turn that only calls tools, and as a string otherwise.
func (m Message) MarshalJSON() ([]byte, error) {
	w := messageJSON{Role: m.Role, Name: m.Name, ToolCalls: m.ToolCalls, ToolCallID: m.ToolCallID}
	var err error
	switch {
	case len(m.Parts) > 0:
		w.Content, err = json.Marshal(m.Parts)
	case m.Content == "" && len(m.ToolCalls) > 0:
		w.Content = json.RawMessage("null")
	default:
		w.Content, err = json.Marshal(m.Content)
	}
	if err != nil {
		return nil, err
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads content given as a string, null or a list of parts.
func (m *Message) UnmarshalJSON(b []byte) error {
	var w messageJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*m = Message{Role: w.Role, Name: w.Name, ToolCalls: w.ToolCalls, ToolCallID: w.ToolCallID}
	c := bytes.TrimSpace(w.Content)
	switch {
	case len(c) == 0 || bytes.Equal(c, []byte("null")):
		return nil
	case c[0] == '"':
		return json.Unmarshal(c, &m.Content)
	case c[0] == '[':
		return json.Unmarshal(c, &m.Parts)
	}
	return errors.New("message content must be a string, null or a list of parts")
}
