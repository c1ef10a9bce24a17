package gemini

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// Gemini's role names.
const (
	roleUser  = "user"
	roleModel = "model"
)

// buildRequest translates a chat request into a generateContent body. It
// fails only on input Gemini cannot express (an unknown role, a tool result
// for a call it cannot name, malformed tool arguments).
func buildRequest(req *provider.ChatRequest) (*generateRequest, error) {
	out := &generateRequest{}
	contents, system, err := mapMessages(req.Messages)
	if err != nil {
		return nil, err
	}
	out.Contents = contents
	out.SystemInstruction = system
	if out.Tools, err = mapTools(req.Tools); err != nil {
		return nil, err
	}
	if out.ToolConfig, err = mapToolChoice(req.ToolChoice); err != nil {
		return nil, err
	}
	if out.GenerationConfig, err = mapGenerationConfig(req); err != nil {
		return nil, err
	}
	return out, nil
}

// mapMessages splits the conversation into system instruction and turns,
// merging consecutive turns of one role.
func mapMessages(msgs []provider.Message) ([]content, *content, error) {
	var system *content
	var turns []content
	// toolNames maps tool_call_id → function name for the calls seen so
	// far; later assistant turns overwrite reused ids, so a tool message
	// resolves to the most recent call with its id.
	toolNames := make(map[string]string)
	for i, m := range msgs {
		var role string
		var parts []part
		switch m.Role {
		case provider.RoleSystem, provider.RoleDeveloper:
			if text := m.Content.Text(); text != "" {
				if system == nil {
					system = &content{}
				}
				system.Parts = append(system.Parts, part{Text: text})
			}
			continue
		case provider.RoleUser:
			role = roleUser
			p, err := userParts(m.Content)
			if err != nil {
				return nil, nil, fmt.Errorf("messages[%d]: %w", i, err)
			}
			parts = p
		case provider.RoleAssistant:
			role = roleModel
			p, err := assistantParts(m, toolNames)
			if err != nil {
				return nil, nil, fmt.Errorf("messages[%d]: %w", i, err)
			}
			parts = p
		case provider.RoleTool:
			role = roleUser
			p, err := toolResultPart(m, toolNames)
			if err != nil {
				return nil, nil, fmt.Errorf("messages[%d]: %w", i, err)
			}
			parts = []part{p}
		default:
			return nil, nil, fmt.Errorf("messages[%d]: unsupported role %q", i, m.Role)
		}
		if len(parts) == 0 {
			continue // Gemini rejects turns without parts
		}
		if n := len(turns); n > 0 && turns[n-1].Role == role {
			turns[n-1].Parts = append(turns[n-1].Parts, parts...)
			continue
		}
		turns = append(turns, content{Role: role, Parts: parts})
	}
	return turns, system, nil
}

// userParts maps text and image parts, in order. Empty text is dropped
// because Gemini rejects empty parts.
func userParts(c provider.Content) ([]part, error) {
	var parts []part
	for _, p := range c.Parts {
		switch p.Type {
		case provider.PartText, "":
			if p.Text != "" {
				parts = append(parts, part{Text: p.Text})
			}
		case provider.PartImage:
			if p.ImageURL == nil {
				return nil, errors.New("image_url part without a url")
			}
			ip, err := imagePart(p.ImageURL.URL)
			if err != nil {
				return nil, err
			}
			parts = append(parts, ip)
		default:
			return nil, fmt.Errorf("unsupported content part type %q", p.Type)
		}
	}
	return parts, nil
}

// assistantParts maps an assistant turn's text and tool calls and records
// the calls' names for later tool results.
func assistantParts(m provider.Message, toolNames map[string]string) ([]part, error) {
	var parts []part
	if text := m.Content.Text(); text != "" {
		parts = append(parts, part{Text: text})
	}
	for j, tc := range m.ToolCalls {
		if tc.Function.Name == "" {
			return nil, fmt.Errorf("tool_calls[%d]: function name is empty", j)
		}
		args, err := argsObject(tc.Function.Arguments)
		if err != nil {
			return nil, fmt.Errorf("tool_calls[%d]: %w", j, err)
		}
		parts = append(parts, part{
			FunctionCall:     &functionCall{Name: tc.Function.Name, Args: args},
			ThoughtSignature: signatureFromID(tc.ID),
		})
		if tc.ID != "" {
			toolNames[tc.ID] = tc.Function.Name
		}
	}
	return parts, nil
}

// argsObject validates OpenAI's JSON-string arguments as the object Gemini
// wants; empty arguments mean no arguments.
func argsObject(arguments string) (json.RawMessage, error) {
	trimmed := bytes.TrimSpace([]byte(arguments))
	if len(trimmed) == 0 {
		return json.RawMessage("{}"), nil
	}
	if !isJSONObject(trimmed) {
		return nil, errors.New("function arguments must be a JSON object")
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, trimmed); err != nil {
		return nil, errors.New("function arguments must be a JSON object")
	}
	return buf.Bytes(), nil
}

