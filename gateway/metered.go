package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/billing"
	"github.com/gatehouse-llm/gatehouse/catalog"
	"github.com/gatehouse-llm/gatehouse/lease"
	"github.com/gatehouse-llm/gatehouse/provider"
	"github.com/gatehouse-llm/gatehouse/state"
	"github.com/google/uuid"
)

// JobStore is what metering needs from storage.
type JobStore interface {
	FindTeam(ctx context.Context, id string) (*gatehouse.Team, error)
	ReserveForCall(ctx context.Context, teamID, jobID, mode string, amount gatehouse.Credits) error
}

// CallRecorder durably records finished calls (sqlstore.Recorder).
type CallRecorder interface {
	Record(ctx context.Context, o gatehouse.CallOutcome) (gatehouse.Settlement, error)
}

// Admitter applies rate limits before a call; release reports the tokens
// the call really used. A nil Admitter admits everything.
type Admitter interface {
	Admit(ctx context.Context, c *state.Caller, estimatedTokens int64) (release func(actualTokens int64), err error)
}

// Meter runs calls inside jobs: it admits them (rate limits, credits),
// calls the provider through the Gateway, prices what was used and records
// it before the client is answered. It is the "admit → call → meter →
// settle" part of the pipeline.
type Meter struct {
	Gateway  *Gateway
	Store    JobStore
	Recorder CallRecorder
	Catalog  *catalog.Catalog
	Limits   Admitter
	// StoreBodies keeps request and response bodies with each call record
	// (off by default: prompts are the customer's data).
	StoreBodies bool
	// ReserveOutputTokens is the answer length a consumption-mode call
	// reserves credits for (see billing.PlanCall): 0 means
	// billing.DefaultReserveOutput, a negative value the maximal answer.
	ReserveOutputTokens int
	Now                 func() time.Time
	// Leases, when set, admits single-call jobs that are not written yet
	// (CallInput.NewJob) from memory against this process's credit lease:
	// the job is then written once, with its call's record.
	Leases *lease.Manager
}

// CallInput is one call a client asked for.
type CallInput struct {
	Caller   *state.Caller
	JobID    string
	Alias    string
	Request  *provider.ChatRequest
	Purpose  string
	Metadata gatehouse.Metadata
	// CompleteJob ends the job with this call (a single-call job), in the
	// transaction that records the call: completed if it succeeded,
	// failed otherwise. A call refused before it ran leaves the job open.
	CompleteJob bool
	// NewJob is a single-call job not written yet (its ID is JobID),
	// admitted against the Meter's credit lease and inserted, already
	// ended, by the transaction that records the call. A call refused
	// before it ran leaves no job. It needs Meter.Leases.
	NewJob *gatehouse.Job
}

// Outcome is a recorded call and, for a successful non-streamed call, the
// answer, with what recording it settled (the ended job, the team's
// remaining credits).
type Outcome struct {
	Call     *gatehouse.Call
	Response *provider.ChatResponse
	Charge   gatehouse.Credits
	gatehouse.Settlement
}

// admission is what was set aside for a call before it ran.
type admission struct {
	team     *gatehouse.Team
	reserved gatehouse.Credits
	release  func(int64)
	start    time.Time
	// ticket is the lease admission of a job not written yet (newJob).
	ticket *lease.Ticket
	newJob *gatehouse.Job
	// arrived tells the recorder that the call it expects is handed over.
	arrived func()
}

// expecter is a CallRecorder that batches better when told which calls
// are on their way (sqlstore.Recorder).
type expecter interface{ Expect() (arrived func()) }

// expect tells the recorder an admitted call is running.
func (m *Meter) expect(a *admission) *admission {
	if e, ok := m.Recorder.(expecter); ok {
		a.arrived = e.Expect()
	}
	return a
}

func (m *Meter) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// creditsHeldRetry is the Retry-After of a call refused because the
// team's credits are held by calls in flight: they end, and give back
// what they did not spend, within moments.
const creditsHeldRetry = time.Second

