package anthropic

import (
	"errors"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// DefaultMaxTokens is sent as max_tokens when the client sets no limit:
// Anthropic requires the field, and 4096 is an output every current Claude
// model accepts while being long enough for ordinary answers.
const DefaultMaxTokens = 4096

// plan is a translated request plus what translating the answer needs to
// know about it.
type plan struct {
	body messagesRequest
	// jsonTool names the tool forced for structured output ("" when the
	// client asked for none); its input is the answer's text content.
	jsonTool string
}

// buildRequest translates req into a Messages API body. Every error it
// returns is the client's fault and maps to ErrBadRequest.
func buildRequest(req *provider.ChatRequest, stream bool) (*plan, error) {
	if req == nil {
		return nil, errors.New("request is missing")
	}
	system, turns, err := convertMessages(req.Messages)
	if err != nil {
		return nil, err
	}
	tools, jsonTool, err := convertTools(req.Tools, req.ResponseFormat)
	if err != nil {
		return nil, err
	}
	choice, err := convertToolChoice(req.ToolChoice, req.ParallelToolCall, jsonTool, len(req.Tools) > 0)
	if err != nil {
		return nil, err
	}
	budget, err := thinkingBudget(req.ReasoningEffort)
	if err != nil {
		return nil, err
	}
	if forcesTool(choice) {
		budget = 0 // Anthropic rejects thinking with forced tool use
	}
	body := messagesRequest{
		Model:         req.Model,
		System:        system,
		Messages:      turns,
		StopSequences: req.Stop,
		Stream:        stream,
		Temperature:   req.Temperature,
		TopP:          req.TopP,
		Tools:         tools,
		ToolChoice:    choice,
	}
	if req.User != "" {
		body.Metadata = &metadata{UserID: req.User}
	}
	body.MaxTokens, body.Thinking = tokenLimits(req.MaxTokens, budget)
	return &plan{body: body, jsonTool: jsonTool}, nil
}
