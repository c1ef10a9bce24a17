package gemini

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// filteredReasons are the finish reasons that mean a safety or policy
// filter cut the answer.
var filteredReasons = map[string]bool{
	"SAFETY":                   true,
	"RECITATION":               true,
	"BLOCKLIST":                true,
	"PROHIBITED_CONTENT":       true,
	"SPII":                     true,
	"IMAGE_SAFETY":             true,
	"IMAGE_PROHIBITED_CONTENT": true,
}

// chatResponse maps a complete generateContent answer. model is the
// requested name, used when the upstream reports no modelVersion.
func chatResponse(gr *generateResponse, model string) *provider.ChatResponse {
	out := &provider.ChatResponse{
		ID:      gr.ResponseID,
		Model:   gr.ModelVersion,
		Created: time.Now().Unix(),
		Message: provider.Message{Role: provider.RoleAssistant},
	}
	if out.Model == "" {
		out.Model = model
	}
	if gr.UsageMetadata != nil {
		out.Usage = mapUsage(gr.UsageMetadata)
	}
	if len(gr.Candidates) == 0 {
		// No candidate at all: the prompt itself was blocked.
		out.Message.Content = provider.TextContent("")
		out.FinishReason = provider.FinishStop
		if gr.PromptFeedback != nil && gr.PromptFeedback.BlockReason != "" {
			out.FinishReason = provider.FinishContentFilter
		}
		return out
	}
	cand := gr.Candidates[0]
	var text strings.Builder
	if cand.Content != nil {
		for _, p := range cand.Content.Parts {
			switch {
			case p.FunctionCall != nil:
				index := len(out.Message.ToolCalls)
				out.Message.ToolCalls = append(out.Message.ToolCalls, provider.ToolCall{
					ID:   toolCallID(p.FunctionCall.ID, index, p.ThoughtSignature),
					Type: "function",
					Function: provider.FunctionCall{
						Name:      p.FunctionCall.Name,
						Arguments: compactArgs(p.FunctionCall.Args),
					},
				})
			case p.Thought:
				// Thought summaries are not part of the answer.
			default:
				text.WriteString(p.Text)
			}
		}
	}
	if text.Len() > 0 || len(out.Message.ToolCalls) == 0 {
		out.Message.Content = provider.TextContent(text.String())
	}
	out.FinishReason = mapFinishReason(cand.FinishReason, len(out.Message.ToolCalls) > 0)
	return out
}

// mapFinishReason normalises Gemini's finish reason. Gemini says STOP when
// it calls functions, so calls turn any non-error stop into tool_calls.
func mapFinishReason(reason string, calledTools bool) string {
	switch {
	case filteredReasons[reason]:
		return provider.FinishContentFilter
	case reason == "MAX_TOKENS":
		return provider.FinishLength
	case calledTools:
		return provider.FinishToolCalls
	default:
		return provider.FinishStop
	}
}

// mapUsage converts usageMetadata (see the package doc for the rules).
func mapUsage(m *usageMetadata) provider.Usage {
	u := provider.Usage{
		PromptTokens:     m.PromptTokenCount + m.ToolUsePromptTokenCount,
		CompletionTokens: m.CandidatesTokenCount + m.ThoughtsTokenCount,
		CachedTokens:     m.CachedContentTokenCount,
		ReasoningTokens:  m.ThoughtsTokenCount,
	}
	u.TotalTokens = u.PromptTokens + u.CompletionTokens
	return u
}

// compactArgs renders functionCall args as OpenAI's compact JSON string;
// missing args are an empty object.
func compactArgs(args json.RawMessage) string {
	var buf bytes.Buffer
	if len(bytes.TrimSpace(args)) == 0 || bytes.Equal(bytes.TrimSpace(args), []byte("null")) {
		return "{}"
	}
	if err := json.Compact(&buf, args); err != nil {
		return "{}"
	}
	return buf.String()
}