// admit checks the alias, the rate limits and the credits before any
// provider is called. A team whose credits are spent is refused here
// (402); one whose credits are only held by calls in flight gets a
// retryable 429 with Retry-After.
func (m *Meter) admitCall(ctx context.Context, in *CallInput) (*admission, error) {
	snap := m.Gateway.state.Snapshot()
	named, err := snap.Authorize(in.Caller, in.Alias)
	if err != nil {
		return nil, err
	}
	if in.NewJob != nil {
		if m.Leases == nil {
			return nil, errors.New("gateway: CallInput.NewJob needs Meter.Leases")
		}
		return m.admitLeased(ctx, in, named)
	}
	// The budget mode decides the plan. The in-memory team is enough for
	// job_based; consumption needs the live balance. If this replica's
	// view of the mode is stale (it changed moments ago), the job's mode
	// wins and the call is planned again from the stored team. If the
	// reservation loses a race for the team's last free credits, the call
	// is planned once more from the balance as it now is (it may then be
	// shortened, or refused saying why).
	team := in.Caller.Team
	fresh := team.BudgetMode != gatehouse.BudgetJobBased
	var plan billing.Plan
	var release func(int64)
	refuse := func(err error) (*admission, error) {
		if release != nil {
			release(0)
		}
		return nil, creditsError(err)
	}
	for attempt := 0; ; attempt++ {
		if fresh {
			if team, err = m.Store.FindTeam(ctx, team.ID); err != nil {
				return refuse(err)
			}
		}
		plan = billing.Plan{}
		if team.BudgetMode != gatehouse.BudgetJobBased {
			if plan, err = m.plan(team, named, in.Request); err != nil {
				return refuse(err)
			}
		}
		if m.Limits != nil && release == nil {
			est := billing.EstimatePromptTokens(in.Request)
			if in.Request.MaxTokens != nil {
				est += int64(*in.Request.MaxTokens)
			}
			if release, err = m.Limits.Admit(ctx, in.Caller, est); err != nil {
				return nil, err
			}
		}
		err = m.Store.ReserveForCall(ctx, team.ID, in.JobID, team.BudgetMode, plan.Reserve)
		if attempt < 2 && (errors.Is(err, gatehouse.ErrModeMismatch) ||
			(gatehouse.ErrorCode(err) == gatehouse.ERATELIMIT && team.BudgetMode != gatehouse.BudgetJobBased)) {
			fresh = true
			continue
		}
		if err != nil {
			return refuse(err)
		}
		break
	}
	a := m.expect(&admission{team: team, reserved: plan.Reserve, release: release, start: time.Now()})
	if plan.MaxTokens != nil && (in.Request.MaxTokens == nil || *plan.MaxTokens < *in.Request.MaxTokens) {
		in.Request.MaxTokens = plan.MaxTokens
	}
	return a, nil
}

// admitLeased admits a call whose single-call job is not written yet
// against the team's credit lease, from memory: one credit for a
// job_based job, the call's reservation in consumption modes (planned, as
// any call, from the team's live balance, counting what this process's
// lease holds unused as free).
func (m *Meter) admitLeased(ctx context.Context, in *CallInput, named *gatehouse.Alias) (*admission, error) {
	team := in.Caller.Team
	var plan billing.Plan
	need := gatehouse.OneCredit
	if team.BudgetMode != gatehouse.BudgetJobBased {
		fresh, err := m.Store.FindTeam(ctx, team.ID)
		if err != nil {
			return nil, err
		}
		t := *fresh
		t.CreditsHeld = max(t.CreditsHeld-m.Leases.Unused(t.ID), 0)
		team = &t
		if plan, err = m.plan(team, named, in.Request); err != nil {
			return nil, creditsError(err)
		}
		need = plan.Reserve
	}
	var release func(int64)
	if m.Limits != nil {
		est := billing.EstimatePromptTokens(in.Request)
		if in.Request.MaxTokens != nil {
			est += int64(*in.Request.MaxTokens)
		}
		var err error
		if release, err = m.Limits.Admit(ctx, in.Caller, est); err != nil {
			return nil, err
		}
	}
	var ticket *lease.Ticket
	if need > 0 {
		var err error
		if ticket, err = m.Leases.Admit(ctx, team.ID, need); err != nil {
			if release != nil {
				release(0)
			}
			return nil, creditsError(err)
		}
	}
	job := *in.NewJob
	job.ID, job.TeamID, job.OrganizationID, job.BudgetMode = in.JobID, team.ID, team.OrganizationID, team.BudgetMode
	if job.CreatedAt.IsZero() {
		job.CreatedAt = m.now().UTC().Truncate(time.Microsecond)
	}
	a := m.expect(&admission{team: team, reserved: need, release: release, start: time.Now(), ticket: ticket, newJob: &job})
	if plan.MaxTokens != nil && (in.Request.MaxTokens == nil || *plan.MaxTokens < *in.Request.MaxTokens) {
		in.Request.MaxTokens = plan.MaxTokens
	}
	return a, nil
}

