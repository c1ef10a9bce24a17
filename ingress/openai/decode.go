package openai

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// rawChat holds the request fields ChatRequest does not keep (stream
// control, n, the legacy function-calling fields) and each message's raw
// content and function_call, which ChatRequest drops.
type rawChat struct {
	Stream        *bool `json:"stream"`
	StreamOptions *struct {
		IncludeUsage *bool `json:"include_usage"`
	} `json:"stream_options"`
	N            *int                    `json:"n"`
	Functions    []provider.FunctionDecl `json:"functions"`
	FunctionCall json.RawMessage         `json:"function_call"`
	Messages     []rawMessage            `json:"messages"`
}

type rawMessage struct {
	Content      json.RawMessage        `json:"content"`
	FunctionCall *provider.FunctionCall `json:"function_call"`
}

// DecodeChat parses a client's chat.completions body. stream reports
// whether the client wants server-sent events and includeUsage whether it
// asked for the final usage chunk (only ever true when streaming). Every
// error is a *BadRequest.
func DecodeChat(body []byte) (req *provider.ChatRequest, stream, includeUsage bool, err error) {
	var raw rawChat
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, false, false, jsonError(err)
	}
	if br := checkContents(raw.Messages); br != nil {
		return nil, false, false, br
	}
	req = new(provider.ChatRequest)
	if err := json.Unmarshal(body, req); err != nil {
		return nil, false, false, jsonError(err)
	}
	if br := applyLegacy(req, &raw); br != nil {
		return nil, false, false, br
	}
	if br := validateChat(req, raw.N); br != nil {
		return nil, false, false, br
	}
	stream = raw.Stream != nil && *raw.Stream
	includeUsage = stream && raw.StreamOptions != nil && raw.StreamOptions.IncludeUsage != nil && *raw.StreamOptions.IncludeUsage
	return req, stream, includeUsage, nil
}

// checkContents rejects a content that is neither a string, an array nor
// null here, where the message index is known; ChatRequest's own decoder
// would report it without saying which message.
func checkContents(msgs []rawMessage) *BadRequest {
	for i, m := range msgs {
		c := bytes.TrimSpace(m.Content)
		if len(c) == 0 || c[0] == '"' || c[0] == '[' || bytes.Equal(c, []byte("null")) {
			continue
		}
		param := fmt.Sprintf("messages[%d].content", i)
		return &BadRequest{Param: param, Message: param + ": must be a string, an array of content parts or null"}
	}
	return nil
}

// validRoles are the roles a message may carry once legacy "function"
// messages have become "tool" messages.
var validRoles = map[string]bool{
	provider.RoleSystem: true, provider.RoleDeveloper: true, provider.RoleUser: true,
	provider.RoleAssistant: true, provider.RoleTool: true,
}

// validateChat checks what OpenAI itself requires and what Gatehouse cannot
// honour (n > 1), so the client hears about it before any upstream spend.
func validateChat(req *provider.ChatRequest, n *int) *BadRequest {
	if req.Model == "" {
		return &BadRequest{Param: "model", Message: "model: you must provide a model parameter"}
	}
	if len(req.Messages) == 0 {
		return &BadRequest{Param: "messages", Message: "messages: must be a non-empty array"}
	}
	if n != nil && *n != 1 {
		return &BadRequest{Param: "n", Message: fmt.Sprintf("n: %d choices were requested but Gatehouse returns exactly one; omit n or set it to 1", *n)}
	}
	for i, m := range req.Messages {
		if !validRoles[m.Role] {
			param := fmt.Sprintf("messages[%d].role", i)
			return &BadRequest{Param: param, Message: fmt.Sprintf("%s: unsupported role %q; use system, developer, user, assistant or tool", param, m.Role)}
		}
		if m.Role == provider.RoleTool && m.ToolCallID == "" {
			param := fmt.Sprintf("messages[%d].tool_call_id", i)
			return &BadRequest{Param: param, Message: param + ": a tool message must name the tool call it answers"}
		}
	}
	return nil
}
