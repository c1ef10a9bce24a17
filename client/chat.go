package client

import (
	"context"
	"net/http"
	"net/url"
)

// ChatResponse is a call's answer with what it used and cost.
type ChatResponse struct {
	CallID string `json:"call_id"`
	JobID  string `json:"job_id"`
	// Model is the alias that was called.
	Model        string     `json:"model"`
	Content      string     `json:"content"`
	ToolCalls    []ToolCall `json:"tool_calls,omitempty"`
	FinishReason string     `json:"finish_reason"` // stop, length, tool_calls or content_filter
	Usage        Usage      `json:"usage"`
	LatencyMS    int64      `json:"latency_ms"`
	// CostUSD is the client cost of the call (markup included).
	CostUSD USD `json:"cost_usd"`
	// CreditsCharged is what the call cost in credits (consumption
	// modes), or for Ask what the one-call job was charged.
	CreditsCharged Credits `json:"credits_charged"`
	// CreditsRemaining is the team's spendable balance right after the
	// call (and, for Ask, its job) was settled.
	CreditsRemaining Credits `json:"credits_remaining"`
	// Job is the completed one-call job, set by Ask only.
	Job *Job `json:"job,omitempty"`
}

// Message returns the answer as an assistant turn, to append to the
// conversation for the next call (after a tool call, say).
func (r *ChatResponse) Message() Message {
	return Message{Role: RoleAssistant, Content: r.Content, ToolCalls: r.ToolCalls}
}

// Usage is the tokens a call used, in OpenAI's terms.
type Usage struct {
	PromptTokens     int64 `json:"prompt_tokens"`
	CompletionTokens int64 `json:"completion_tokens"`
	TotalTokens      int64 `json:"total_tokens"`
	CachedTokens     int64 `json:"cached_tokens"`
	ReasoningTokens  int64 `json:"reasoning_tokens"`
	// Source is "provider", or "estimated" when a stream was cut before
	// the provider reported usage.
	Source string `json:"source"`
}

// Chat calls a model alias inside a job (POST /api/jobs/{id}/llm-call)
// and returns the whole answer. A finished job is a 409 (IsConflict); a
// team that cannot pay is a 402 (IsNoCredits). It is retried only when
// the server did no work (429, 503, or the request never left).
func (c *Client) Chat(ctx context.Context, jobID string, req ChatRequest) (*ChatResponse, error) {
	if err := requireID("job id", jobID); err != nil {
		return nil, err
	}
	return c.chat(ctx, "/api/jobs/"+url.PathEscape(jobID)+"/llm-call", req, nil)
}

// Ask runs a one-call job (POST /api/jobs/create-and-call): the job is
// created, called and completed in one request — completed and charged
// when the call succeeds, failed and free when it does not.
func (c *Client) Ask(ctx context.Context, model string, messages ...Message) (*ChatResponse, error) {
	return c.AskWith(ctx, ChatRequest{Model: model, Messages: messages}, JobParams{})
}

// AskWith is Ask with a full request and the one-call job's type, user and
// metadata. job.IdempotencyKey, when set, makes the request at most once:
// a repeat finds the first job already finished and fails with a 409
// instead of calling and charging again. None is generated.
func (c *Client) AskWith(ctx context.Context, req ChatRequest, job JobParams) (*ChatResponse, error) {
	return c.chat(ctx, "/api/jobs/create-and-call", req, &job)
}

// chat sends a non-streamed call to path.
func (c *Client) chat(ctx context.Context, path string, req ChatRequest, job *JobParams) (*ChatResponse, error) {
	r, err := callRequest(path, req, job, false)
	if err != nil {
		return nil, err
	}
	var out ChatResponse
	if err := c.call(ctx, r, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// callRequest builds the request of a call (streamed or not); a one-call
// job passes its fields in job and its idempotency key as a header.
func callRequest(path string, req ChatRequest, job *JobParams, stream bool) (request, error) {
	body, err := encodeCall(req, job)
	if err != nil {
		return request{}, err
	}
	r := request{method: http.MethodPost, path: path, body: body, class: beforeWork, stream: stream}
	if job != nil && job.IdempotencyKey != "" {
		r.header = http.Header{"Idempotency-Key": {job.IdempotencyKey}}
	}
	return r, nil
}
