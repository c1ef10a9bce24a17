package http

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/gateway"
	"github.com/gatehouse-llm/gatehouse/internal/textjson"
	"github.com/gatehouse-llm/gatehouse/provider"
)

// maxCallBodyBytes bounds an LLM call's body (prompts with images are
// large; management bodies are not).
const maxCallBodyBytes = 32 << 20

// JobStore is the job side of the store the client API needs, and the
// admins' read of any team's job.
type JobStore interface {
	gatehouse.JobService
	gatehouse.JobSupportService
}

// findJobFor finds a job as the caller may see it: a team key only its own
// team's (another team's job is a 404, like a missing one), an admin any.
func findJobFor(r *http.Request, jobs JobStore, jobID string) (*gatehouse.Job, error) {
	if c := callerFrom(r); c != nil {
		return jobs.FindJob(r.Context(), c.Team.ID, jobID)
	}
	return jobs.FindAnyJob(r.Context(), jobID)
}

// jobRequest is the body of POST /api/jobs/create.
type jobRequest struct {
	TeamID   string             `json:"team_id"`
	JobType  string             `json:"job_type"`
	UserID   string             `json:"user_id"`
	Metadata gatehouse.Metadata `json:"metadata"`
}

// ownTeam refuses a team_id that is not the caller's: a key only ever
// acts for its own team.
func ownTeam(r *http.Request, teamID string) error {
	c := callerFrom(r)
	if teamID != "" && teamID != c.Team.ID {
		return &gatehouse.Error{Code: gatehouse.EFORBIDDEN, Field: "team_id", Message: "This key belongs to team \"" + c.Team.ID + "\", not \"" + teamID + "\"."}
	}
	return nil
}

func handleJobCreate(jobs JobStore) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := decodeOptional[jobRequest](w, r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		if err := ownTeam(r, req.TeamID); err != nil {
			writeError(w, r, err)
			return
		}
		j, err := jobs.CreateJob(r.Context(), &gatehouse.Job{TeamID: callerFrom(r).Team.ID, JobType: req.JobType, UserID: req.UserID,
			Metadata: req.Metadata}, r.Header.Get("Idempotency-Key"))
		if err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, http.StatusCreated, j)
	})
}

func handleJobGet(jobs JobStore) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		j, err := findJobFor(r, jobs, r.PathValue("id"))
		if err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, j)
	})
}

// completeRequest is the body of POST /api/jobs/{id}/complete.
type completeRequest struct {
	Status       string             `json:"status"`
	Metadata     gatehouse.Metadata `json:"metadata"`
	ErrorMessage string             `json:"error_message"`
}

func handleJobComplete(jobs JobStore) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := decodeOptional[completeRequest](w, r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		if req.Status == "" {
			req.Status = gatehouse.JobCompleted
		}
		j, err := jobs.CompleteJob(r.Context(), callerFrom(r).Team.ID, r.PathValue("id"), strings.ToLower(req.Status), req.ErrorMessage, req.Metadata)
		if err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, j)
	})
}

// metadataRequest is the body of PATCH /api/jobs/{id}/metadata.
type metadataRequest struct {
	Metadata gatehouse.Metadata `json:"metadata"`
}

func handleJobMetadata(jobs JobStore) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := decode[metadataRequest](w, r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		j, err := jobs.UpdateJobMetadata(r.Context(), callerFrom(r).Team.ID, r.PathValue("id"), req.Metadata)
		if err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, j)
	})
}

// callJSON is a call record as clients see it, costs in USD.
type callJSON struct {
	*gatehouse.Call
	CostUSD       usdNum            `json:"cost_usd"`
	ClientCostUSD usdNum            `json:"client_cost_usd"`
	Charged       gatehouse.Credits `json:"credits_charged,omitempty"`
}

// jobCostsResponse is GET /api/jobs/{id}/costs. The job's totals cover
// every call; Calls is a page of them (up to limit, 500 by default), with
// NextAfter naming the next page when there may be one.
type jobCostsResponse struct {
	*gatehouse.Job
	CostUSD       usdNum     `json:"cost_usd"`
	ClientCostUSD usdNum     `json:"client_cost_usd"`
	Calls         []callJSON `json:"calls"`
	// ByDeployment sums the listed calls per deployment that served them.
	ByDeployment []deploymentCost `json:"by_deployment"`
	NextAfter    string           `json:"next_after,omitempty"`
}

