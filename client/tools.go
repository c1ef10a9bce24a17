package client

import (
	"encoding/json"
	"fmt"
)

// Tool is a function the model may call.
type Tool struct {
	Type     string       `json:"type"` // always "function"
	Function FunctionDecl `json:"function"`
}

// FunctionDecl declares a function and the JSON Schema of its arguments.
type FunctionDecl struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Parameters is the arguments' JSON Schema: a *Schema from SchemaFor,
	// a json.RawMessage or a map.
	Parameters any   `json:"parameters,omitempty"`
	Strict     *bool `json:"strict,omitempty"`
}

// NewTool declares a function tool. parameters is its arguments' schema,
// typically SchemaFor[Args](); a *Schema that meets OpenAI's strict rules
// also sets Strict, so the model's arguments always match.
func NewTool(name, description string, parameters any) Tool {
	t := Tool{Type: "function", Function: FunctionDecl{Name: name, Description: description, Parameters: parameters}}
	if s, ok := parameters.(*Schema); ok && s.Strict() {
		strict := true
		t.Function.Strict = &strict
	}
	return t
}

// ToolCall is the model's request to call a function.
type ToolCall struct {
	ID       string       `json:"id"`
	Type     string       `json:"type"` // always "function"
	Function FunctionCall `json:"function"`
}

// FunctionCall names the function and carries its arguments as JSON text.
type FunctionCall struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

// DecodeArguments decodes the call's JSON arguments into v.
func (tc ToolCall) DecodeArguments(v any) error {
	if err := json.Unmarshal([]byte(tc.Function.Arguments), v); err != nil {
		return fmt.Errorf("tool call %s (%s): arguments: %w", tc.ID, tc.Function.Name, err)
	}
	return nil
}

// ToolCallDelta is a piece of a streamed tool call, keyed by Index: the
// first piece of an index carries ID and Name, later ones append to
// Arguments.
type ToolCallDelta struct {
	Index     int    `json:"index"`
	ID        string `json:"id,omitempty"`
	Name      string `json:"name,omitempty"`
	Arguments string `json:"arguments,omitempty"`
}

// ToolChoice says whether and which tool the model must call. Use the
// ToolChoiceAuto, ToolChoiceNone and ToolChoiceRequired values or
// ToolChoiceFunction.
type ToolChoice struct {
	mode     string
	function string
}

// The tool choices that need no name: let the model decide, forbid tools,
// or require some tool call.
var (
	ToolChoiceAuto     = &ToolChoice{mode: "auto"}
	ToolChoiceNone     = &ToolChoice{mode: "none"}
	ToolChoiceRequired = &ToolChoice{mode: "required"}
)

// ToolChoiceFunction forces a call of the named function.
func ToolChoiceFunction(name string) *ToolChoice { return &ToolChoice{function: name} }

// MarshalJSON writes OpenAI's forms: a string, or
// {"type":"function","function":{"name":…}}.
func (t ToolChoice) MarshalJSON() ([]byte, error) {
	if t.function != "" {
		return json.Marshal(map[string]any{"type": "function", "function": map[string]string{"name": t.function}})
	}
	if t.mode == "" {
		return []byte(`"auto"`), nil
	}
	return json.Marshal(t.mode)
}
