package openai

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// roleFunction is the deprecated role of a message answering a legacy
// function_call.
const roleFunction = "function"

// ownedExtra are fields that land in ChatRequest.Extra (ChatRequest does
// not model them) but that this package consumes, so no upstream receives
// them: "n" is validated here and the legacy fields become tools.
var ownedExtra = []string{"n", "functions", "function_call"}

// applyLegacy maps the deprecated function-calling fields onto tools and
// tool_choice, and legacy history onto tool calls and tool messages, so
// that upstream adapters only ever see the current vocabulary.
func applyLegacy(req *provider.ChatRequest, raw *rawChat) *BadRequest {
	for _, k := range ownedExtra {
		delete(req.Extra, k)
	}
	if len(req.Extra) == 0 {
		req.Extra = nil
	}
	if len(raw.Functions) > 0 {
		if len(req.Tools) > 0 {
			return &BadRequest{Param: "functions", Message: "functions: send either tools or the deprecated functions, not both"}
		}
		for i, f := range raw.Functions {
			if f.Name == "" {
				param := fmt.Sprintf("functions[%d].name", i)
				return &BadRequest{Param: param, Message: param + ": is required"}
			}
			req.Tools = append(req.Tools, provider.Tool{Type: "function", Function: f})
		}
	}
	if fc := bytes.TrimSpace(raw.FunctionCall); len(fc) > 0 && !bytes.Equal(fc, []byte("null")) {
		if len(req.ToolChoice) > 0 {
			return &BadRequest{Param: "function_call", Message: "function_call: send either tool_choice or the deprecated function_call, not both"}
		}
		choice, br := legacyToolChoice(fc)
		if br != nil {
			return br
		}
		req.ToolChoice = choice
	}
	return legacyHistory(req.Messages, raw.Messages)
}

// legacyToolChoice maps "none", "auto" and {"name": ...} to tool_choice.
func legacyToolChoice(fc json.RawMessage) (json.RawMessage, *BadRequest) {
	var mode string
	if json.Unmarshal(fc, &mode) == nil && (mode == "none" || mode == "auto") {
		return json.RawMessage(strconv.Quote(mode)), nil
	}
	var named struct {
		Name string `json:"name"`
	}
	if json.Unmarshal(fc, &named) != nil || named.Name == "" {
		return nil, &BadRequest{Param: "function_call", Message: `function_call: must be "none", "auto" or {"name": "<function name>"}`}
	}
	return marshal(map[string]any{"type": "function", "function": map[string]string{"name": named.Name}}), nil
}

// legacyHistory turns each assistant function_call into a tool call and
// each "function" message into the tool message answering the latest call
// of that function. Legacy calls carry no id, so one is synthesised from
// the message index; it only has to pair the two messages.
func legacyHistory(msgs []provider.Message, raw []rawMessage) *BadRequest {
	latest := map[string]string{} // function name → id of its latest call
	for i := range msgs {
		m := &msgs[i]
		switch {
		case m.Role == provider.RoleAssistant && len(m.ToolCalls) == 0 && i < len(raw) && raw[i].FunctionCall != nil:
			id := "call_legacy_" + strconv.Itoa(i)
			m.ToolCalls = []provider.ToolCall{{ID: id, Type: "function", Function: *raw[i].FunctionCall}}
			latest[raw[i].FunctionCall.Name] = id
		case m.Role == roleFunction:
			id, ok := latest[m.Name]
			if !ok {
				param := fmt.Sprintf("messages[%d].name", i)
				return &BadRequest{Param: param, Message: fmt.Sprintf("%s: no earlier assistant function_call of %q for this function message to answer", param, m.Name)}
			}
			m.Role, m.ToolCallID, m.Name = provider.RoleTool, id, ""
		}
	}
	return nil
}