// deploymentCost is what one deployment served: calls, tokens, costs.
type deploymentCost struct {
	ServedBy      string `json:"served_by"`
	DeploymentID  string `json:"deployment_id"`
	Provider      string `json:"provider"`
	ProviderModel string `json:"provider_model"`
	CredentialID  string `json:"credential_id"`
	Region        string `json:"region"`
	Calls         int64  `json:"calls"`
	TotalTokens   int64  `json:"total_tokens"`
	CostUSD       usdNum `json:"cost_usd"`
	ClientCostUSD usdNum `json:"client_cost_usd"`
}

// byDeployment sums calls per serving deployment, in order of first use.
func byDeployment(calls []*gatehouse.Call) []deploymentCost {
	out := []deploymentCost{}
	at := map[[3]string]int{}
	for _, c := range calls {
		k := [3]string{c.ServedAlias, c.DeploymentID, c.CredentialID}
		i, ok := at[k]
		if !ok {
			i = len(out)
			at[k] = i
			out = append(out, deploymentCost{ServedBy: c.ServedAlias, DeploymentID: c.DeploymentID, Provider: c.Provider,
				ProviderModel: c.ProviderModel, CredentialID: c.CredentialID, Region: c.Region})
		}
		d := &out[i]
		d.Calls++
		d.TotalTokens += c.TotalTokens
		d.CostUSD += usdNum(c.CostMicroUSD)
		d.ClientCostUSD += usdNum(c.ClientCostMicro)
	}
	return out
}

func handleJobCosts(jobs JobStore) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		j, err := findJobFor(r, jobs, r.PathValue("id"))
		if err != nil {
			writeError(w, r, err)
			return
		}
		p, err := keysetPageFrom(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		if r.URL.Query().Get("limit") == "" {
			p.Limit = gatehouse.MaxPageLimit // a job's calls, whole for all but the longest jobs
		}
		calls, err := jobs.JobCalls(r.Context(), j.TeamID, j.ID, p)
		if err != nil {
			writeError(w, r, err)
			return
		}
		out := jobCostsResponse{Job: j, CostUSD: usdNum(j.CostMicroUSD), ClientCostUSD: usdNum(j.ClientCostMicroUSD), Calls: []callJSON{}}
		for _, c := range calls {
			out.Calls = append(out.Calls, callJSON{Call: c, CostUSD: usdNum(c.CostMicroUSD), ClientCostUSD: usdNum(c.ClientCostMicro)})
		}
		out.ByDeployment = byDeployment(calls)
		if n := len(calls); n > 0 && n == p.Limit {
			out.NextAfter = gatehouse.Cursor{Time: calls[n-1].CreatedAt, ID: calls[n-1].ID}.String()
		}
		encode(w, http.StatusOK, out)
	})
}

// handleTeamJobs lists a team's jobs: a team key its own (another
// team_id is a 403), an admin any team's (an unknown one is a 404).
func handleTeamJobs(store Store, jobs JobStore) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		team, err := teamScope(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		if callerFrom(r) == nil {
			if _, err := store.FindTeam(r.Context(), team); err != nil {
				writeError(w, r, err)
				return
			}
		}
		p, err := keysetPageFrom(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		q := r.URL.Query()
		f := gatehouse.JobFilter{TeamID: team, Status: q.Get("status"), JobType: q.Get("job_type"), Page: p}
		if f.Since, err = timeQuery(r, "since"); err != nil {
			writeError(w, r, err)
			return
		}
		if f.Until, err = timeQuery(r, "until"); err != nil {
			writeError(w, r, err)
			return
		}
		list, total, err := jobs.ListJobs(r.Context(), f)
		if err != nil {
			writeError(w, r, err)
			return
		}
		keysetList(w, "jobs", list, total, p, jobCursor)
	})
}

// timeQuery reads an optional RFC 3339 time or YYYY-MM-DD date.
func timeQuery(r *http.Request, name string) (*time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return nil, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return &t, nil
		}
	}
	return nil, gatehouse.FieldErrorf(name, "%s must be an RFC 3339 time or a YYYY-MM-DD date.", name)
}

// callRequest is an LLM call: an OpenAI-style chat request (model is an
// alias) plus Gatehouse's own fields.
type callRequest struct {
	Chat     *provider.ChatRequest
	Purpose  string
	Metadata gatehouse.Metadata
}

