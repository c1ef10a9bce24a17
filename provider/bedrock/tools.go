package bedrock

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// defaultJSONToolName names the forced tool for json_object and for
// json_schema formats that carry no name.
const defaultJSONToolName = "json_response"

// emptyObjectSchema is used when a tool declares no parameters: Converse
// requires an input schema on every tool.
var emptyObjectSchema = json.RawMessage(`{"type":"object","properties":{}}`)

// convertTools builds toolConfig from tools, tool_choice and
// response_format. It returns the forced JSON tool's name when
// response_format asks for JSON (see the package doc).
func convertTools(req *provider.ChatRequest) (*toolConfig, string, error) {
	choice, none, err := convertToolChoice(req.ToolChoice)
	if err != nil {
		return nil, "", err
	}
	var tc toolConfig
	if !none {
		for i, t := range req.Tools {
			if t.Function.Name == "" {
				return nil, "", fmt.Errorf("tools[%d]: function name is required", i)
			}
			tc.Tools = append(tc.Tools, tool{ToolSpec: toolSpec{
				Name:        t.Function.Name,
				Description: t.Function.Description,
				InputSchema: inputSchema{JSON: schemaOrEmpty(t.Function.Parameters)},
			}})
		}
		tc.ToolChoice = choice
	}
	jsonTool, err := addJSONTool(&tc, req.ResponseFormat)
	if err != nil {
		return nil, "", err
	}
	if len(tc.Tools) == 0 {
		return nil, "", nil
	}
	return &tc, jsonTool, nil
}

// convertToolChoice maps OpenAI's tool_choice. none reports "none", which
// leaves the tools out: Converse has no choice that forbids calls.
func convertToolChoice(raw json.RawMessage) (choice *toolChoice, none bool, err error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, false, nil
	}
	var mode string
	if json.Unmarshal(raw, &mode) == nil {
		switch mode {
		case "auto":
			return &toolChoice{Auto: &emptyObject{}}, false, nil
		case "required":
			return &toolChoice{Any: &emptyObject{}}, false, nil
		case "none":
			return nil, true, nil
		}
		return nil, false, fmt.Errorf("tool_choice: unsupported value %q", mode)
	}
	var named struct {
		Type     string `json:"type"`
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	if err := json.Unmarshal(raw, &named); err != nil || named.Function.Name == "" {
		return nil, false, errors.New(`tool_choice: expected "auto", "none", "required" or {"type":"function","function":{"name":...}}`)
	}
	return &toolChoice{Tool: &namedTool{Name: named.Function.Name}}, false, nil
}

// addJSONTool emulates response_format by appending a tool whose input
// schema is the wanted output and forcing the model to call it.
func addJSONTool(tc *toolConfig, rf *provider.ResponseFormat) (string, error) {
	if rf == nil {
		return "", nil
	}
	var spec toolSpec
	switch rf.Type {
	case "", provider.FormatText:
		return "", nil
	case provider.FormatJSONObject:
		spec = toolSpec{
			Name:        defaultJSONToolName,
			Description: "Respond with a JSON object.",
			InputSchema: inputSchema{JSON: json.RawMessage(`{"type":"object"}`)},
		}
	case provider.FormatJSONSchema:
		if rf.JSONSchema == nil {
			return "", errors.New("response_format: json_schema is missing")
		}
		spec = toolSpec{
			Name:        rf.JSONSchema.Name,
			Description: rf.JSONSchema.Description,
			InputSchema: inputSchema{JSON: schemaOrEmpty(rf.JSONSchema.Schema)},
		}
		if spec.Name == "" {
			spec.Name = defaultJSONToolName
		}
		if spec.Description == "" {
			spec.Description = "Respond with a JSON object that matches this schema."
		}
	default:
		return "", fmt.Errorf("response_format: unsupported type %q", rf.Type)
	}
	for _, t := range tc.Tools {
		if t.ToolSpec.Name == spec.Name {
			return "", fmt.Errorf("response_format: schema name %q collides with a tool of the same name", spec.Name)
		}
	}
	tc.Tools = append(tc.Tools, tool{ToolSpec: spec})
	tc.ToolChoice = &toolChoice{Tool: &namedTool{Name: spec.Name}}
	return spec.Name, nil
}

func schemaOrEmpty(schema json.RawMessage) json.RawMessage {
	s := bytes.TrimSpace(schema)
	if len(s) == 0 || bytes.Equal(s, []byte("null")) {
		return emptyObjectSchema
	}
	return s
}
