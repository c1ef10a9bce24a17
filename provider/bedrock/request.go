package bedrock

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// conversion is a Converse request plus what the response mapping needs to
// know about how it was built.
type conversion struct {
	body converseRequest
	// jsonTool names the tool forced to emulate response_format, or "".
	jsonTool string
}

// convertRequest maps the internal request to a Converse body. Errors
// describe what the client sent wrong.
func convertRequest(req *provider.ChatRequest) (*conversion, error) {
	conv := &conversion{}
	for i, m := range req.Messages {
		switch m.Role {
		case provider.RoleSystem, provider.RoleDeveloper:
			if text := m.Content.Text(); text != "" {
				conv.body.System = append(conv.body.System, systemBlock{Text: text})
			}
		case provider.RoleUser, provider.RoleAssistant, provider.RoleTool:
			turn, err := convertMessage(m)
			if err != nil {
				return nil, fmt.Errorf("messages[%d]: %w", i, err)
			}
			conv.body.Messages = appendTurn(conv.body.Messages, turn)
		default:
			return nil, fmt.Errorf("messages[%d]: unsupported role %q", i, m.Role)
		}
	}
	if conv.body.Messages == nil {
		conv.body.Messages = []message{}
	}
	conv.body.InferenceConfig = convertInference(req)
	tc, jsonTool, err := convertTools(req)
	if err != nil {
		return nil, err
	}
	conv.body.ToolConfig, conv.jsonTool = tc, jsonTool
	return conv, nil
}

// appendTurn adds turn, merging it into the previous turn when both have
// the same role: Converse requires user and assistant to alternate, and
// several tool results must share one user turn.
func appendTurn(msgs []message, turn message) []message {
	if len(turn.Content) == 0 {
		return msgs
	}
	if n := len(msgs); n > 0 && msgs[n-1].Role == turn.Role {
		msgs[n-1].Content = append(msgs[n-1].Content, turn.Content...)
		return msgs
	}
	return append(msgs, turn)
}

// convertMessage maps one user, assistant or tool message to a turn.
func convertMessage(m provider.Message) (message, error) {
	if m.Role == provider.RoleTool {
		if m.ToolCallID == "" {
			return message{}, errors.New("tool message has no tool_call_id")
		}
		return message{Role: provider.RoleUser, Content: []contentBlock{{
			ToolResult: &toolResultBlock{ToolUseID: m.ToolCallID, Content: toolResultContents(m.Content.Text())},
		}}}, nil
	}
	turn := message{Role: m.Role}
	for j, p := range m.Content.Parts {
		switch p.Type {
		case provider.PartText:
			if p.Text != "" {
				turn.Content = append(turn.Content, contentBlock{Text: p.Text})
			}
		case provider.PartImage:
			img, err := convertImage(p.ImageURL)
			if err != nil {
				return message{}, fmt.Errorf("content[%d]: %w", j, err)
			}
			turn.Content = append(turn.Content, contentBlock{Image: img})
		default:
			return message{}, fmt.Errorf("content[%d]: unsupported part type %q", j, p.Type)
		}
	}
	if m.Role == provider.RoleAssistant {
		for j, tc := range m.ToolCalls {
			input, err := toolInput(tc.Function.Arguments)
			if err != nil {
				return message{}, fmt.Errorf("tool_calls[%d]: %w", j, err)
			}
			turn.Content = append(turn.Content, contentBlock{ToolUse: &toolUseBlock{
				ToolUseID: tc.ID, Name: tc.Function.Name, Input: input,
			}})
		}
	}
	return turn, nil
}

// toolResultContents sends a JSON object result as a json block, which
// models with native JSON tool results read as structure; anything else
// (plain text, arrays, scalars) as text, because Converse rejects json
// documents that are not objects.
func toolResultContents(text string) []toolResultContent {
	trimmed := bytes.TrimSpace([]byte(text))
	if len(trimmed) > 0 && trimmed[0] == '{' && json.Valid(trimmed) {
		return []toolResultContent{{JSON: json.RawMessage(trimmed)}}
	}
	return []toolResultContent{{Text: &text}}
}

// toolInput turns OpenAI's JSON-encoded arguments into the toolUse input
// document. Models sometimes emit "" for argument-less calls.
func toolInput(args string) (json.RawMessage, error) {
	trimmed := bytes.TrimSpace([]byte(args))
	if len(trimmed) == 0 {
		return json.RawMessage("{}"), nil
	}
	if !json.Valid(trimmed) {
		return nil, errors.New("function.arguments is not valid JSON")
	}
	return json.RawMessage(trimmed), nil
}

// imageFormats maps data: URL media types to Converse image formats.
var imageFormats = map[string]string{
	"image/png":  "png",
	"image/jpeg": "jpeg",
	"image/jpg":  "jpeg",
	"image/gif":  "gif",
	"image/webp": "webp",
}

// convertImage accepts only base64 data: URLs: Converse takes image bytes
// or S3 locations and cannot fetch http(s) URLs.
func convertImage(img *provider.ImageURL) (*imageBlock, error) {
	if img == nil || img.URL == "" {
		return nil, errors.New("image_url part has no url")
	}
	rest, ok := cutPrefixFold(img.URL, "data:")
	if !ok {
		return nil, errors.New("bedrock Converse cannot fetch image URLs; send the image inline as a base64 data: URL")
	}
	meta, data, ok := strings.Cut(rest, ",")
	if !ok {
		return nil, errors.New("malformed data: URL")
	}
	mediaType, params, _ := strings.Cut(meta, ";")
	if !strings.EqualFold(params, "base64") {
		return nil, errors.New("data: URL images must be base64-encoded")
	}
	format, ok := imageFormats[strings.ToLower(mediaType)]
	if !ok {
		return nil, fmt.Errorf("unsupported image type %q (bedrock accepts png, jpeg, gif and webp)", mediaType)
	}
	if _, err := base64.StdEncoding.DecodeString(data); err != nil {
		return nil, errors.New("data: URL image is not valid base64")
	}
	return &imageBlock{Format: format, Source: imageSource{Bytes: data}}, nil
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// convertInference maps the sampling parameters Converse models uniformly;
// it returns nil when there are none so the field is left out.
func convertInference(req *provider.ChatRequest) *inferenceConfig {
	ic := &inferenceConfig{
		MaxTokens:     req.MaxTokens,
		Temperature:   req.Temperature,
		TopP:          req.TopP,
		StopSequences: req.Stop,
	}
	if ic.MaxTokens == nil && ic.Temperature == nil && ic.TopP == nil && len(ic.StopSequences) == 0 {
		return nil
	}
	return ic
}