// decodeCall reads an LLM call body. Fields Gatehouse does not model are
// kept and forwarded to OpenAI-compatible providers.
func decodeCall(w http.ResponseWriter, r *http.Request) (*callRequest, error) {
	raw, err := readJSON(w, r, maxCallBodyBytes, nil)
	if err != nil {
		return nil, err
	}
	return parseCall(raw)
}

// parseCall decodes an LLM call body read by readJSON: the chat request
// straight from the body (a copy-free pass for Gatehouse's own fields
// first), so a large body is not decoded, re-encoded and decoded again.
func parseCall(raw []byte) (*callRequest, error) {
	var own struct {
		Purpose  json.RawMessage `json:"purpose"`
		Metadata json.RawMessage `json:"call_metadata"`
	}
	if err := json.Unmarshal(raw, &own); err != nil {
		return nil, decodeError(err)
	}
	out := &callRequest{}
	if own.Purpose != nil {
		if err := json.Unmarshal(own.Purpose, &out.Purpose); err != nil {
			return nil, gatehouse.FieldErrorf("purpose", "purpose must be a string.")
		}
	}
	if own.Metadata != nil {
		if err := json.Unmarshal(own.Metadata, &out.Metadata); err != nil {
			return nil, gatehouse.FieldErrorf("call_metadata", "call_metadata must be an object.")
		}
	}
	var chat provider.ChatRequest
	if err := json.Unmarshal(raw, &chat); err != nil {
		return nil, decodeError(err)
	}
	// Gatehouse's own fields are not the provider's: never forwarded.
	for _, k := range []string{"purpose", "call_metadata", "team_id", "job_type", "user_id", "job_metadata"} {
		delete(chat.Extra, k)
	}
	if chat.Model == "" {
		return nil, gatehouse.FieldErrorf("model", "model is required: the alias to call (e.g. \"gpt-4\").")
	}
	if len(chat.Messages) == 0 {
		return nil, gatehouse.FieldErrorf("messages", "messages must hold at least one message.")
	}
	delete(chat.Extra, "stream")
	out.Chat = &chat
	return out, nil
}

// callResponse is the answer to a non-streamed call.
type callResponse struct {
	CallID           string              `json:"call_id"`
	JobID            string              `json:"job_id"`
	Model            string              `json:"model"`
	Content          string              `json:"content"`
	ToolCalls        []provider.ToolCall `json:"tool_calls,omitempty"`
	FinishReason     string              `json:"finish_reason"`
	Usage            usageJSON           `json:"usage"`
	LatencyMS        int64               `json:"latency_ms"`
	CostUSD          usdNum              `json:"cost_usd"`
	CreditsCharged   gatehouse.Credits   `json:"credits_charged"`
	CreditsRemaining gatehouse.Credits   `json:"credits_remaining"`
	Job              *gatehouse.Job      `json:"job,omitempty"`
}

// usageJSON is the usage of a call, OpenAI's field names.
type usageJSON struct {
	PromptTokens     int64  `json:"prompt_tokens"`
	CompletionTokens int64  `json:"completion_tokens"`
	TotalTokens      int64  `json:"total_tokens"`
	CachedTokens     int64  `json:"cached_tokens"`
	ReasoningTokens  int64  `json:"reasoning_tokens"`
	Source           string `json:"source"`
}

func usageOf(c *gatehouse.Call) usageJSON {
	return usageJSON{PromptTokens: c.PromptTokens, CompletionTokens: c.CompletionTokens, TotalTokens: c.TotalTokens,
		CachedTokens: c.CachedTokens, ReasoningTokens: c.ReasoningTokens, Source: c.UsageSource}
}

// writeCallError renders a failed call; provider failures keep the
// provider's message and a 429 keeps its Retry-After.
func writeCallError(w http.ResponseWriter, r *http.Request, err error) {
	setRetryAfter(w, err)
	writeError(w, r, gateway.ClientError(err))
}

// callInput is a job call to run; completeJob makes it a single-call
// job's call, which ends the job when it is recorded.
func (s *server) callInput(r *http.Request, jobID string, req *callRequest, completeJob bool) *gateway.CallInput {
	return &gateway.CallInput{Caller: callerFrom(r), JobID: jobID, Alias: req.Chat.Model, Request: req.Chat, Purpose: req.Purpose,
		Metadata: req.Metadata, CompleteJob: completeJob}
}