// creditsError gives a refusal for credits held by calls in flight
// (ERATELIMIT from billing or storage) its Retry-After, so it is answered
// as the retryable 429 it is; other errors pass unchanged.
func creditsError(err error) error {
	var e *gatehouse.Error
	if errors.As(err, &e) && e.Code == gatehouse.ERATELIMIT {
		return &RateLimited{Err: e, RetryAfter: creditsHeldRetry, Reason: RefusedCreditsHeld}
	}
	return err
}

// plan computes a consumption-mode reservation for the alias's model.
func (m *Meter) plan(team *gatehouse.Team, named *gatehouse.Alias, req *provider.ChatRequest) (billing.Plan, error) {
	prov, model, _ := gatehouse.SplitModel(named.LiteLLMModel)
	prices, ok := billing.PricesFor(m.Catalog, pricedAlias(named, named.Primary()), prov, model, m.now())
	if !ok {
		return billing.Plan{}, gatehouse.Errorf(gatehouse.EUNAVAILABLE, "Model %q has no known price; the operator must set the alias's pricing.", named.Alias)
	}
	maxOut := 0
	if cm, ok := m.Catalog.Lookup(prov, model); ok {
		maxOut = cm.MaxOutputTokens
	}
	reserveOut := m.ReserveOutputTokens
	if reserveOut == 0 {
		reserveOut = billing.DefaultReserveOutput
	}
	return billing.PlanCall(team, req, prices, maxOut, reserveOut)
}

// Where a call record's usage came from (gatehouse.Call.UsageSource).
const (
	// UsageProvider: the provider reported it.
	UsageProvider = "provider"
	// UsageEstimated: the provider reported nothing (it omitted usage, or
	// its answer was cut before its report), so Gatehouse counted the
	// prompt locally and the output from what arrived.
	UsageEstimated = "estimated"
	// UsageNone: no answer was started, so there is nothing to count: the
	// provider refused the request with an error status, or was never
	// reached.
	UsageNone = "none"
)

// newCall starts a call record.
func (m *Meter) newCall(in *CallInput, stream bool) *gatehouse.Call {
	return &gatehouse.Call{ID: uuid.Must(uuid.NewV7()).String(), JobID: in.JobID, TeamID: in.Caller.Team.ID,
		OrganizationID: in.Caller.Org.ID, KeyID: in.Caller.Key.ID, Alias: in.Alias, Purpose: in.Purpose,
		Metadata: in.Metadata, Stream: stream, Status: "success", UsageSource: UsageProvider}
}

// used is what a finished call consumed and who pays for it.
type used struct {
	Target   Target
	Attempts int
	Usage    provider.Usage
	Source   string
	Err      error
	// Unseen marks usage the client never saw: a plain answer cut or
	// broken after the provider started it. Its provider cost is recorded
	// (the operator probably pays it) but the client is charged nothing.
	Unseen bool
}

