package http

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/gateway"
	"github.com/gatehouse-llm/gatehouse/provider"
)

// streamDelta is one streamed increment of a job call.
type streamDelta struct {
	Type         string                   `json:"type"` // "delta"
	Content      string                   `json:"content,omitempty"`
	ToolCalls    []provider.ToolCallDelta `json:"tool_calls,omitempty"`
	FinishReason string                   `json:"finish_reason,omitempty"`
}

// streamDone is the final event of a streamed job call: what it used and
// cost, sent only once the call is recorded.
type streamDone struct {
	Type           string            `json:"type"` // "done"
	CallID         string            `json:"call_id"`
	JobID          string            `json:"job_id"`
	Model          string            `json:"model"`
	FinishReason   string            `json:"finish_reason"`
	Usage          usageJSON         `json:"usage"`
	LatencyMS      int64             `json:"latency_ms"`
	FirstTokenMS   int64             `json:"first_token_ms"`
	CostUSD        usdNum            `json:"cost_usd"`
	CreditsCharged gatehouse.Credits `json:"credits_charged"`
	// CreditsRemaining is the team's spendable balance once the call
	// (and, for a single-call job, the job) was settled.
	CreditsRemaining gatehouse.Credits `json:"credits_remaining"`
	Job              *gatehouse.Job    `json:"job,omitempty"`
}

// sseWriter writes Server-Sent Events, flushing each one at once.
type sseWriter struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

func newSSE(w http.ResponseWriter) *sseWriter {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // tell nginx-style proxies not to buffer
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // a stream may outlive the server's write timeout
	w.WriteHeader(http.StatusOK)
	return &sseWriter{w: w, rc: rc}
}

// send writes one event and flushes it.
func (s *sseWriter) send(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(s.w, "data: %s\n\n", b); err != nil {
		return err
	}
	return s.rc.Flush()
}

// sendRaw writes one pre-encoded event, named when name is set, and
// flushes it.
func (s *sseWriter) sendRaw(name string, data []byte) error {
	if err := s.write(name, data); err != nil {
		return err
	}
	return s.rc.Flush()
}

// write writes one event without flushing it.
func (s *sseWriter) write(name string, data []byte) error {
	if name != "" {
		if _, err := fmt.Fprintf(s.w, "event: %s\n", name); err != nil {
			return err
		}
	}
	if _, err := io.WriteString(s.w, "data: "); err != nil {
		return err
	}
	if _, err := s.w.Write(data); err != nil {
		return err
	}
	_, err := io.WriteString(s.w, "\n\n")
	return err
}

// done writes the end marker.
func (s *sseWriter) done() {
	_, _ = io.WriteString(s.w, "data: [DONE]\n\n")
	_ = s.rc.Flush()
}

func handleLLMCallStream(s *server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := decodeCall(w, r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		s.streamCall(w, r, r.PathValue("id"), req, false)
	})
}

// streamCall relays a job call's stream: each upstream chunk is written
// and flushed as soon as it arrives; when the stream ends (or the client
// goes away, which cancels the upstream) the call is recorded, and only
// then is the final event with usage and cost sent, followed by [DONE].
// With completeJob, the job is completed afterwards (a one-call job).
func (s *server) streamCall(w http.ResponseWriter, r *http.Request, jobID string, req *callRequest, completeJob bool) {
	ms, err := s.Meter.Stream(r.Context(), s.callInput(r, jobID, req, completeJob))
	if err != nil {
		if completeJob {
			s.endSingleCallJob(r, jobID, nil, err)
		}
		writeCallError(w, r, err)
		return
	}
	out := newSSE(w)
	var streamErr error
	for {
		c, err := ms.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			streamErr = err
			break
		}
		if c.Content == "" && len(c.ToolCalls) == 0 && c.FinishReason == "" {
			continue // usage-only or empty upstream events carry nothing for the client yet
		}
		if err := out.send(streamDelta{Type: "delta", Content: c.Content, ToolCalls: c.ToolCalls, FinishReason: c.FinishReason}); err != nil {
			streamErr = err // the client went away
			break
		}
	}
	res, recErr := ms.Finish(r.Context())
	if recErr != nil {
		loggerFrom(r).Error("recording a streamed call failed", "err", recErr)
	}
	var job *gatehouse.Job
	if completeJob {
		job = s.endSingleCallJob(r, jobID, res, streamErr)
	}
	failure := streamErr
	if failure == nil && res == nil {
		failure = gatehouse.Errorf(gatehouse.EINTERNAL, "The answer could not be recorded.")
	}
	if failure != nil && r.Context().Err() == nil {
		ce := gateway.ClientError(failure)
		msg, _ := errorText(ce)
		_ = out.send(map[string]any{"type": "error", "error": errorDetail{Code: gatehouse.ErrorCode(ce), Message: msg}})
	}
	if res != nil {
		c := res.Call
		done := streamDone{Type: "done", CallID: c.ID, JobID: jobID, Model: c.Alias, FinishReason: c.FinishReason, Usage: usageOf(c),
			LatencyMS: c.LatencyMS, FirstTokenMS: c.FirstTokenMS, CostUSD: usdNum(c.ClientCostMicro), CreditsCharged: res.Charge,
			CreditsRemaining: res.CreditsRemaining, Job: job}
		if job != nil {
			done.CreditsCharged = job.Charged
		}
		_ = out.send(done)
	}
	out.done()
}
