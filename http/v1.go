package http

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/billing"
	"github.com/gatehouse-llm/gatehouse/gateway"
	ingressanthropic "github.com/gatehouse-llm/gatehouse/ingress/anthropic"
	ingressopenai "github.com/gatehouse-llm/gatehouse/ingress/openai"
	"github.com/gatehouse-llm/gatehouse/provider"
	"github.com/google/uuid"
)

// Headers on /v1 responses that tie a call to Gatehouse's records.
const (
	headerJobID            = "X-Gatehouse-Job-Id"
	headerCallID           = "X-Gatehouse-Call-Id"
	headerCostUSD          = "X-Gatehouse-Cost-Usd"
	headerCreditsCharged   = "X-Gatehouse-Credits-Charged"
	headerCreditsRemaining = "X-Gatehouse-Credits-Remaining"
	// headerUsageSource says where the usage shown (and charged) came
	// from: "provider", or "estimated" when the provider reported none.
	headerUsageSource = "X-Gatehouse-Usage-Source"
)

// callTrailers are the call headers a stream can only send at its end.
var callTrailers = strings.Join([]string{headerCallID, headerCostUSD, headerCreditsCharged, headerCreditsRemaining, headerUsageSource}, ", ")

// errorDialect is the error format a path's clients expect: the OpenAI
// and Anthropic SDKs decide their retries and exception types from their
// own shapes and statuses.
type errorDialect int

const (
	dialectGatehouse errorDialect = iota
	dialectOpenAI
	dialectAnthropic
)

func dialectOf(r *http.Request) errorDialect {
	switch {
	case strings.HasPrefix(r.URL.Path, "/v1/messages"):
		return dialectAnthropic
	case strings.HasPrefix(r.URL.Path, "/v1/"):
		return dialectOpenAI
	}
	return dialectGatehouse
}