// settle prices a finished call, records it (durably, before the client
// is answered) and releases its admission.
func (m *Meter) settle(ctx context.Context, a *admission, c *gatehouse.Call, u used, completeJob bool) (*Outcome, error) {
	c.Attempts = int64(u.Attempts)
	c.LatencyMS = time.Since(a.start).Milliseconds()
	c.CreatedAt = m.now().UTC().Truncate(time.Microsecond)
	c.UsageSource = u.Source
	c.RequestID = gatehouse.RequestID(ctx)
	t := u.Target
	if t.Alias != nil {
		c.ServedAlias, c.Provider, c.ProviderModel = t.Alias.Alias, t.Provider, t.Model
		c.DeploymentID, c.CredentialID, c.Region = t.DeploymentID(), t.Credential, t.Region
	}
	switch {
	case errors.Is(u.Err, context.Canceled):
		c.Status, c.Error = "error", "the client disconnected before the call finished"
	case u.Err != nil:
		c.Status, c.Error = "error", gatehouse.ErrorMessage(ClientError(u.Err))
	}
	us := u.Usage
	c.PromptTokens, c.CompletionTokens, c.TotalTokens = int64(us.PromptTokens), int64(us.CompletionTokens), int64(us.TotalTokens)
	c.CachedTokens, c.CacheWriteTokens, c.ReasoningTokens = int64(us.CachedTokens), int64(us.CacheWriteTokens), int64(us.ReasoningTokens)
	var charge gatehouse.Credits
	if t.Alias != nil {
		if prices, ok := billing.PricesFor(m.Catalog, pricedAlias(t.Alias, t.Deployment), t.Provider, t.Model, m.now()); ok {
			c.CostMicroUSD = billing.CostMicroUSD(us, prices)
		}
		if !u.Unseen {
			c.ClientCostMicro = billing.ClientCost(c.CostMicroUSD, a.team.MarkupBP)
			charge = billing.Charge(a.team, c.ClientCostMicro, c.TotalTokens)
		}
	}
	o := gatehouse.CallOutcome{Call: c, Reserved: a.reserved, Charge: charge, CompleteJob: completeJob}
	if a.newJob != nil {
		// The job is written with its call: what it costs if completed
		// (one credit in job_based mode), paid out of the lease as far as
		// the lease can.
		o.NewJob, o.CompleteJob = a.newJob, true
		if a.team.BudgetMode == gatehouse.BudgetJobBased {
			o.Charge = gatehouse.OneCredit
		}
		if c.Status != "success" {
			o.Charge = 0
		}
		if a.ticket != nil {
			o.FromLease = a.ticket.Settle(o.Charge)
		}
	}
	if a.arrived != nil {
		a.arrived()
	}
	settled, err := m.Recorder.Record(ctx, o)
	if a.release != nil {
		a.release(c.TotalTokens)
	}
	if a.ticket != nil {
		a.ticket.Done(m.Leases, err == nil, settled.LeaseLost)
		if err == nil {
			settled.CreditsRemaining += a.ticket.Unused()
		}
	}
	if err != nil && m.Leases != nil {
		// The database may be unreachable: stop admitting from memory, so
		// the next call needs a lease from the database and is refused
		// before any provider is called while it stays down.
		m.Leases.ForgetAll()
	}
	if err != nil {
		return nil, err
	}
	return &Outcome{Call: c, Charge: charge, Settlement: settled}, nil
}

