package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/url"
	"sync/atomic"
)

// Stream event types.
const (
	EventDelta = "delta" // a piece of the answer
	EventDone  = "done"  // the last event: usage, cost and call ID
	EventError = "error" // the stream failed part way (yielded with an *APIError)
)

// StreamEvent is one event of a streamed call.
type StreamEvent struct {
	// Type is EventDelta, EventDone or EventError.
	Type string `json:"type"`
	// Content is the next piece of the answer's text.
	Content string `json:"content,omitempty"`
	// ToolCalls are pieces of tool calls (see ToolCallDelta).
	ToolCalls []ToolCallDelta `json:"tool_calls,omitempty"`
	// FinishReason is set on the delta that ends the answer.
	FinishReason string `json:"finish_reason,omitempty"`
	// Done is set on the EventDone event only.
	Done *StreamDone `json:"-"`
}

// StreamDone is the final event of a stream, sent once the call is
// recorded: what it used and cost.
type StreamDone struct {
	CallID         string  `json:"call_id"`
	JobID          string  `json:"job_id"`
	Model          string  `json:"model"`
	FinishReason   string  `json:"finish_reason"`
	Usage          Usage   `json:"usage"`
	LatencyMS      int64   `json:"latency_ms"`
	FirstTokenMS   int64   `json:"first_token_ms"`
	CostUSD        USD     `json:"cost_usd"`
	CreditsCharged Credits `json:"credits_charged"`
	// CreditsRemaining is the team's spendable balance right after the
	// call (and, for AskStream, its job) was settled.
	CreditsRemaining Credits `json:"credits_remaining"`
	// Job is the ended one-call job, set by AskStream only.
	Job *Job `json:"job,omitempty"`
}

// ErrStreamCut reports a stream that ended without its final event: the
// connection was lost part way, and the answer is incomplete.
var ErrStreamCut = errors.New("gatehouse: stream ended before its final event")

// ErrStreamReused reports a second range over one ChatStream or AskStream
// sequence: each makes one call, and calling again by accident would be
// paid again.
var ErrStreamReused = errors.New("gatehouse: a stream can be ranged over only once; call ChatStream again for another call")

// ChatStream calls a model alias inside a job, streamed (POST
// /api/jobs/{id}/llm-call-stream). The call is made when the range
// starts, and each event is yielded as it is read. Stopping the range
// early closes the connection, and Gatehouse then cancels the provider
// request (what was used so far is still recorded). An error ends the
// sequence, except an EventError event, after which the stream still
// delivers its EventDone with the usage so far if the range goes on.
// Retries happen only before the stream starts, as for Chat.
func (c *Client) ChatStream(ctx context.Context, jobID string, req ChatRequest) iter.Seq2[StreamEvent, error] {
	if err := requireID("job id", jobID); err != nil {
		return failed(err)
	}
	r, err := callRequest("/api/jobs/"+url.PathEscape(jobID)+"/llm-call-stream", req, nil, true)
	if err != nil {
		return failed(err)
	}
	return c.stream(ctx, r)
}

// AskStream runs a one-call job, streamed (POST
// /api/jobs/create-and-call-stream); the final event carries the ended
// job.
func (c *Client) AskStream(ctx context.Context, model string, messages ...Message) iter.Seq2[StreamEvent, error] {
	return c.AskStreamWith(ctx, ChatRequest{Model: model, Messages: messages}, JobParams{})
}

// AskStreamWith is AskStream with a full request and the job's fields
// (see AskWith).
func (c *Client) AskStreamWith(ctx context.Context, req ChatRequest, job JobParams) iter.Seq2[StreamEvent, error] {
	r, err := callRequest("/api/jobs/create-and-call-stream", req, &job, true)
	if err != nil {
		return failed(err)
	}
	return c.stream(ctx, r)
}

// failed is a sequence holding only err.
func failed(err error) iter.Seq2[StreamEvent, error] {
	return func(yield func(StreamEvent, error) bool) { yield(StreamEvent{}, err) }
}

// stream makes the streamed call r when ranged over, once.
func (c *Client) stream(ctx context.Context, r request) iter.Seq2[StreamEvent, error] {
	var used atomic.Bool
	return func(yield func(StreamEvent, error) bool) {
		if used.Swap(true) {
			yield(StreamEvent{}, ErrStreamReused)
			return
		}
		ctx, cancel := context.WithCancel(ctx)
		defer cancel() // also on an early break: the server sees the client leave
		resp, err := c.send(ctx, r)
		if err != nil {
			yield(StreamEvent{}, err)
			return
		}
		defer resp.Body.Close()
		events := newSSEReader(resp.Body)
		sawDone := false
		for {
			data, err := events.next()
			if err == io.EOF && sawDone {
				return // the final event arrived; only the end marker is missing
			}
			if err != nil {
				switch {
				case ctx.Err() != nil:
					err = fmt.Errorf("gatehouse: %s: %w", r.path, context.Cause(ctx))
				case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
					err = ErrStreamCut
				default:
					err = fmt.Errorf("gatehouse: %s: reading the stream: %w (%w)", r.path, ErrStreamCut, err)
				}
				yield(StreamEvent{}, err)
				return
			}
			if string(data) == "[DONE]" {
				return
			}
			ev, evErr, ok := decodeEvent(data)
			if !ok {
				continue // a type this client does not know yet
			}
			sawDone = sawDone || ev.Done != nil
			if !yield(ev, evErr) || (evErr != nil && ev.Type != EventError) {
				return
			}
		}
	}
}

// decodeEvent reads one event. An error event comes back as an *APIError;
// ok is false for event types this client does not know, which are
// skipped so newer servers can add some.
func decodeEvent(data []byte) (ev StreamEvent, evErr error, ok bool) {
	var head struct {
		Type  string       `json:"type"`
		Error *errorDetail `json:"error"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return StreamEvent{}, fmt.Errorf("gatehouse: malformed stream event %.200q: %w", data, err), true
	}
	switch head.Type {
	case EventDelta:
		if err := json.Unmarshal(data, &ev); err != nil {
			return StreamEvent{}, fmt.Errorf("gatehouse: malformed delta event: %w", err), true
		}
		return ev, nil, true
	case EventDone:
		var done StreamDone
		if err := json.Unmarshal(data, &done); err != nil {
			return StreamEvent{}, fmt.Errorf("gatehouse: malformed done event: %w", err), true
		}
		return StreamEvent{Type: EventDone, FinishReason: done.FinishReason, Done: &done}, nil, true
	case EventError:
		e := &APIError{Code: CodeInternal, Message: "the stream failed"}
		if head.Error != nil {
			e.Code, e.Message, e.Field = head.Error.Code, head.Error.Message, head.Error.Field
		}
		e.StatusCode = codeStatus[e.Code]
		if e.StatusCode == 0 {
			e.StatusCode = 500
		}
		return StreamEvent{Type: EventError}, e, true
	}
	return StreamEvent{}, nil, false
}