// writeSDKError renders err in the OpenAI or Anthropic error format, with
// the status each SDK maps to the right exception and retry decision. A
// team out of credits is what each provider itself answers: on the OpenAI
// surface 429 insufficient_quota marked x-should-retry: false (the SDKs
// would otherwise retry it), on the Anthropic surface 402 billing_error.
// An unknown model is model_not_found; an unknown X-Gatehouse-Job-Id is
// job_not_found (Anthropic: not_found_error), naming the job.
func writeSDKError(w http.ResponseWriter, r *http.Request, d errorDialect, err error) {
	if clientGone(r) {
		return
	}
	defaultRetryAfter(w, err)
	status := ErrorStatus(err)
	code := gatehouse.ErrorCode(err)
	msg, field := errorText(err)
	openaiType, openaiCode := "", code
	switch code {
	case gatehouse.ECREDITS:
		w.Header().Set("X-Should-Retry", "false")
		if d == dialectOpenAI {
			status, openaiType, openaiCode = http.StatusTooManyRequests, ingressopenai.CodeInsufficientQuota, ingressopenai.CodeInsufficientQuota
		}
	case gatehouse.ERATELIMIT:
		openaiCode = ingressopenai.CodeRateLimitExceeded
	case gatehouse.EUNAUTHORIZED:
		openaiCode = ingressopenai.CodeInvalidAPIKey
	case gatehouse.ENOTFOUND:
		switch job := strings.TrimSpace(r.Header.Get(headerJobID)); {
		case field == "model":
			openaiCode = ingressopenai.CodeModelNotFound
		case job != "" && r.Pattern != "":
			// The alias was found before the job was looked up, so the
			// job is what is missing.
			openaiCode = codeJobNotFound
			msg = fmt.Sprintf("Job %s (%s) not found for this key's team. Open a job with POST /api/jobs/create, or leave the header out to make the call its own job.",
				gatehouse.QuoteInput(job), headerJobID)
		default:
			openaiCode = ""
		}
	}
	if openaiType == "" {
		openaiType = ingressopenai.ErrorType(status)
	}
	if code == gatehouse.EINTERNAL {
		loggerFrom(r).Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if d == dialectAnthropic {
		_, _ = w.Write(ingressanthropic.EncodeError(status, msg))
		return
	}
	_, _ = w.Write(ingressopenai.EncodeError(status, msg, openaiType, openaiCode, field))
}

// codeJobNotFound is error.code on the OpenAI surface for an
// X-Gatehouse-Job-Id that names no job of the caller's team.
const codeJobNotFound = "job_not_found"

// v1Job resolves the job a /v1 call belongs to: the open job named by
// X-Gatehouse-Job-Id, or a new single-call job that the caller of v1Job
// completes with the call (charged per the team's budget mode).
func (s *server) v1Job(r *http.Request, jobType string) (jobID string, own bool, err error) {
	if id := strings.TrimSpace(r.Header.Get(headerJobID)); id != "" {
		return id, false, nil
	}
	j, err := s.Jobs.CreateJob(r.Context(), &gatehouse.Job{TeamID: callerFrom(r).Team.ID, JobType: jobType,
		Metadata: gatehouse.Metadata{"source": r.URL.Path}, SingleCall: true}, r.Header.Get("Idempotency-Key"))
	if err != nil {
		return "", false, err
	}
	return j.ID, true, nil
}

// finishV1Job returns the single-call job a /v1 call ended (nil when the
// call joined the caller's job).
func (s *server) finishV1Job(r *http.Request, jobID string, own bool, out *gateway.Outcome, callErr error) *gatehouse.Job {
	if !own {
		return nil
	}
	return s.endSingleCallJob(r, jobID, out, callErr)
}

// setCallHeaders adds the job, call, cost and credit headers of a
// recorded call; the remaining credits come from the call's settlement,
// with no further read.
func setCallHeaders(h http.Header, jobID string, out *gateway.Outcome, job *gatehouse.Job) {
	h.Set(headerJobID, jobID)
	h.Set(headerCallID, out.Call.ID)
	h.Set(headerCostUSD, gatehouse.FormatMicros(out.Call.ClientCostMicro))
	h.Set(headerCreditsCharged, chargedFor(job, out).String())
	h.Set(headerCreditsRemaining, out.CreditsRemaining.String())
	h.Set(headerUsageSource, out.Call.UsageSource)
}

// chargedFor is what a /v1 call cost in credits: the single-call job's
// charge, or the call's own charge inside a joined job.
func chargedFor(job *gatehouse.Job, out *gateway.Outcome) gatehouse.Credits {
	if job != nil {
		return job.Charged
	}
	if out != nil {
		return out.Charge
	}
	return 0
}

// v1Begin reads and decodes a /v1 call, checks the alias before anything
// is written, and finds its job: everything a chat-style /v1 call does
// before calling. ok is false when an error has been answered.
func (s *server) v1Begin(w http.ResponseWriter, r *http.Request, d errorDialect, purpose string,
	decode func(body []byte) (*provider.ChatRequest, error)) (in *gateway.CallInput, own bool, ok bool) {
	body, err := readJSON(w, r, maxCallBodyBytes, nil)
	if err != nil {
		writeSDKError(w, r, d, err)
		return nil, false, false
	}
	req, err := decode(body)
	if err != nil {
		writeSDKError(w, r, d, sdkBadRequest(err))
		return nil, false, false
	}
	if _, err := s.State.Snapshot().Authorize(callerFrom(r), req.Model); err != nil {
		writeSDKError(w, r, d, err)
		return nil, false, false
	}
	if s.Meter != nil && s.Meter.Leases != nil && strings.TrimSpace(r.Header.Get(headerJobID)) == "" && r.Header.Get("Idempotency-Key") == "" {
		// A single-call job admitted from memory against the credit
		// lease, written once with its call's record.
		in := &gateway.CallInput{Caller: callerFrom(r), JobID: uuid.Must(uuid.NewV7()).String(), Alias: req.Model, Request: req,
			Purpose: purpose, CompleteJob: true, NewJob: &gatehouse.Job{JobType: purpose, Metadata: gatehouse.Metadata{"source": r.URL.Path}, SingleCall: true}}
		return in, true, true
	}
	jobID, own, err := s.v1Job(r, purpose)
	if err != nil {
		writeSDKError(w, r, d, err)
		return nil, false, false
	}
	return &gateway.CallInput{Caller: callerFrom(r), JobID: jobID, Alias: req.Model, Request: req, Purpose: purpose, CompleteJob: own}, own, true
}

// finishV1Call returns the single-call job a /v1 chat call ended (nil
// when it joined the caller's job, or when its job, admitted against the
// lease, was never written because the call was refused before it ran).
func (s *server) finishV1Call(r *http.Request, in *gateway.CallInput, own bool, out *gateway.Outcome, callErr error) *gatehouse.Job {
	if in.NewJob != nil {
		if out != nil {
			return out.Job
		}
		return nil
	}
	return s.finishV1Job(r, in.JobID, own, out, callErr)
}

// v1Plain runs a non-streamed /v1 call and writes the answer write
// renders, with the call's headers.
func (s *server) v1Plain(w http.ResponseWriter, r *http.Request, d errorDialect, in *gateway.CallInput, own bool,
	write func(io.Writer, *provider.ChatResponse) error) {
	out, callErr := s.Meter.Call(r.Context(), in)
	job := s.finishV1Call(r, in, own, out, callErr)
	if callErr != nil {
		setRetryAfter(w, callErr)
		writeSDKError(w, r, d, gateway.ClientError(callErr))
		return
	}
	setCallHeaders(w.Header(), in.JobID, out, job)
	w.Header().Set("Content-Type", "application/json")
	_ = write(w, out.Response) // the client went away; the call is recorded
}

// v1Stream starts a streamed /v1 call; ok is false when an error has
// been answered.
func (s *server) v1Stream(w http.ResponseWriter, r *http.Request, d errorDialect, in *gateway.CallInput, own bool) (*gateway.MeteredStream, *sseWriter, bool) {
	ms, callErr := s.Meter.Stream(r.Context(), in)
	if callErr != nil {
		s.finishV1Call(r, in, own, nil, callErr)
		setRetryAfter(w, callErr)
		writeSDKError(w, r, d, gateway.ClientError(callErr))
		return nil, nil, false
	}
	w.Header().Set(headerJobID, in.JobID)
	w.Header().Set("Trailer", callTrailers)
	return ms, newSSE(w), true
}

// errClientGone ends a stream whose client stopped reading.
var errClientGone = errors.New("the client went away")

// v1StreamEnd is how a /v1 stream ended, once the upstream stopped.
type v1StreamEnd struct {
	// upstreamErr is the upstream's failure, nil when it ended cleanly.
	upstreamErr error
	// clientGone is set when writing to the client failed.
	clientGone bool
}

// finishV1Stream records the stream's call and ends its single-call job,
// sets the trailers, and returns the recorded outcome, plus the error
// the client must be told about: the upstream's failure, or a record
// that could not be written. A client that went away is told nothing.
func (s *server) finishV1Stream(w http.ResponseWriter, r *http.Request, in *gateway.CallInput, own bool,
	ms *gateway.MeteredStream, end v1StreamEnd) (*gateway.Outcome, error) {
	res, recErr := ms.Finish(r.Context())
	if recErr != nil {
		loggerFrom(r).Error("recording a streamed call failed", "err", recErr)
	}
	streamErr := end.upstreamErr
	if end.clientGone {
		streamErr = errClientGone
	}
	job := s.finishV1Call(r, in, own, res, streamErr)
	if res != nil {
		setCallHeaders(w.Header(), in.JobID, res, job)
	}
	if end.clientGone || r.Context().Err() != nil {
		return res, nil
	}
	if end.upstreamErr != nil {
		return res, end.upstreamErr
	}
	if res == nil {
		return nil, gatehouse.Errorf(gatehouse.EINTERNAL, "The answer could not be recorded.")
	}
	return res, nil
}

// streamErrorPayload renders a failure after a stream's 200 went out, the
// way each SDK recognises one: an OpenAI error object as a data event
// (the OpenAI SDKs raise on any event with an "error" key), or an
// Anthropic "error" event whose type is overloaded_error when the
// provider is overloaded or rate limiting, api_error otherwise.
func streamErrorPayload(d errorDialect, err error) (name string, data []byte) {
	ce := gateway.ClientError(err)
	status := ErrorStatus(ce)
	msg, _ := errorText(ce)
	if d == dialectAnthropic {
		status = http.StatusInternalServerError // api_error
		if pe, ok := provider.AsError(err); ok && (pe.Kind == provider.ErrRateLimited || pe.Code == "overloaded_error" ||
			pe.Status == http.StatusServiceUnavailable || pe.Status == ingressanthropic.StatusOverloaded) {
			status = ingressanthropic.StatusOverloaded
		}
		ev := ingressanthropic.ErrorEvent(status, msg)
		return ev.Name, ev.Data
	}
	return "", ingressopenai.EncodeError(status, msg, ingressopenai.ErrorType(status), gatehouse.ErrorCode(ce), "")
}

func handleV1ChatCompletions(s *server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var stream, includeUsage bool
		in, own, ok := s.v1Begin(w, r, dialectOpenAI, "chat.completions", func(body []byte) (*provider.ChatRequest, error) {
			req, st, iu, err := ingressopenai.DecodeChat(body)
			stream, includeUsage = st, iu
			return req, err
		})
		if !ok {
			return
		}
		id, created := "chatcmpl-"+strings.ReplaceAll(uuid.NewString(), "-", ""), time.Now().Unix()
		if !stream {
			s.v1Plain(w, r, dialectOpenAI, in, own, func(w io.Writer, resp *provider.ChatResponse) error {
				return ingressopenai.WriteChat(w, in.Alias, id, created, resp)
			})
			return
		}
		ms, out, ok := s.v1Stream(w, r, dialectOpenAI, in, own)
		if !ok {
			return
		}
		enc := ingressopenai.NewChunkEncoder(in.Alias, id, created)
		enc.IncludeUsage = includeUsage
		// The finish reason is held back so the last chunk can carry the
		// usage too: the usage object is always filled in the final chunk,
		// once the call is recorded.
		var finish string
		var end v1StreamEnd
		for {
			c, err := ms.Recv()
			if err == io.EOF {
				break
			}
			if err != nil {
				end.upstreamErr = err
				break
			}
			if c.FinishReason != "" {
				finish = c.FinishReason
				cc := *c
				cc.FinishReason, cc.Usage = "", nil
				c = &cc
			}
			if out.sendPayloads(enc.Chunk(c), !ms.Buffered()) != nil {
				end.clientGone = true
				break
			}
		}
		res, failure := s.finishV1Stream(w, r, in, own, ms, end)
		if failure != nil {
			// A cut or broken answer is never dressed as a complete one:
			// no finish reason, no usage chunk, no [DONE], but the error
			// event the SDKs raise on.
			name, data := streamErrorPayload(dialectOpenAI, failure)
			_ = out.sendRaw(name, data)
			return
		}
		if res == nil {
			return // the client went away
		}
		if finish == "" {
			finish = res.Call.FinishReason
		}
		if finish == "" {
			finish = provider.FinishStop
		}
		u := usageFromCall(res.Call)
		last := enc.Chunk(&provider.Chunk{FinishReason: finish})
		if includeUsage {
			last = append(last, enc.FinalUsage(u))
		} else if n := len(last); n > 0 {
			last[n-1] = withUsage(last[n-1], enc.FinalUsage(u))
		}
		_ = sendPayloads(out, last)
		out.done()
	})
}

