package anthropic

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// inTool is a client tool: {name, description, input_schema, strict}. A
// "type" other than "custom" marks one of Anthropic's server tools.
type inTool struct {
	Type        string          `json:"type"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	InputSchema json.RawMessage `json:"input_schema"`
	Strict      *bool           `json:"strict"`
}

// inToolChoice is {"type":"auto"|"any"|"tool"|"none", "name",
// "disable_parallel_tool_use"}.
type inToolChoice struct {
	Type                   string `json:"type"`
	Name                   string `json:"name"`
	DisableParallelToolUse bool   `json:"disable_parallel_tool_use"`
}

// outputConfig carries structured output: {"format":{"type":"json_schema",
// "schema":{...}}}. Its "effort" is not modelled.
type outputConfig struct {
	Format *struct {
		Type   string          `json:"type"`
		Schema json.RawMessage `json:"schema"`
	} `json:"format"`
}

// StructuredOutputName names the json_schema response format made from
// output_config.format, which carries no name of its own.
const StructuredOutputName = "response"

// convertTools maps client tools to function tools. Server tools run
// inside Anthropic's API and have no equivalent on other upstreams, so
// they are refused rather than dropped.
func convertTools(in []inTool) ([]provider.Tool, *BadRequest) {
	var tools []provider.Tool
	for i, t := range in {
		path := index("tools", i)
		if t.Type != "" && t.Type != "custom" {
			p := path + ".type"
			return nil, &BadRequest{Param: p, Message: fmt.Sprintf("%s: server tool %q is not supported by this gateway; declare custom tools with name, description and input_schema", p, t.Type)}
		}
		if t.Name == "" {
			p := path + ".name"
			return nil, &BadRequest{Param: p, Message: p + ": Field required"}
		}
		if s := bytes.TrimSpace(t.InputSchema); len(s) == 0 || bytes.Equal(s, []byte("null")) {
			p := path + ".input_schema"
			return nil, &BadRequest{Param: p, Message: p + ": Field required"}
		}
		tools = append(tools, provider.Tool{Type: "function", Function: provider.FunctionDecl{
			Name:        t.Name,
			Description: t.Description,
			Parameters:  t.InputSchema,
			Strict:      t.Strict,
		}})
	}
	return tools, nil
}

// applyToolChoice sets tool_choice and parallel_tool_calls.
func applyToolChoice(req *provider.ChatRequest, c *inToolChoice) *BadRequest {
	if c == nil {
		return nil
	}
	switch c.Type {
	case "auto":
		req.ToolChoice = json.RawMessage(`"auto"`)
	case "any":
		req.ToolChoice = json.RawMessage(`"required"`)
	case "none":
		req.ToolChoice = json.RawMessage(`"none"`)
	case "tool":
		if c.Name == "" {
			return &BadRequest{Param: "tool_choice.name", Message: "tool_choice.name: Field required"}
		}
		req.ToolChoice = json.RawMessage(`{"type":"function","function":{"name":` + strconv.Quote(c.Name) + `}}`)
	default:
		return &BadRequest{Param: "tool_choice.type", Message: fmt.Sprintf(`tool_choice.type: must be "auto", "any", "tool" or "none", got %q`, c.Type)}
	}
	if c.DisableParallelToolUse {
		off := false
		req.ParallelToolCall = &off
	}
	return nil
}

// responseFormat maps output_config.format to a json_schema response
// format; a request without one gets nil.
func responseFormat(oc *outputConfig) (*provider.ResponseFormat, *BadRequest) {
	if oc == nil || oc.Format == nil {
		return nil, nil
	}
	if oc.Format.Type != "json_schema" {
		return nil, &BadRequest{Param: "output_config.format.type", Message: fmt.Sprintf(`output_config.format.type: must be "json_schema", got %q`, oc.Format.Type)}
	}
	if s := bytes.TrimSpace(oc.Format.Schema); len(s) == 0 || bytes.Equal(s, []byte("null")) {
		return nil, &BadRequest{Param: "output_config.format.schema", Message: "output_config.format.schema: Field required"}
	}
	return &provider.ResponseFormat{
		Type:       provider.FormatJSONSchema,
		JSONSchema: &provider.JSONSchema{Name: StructuredOutputName, Schema: oc.Format.Schema},
	}, nil
}
