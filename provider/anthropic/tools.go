package anthropic

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// JSONToolName names the tool forced for response_format json_object, and
// for json_schema when the schema has no name.
const JSONToolName = "json_response"

// emptyObjectSchema stands in for a function declared without parameters:
// Anthropic requires input_schema.
var emptyObjectSchema = json.RawMessage(`{"type":"object","properties":{}}`)

// OpenAI tool_choice modes as parsed from the request.
const (
	choiceAuto     = "auto"
	choiceRequired = "required"
	choiceNone     = "none"
	choiceFunction = "function"
)

// convertTools maps the client's function tools and, when response_format
// asks for JSON, appends the tool whose forced call yields that JSON.
func convertTools(tools []provider.Tool, rf *provider.ResponseFormat) ([]toolDef, string, error) {
	defs := make([]toolDef, 0, len(tools)+1)
	for i, t := range tools {
		if t.Type != "" && t.Type != "function" {
			return nil, "", fmt.Errorf("tools[%d]: unsupported tool type %q", i, t.Type)
		}
		if t.Function.Name == "" {
			return nil, "", fmt.Errorf("tools[%d]: function name is required", i)
		}
		defs = append(defs, toolDef{
			Name:        t.Function.Name,
			Description: t.Function.Description,
			InputSchema: schemaOrDefault(t.Function.Parameters, emptyObjectSchema),
		})
	}
	jsonTool, err := structuredOutputTool(rf)
	if err != nil {
		return nil, "", err
	}
	if jsonTool != nil {
		for _, d := range defs {
			if d.Name == jsonTool.Name {
				return nil, "", fmt.Errorf("response_format: schema name %q collides with a tool of the same name", d.Name)
			}
		}
		defs = append(defs, *jsonTool)
	}
	if len(defs) == 0 {
		return nil, "", nil
	}
	name := ""
	if jsonTool != nil {
		name = jsonTool.Name
	}
	return defs, name, nil
}

// structuredOutputTool returns the tool that emulates response_format, or
// nil for plain text.
func structuredOutputTool(rf *provider.ResponseFormat) (*toolDef, error) {
	if rf == nil {
		return nil, nil
	}
	switch rf.Type {
	case "", provider.FormatText:
		return nil, nil
	case provider.FormatJSONObject:
		return &toolDef{
			Name:        JSONToolName,
			Description: "Give your answer as a JSON object.",
			InputSchema: json.RawMessage(`{"type":"object"}`),
		}, nil
	case provider.FormatJSONSchema:
		js := rf.JSONSchema
		if js == nil {
			return nil, errors.New("response_format: json_schema is required when type is json_schema")
		}
		def := toolDef{
			Name:        js.Name,
			Description: js.Description,
			InputSchema: schemaOrDefault(js.Schema, json.RawMessage(`{"type":"object"}`)),
		}
		if def.Name == "" {
			def.Name = JSONToolName
		}
		if def.Description == "" {
			def.Description = "Give your answer as JSON matching this input schema."
		}
		return &def, nil
	default:
		return nil, fmt.Errorf("response_format: unsupported type %q", rf.Type)
	}
}

func schemaOrDefault(schema, fallback json.RawMessage) json.RawMessage {
	s := bytes.TrimSpace(schema)
	if len(s) == 0 || bytes.Equal(s, []byte("null")) {
		return fallback
	}
	return schema
}

// convertToolChoice maps OpenAI's tool_choice and parallel_tool_calls,
// taking the structured-output tool into account (see the package doc).
// It returns nil when no tool is declared at all: Anthropic rejects a
// tool_choice without tools.
func convertToolChoice(raw json.RawMessage, parallel *bool, jsonTool string, clientTools bool) (*toolChoice, error) {
	mode, name, err := parseToolChoice(raw)
	if err != nil {
		return nil, err
	}
	if !clientTools && jsonTool == "" {
		return nil, nil
	}
	var c *toolChoice
	switch {
	case jsonTool != "" && mode == choiceFunction:
		c = &toolChoice{Type: "tool", Name: name}
	case jsonTool != "" && clientTools && mode != choiceNone:
		c = &toolChoice{Type: "any"}
	case jsonTool != "":
		// One JSON answer: a second parallel call would have nowhere to go.
		return &toolChoice{Type: "tool", Name: jsonTool, DisableParallelToolUse: true}, nil
	case mode == choiceNone:
		return &toolChoice{Type: "none"}, nil // "none" takes no other field
	case mode == choiceRequired:
		c = &toolChoice{Type: "any"}
	case mode == choiceFunction:
		c = &toolChoice{Type: "tool", Name: name}
	case mode == choiceAuto:
		c = &toolChoice{Type: "auto"}
	case parallel != nil && !*parallel:
		c = &toolChoice{Type: "auto"} // only to carry disable_parallel_tool_use
	default:
		return nil, nil // Anthropic's default is auto
	}
	if parallel != nil && !*parallel {
		c.DisableParallelToolUse = true
	}
	return c, nil
}

// parseToolChoice reads "auto", "required", "none" or
// {"type":"function","function":{"name":...}}; mode is "" when absent.
func parseToolChoice(raw json.RawMessage) (mode, name string, err error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", "", nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		switch s {
		case choiceAuto, choiceRequired, choiceNone:
			return s, "", nil
		}
		return "", "", fmt.Errorf("tool_choice: unsupported value %q", s)
	}
	var obj struct {
		Type     string `json:"type"`
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil || obj.Type != choiceFunction || obj.Function.Name == "" {
		return "", "", errors.New(`tool_choice: want "auto", "required", "none" or {"type":"function","function":{"name":...}}`)
	}
	return choiceFunction, obj.Function.Name, nil
}

// forcesTool reports whether the choice makes a tool call mandatory, which
// Anthropic does not allow together with extended thinking.
func forcesTool(c *toolChoice) bool {
	return c != nil && (c.Type == "any" || c.Type == "tool")
}
