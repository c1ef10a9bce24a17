package anthropic

import (
	"encoding/json"
	"fmt"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// request is the body of POST /v1/messages, limited to the fields the
// gateway maps. Content stays raw because it is a string or an array of
// blocks; fields not listed here are ignored (see the package doc).
type request struct {
	Model         string          `json:"model"`
	Messages      []inMessage     `json:"messages"`
	System        json.RawMessage `json:"system"`
	MaxTokens     *int            `json:"max_tokens"`
	Metadata      *metadata       `json:"metadata"`
	StopSequences []string        `json:"stop_sequences"`
	Stream        bool            `json:"stream"`
	Temperature   *float64        `json:"temperature"`
	TopP          *float64        `json:"top_p"`
	Tools         []inTool        `json:"tools"`
	ToolChoice    *inToolChoice   `json:"tool_choice"`
	OutputConfig  *outputConfig   `json:"output_config"`
}

type metadata struct {
	UserID *string `json:"user_id"`
}

type inMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

// DecodeMessages parses a client's Messages API body into the internal
// request; stream reports whether the client asked for server-sent events.
// Every error is a *BadRequest.
func DecodeMessages(body []byte) (req *provider.ChatRequest, stream bool, err error) {
	var in request
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, false, jsonError("", err)
	}
	if br := checkRequired(&in); br != nil {
		return nil, false, br
	}
	req = &provider.ChatRequest{
		Model:       in.Model,
		MaxTokens:   in.MaxTokens,
		Temperature: in.Temperature,
		TopP:        in.TopP,
		Stop:        in.StopSequences,
	}
	if in.Metadata != nil && in.Metadata.UserID != nil {
		req.User = *in.Metadata.UserID
	}
	system, br := systemMessages(in.System)
	if br != nil {
		return nil, false, br
	}
	msgs, br := convertMessages(in.Messages)
	if br != nil {
		return nil, false, br
	}
	req.Messages = append(system, msgs...)
	if req.Tools, br = convertTools(in.Tools); br != nil {
		return nil, false, br
	}
	if br = applyToolChoice(req, in.ToolChoice); br != nil {
		return nil, false, br
	}
	if req.ResponseFormat, br = responseFormat(in.OutputConfig); br != nil {
		return nil, false, br
	}
	return req, in.Stream, nil
}

// checkRequired enforces the fields Anthropic itself requires, with its
// wording, so clients see the errors they would see from Anthropic.
func checkRequired(in *request) *BadRequest {
	switch {
	case in.Model == "":
		return &BadRequest{Param: "model", Message: "model: Field required"}
	case in.MaxTokens == nil:
		return &BadRequest{Param: "max_tokens", Message: "max_tokens: Field required"}
	case *in.MaxTokens < 1:
		return &BadRequest{Param: "max_tokens", Message: fmt.Sprintf("max_tokens: must be at least 1, got %d", *in.MaxTokens)}
	case len(in.Messages) == 0:
		return &BadRequest{Param: "messages", Message: "messages: at least one message is required"}
	}
	return nil
}
