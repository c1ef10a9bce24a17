package mock

import (
	"bytes"
	"encoding/json"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// toolChoice is the request's tool_choice: a mode ("auto", "none",
// "required") or the name of a function it forces.
type toolChoice struct {
	mode   string
	forced string
}

// parseToolChoice reads OpenAI's forms: a string, or
// {"type":"function","function":{"name":...}}.
func parseToolChoice(name string, raw json.RawMessage) (toolChoice, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return toolChoice{mode: "auto"}, nil
	}
	var mode string
	if err := json.Unmarshal(raw, &mode); err == nil {
		switch mode {
		case "auto", "none", "required":
			return toolChoice{mode: mode}, nil
		}
		return toolChoice{}, badRequest(name, "invalid_request_error", "tool_choice %q is not one of auto, none, required", mode)
	}
	var obj struct {
		Type     string `json:"type"`
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil || obj.Type != "function" || obj.Function.Name == "" {
		return toolChoice{}, badRequest(name, "invalid_request_error", `tool_choice must be "auto", "none", "required" or {"type":"function","function":{"name":...}}`)
	}
	return toolChoice{mode: "required", forced: obj.Function.Name}, nil
}

// chooseTool returns the tool the model calls, or nil for a text answer. A
// forced function wins, then "none", then the [mock:tool=NAME] directive,
// then "required" (which picks the first declared tool).
func chooseTool(name string, req *provider.ChatRequest, directive string) (*provider.Tool, error) {
	choice, err := parseToolChoice(name, req.ToolChoice)
	if err != nil {
		return nil, err
	}
	switch {
	case choice.forced != "":
		return declaredTool(name, req.Tools, choice.forced, "tool_choice")
	case choice.mode == "none":
		return nil, nil
	case directive != "":
		return declaredTool(name, req.Tools, directive, "[mock:tool="+directive+"]")
	case choice.mode == "required":
		if len(req.Tools) == 0 {
			return nil, badRequest(name, "invalid_request_error", `tool_choice "required" needs at least one tool`)
		}
		return &req.Tools[0], nil
	}
	return nil, nil
}

// declaredTool finds the named tool among the request's tools.
func declaredTool(name string, tools []provider.Tool, want, source string) (*provider.Tool, error) {
	for i := range tools {
		if tools[i].Function.Name == want {
			return &tools[i], nil
		}
	}
	return nil, badRequest(name, "invalid_request_error", "%s names tool %q, which the request does not declare", source, want)
}
