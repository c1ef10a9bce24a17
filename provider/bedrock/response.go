package bedrock

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// chatResponse maps a Converse response. Converse returns neither an id nor
// the model, so the id is Bedrock's request id and the model the one asked
// for.
func chatResponse(name string, cr *converseResponse, jsonTool, requestID, model string, now time.Time) (*provider.ChatResponse, error) {
	if cr.Output.Message == nil {
		return nil, badResponse(name, "Converse response has no output.message")
	}
	var text strings.Builder
	var calls []provider.ToolCall
	var jsonOut json.RawMessage
	for _, b := range cr.Output.Message.Content {
		switch {
		case b.ToolUse != nil && jsonTool != "" && b.ToolUse.Name == jsonTool:
			jsonOut = compactInput(b.ToolUse.Input)
		case b.ToolUse != nil:
			calls = append(calls, provider.ToolCall{
				ID:   b.ToolUse.ToolUseID,
				Type: "function",
				Function: provider.FunctionCall{
					Name:      b.ToolUse.Name,
					Arguments: string(compactInput(b.ToolUse.Input)),
				},
			})
		default:
			text.WriteString(b.Text)
		}
	}
	content := text.String()
	if jsonTool != "" {
		// The forced tool's input is the answer; prose around it would make
		// the content unparsable as JSON. ChatStream drops it the same way.
		content = string(jsonOut)
	}
	msg := provider.Message{Role: provider.RoleAssistant, ToolCalls: calls}
	if content != "" {
		msg.Content = provider.TextContent(content)
	}
	out := &provider.ChatResponse{
		ID:           requestID,
		Model:        model,
		Created:      now.Unix(),
		Message:      msg,
		FinishReason: finishReason(cr.StopReason, jsonOut != nil && len(calls) == 0),
	}
	if cr.Usage != nil {
		out.Usage = convertUsage(*cr.Usage)
	}
	return out, nil
}

// compactInput renders a toolUse input as compact JSON arguments; a missing
// input is an empty object, which is what the model meant.
func compactInput(in json.RawMessage) json.RawMessage {
	var buf bytes.Buffer
	if len(bytes.TrimSpace(in)) == 0 || json.Compact(&buf, in) != nil {
		return json.RawMessage("{}")
	}
	return buf.Bytes()
}

// finishReason normalises Converse's stopReason. jsonOnly is true when the
// only tool called was the response_format tool, whose tool_use stop is a
// normal end of answer for the client.
func finishReason(stop string, jsonOnly bool) string {
	switch stop {
	case "end_turn", "stop_sequence", "":
		return provider.FinishStop
	case "max_tokens", "model_context_window_exceeded":
		return provider.FinishLength
	case "tool_use":
		if jsonOnly {
			return provider.FinishStop
		}
		return provider.FinishToolCalls
	case "guardrail_intervened", "content_filtered":
		return provider.FinishContentFilter
	default:
		return provider.FinishStop
	}
}

// convertUsage adds the cache tokens, which Converse reports outside
// inputTokens, into PromptTokens, and recomputes the total so prompt +
// completion = total holds.
func convertUsage(u tokenUsage) provider.Usage {
	prompt := u.InputTokens + u.CacheReadInputTokens + u.CacheWriteInputTokens
	return provider.Usage{
		PromptTokens:     prompt,
		CompletionTokens: u.OutputTokens,
		TotalTokens:      prompt + u.OutputTokens,
		CachedTokens:     u.CacheReadInputTokens,
		CacheWriteTokens: u.CacheWriteInputTokens,
	}
}