// endSingleCallJob returns a single-call job as its call left it. The
// call's record normally ended the job in its own transaction; a call
// refused before it ran (rate limit, credits) or whose record failed left
// it open, and it is failed here, so it costs nothing.
func (s *server) endSingleCallJob(r *http.Request, jobID string, out *gateway.Outcome, callErr error) *gatehouse.Job {
	if out != nil && out.Job != nil {
		return out.Job
	}
	status, msg := gatehouse.JobCompleted, ""
	if callErr != nil {
		status, msg = gatehouse.JobFailed, gatehouse.ErrorMessage(gateway.ClientError(callErr))
	}
	j, err := s.Jobs.CompleteJob(context.WithoutCancel(r.Context()), callerFrom(r).Team.ID, jobID, status, msg, nil)
	if err != nil {
		loggerFrom(r).Error("completing a single-call job failed", "job", jobID, "err", err)
	}
	return j
}

func handleLLMCall(s *server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := decodeCall(w, r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		out, err := s.Meter.Call(r.Context(), s.callInput(r, r.PathValue("id"), req, false))
		if err != nil {
			writeCallError(w, r, err)
			return
		}
		writeCallAnswer(w, callAnswer(out, r.PathValue("id")), out)
	})
}

func callAnswer(out *gateway.Outcome, jobID string) callResponse {
	c := out.Call
	return callResponse{CallID: c.ID, JobID: jobID, Model: c.Alias, Content: textjson.Placeholder,
		ToolCalls: out.Response.Message.ToolCalls, FinishReason: out.Response.FinishReason, Usage: usageOf(c),
		LatencyMS: c.LatencyMS, CostUSD: usdNum(c.ClientCostMicro), CreditsCharged: out.Charge, CreditsRemaining: out.CreditsRemaining}
}

// writeCallAnswer writes a call's answer with the answer's text escaped
// straight into the response (a long answer is not held a second time,
// encoded), and says in X-Gatehouse-Usage-Source where the usage it shows
// and charges came from.
func writeCallAnswer(w http.ResponseWriter, resp callResponse, out *gateway.Outcome) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set(headerUsageSource, out.Call.UsageSource)
	w.WriteHeader(http.StatusOK)
	_ = textjson.Write(w, resp, out.Response.Message.Content.Text()) // the client went away; the call is recorded
}

// handleCreateAndCall runs a one-call job: create, call, complete (failed
// if the call failed, so it costs nothing).
func handleCreateAndCall(s *server, stream bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, err := readJSON(w, r, maxCallBodyBytes, nil)
		if err != nil {
			writeError(w, r, err)
			return
		}
		var jobFields struct {
			TeamID      string             `json:"team_id"`
			JobType     string             `json:"job_type"`
			UserID      string             `json:"user_id"`
			JobMetadata gatehouse.Metadata `json:"job_metadata"`
		}
		if err := json.Unmarshal(raw, &jobFields); err != nil {
			writeError(w, r, decodeError(err))
			return
		}
		if err := ownTeam(r, jobFields.TeamID); err != nil {
			writeError(w, r, err)
			return
		}
		req, err := parseCall(raw)
		if err != nil {
			writeError(w, r, err)
			return
		}
		team := callerFrom(r).Team.ID
		job, err := s.Jobs.CreateJob(r.Context(), &gatehouse.Job{TeamID: team, JobType: jobFields.JobType, UserID: jobFields.UserID,
			Metadata: jobFields.JobMetadata, SingleCall: true}, r.Header.Get("Idempotency-Key"))
		if err != nil {
			writeError(w, r, err)
			return
		}
		if stream {
			s.streamCall(w, r, job.ID, req, true)
			return
		}
		out, callErr := s.Meter.Call(r.Context(), s.callInput(r, job.ID, req, true))
		done := s.endSingleCallJob(r, job.ID, out, callErr)
		if callErr != nil {
			writeCallError(w, r, callErr)
			return
		}
		if done == nil {
			writeError(w, r, gatehouse.Errorf(gatehouse.EINTERNAL, "Job %s could not be completed.", job.ID))
			return
		}
		resp := callAnswer(out, job.ID)
		resp.CreditsCharged, resp.Job = done.Charged, done
		writeCallAnswer(w, resp, out)
	})
}
