package anthropic

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// toChatResponse maps a non-streamed answer decoded from body (which the
// call owns: text is decoded inside it). jsonTool is the forced
// structured-output tool, whose input becomes text content. An answer of
// one text block, the usual case, keeps that block's text without a copy.
func toChatResponse(body []byte, r *messagesResponse, jsonTool string, created int64) (*provider.ChatResponse, error) {
	var texts []string
	var calls []provider.ToolCall
	for _, b := range r.Content {
		switch b.Type {
		case blockText:
			t, err := b.Text.String(body)
			if err != nil {
				return nil, err
			}
			texts = append(texts, t)
		case blockToolUse:
			args := compactInput(b.Input)
			if jsonTool != "" && b.Name == jsonTool {
				texts = append(texts, args)
				continue
			}
			calls = append(calls, provider.ToolCall{
				ID:       b.ID,
				Type:     "function",
				Function: provider.FunctionCall{Name: b.Name, Arguments: args},
			})
		}
		// thinking, redacted_thinking and server-tool blocks have no
		// place in an OpenAI-shaped message.
	}
	msg := provider.Message{Role: provider.RoleAssistant, ToolCalls: calls}
	text := texts
	if len(texts) > 1 {
		text = []string{strings.Join(texts, "")}
	}
	if len(text) == 1 && text[0] != "" {
		msg.Content = provider.TextContent(text[0])
	}
	return &provider.ChatResponse{
		ID:           r.ID,
		Model:        r.Model,
		Created:      created,
		Message:      msg,
		FinishReason: finishReason(r.StopReason, jsonTool != "", len(calls) > 0),
		Usage:        toUsage(r.Usage),
	}, nil
}

// compactInput renders a tool_use input as OpenAI's arguments string.
func compactInput(input json.RawMessage) string {
	in := bytes.TrimSpace(input)
	if len(in) == 0 || bytes.Equal(in, []byte("null")) {
		return "{}"
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, in); err != nil {
		return string(in)
	}
	return buf.String()
}

// finishReason normalises stop_reason. In structured-output mode the
// forced tool call is the answer, so tool_use means "stop" unless the model
// also called one of the client's tools.
func finishReason(stopReason string, jsonMode, clientToolCalls bool) string {
	switch stopReason {
	case "max_tokens", "model_context_window_exceeded":
		return provider.FinishLength
	case "tool_use":
		if jsonMode && !clientToolCalls {
			return provider.FinishStop
		}
		return provider.FinishToolCalls
	case "refusal":
		return provider.FinishContentFilter
	default: // end_turn, stop_sequence, pause_turn and anything newer
		return provider.FinishStop
	}
}

// toUsage follows provider.Usage's convention: Anthropic's input_tokens
// exclude cache reads and writes, so both are added into PromptTokens.
func toUsage(w wireUsage) provider.Usage {
	in, out := deref(w.InputTokens), deref(w.OutputTokens)
	read, write := deref(w.CacheReadInputTokens), deref(w.CacheCreationInputTokens)
	prompt := in + read + write
	return provider.Usage{
		PromptTokens:     prompt,
		CompletionTokens: out,
		TotalTokens:      prompt + out,
		CachedTokens:     read,
		CacheWriteTokens: write,
	}
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}
