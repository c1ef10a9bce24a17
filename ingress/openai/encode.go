package openai

import (
	"bytes"
	"io"

	"github.com/gatehouse-llm/gatehouse/internal/textjson"
	"github.com/gatehouse-llm/gatehouse/provider"
)

// completion is a chat.completion object in OpenAI's field order.
// Pointer fields that are always nil render as the nulls OpenAI sends, so
// clients that expect the keys find them.
type completion struct {
	ID                string   `json:"id"`
	Object            string   `json:"object"`
	Created           int64    `json:"created"`
	Model             string   `json:"model"`
	Choices           []choice `json:"choices"`
	Usage             usage    `json:"usage"`
	SystemFingerprint *string  `json:"system_fingerprint"`
}

type choice struct {
	Index        int             `json:"index"`
	Message      responseMessage `json:"message"`
	Logprobs     *struct{}       `json:"logprobs"`
	FinishReason string          `json:"finish_reason"`
}

// responseMessage has a nullable content: OpenAI sends null, not "", when
// the assistant only calls tools.
type responseMessage struct {
	Role      string              `json:"role"`
	Content   *string             `json:"content"`
	Refusal   *string             `json:"refusal"`
	ToolCalls []provider.ToolCall `json:"tool_calls,omitempty"`
}

// usage is OpenAI's usage object with the two detail counts Gatehouse
// knows. cached_tokens is the part of prompt_tokens read from the provider's
// cache; reasoning_tokens the part of completion_tokens spent thinking.
type usage struct {
	PromptTokens            int                     `json:"prompt_tokens"`
	CompletionTokens        int                     `json:"completion_tokens"`
	TotalTokens             int                     `json:"total_tokens"`
	PromptTokensDetails     promptTokensDetails     `json:"prompt_tokens_details"`
	CompletionTokensDetails completionTokensDetails `json:"completion_tokens_details"`
}

type promptTokensDetails struct {
	CachedTokens int `json:"cached_tokens"`
}

type completionTokensDetails struct {
	ReasoningTokens int `json:"reasoning_tokens"`
}

// toUsage renders provider.Usage, whose conventions already match OpenAI's
// (prompt tokens include cached ones). A missing total is computed because
// clients display it.
func toUsage(u provider.Usage) usage {
	total := u.TotalTokens
	if total == 0 {
		total = u.PromptTokens + u.CompletionTokens
	}
	return usage{
		PromptTokens:            u.PromptTokens,
		CompletionTokens:        u.CompletionTokens,
		TotalTokens:             total,
		PromptTokensDetails:     promptTokensDetails{CachedTokens: u.CachedTokens},
		CompletionTokensDetails: completionTokensDetails{ReasoningTokens: u.ReasoningTokens},
	}
}

// EncodeChat renders a complete chat.completion. alias becomes "model" so
// the client sees the name it called; id and created are the gateway's, so
// they stay stable whichever provider answered.
func EncodeChat(alias, id string, created int64, resp *provider.ChatResponse) []byte {
	var buf bytes.Buffer
	if err := WriteChat(&buf, alias, id, created, resp); err != nil {
		panic("ingress/openai: cannot encode response: " + err.Error())
	}
	return buf.Bytes()
}

// WriteChat writes what EncodeChat renders to w, escaping the answer's
// text straight into w: a long answer is never held a second time, as
// its encoded copy.
func WriteChat(w io.Writer, alias, id string, created int64, resp *provider.ChatResponse) error {
	if resp == nil {
		resp = &provider.ChatResponse{}
	}
	msg := responseMessage{Role: provider.RoleAssistant}
	text := resp.Message.Content.Text()
	if text != "" || len(resp.Message.ToolCalls) == 0 {
		hole := textjson.Placeholder
		msg.Content = &hole
	}
	for _, tc := range resp.Message.ToolCalls {
		if tc.Type == "" {
			tc.Type = "function"
		}
		msg.ToolCalls = append(msg.ToolCalls, tc)
	}
	return textjson.Write(w, completion{
		ID:      id,
		Object:  "chat.completion",
		Created: created,
		Model:   alias,
		Choices: []choice{{
			Index:        0,
			Message:      msg,
			FinishReason: finishReason(resp.FinishReason),
		}},
		Usage: toUsage(resp.Usage),
	}, text)
}

// finishReason defaults to "stop": the SDKs type finish_reason as a
// required enum, and an answer that arrived without one ended normally.
func finishReason(r string) string {
	if r == "" {
		return provider.FinishStop
	}
	return r
}