// Call runs one non-streamed call in a job. When the provider reports no
// usage, the estimate that is recorded and charged is also what the
// answer shows (Outcome.Call.UsageSource says it is estimated).
func (m *Meter) Call(ctx context.Context, in *CallInput) (*Outcome, error) {
	a, err := m.admit(ctx, in)
	if err != nil {
		return nil, err
	}
	c := m.newCall(in, false)
	if m.StoreBodies {
		c.RequestBody = jsonString(in.Request)
	}
	res, callErr := m.Gateway.Chat(ctx, in.Caller, in.Alias, in.Request)
	u := used{Target: res.Target, Attempts: len(res.Attempts), Source: UsageNone, Err: callErr}
	if callErr == nil {
		u.Usage, u.Source = res.Response.Usage, UsageProvider
		c.FinishReason = res.Response.FinishReason
		if u.Usage.TotalTokens == 0 && u.Usage.PromptTokens+u.Usage.CompletionTokens > 0 {
			u.Usage.TotalTokens = u.Usage.PromptTokens + u.Usage.CompletionTokens
		}
		if u.Usage.TotalTokens == 0 {
			u.Usage, u.Source = estimateUsage(in.Request, len(res.Response.Message.Content.Text())), UsageEstimated
			res.Response.Usage = u.Usage // the answer shows what is charged
		}
		if m.StoreBodies {
			c.ResponseBody = jsonString(res.Response)
		}
	} else if last := lastAttempt(res.Attempts); last.Answered {
		// The provider started answering, so it probably did (and billed)
		// the work; the client got nothing. Record what it likely cost,
		// charge the client nothing.
		u.Usage, u.Source, u.Unseen = estimateUsage(in.Request, int(last.Received)), UsageEstimated, true
	}
	out, recErr := m.settle(context.WithoutCancel(ctx), a, c, u, in.CompleteJob)
	if recErr != nil {
		// A 500, not a 503: the provider already did the work, so clients
		// must not retry it blindly.
		return nil, fmt.Errorf("record call %s: %w", c.ID, recErr)
	}
	if callErr != nil {
		return out, callErr
	}
	out.Response = res.Response
	return out, nil
}

// lastAttempt is the last upstream attempt, or the zero Attempt.
func lastAttempt(attempts []Attempt) Attempt {
	if len(attempts) == 0 {
		return Attempt{}
	}
	return attempts[len(attempts)-1]
}

// estimateUsage stands in when a provider reported nothing (it omitted
// usage, or its answer was cut short): the prompt counted locally and the
// delivered output at four bytes a token. The call record says
// "estimated".
func estimateUsage(req *provider.ChatRequest, completionBytes int) provider.Usage {
	p := int(billing.EstimatePromptTokens(req))
	c := (completionBytes + 3) / 4
	return provider.Usage{PromptTokens: p, CompletionTokens: c, TotalTokens: p + c}
}

func jsonString(v any) *string {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	s := string(b)
	return &s
}

// MeteredStream is a streamed call in a job. Chunks pass straight through;
// Finish records what was used (called by the handler when the stream
// ends or the client goes away) before the final usage event is sent.
type MeteredStream struct {
	*Stream
	meter *Meter
	in    *CallInput
	adm   *admission
	call  *gatehouse.Call
	once  sync.Once
	res   *Outcome
	err   error
	text  strings.Builder // the answer, kept only when bodies are stored
}

// Recv passes the next chunk through, keeping the text when the operator
// stores bodies.
func (s *MeteredStream) Recv() (*provider.Chunk, error) {
	c, err := s.Stream.Recv()
	if err == nil && s.meter.StoreBodies {
		s.text.WriteString(c.Content)
	}
	return c, err
}

// Stream starts a streamed call in a job.
func (m *Meter) Stream(ctx context.Context, in *CallInput) (*MeteredStream, error) {
	a, err := m.admit(ctx, in)
	if err != nil {
		return nil, err
	}
	c := m.newCall(in, true)
	if m.StoreBodies {
		c.RequestBody = jsonString(in.Request)
	}
	s, callErr := m.Gateway.ChatStream(ctx, in.Caller, in.Alias, in.Request)
	if callErr != nil {
		// Nothing was streamed: record the failure, with every attempt
		// that reached the upstream, and release the hold.
		u := used{Target: s.Target, Attempts: len(s.Attempts), Source: UsageNone, Err: callErr}
		if _, recErr := m.settle(context.WithoutCancel(ctx), a, c, u, in.CompleteJob); recErr != nil {
			return nil, errors.Join(callErr, recErr)
		}
		return nil, callErr
	}
	return &MeteredStream{Stream: s, meter: m, in: in, adm: a, call: c}, nil
}