// withUsage copies the usage object of a usage chunk into another chunk.
func withUsage(chunk, usageChunk []byte) []byte {
	var c, u map[string]json.RawMessage
	if json.Unmarshal(chunk, &c) != nil || json.Unmarshal(usageChunk, &u) != nil {
		return chunk
	}
	c["usage"] = u["usage"]
	b, err := json.Marshal(c)
	if err != nil {
		return chunk
	}
	return b
}

// sendPayloads writes pre-encoded data events, flushing after each.
func sendPayloads(out *sseWriter, payloads [][]byte) error {
	return out.sendPayloads(payloads, true)
}

// sendPayloads writes pre-encoded data events and, with flush, sends
// them. A relay passes flush false while the upstream's next event has
// arrived already: its events then leave in one write as soon as the
// upstream has nothing more for the moment, which delays none of them
// (a write per event costs a system call each).
func (s *sseWriter) sendPayloads(payloads [][]byte, flush bool) error {
	for _, p := range payloads {
		if err := s.write("", p); err != nil {
			return err
		}
	}
	if flush {
		return s.rc.Flush()
	}
	return nil
}

// usageFromCall turns a recorded call back into provider usage.
func usageFromCall(c *gatehouse.Call) provider.Usage {
	return provider.Usage{PromptTokens: int(c.PromptTokens), CompletionTokens: int(c.CompletionTokens), TotalTokens: int(c.TotalTokens),
		CachedTokens: int(c.CachedTokens), CacheWriteTokens: int(c.CacheWriteTokens), ReasoningTokens: int(c.ReasoningTokens)}
}

