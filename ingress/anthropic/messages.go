package anthropic

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// systemMessages maps the top-level system prompt: a string becomes one
// system message, text blocks one message each so their boundaries
// survive. Empty text adds nothing.
func systemMessages(raw json.RawMessage) ([]provider.Message, *BadRequest) {
	if t := bytes.TrimSpace(raw); len(t) == 0 || bytes.Equal(t, []byte("null")) {
		return nil, nil
	}
	c, br := parseContent("system", raw)
	if br != nil {
		return nil, br
	}
	var texts []string
	if c.isString {
		texts = []string{c.text}
	}
	for i, b := range c.blocks {
		if b.Type != blockText {
			return nil, unsupportedBlock(index("system", i), b.Type, "text blocks")
		}
		texts = append(texts, b.Text)
	}
	var msgs []provider.Message
	for _, t := range texts {
		if t != "" {
			msgs = append(msgs, provider.Message{Role: provider.RoleSystem, Content: provider.TextContent(t)})
		}
	}
	return msgs, nil
}

// convertMessages maps every turn; a user turn may expand into several
// internal messages (its tool results, then the rest of the turn).
func convertMessages(in []inMessage) ([]provider.Message, *BadRequest) {
	var out []provider.Message
	for i, m := range in {
		path := index("messages", i)
		c, br := parseContent(path+".content", m.Content)
		if br != nil {
			return nil, br
		}
		var msgs []provider.Message
		switch m.Role {
		case provider.RoleUser:
			msgs, br = userMessages(path, c)
		case provider.RoleAssistant:
			msgs, br = assistantMessage(path, c)
		default:
			p := path + ".role"
			return nil, &BadRequest{Param: p, Message: fmt.Sprintf(`%s: unexpected role %q; messages take "user" or "assistant", and the system prompt goes in the top-level system field`, p, m.Role)}
		}
		if br != nil {
			return nil, br
		}
		out = append(out, msgs...)
	}
	return out, nil
}

// userMessages maps a user turn. Tool results come first: OpenAI-shaped
// conversations need the tool answers right after the assistant's calls.
func userMessages(path string, c content) ([]provider.Message, *BadRequest) {
	if c.isString {
		return []provider.Message{{Role: provider.RoleUser, Content: provider.TextContent(c.text)}}, nil
	}
	var results []provider.Message
	var parts []provider.Part
	for j, b := range c.blocks {
		bp := index(path+".content", j)
		switch b.Type {
		case blockText:
			parts = append(parts, provider.Part{Type: provider.PartText, Text: b.Text})
		case blockImage:
			p, br := imagePart(bp, b.Source)
			if br != nil {
				return nil, br
			}
			parts = append(parts, p)
		case blockToolResult:
			m, br := toolResultMessage(bp, b)
			if br != nil {
				return nil, br
			}
			results = append(results, m)
		case blockThinking, blockRedactedThinking:
			// never valid in a user turn; nothing to keep
		default:
			return nil, unsupportedBlock(bp, b.Type, "text, image or tool_result blocks in user messages")
		}
	}
	if len(parts) > 0 {
		results = append(results, provider.Message{Role: provider.RoleUser, Content: partsContent(parts)})
	}
	return results, nil
}

// partsContent makes a lone text part plain string content, which every
// upstream accepts, and keeps anything else as an array of parts.
func partsContent(parts []provider.Part) provider.Content {
	if len(parts) == 1 && parts[0].Type == provider.PartText {
		return provider.TextContent(parts[0].Text)
	}
	return provider.Content{Parts: parts, AsParts: true}
}

// imagePart turns an image source into an image_url part: base64 data as a
// data: URL (what OpenAI-shaped upstreams take inline), a url as is.
func imagePart(path string, src *inSource) (provider.Part, *BadRequest) {
	sp := path + ".source"
	if src == nil {
		return provider.Part{}, &BadRequest{Param: sp, Message: sp + ": Field required"}
	}
	var url string
	switch src.Type {
	case "base64":
		if src.MediaType == "" || src.Data == "" {
			return provider.Part{}, &BadRequest{Param: sp, Message: sp + ": a base64 source needs media_type and data"}
		}
		url = "data:" + src.MediaType + ";base64," + src.Data
	case "url":
		if src.URL == "" {
			p := sp + ".url"
			return provider.Part{}, &BadRequest{Param: p, Message: p + ": Field required"}
		}
		url = src.URL
	default:
		p := sp + ".type"
		return provider.Part{}, &BadRequest{Param: p, Message: fmt.Sprintf("%s: image source type %q is not supported; use base64 or url", p, src.Type)}
	}
	return provider.Part{Type: provider.PartImage, ImageURL: &provider.ImageURL{URL: url}}, nil
}