// Finish closes the stream and records the call once, with the usage the
// provider reported or, if the stream was cut before its report, an
// estimate from what was delivered.
func (s *MeteredStream) Finish(ctx context.Context) (*Outcome, error) {
	s.once.Do(func() {
		_ = s.Stream.Close()
		sum := s.Stream.Summary()
		c := s.call
		c.FinishReason = sum.FinishReason
		c.FirstTokenMS = sum.FirstByte.Milliseconds()
		u := used{Target: s.Target, Attempts: len(s.Attempts), Usage: sum.Usage, Source: UsageProvider}
		if !sum.UsageFromProvider || u.Usage.TotalTokens == 0 {
			// Cut before the provider's report: what was delivered is what
			// the client saw, and what it pays.
			u.Usage, u.Source = estimateUsage(s.in.Request, sum.CompletionBytes), UsageEstimated
		}
		if s.meter.StoreBodies {
			text := s.text.String()
			c.ResponseBody = &text
		}
		var streamErr error
		if !sum.Complete {
			streamErr = sum.Err
			if streamErr == nil || errors.Is(streamErr, io.EOF) {
				streamErr = &provider.Error{Provider: s.Target.Provider, Kind: provider.ErrStreamTruncated, Message: "the client disconnected before the stream ended"}
			}
		}
		u.Err = streamErr
		s.res, s.err = s.meter.settle(context.WithoutCancel(ctx), s.adm, c, u, s.in.CompleteJob)
	})
	return s.res, s.err
}

// EmbedInput is one embeddings call a client asked for.
type EmbedInput struct {
	Caller  *state.Caller
	JobID   string
	Alias   string
	Request *provider.EmbeddingRequest
	// CompleteJob ends the job with this call, as in CallInput.
	CompleteJob bool
}

// Embed runs one embeddings call in a job, metered like a chat call (the
// input tokens are its whole cost).
func (m *Meter) Embed(ctx context.Context, in *EmbedInput) (*Outcome, *provider.EmbeddingResponse, error) {
	var text strings.Builder
	for _, s := range in.Request.Input {
		text.WriteString(s)
	}
	zero := 0
	chat := &CallInput{Caller: in.Caller, JobID: in.JobID, Alias: in.Alias, Purpose: "embedding", CompleteJob: in.CompleteJob,
		Request: &provider.ChatRequest{Messages: []provider.Message{{Role: provider.RoleUser, Content: provider.TextContent(text.String())}}, MaxTokens: &zero}}
	a, err := m.admit(ctx, chat)
	if err != nil {
		return nil, nil, err
	}
	c := m.newCall(chat, false)
	res, callErr := m.Gateway.Embed(ctx, in.Caller, in.Alias, in.Request)
	u := used{Target: res.Target, Attempts: len(res.Attempts), Source: UsageNone, Err: callErr}
	if callErr == nil {
		u.Usage, u.Source = res.Response.Usage, UsageProvider
		if u.Usage.TotalTokens == 0 {
			u.Usage.TotalTokens = u.Usage.PromptTokens
		}
		if u.Usage.TotalTokens == 0 {
			u.Usage, u.Source = estimateUsage(chat.Request, 0), UsageEstimated
			res.Response.Usage = u.Usage // the answer shows what is charged
		}
	} else if last := lastAttempt(res.Attempts); last.Answered {
		u.Usage, u.Source, u.Unseen = estimateUsage(chat.Request, 0), UsageEstimated, true
	}
	out, recErr := m.settle(context.WithoutCancel(ctx), a, c, u, in.CompleteJob)
	if recErr != nil {
		return nil, nil, fmt.Errorf("record call %s: %w", c.ID, recErr)
	}
	if callErr != nil {
		return out, nil, callErr
	}
	return out, res.Response, nil
}

// pricedAlias is the alias as priced for a call its deployment d served:
// the deployment's own pricing, when it has one, comes before the
// alias's (and both before the catalogue's).
func pricedAlias(a *gatehouse.Alias, d *gatehouse.Deployment) *gatehouse.Alias {
	if a == nil || d == nil || d.Pricing == nil {
		return a
	}
	c := *a
	c.Pricing = d.Pricing
	return &c
}
