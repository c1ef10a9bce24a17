package anthropic

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// convertMessages lifts system and developer messages out into the
// top-level system field and turns the rest into alternating user and
// assistant turns.
func convertMessages(msgs []provider.Message) (system any, turns []turn, err error) {
	var systemTexts []string
	for i, m := range msgs {
		var role string
		var blocks []block
		switch m.Role {
		case provider.RoleSystem, provider.RoleDeveloper:
			if text := m.Content.Text(); text != "" {
				systemTexts = append(systemTexts, text)
			}
			continue
		case provider.RoleUser:
			role = provider.RoleUser
			blocks, err = contentBlocks(m.Content)
		case provider.RoleAssistant:
			role = provider.RoleAssistant
			blocks, err = assistantBlocks(m)
		case provider.RoleTool:
			role = provider.RoleUser // tool results travel in user turns
			var b block
			b, err = toolResultBlock(m)
			blocks = []block{b}
		default:
			err = fmt.Errorf("unsupported role %q", m.Role)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("messages[%d]: %w", i, err)
		}
		turns = appendTurn(turns, role, blocks)
	}
	return systemField(systemTexts), turns, nil
}

// appendTurn adds blocks as a new turn, or to the last turn when it has
// the same role: Anthropic requires user and assistant to alternate.
func appendTurn(turns []turn, role string, blocks []block) []turn {
	if len(blocks) == 0 {
		return turns
	}
	if n := len(turns); n > 0 && turns[n-1].Role == role {
		turns[n-1].Content = append(turns[n-1].Content, blocks...)
		return turns
	}
	return append(turns, turn{Role: role, Content: blocks})
}

// systemField is a plain string for one system text (the common case) and
// text blocks for several, so their boundaries survive.
func systemField(texts []string) any {
	switch len(texts) {
	case 0:
		return nil
	case 1:
		return texts[0]
	}
	blocks := make([]block, len(texts))
	for i, t := range texts {
		blocks[i] = block{Type: blockText, Text: t}
	}
	return blocks
}

// contentBlocks maps text and image parts; empty text parts are dropped
// because Anthropic rejects empty text blocks.
func contentBlocks(c provider.Content) ([]block, error) {
	blocks := make([]block, 0, len(c.Parts))
	for _, p := range c.Parts {
		switch p.Type {
		case provider.PartText:
			if p.Text != "" {
				blocks = append(blocks, block{Type: blockText, Text: p.Text})
			}
		case provider.PartImage:
			b, err := imageBlock(p.ImageURL)
			if err != nil {
				return nil, err
			}
			blocks = append(blocks, b)
		default:
			return nil, fmt.Errorf("unsupported content part type %q", p.Type)
		}
	}
	return blocks, nil
}

// imageBlock maps a data: URL to a base64 source and an http(s) URL to a
// url source, which Anthropic fetches itself.
func imageBlock(img *provider.ImageURL) (block, error) {
	if img == nil || img.URL == "" {
		return block{}, errors.New("image_url part has no url")
	}
	if strings.HasPrefix(img.URL, "data:") {
		mediaType, data, ok := parseDataURL(img.URL)
		if !ok {
			return block{}, errors.New(`image data URL must look like "data:<media type>;base64,<data>"`)
		}
		return block{Type: blockImage, Source: &imageSource{Type: "base64", MediaType: mediaType, Data: data}}, nil
	}
	u, err := url.Parse(img.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return block{}, errors.New("image url must be an http(s) URL or a base64 data: URL")
	}
	return block{Type: blockImage, Source: &imageSource{Type: "url", URL: img.URL}}, nil
}

// parseDataURL splits "data:image/png;base64,AAAA" into its media type and
// base64 payload. Only base64 data URLs are accepted: Anthropic takes no
// other encoding.
func parseDataURL(s string) (mediaType, data string, ok bool) {
	rest, _ := strings.CutPrefix(s, "data:")
	meta, data, found := strings.Cut(rest, ",")
	if !found || data == "" {
		return "", "", false
	}
	mediaType, found = strings.CutSuffix(meta, ";base64")
	if !found || mediaType == "" {
		return "", "", false
	}
	return mediaType, data, true
}

// assistantBlocks maps an assistant turn: its text, then one tool_use
// block per tool call.
func assistantBlocks(m provider.Message) ([]block, error) {
	blocks, err := contentBlocks(m.Content)
	if err != nil {
		return nil, err
	}
	for j, tc := range m.ToolCalls {
		b, err := toolUseBlock(tc)
		if err != nil {
			return nil, fmt.Errorf("tool_calls[%d]: %w", j, err)
		}
		blocks = append(blocks, b)
	}
	return blocks, nil
}

// toolUseBlock carries a past tool call. Anthropic wants the arguments as
// a JSON object, not OpenAI's JSON-encoded string, so they must parse.
func toolUseBlock(tc provider.ToolCall) (block, error) {
	if tc.ID == "" || tc.Function.Name == "" {
		return block{}, errors.New("tool call needs an id and a function name")
	}
	args := bytes.TrimSpace([]byte(tc.Function.Arguments))
	if len(args) == 0 {
		args = []byte("{}")
	}
	if !json.Valid(args) {
		return block{}, fmt.Errorf("function %q: arguments are not valid JSON", tc.Function.Name)
	}
	if args[0] != '{' {
		return block{}, fmt.Errorf("function %q: arguments must be a JSON object", tc.Function.Name)
	}
	return block{Type: blockToolUse, ID: tc.ID, Name: tc.Function.Name, Input: json.RawMessage(args)}, nil
}

// toolResultBlock maps a role "tool" message. Plain-string content stays a
// string; multi-part content (text and images) becomes blocks.
func toolResultBlock(m provider.Message) (block, error) {
	if m.ToolCallID == "" {
		return block{}, errors.New("tool message needs a tool_call_id")
	}
	b := block{Type: blockToolResult, ToolUseID: m.ToolCallID}
	if len(m.Content.Parts) == 1 && m.Content.Parts[0].Type == provider.PartText && !m.Content.AsParts {
		if text := m.Content.Parts[0].Text; text != "" {
			b.Content = text
		}
		return b, nil
	}
	blocks, err := contentBlocks(m.Content)
	if err != nil {
		return block{}, err
	}
	if len(blocks) > 0 {
		b.Content = blocks
	}
	return b, nil
}