// setRetryAfter copies the Retry-After of a provider's rate limit or of
// an open circuit breaker to the response, in whole seconds, rounded up.
func setRetryAfter(w http.ResponseWriter, err error) {
	if d := gateway.RetryAfter(err); d > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(d.Seconds()+0.999)))
	}
}

// sdkBadRequest turns an ingress decoding error into a 400 naming the
// parameter.
func sdkBadRequest(err error) error {
	var oe *ingressopenai.BadRequest
	if errors.As(err, &oe) {
		return gatehouse.FieldErrorf(oe.Param, "%s", oe.Message)
	}
	var ae *ingressanthropic.BadRequest
	if errors.As(err, &ae) {
		return gatehouse.FieldErrorf(ae.Param, "%s", ae.Message)
	}
	return decodeError(err)
}

func handleV1Embeddings(s *server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := readJSON(w, r, maxCallBodyBytes, nil)
		if err != nil {
			writeSDKError(w, r, dialectOpenAI, err)
			return
		}
		req, err := ingressopenai.DecodeEmbeddings(body)
		if err != nil {
			writeSDKError(w, r, dialectOpenAI, sdkBadRequest(err))
			return
		}
		if _, err := s.State.Snapshot().Authorize(callerFrom(r), req.Model); err != nil {
			writeSDKError(w, r, dialectOpenAI, err)
			return
		}
		jobID, own, err := s.v1Job(r, "embeddings")
		if err != nil {
			writeSDKError(w, r, dialectOpenAI, err)
			return
		}
		alias := req.Model
		out, resp, callErr := s.Meter.Embed(r.Context(), &gateway.EmbedInput{Caller: callerFrom(r), JobID: jobID, Alias: alias, Request: req,
			CompleteJob: own})
		job := s.finishV1Job(r, jobID, own, out, callErr)
		if callErr != nil {
			setRetryAfter(w, callErr)
			writeSDKError(w, r, dialectOpenAI, gateway.ClientError(callErr))
			return
		}
		setCallHeaders(w.Header(), jobID, out, job)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(ingressopenai.EncodeEmbeddings(alias, resp, req.EncodingFormat == "base64"))
	})
}