// toolResultMessage maps a tool_result block to a role "tool" message.
func toolResultMessage(path string, b inBlock) (provider.Message, *BadRequest) {
	if b.ToolUseID == "" {
		p := path + ".tool_use_id"
		return provider.Message{}, &BadRequest{Param: p, Message: p + ": Field required"}
	}
	m := provider.Message{Role: provider.RoleTool, ToolCallID: b.ToolUseID, Content: provider.TextContent("")}
	if t := bytes.TrimSpace(b.Content); len(t) == 0 || bytes.Equal(t, []byte("null")) {
		return m, nil
	}
	c, br := parseContent(path+".content", b.Content)
	if br != nil {
		return provider.Message{}, br
	}
	if c.isString {
		m.Content = provider.TextContent(c.text)
		return m, nil
	}
	var parts []provider.Part
	for k, rb := range c.blocks {
		rp := index(path+".content", k)
		switch rb.Type {
		case blockText:
			parts = append(parts, provider.Part{Type: provider.PartText, Text: rb.Text})
		case blockImage:
			p, br := imagePart(rp, rb.Source)
			if br != nil {
				return provider.Message{}, br
			}
			parts = append(parts, p)
		default:
			return provider.Message{}, unsupportedBlock(rp, rb.Type, "text or image blocks in tool results")
		}
	}
	if len(parts) > 0 {
		m.Content = partsContent(parts)
	}
	return m, nil
}

// assistantMessage maps an assistant turn: text blocks joined into the
// content, tool_use blocks into tool calls, thinking dropped.
func assistantMessage(path string, c content) ([]provider.Message, *BadRequest) {
	if c.isString {
		return []provider.Message{{Role: provider.RoleAssistant, Content: provider.TextContent(c.text)}}, nil
	}
	m := provider.Message{Role: provider.RoleAssistant}
	var text strings.Builder
	hasText := false
	for j, b := range c.blocks {
		bp := index(path+".content", j)
		switch b.Type {
		case blockText:
			text.WriteString(b.Text)
			hasText = true
		case blockToolUse:
			tc, br := toolCall(bp, b)
			if br != nil {
				return nil, br
			}
			m.ToolCalls = append(m.ToolCalls, tc)
		case blockThinking, blockRedactedThinking:
			// dropped: see the package doc
		default:
			return nil, unsupportedBlock(bp, b.Type, "text or tool_use blocks in assistant messages")
		}
	}
	if hasText {
		m.Content = provider.TextContent(text.String())
	}
	if !hasText && len(m.ToolCalls) == 0 {
		return nil, nil // only thinking: nothing an upstream could use
	}
	return []provider.Message{m}, nil
}

// toolCall maps a tool_use block. Its input must be a JSON object; it is
// compacted into OpenAI's arguments string.
func toolCall(path string, b inBlock) (provider.ToolCall, *BadRequest) {
	for _, f := range [...]struct{ name, value string }{{"id", b.ID}, {"name", b.Name}} {
		if f.value == "" {
			p := path + "." + f.name
			return provider.ToolCall{}, &BadRequest{Param: p, Message: p + ": Field required"}
		}
	}
	args := "{}"
	if in := bytes.TrimSpace(b.Input); len(in) > 0 && !bytes.Equal(in, []byte("null")) {
		var buf bytes.Buffer
		if in[0] != '{' || json.Compact(&buf, in) != nil {
			p := path + ".input"
			return provider.ToolCall{}, &BadRequest{Param: p, Message: p + ": must be a JSON object"}
		}
		args = buf.String()
	}
	return provider.ToolCall{ID: b.ID, Type: "function", Function: provider.FunctionCall{Name: b.Name, Arguments: args}}, nil
}
