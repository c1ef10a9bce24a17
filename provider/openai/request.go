package openai

import (
	"bytes"
	"encoding/json"
	"slices"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// chatBody is the outgoing chat completions body in OpenAI's field order.
// ChatRequest.Extra is merged in after it is encoded (mergeExtra).
type chatBody struct {
	Model               string                   `json:"model"`
	Messages            []provider.Message       `json:"messages"`
	Tools               []provider.Tool          `json:"tools,omitempty"`
	ToolChoice          json.RawMessage          `json:"tool_choice,omitempty"`
	ParallelToolCalls   *bool                    `json:"parallel_tool_calls,omitempty"`
	ResponseFormat      *provider.ResponseFormat `json:"response_format,omitempty"`
	Temperature         *float64                 `json:"temperature,omitempty"`
	TopP                *float64                 `json:"top_p,omitempty"`
	MaxTokens           *int                     `json:"max_tokens,omitempty"`
	MaxCompletionTokens *int                     `json:"max_completion_tokens,omitempty"`
	Stop                []string                 `json:"stop,omitempty"`
	Seed                *int64                   `json:"seed,omitempty"`
	RandomSeed          *int64                   `json:"random_seed,omitempty"`
	ReasoningEffort     string                   `json:"reasoning_effort,omitempty"`
	User                string                   `json:"user,omitempty"`
	Stream              bool                     `json:"stream,omitempty"`
	StreamOptions       *streamOptions           `json:"stream_options,omitempty"`
}

// streamOptions asks for the usage-only chunk before "data: [DONE]".
type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// buildChatBody encodes req for the upstream. Errors are local
// invalid_request errors; nothing has been sent yet.
func buildChatBody(up *upstream, req *provider.ChatRequest, stream bool) ([]byte, error) {
	if req == nil {
		return nil, up.badRequest("missing chat request")
	}
	body := chatBody{
		Model:             req.Model,
		Messages:          req.Messages,
		Tools:             req.Tools,
		ToolChoice:        req.ToolChoice,
		ParallelToolCalls: req.ParallelToolCall,
		ResponseFormat:    req.ResponseFormat,
		Temperature:       req.Temperature,
		TopP:              req.TopP,
		MaxTokens:         req.MaxTokens,
		Stop:              req.Stop,
		Seed:              req.Seed,
		ReasoningEffort:   req.ReasoningEffort,
		User:              req.User,
	}
	if body.Messages == nil {
		body.Messages = []provider.Message{} // "messages": [] reads better upstream than null
	}
	if up.d.seedField == "random_seed" {
		body.RandomSeed, body.Seed = body.Seed, nil
	}
	if up.d.reasoningRules && IsReasoningModel(req.Model) {
		if err := applyReasoningRules(up, &body); err != nil {
			return nil, err
		}
	}
	if stream {
		body.Stream = true
		if !up.d.noStreamOptions {
			body.StreamOptions = &streamOptions{IncludeUsage: true}
		}
	}
	encoded, err := json.Marshal(body)
	if err != nil {
		return nil, up.badRequest("cannot encode request: " + err.Error())
	}
	return mergeExtra(up, encoded, req.Extra)
}

// mergeExtra appends the fields Gatehouse does not model to an encoded
// object, in key order so bodies are reproducible. Keys the body already
// has or that ChatRequest models (provider.IsModeledChatField) are skipped, so modelled
// fields always win over anything a caller put in Extra.
func mergeExtra(up *upstream, encoded []byte, extra map[string]json.RawMessage) ([]byte, error) {
	if len(extra) == 0 {
		return encoded, nil
	}
	var present map[string]json.RawMessage
	if err := json.Unmarshal(encoded, &present); err != nil {
		return nil, up.badRequest("cannot encode request: " + err.Error())
	}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		if _, clash := present[k]; !clash && !provider.IsModeledChatField(k) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return encoded, nil
	}
	slices.Sort(keys)
	out := bytes.NewBuffer(make([]byte, 0, len(encoded)+64*len(keys)))
	out.Write(encoded[:len(encoded)-1]) // without the closing brace
	for _, k := range keys {
		var value bytes.Buffer
		if err := json.Compact(&value, extra[k]); err != nil {
			return nil, up.badRequest("request field " + k + " is not valid JSON")
		}
		name, _ := json.Marshal(k)
		out.WriteByte(',')
		out.Write(name)
		out.WriteByte(':')
		out.Write(value.Bytes())
	}
	out.WriteByte('}')
	return out.Bytes(), nil
}