func handleV1Messages(s *server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var stream bool
		in, own, ok := s.v1Begin(w, r, dialectAnthropic, "messages", func(body []byte) (*provider.ChatRequest, error) {
			req, st, err := ingressanthropic.DecodeMessages(body)
			stream = st
			return req, err
		})
		if !ok {
			return
		}
		req := in.Request
		id := "msg_" + strings.ReplaceAll(uuid.NewString(), "-", "")
		if !stream {
			s.v1Plain(w, r, dialectAnthropic, in, own, func(w io.Writer, resp *provider.ChatResponse) error {
				return ingressanthropic.WriteMessage(w, in.Alias, id, resp)
			})
			return
		}
		ms, out, ok := s.v1Stream(w, r, dialectAnthropic, in, own)
		if !ok {
			return
		}
		enc := ingressanthropic.NewStreamEncoder(in.Alias, id)
		send := func(events []ingressanthropic.Event) error {
			for _, e := range events {
				if err := out.sendRaw(e.Name, e.Data); err != nil {
					return err
				}
			}
			return nil
		}
		var end v1StreamEnd
		if err := send(enc.Start(int(billing.EstimatePromptTokens(req)))); err != nil {
			end.clientGone = true
		}
		for !end.clientGone {
			c, err := ms.Recv()
			if err == io.EOF {
				break
			}
			if err != nil {
				end.upstreamErr = err
				break
			}
			if send(enc.Chunk(c)) != nil {
				end.clientGone = true
			}
		}
		res, failure := s.finishV1Stream(w, r, in, own, ms, end)
		if failure != nil {
			// A cut or broken answer never ends with message_delta and
			// message_stop: the SDKs raise on the error event instead.
			name, data := streamErrorPayload(dialectAnthropic, failure)
			_ = out.sendRaw(name, data)
			return
		}
		if res != nil {
			_ = send(enc.Finish(res.Call.FinishReason, usageFromCall(res.Call)))
		}
	})
}