// toolResultPart maps a tool message to a functionResponse, naming the
// function by the call it answers.
func toolResultPart(m provider.Message, toolNames map[string]string) (part, error) {
	name := toolNames[m.ToolCallID]
	if name == "" {
		name = m.Name
	}
	if name == "" {
		return part{}, fmt.Errorf("tool message answers unknown tool_call_id %q", m.ToolCallID)
	}
	text := m.Content.Text()
	trimmed := bytes.TrimSpace([]byte(text))
	var response json.RawMessage
	if isJSONObject(trimmed) {
		var buf bytes.Buffer
		if json.Compact(&buf, trimmed) == nil {
			response = buf.Bytes()
		}
	}
	if response == nil {
		wrapped, err := json.Marshal(map[string]string{"content": text})
		if err != nil {
			return part{}, err
		}
		response = wrapped
	}
	return part{FunctionResponse: &functionResponse{Name: name, Response: response}}, nil
}

// isJSONObject reports whether b is one valid JSON object.
func isJSONObject(b []byte) bool {
	return len(b) > 0 && b[0] == '{' && json.Valid(b)
}

// mapTools declares the request's functions.
func mapTools(tools []provider.Tool) ([]tool, error) {
	if len(tools) == 0 {
		return nil, nil
	}
	decls := make([]functionDeclaration, 0, len(tools))
	for i, t := range tools {
		if t.Type != "" && t.Type != "function" {
			return nil, fmt.Errorf("tools[%d]: unsupported tool type %q", i, t.Type)
		}
		params, err := cleanSchema(t.Function.Parameters)
		if err != nil {
			return nil, fmt.Errorf("tools[%d].function.parameters: %w", i, err)
		}
		decls = append(decls, functionDeclaration{
			Name:                 t.Function.Name,
			Description:          t.Function.Description,
			ParametersJSONSchema: params,
		})
	}
	return []tool{{FunctionDeclarations: decls}}, nil
}

// mapToolChoice translates OpenAI's tool_choice into a calling mode.
func mapToolChoice(raw json.RawMessage) (*toolConfig, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	var mode string
	if err := json.Unmarshal(raw, &mode); err == nil {
		switch mode {
		case "auto":
			return &toolConfig{FunctionCallingConfig: functionCallingConfig{Mode: "AUTO"}}, nil
		case "none":
			return &toolConfig{FunctionCallingConfig: functionCallingConfig{Mode: "NONE"}}, nil
		case "required":
			return &toolConfig{FunctionCallingConfig: functionCallingConfig{Mode: "ANY"}}, nil
		}
		return nil, fmt.Errorf("tool_choice: unsupported value %q", mode)
	}
	var named struct {
		Type     string `json:"type"`
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	if err := json.Unmarshal(raw, &named); err != nil || named.Function.Name == "" {
		return nil, errors.New(`tool_choice: must be "auto", "none", "required" or {"type":"function","function":{"name":…}}`)
	}
	return &toolConfig{FunctionCallingConfig: functionCallingConfig{
		Mode:                 "ANY",
		AllowedFunctionNames: []string{named.Function.Name},
	}}, nil
}

// mapGenerationConfig carries sampling, output format and thinking
// settings. candidateCount is pinned to 1: Gatehouse returns one choice.
func mapGenerationConfig(req *provider.ChatRequest) (*generationConfig, error) {
	gc := &generationConfig{
		CandidateCount:  1,
		StopSequences:   req.Stop,
		MaxOutputTokens: req.MaxTokens,
		Temperature:     req.Temperature,
		TopP:            req.TopP,
		Seed:            req.Seed,
	}
	if rf := req.ResponseFormat; rf != nil {
		switch rf.Type {
		case provider.FormatText, "":
		case provider.FormatJSONObject:
			gc.ResponseMimeType = "application/json"
		case provider.FormatJSONSchema:
			gc.ResponseMimeType = "application/json"
			if rf.JSONSchema != nil {
				schema, err := cleanSchema(rf.JSONSchema.Schema)
				if err != nil {
					return nil, fmt.Errorf("response_format.json_schema.schema: %w", err)
				}
				gc.ResponseJSONSchema = schema
			}
		default:
			return nil, fmt.Errorf("response_format: unsupported type %q", rf.Type)
		}
	}
	tc, err := thinkingFor(req.Model, req.ReasoningEffort)
	if err != nil {
		return nil, err
	}
	gc.ThinkingConfig = tc
	return gc, nil
}
