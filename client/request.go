package client

import (
	"encoding/json"
	"fmt"
)

// ChatRequest is one LLM call: an OpenAI-style chat request whose Model is
// a Gatehouse alias, plus Gatehouse's own Purpose and CallMetadata.
type ChatRequest struct {
	// Model is the alias to call ("smart"); Gatehouse resolves it to a
	// provider model the team may use.
	Model    string
	Messages []Message

	Tools      []Tool
	ToolChoice *ToolChoice
	// ResponseFormat asks for JSON; Structured sets it for you.
	ResponseFormat *ResponseFormat

	// Sampling and limits; nil leaves the provider's default.
	Temperature       *float64
	TopP              *float64
	MaxTokens         *int
	Stop              []string
	Seed              *int64
	ReasoningEffort   string // "low", "medium" or "high" for reasoning models
	User              string // your end user, passed to the provider
	ParallelToolCalls *bool

	// Purpose labels the call in the job's costs ("summary").
	Purpose string
	// CallMetadata is yours to keep with the call record.
	CallMetadata map[string]any

	// Extra holds request fields this type does not model; Gatehouse
	// forwards them untouched to OpenAI-compatible providers. A key that
	// ChatRequest models is an error rather than a silent override.
	Extra map[string]any
}

// ResponseFormat asks for a JSON answer, optionally matching a schema.
type ResponseFormat struct {
	Type       string      `json:"type"` // "text", "json_object" or "json_schema"
	JSONSchema *JSONSchema `json:"json_schema,omitempty"`
}

// JSONSchema is a named schema for structured output.
type JSONSchema struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Schema is a *Schema from SchemaFor, a json.RawMessage or a map.
	Schema any   `json:"schema,omitempty"`
	Strict *bool `json:"strict,omitempty"`
}

// Ptr returns a pointer to v, for the optional fields of ChatRequest:
// Temperature: client.Ptr(0.2).
func Ptr[T any](v T) *T { return &v }

// chatWire is ChatRequest on the wire.
type chatWire struct {
	Model             string          `json:"model"`
	Messages          []Message       `json:"messages"`
	Tools             []Tool          `json:"tools,omitempty"`
	ToolChoice        *ToolChoice     `json:"tool_choice,omitempty"`
	ResponseFormat    *ResponseFormat `json:"response_format,omitempty"`
	Temperature       *float64        `json:"temperature,omitempty"`
	TopP              *float64        `json:"top_p,omitempty"`
	MaxTokens         *int            `json:"max_tokens,omitempty"`
	Stop              []string        `json:"stop,omitempty"`
	Seed              *int64          `json:"seed,omitempty"`
	ReasoningEffort   string          `json:"reasoning_effort,omitempty"`
	User              string          `json:"user,omitempty"`
	ParallelToolCalls *bool           `json:"parallel_tool_calls,omitempty"`
	Purpose           string          `json:"purpose,omitempty"`
	CallMetadata      map[string]any  `json:"call_metadata,omitempty"`
}

// encodeCall writes a call body; job adds the one-call job's fields of
// create-and-call (nil for a call inside an existing job).
func encodeCall(r ChatRequest, job *JobParams) ([]byte, error) {
	w := chatWire{Model: r.Model, Messages: r.Messages, Tools: r.Tools, ToolChoice: r.ToolChoice,
		ResponseFormat: r.ResponseFormat, Temperature: r.Temperature, TopP: r.TopP, MaxTokens: r.MaxTokens,
		Stop: r.Stop, Seed: r.Seed, ReasoningEffort: r.ReasoningEffort, User: r.User,
		ParallelToolCalls: r.ParallelToolCalls, Purpose: r.Purpose, CallMetadata: r.CallMetadata}
	extra := map[string]any{}
	for k, v := range r.Extra {
		extra[k] = v
	}
	if job != nil {
		for k, v := range map[string]any{"job_type": job.JobType, "user_id": job.UserID} {
			if v != "" {
				extra[k] = v
			}
		}
		if len(job.Metadata) > 0 {
			extra["job_metadata"] = job.Metadata
		}
	}
	if len(extra) == 0 {
		return jsonBody(w)
	}
	base, err := jsonBody(w)
	if err != nil {
		return nil, err
	}
	// Raw values keep every number exactly as encoded (a seed above 2^53
	// would not survive a float).
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(base, &fields); err != nil {
		return nil, err
	}
	for k, v := range extra {
		if modeledField[k] {
			return nil, fmt.Errorf("gatehouse: ChatRequest.Extra[%q]: set the ChatRequest field instead", k)
		}
		raw, err := jsonBody(v)
		if err != nil {
			return nil, err
		}
		fields[k] = raw
	}
	return jsonBody(fields)
}

// modeledField lists the body keys ChatRequest sets itself (and those the
// gateway owns), which Extra may not override.
var modeledField = map[string]bool{
	"model": true, "messages": true, "tools": true, "tool_choice": true, "response_format": true,
	"temperature": true, "top_p": true, "max_tokens": true, "max_completion_tokens": true, "stop": true,
	"seed": true, "reasoning_effort": true, "user": true, "parallel_tool_calls": true,
	"purpose": true, "call_metadata": true, "stream": true, "stream_options": true,
}
