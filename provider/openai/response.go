package openai

import (
	"bytes"
	"encoding/json"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// wireResponse is a chat.completion object.
type wireResponse struct {
	ID      string       `json:"id"`
	Model   string       `json:"model"`
	Created int64        `json:"created"`
	Choices []wireChoice `json:"choices"`
	Usage   *wireUsage   `json:"usage"`
}

type wireChoice struct {
	Index        int         `json:"index"`
	Message      wireMessage `json:"message"`
	FinishReason string      `json:"finish_reason"`
}

// wireMessage keeps content undecoded in the body (provider.BodyJSON):
// it is the one value as large as the answer, and decoding it in place
// spares a copy of it.
type wireMessage struct {
	Role      string            `json:"role"`
	Content   provider.BodyJSON `json:"content"`
	ToolCalls []wireToolCall    `json:"tool_calls"`
}

// wireToolCall accepts arguments as OpenAI's JSON-encoded string or, as
// some compatible servers send them, as a bare JSON object.
type wireToolCall struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string          `json:"name"`
		Arguments json.RawMessage `json:"arguments"`
	} `json:"function"`
}

// wireUsage covers OpenAI's usage object plus DeepSeek's cache counter,
// which DeepSeek reports instead of prompt_tokens_details.
type wireUsage struct {
	PromptTokens        int `json:"prompt_tokens"`
	CompletionTokens    int `json:"completion_tokens"`
	TotalTokens         int `json:"total_tokens"`
	PromptTokensDetails *struct {
		CachedTokens int `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
	CompletionTokensDetails *struct {
		ReasoningTokens int `json:"reasoning_tokens"`
	} `json:"completion_tokens_details"`
	PromptCacheHitTokens int `json:"prompt_cache_hit_tokens"`
}

// parseChatResponse maps a non-streamed 2xx body. raw is owned by the
// call: the answer's text is decoded inside it and shares its memory.
func parseChatResponse(up *upstream, raw []byte) (*provider.ChatResponse, error) {
	var w wireResponse
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, up.badResponse("malformed chat completion: " + err.Error())
	}
	choice := firstChoice(w.Choices)
	if choice == nil {
		return nil, up.badResponse("chat completion has no choices")
	}
	content, err := messageContent(raw, choice.Message.Content)
	if err != nil {
		return nil, up.badResponse("malformed chat completion content: " + err.Error())
	}
	msg := provider.Message{Role: choice.Message.Role, Content: content}
	if msg.Role == "" {
		msg.Role = provider.RoleAssistant
	}
	for _, tc := range choice.Message.ToolCalls {
		args, err := argumentsText(tc.Function.Arguments)
		if err != nil {
			return nil, up.badResponse("tool call " + tc.ID + ": " + err.Error())
		}
		typ := tc.Type
		if typ == "" {
			typ = "function"
		}
		msg.ToolCalls = append(msg.ToolCalls, provider.ToolCall{
			ID: tc.ID, Type: typ,
			Function: provider.FunctionCall{Name: tc.Function.Name, Arguments: args},
		})
	}
	resp := &provider.ChatResponse{
		ID:           w.ID,
		Model:        w.Model,
		Created:      w.Created,
		Message:      msg,
		FinishReason: normalizeFinishReason(choice.FinishReason),
	}
	if w.Usage != nil {
		resp.Usage = w.Usage.toUsage()
	}
	return resp, nil
}

// messageContent decodes a message's content: a string in place in the
// body, or an array of parts (or null) the ordinary way.
func messageContent(body []byte, v provider.BodyJSON) (provider.Content, error) {
	if v.IsString() {
		s, err := v.String(body)
		return provider.TextContent(s), err
	}
	var c provider.Content
	err := c.UnmarshalJSON(v.Raw())
	return c, err
}

// firstChoice returns choice 0. Gatehouse asks for one choice; if a caller
// asked for more through Extra ("n"), the others are ignored.
func firstChoice(choices []wireChoice) *wireChoice {
	for i := range choices {
		if choices[i].Index == 0 {
			return &choices[i]
		}
	}
	return nil
}

// argumentsText returns tool-call arguments as a JSON-encoded string,
// whichever way the upstream sent them.
func argumentsText(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || bytes.Equal(raw, []byte("null")):
		return "", nil
	case raw[0] == '"':
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	default:
		var buf bytes.Buffer
		err := json.Compact(&buf, raw)
		return buf.String(), err
	}
}

// toUsage maps a usage report. PromptTokens already includes cached
// tokens and CompletionTokens reasoning tokens, as provider.Usage expects.
func (w *wireUsage) toUsage() provider.Usage {
	u := provider.Usage{
		PromptTokens:     w.PromptTokens,
		CompletionTokens: w.CompletionTokens,
		TotalTokens:      w.TotalTokens,
		CachedTokens:     w.PromptCacheHitTokens,
	}
	if w.PromptTokensDetails != nil && w.PromptTokensDetails.CachedTokens > 0 {
		u.CachedTokens = w.PromptTokensDetails.CachedTokens
	}
	if w.CompletionTokensDetails != nil {
		u.ReasoningTokens = w.CompletionTokensDetails.ReasoningTokens
	}
	if u.TotalTokens == 0 {
		u.TotalTokens = u.PromptTokens + u.CompletionTokens
	}
	return u
}

// finishReasons maps the finish reasons compatible servers use onto
// OpenAI's vocabulary. Reasons not listed are passed through unchanged so
// nothing is silently misreported.
var finishReasons = map[string]string{
	"stop":           provider.FinishStop,
	"eos":            provider.FinishStop, // Together, Fireworks on older models
	"end_turn":       provider.FinishStop,
	"stop_sequence":  provider.FinishStop,
	"length":         provider.FinishLength,
	"max_tokens":     provider.FinishLength,
	"model_length":   provider.FinishLength, // Mistral: context window full
	"tool_calls":     provider.FinishToolCalls,
	"function_call":  provider.FinishToolCalls, // OpenAI's legacy functions API
	"tool_use":       provider.FinishToolCalls,
	"content_filter": provider.FinishContentFilter,
}

func normalizeFinishReason(reason string) string {
	if r, ok := finishReasons[reason]; ok {
		return r
	}
	return reason
}
