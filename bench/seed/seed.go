// Package seed fills a database with a SaaS-sized fleet — organizations,
// teams, virtual keys, jobs, calls, ledger and audit rows — through
// sqlstore's bulk loading, for tests and benchmarks that need scale (the
// HTTP API would take hours to write ten million calls).
//
// Everything is deterministic: names, ids and keys follow from the
// indexes (TeamID(i), KeySecret(i, k)), so a benchmark can use a key it
// never saw being created, and two seeds of one Size hold the same rows
// (times are relative to Seeded.Now). The data is consistent the way the
// product keeps it: every team's ledger sums to its balance, every job's
// totals to its calls, and the usage rollups to the calls.
//
//	f, err := seed.Fleet(ctx, db, seed.Size{Orgs: 1000, Teams: 100_000, KeysPerTeam: 10,
//		Jobs: 1_000_000, Calls: 10_000_000, Ledger: 1_000_000, HotTeamPercent: 10})
package seed

import (
	"container/heap"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"iter"
	"strconv"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/secret"
	"github.com/gatehouse-llm/gatehouse/sqlstore"
	"github.com/google/uuid"
)

// Size says how much to seed. Zero counts seed nothing of that kind
// (Orgs defaults to one per hundred teams).
type Size struct {
	Orgs        int
	Teams       int
	KeysPerTeam int
	Jobs        int // spread over the teams, in the last Days days
	Calls       int // spread over the jobs
	Ledger      int // credit movements, spread over the teams
	Audit       int // audit log entries
	// HotTeamPercent of the jobs (and so of the calls) and of the ledger
	// go to team 0 (HotTeam), the largest tenant a benchmark reads.
	HotTeamPercent int
	// Credentials gives that many organizations their own provider
	// credential (needs db.Sealer).
	Credentials int
	// Days is how far back jobs and calls reach (default 60).
	Days int
}

// Seeded is a seeded fleet: its size and the names benchmarks use.
type Seeded struct {
	Size
	// Now is the time the seed counts back from.
	Now     time.Time
	Aliases []string
	Groups  []string
	// JobTypes lists the job types calls are grouped by.
	JobTypes []string
	// Took reports how long each kind of row took to write.
	Took []Timing
}

// Timing is how long one bulk load step took.
type Timing struct {
	What string
	Rows int64
	Took time.Duration
}

// Names of the seeded catalogue.
var (
	aliasNames = []string{"fast", "smart", "cheap", "vision", "long", "backup"}
	groupDefs  = []struct {
		name    string
		aliases []string
	}{
		{"starter", []string{"fast", "cheap"}},
		{"pro", []string{"fast", "smart", "cheap", "vision"}},
		{"enterprise", []string{"fast", "smart", "cheap", "vision", "long", "backup"}},
	}
	jobTypes = []string{"summarize", "classify", "extract", "chat"}
)

// HotTeam is the team that gets HotTeamPercent of the traffic.
const HotTeam = 0

// OrgID names organization i.
func OrgID(i int) string { return "org-" + pad(i, 5) }

// TeamID names team i.
func TeamID(i int) string { return "team-" + pad(i, 6) }

// KeySecret is virtual key k of team i, as a client presents it.
func KeySecret(team, k int) string {
	sum := sha256.Sum256([]byte("gatehouse-seed-key|" + strconv.Itoa(team) + "|" + strconv.Itoa(k)))
	return secret.PrefixVirtualKey + base64.RawURLEncoding.EncodeToString(sum[:])[:43]
}

// JobID is the id of job j (global index).
func (f *Seeded) JobID(j int) string {
	team, k := f.jobOwner(j)
	return detUUID(f.jobTime(team, k), 1, uint64(j)).String()
}

// TeamJob is the id of team i's k-th job (oldest first) and how many calls
// it has; ok is false when the team has fewer jobs.
func (f *Seeded) TeamJob(team, k int) (id string, calls int, ok bool) {
	n, first := f.share(f.Jobs, team)
	if k >= n {
		return "", 0, false
	}
	calls, _ = f.callsOf(first + k)
	return detUUID(f.jobTime(team, k), 1, uint64(first+k)).String(), calls, true
}

// TeamJobs is how many jobs team i has.
func (f *Seeded) TeamJobs(team int) int {
	n, _ := f.share(f.Jobs, team)
	return n
}

// TeamLedger is how many ledger rows team i has.
func (f *Seeded) TeamLedger(team int) int {
	n, _ := f.share(f.Ledger, team)
	return n
}

func pad(i, width int) string {
	s := strconv.Itoa(i)
	for len(s) < width {
		s = "0" + s
	}
	return s
}

// detUUID is a deterministic UUIDv7: t's milliseconds first (so ids sort
// by time like the product's), the rest from (kind, n).
func detUUID(t time.Time, kind, n uint64) uuid.UUID {
	var u uuid.UUID
	ms := uint64(t.UnixMilli())
	binary.BigEndian.PutUint64(u[0:8], ms<<16)
	binary.BigEndian.PutUint64(u[8:16], mix(kind<<56^n))
	r := mix(n ^ kind)
	u[6] = 0x70 | byte(r)&0x0f
	u[7] = byte(r >> 8)
	u[8] = 0x80 | u[8]&0x3f
	return u
}

// mix is SplitMix64's finaliser: a cheap, well-spread hash.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// share splits n items over teams: the hot team's extra share first, the
// rest evenly. It returns team i's count and the global index of its
// first item.
func (f *Seeded) share(n, i int) (count, first int) {
	hot := n * f.HotTeamPercent / 100
	rest := n - hot
	per, extra := rest/f.Teams, rest%f.Teams
	count = per
	if i < extra {
		count++
	}
	first = i*per + min(i, extra)
	if i == HotTeam {
		count += hot
	} else {
		first += hot
	}
	return count, first
}

// jobOwner finds the team of global job j and its index within the team.
func (f *Seeded) jobOwner(j int) (team, k int) {
	lo, hi := 0, f.Teams-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if _, first := f.share(f.Jobs, mid); first <= j {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	_, first := f.share(f.Jobs, lo)
	return lo, j - first
}

// callsOf is how many calls global job j has, and the index of its first.
func (f *Seeded) callsOf(j int) (count, first int) {
	per, extra := f.Calls/f.Jobs, f.Calls%f.Jobs
	count = per
	if j < extra {
		count++
	}
	return count, j*per + min(j, extra)
}

// jobTime spreads a team's jobs evenly over the window.
func (f *Seeded) jobTime(team, k int) time.Time {
	n, _ := f.share(f.Jobs, team)
	window := time.Duration(f.Days) * 24 * time.Hour
	span := window - 2*time.Hour
	offset := fraction(span, float64(k)+0.5, n)
	// Teams are staggered by up to an hour so their jobs do not land on
	// the same instants; the last ends an hour before Now.
	offset += time.Duration(mix(uint64(team)) % uint64(time.Hour))
	return f.Now.Add(-window + offset).Truncate(time.Microsecond)
}

func (f *Seeded) orgOf(team int) int { return team % f.Orgs }

// fraction is d·x/n, computed without overflowing: d·x alone exceeds
// int64 nanoseconds for a window of weeks and a team with many jobs.
func fraction(d time.Duration, x float64, n int) time.Duration {
	return time.Duration(float64(d) * x / float64(n))
}

// groupsOf is the access groups team i is granted.
func groupsOf(i int) []string {
	g := []string{groupDefs[i%len(groupDefs)].name}
	if i%7 == 0 && i%len(groupDefs) != 2 {
		g = append(g, groupDefs[2].name)
	}
	return g
}

// aliasesOf is what team i calls.
func aliasesOf(i int) []string {
	return groupDefs[i%len(groupDefs)].aliases
}

func (f *Seeded) jobTypeOf(team, k int) string { return jobTypes[(team+k%2)%len(jobTypes)] }

// call builds call c (index within its job) of global job j.
func (f *Seeded) call(team, j, k, c, globalCall int, job time.Time) *gatehouse.Call {
	aliases := aliasesOf(team)
	r := mix(uint64(globalCall))
	prompt, completion := int64(100+r%400), int64(20+(r>>16)%300)
	status := "success"
	errMsg := ""
	if r%50 == 0 {
		status, errMsg, completion = "error", "provider returned 503", 0
	}
	created := job.Add(time.Duration(c) * 1500 * time.Millisecond)
	alias := aliases[(k+c)%len(aliases)]
	cost := (prompt*150 + completion*600) / 1000 // micro-USD
	return &gatehouse.Call{ID: detUUID(created, 2, uint64(globalCall)).String(), JobID: detUUID(job, 1, uint64(j)).String(),
		TeamID: TeamID(team), OrganizationID: OrgID(f.orgOf(team)), KeyID: f.keyID(team, 0), Alias: alias, ServedAlias: alias,
		Provider: "mock", ProviderModel: "echo", Metadata: gatehouse.Metadata{}, Status: status, Error: errMsg,
		FinishReason: "stop", PromptTokens: prompt, CompletionTokens: completion, TotalTokens: prompt + completion,
		UsageSource: "provider", CostMicroUSD: cost, ClientCostMicro: cost, LatencyMS: int64(200 + r%800), Attempts: 1, CreatedAt: created}
}

// keyCreated is when key k of team i was created: one millisecond apart
// in creation order, so key ids (time first) ascend as they are written.
func (f *Seeded) keyCreated(team, k int) time.Time {
	base := f.Now.Add(-time.Duration(f.Days+1) * 24 * time.Hour)
	return base.Add(time.Duration(team*f.KeysPerTeam+k) * time.Millisecond)
}

func (f *Seeded) keyID(team, k int) string {
	return detUUID(f.keyCreated(team, k), 3, uint64(team)<<8|uint64(k)).String()
}

// ledgerStart is what each team with a ledger was first allocated.
const ledgerStart = 1_000_000 * gatehouse.OneCredit

// teamBalance is the balance team i's seeded ledger sums to.
func (f *Seeded) teamBalance(i int) gatehouse.Credits {
	n, _ := f.share(f.Ledger, i)
	if n == 0 {
		return 0
	}
	return ledgerStart - gatehouse.Credits(n-1)*gatehouse.OneCredit
}

// Describe returns the fleet Fleet would seed for size at time now,
// without writing anything.
func Describe(size Size, now time.Time) *Seeded {
	f := &Seeded{Size: size, Now: now.UTC(), Aliases: aliasNames, JobTypes: jobTypes}
	if f.Days <= 0 {
		f.Days = 60
	}
	if f.Orgs <= 0 {
		f.Orgs = max(1, f.Teams/100)
	}
	if f.Jobs == 0 {
		f.Calls = 0
	}
	for _, g := range groupDefs {
		f.Groups = append(f.Groups, g.name)
	}
	return f
}

// TeamJobTime is when team i's k-th job was created.
func (f *Seeded) TeamJobTime(team, k int) time.Time { return f.jobTime(team, k) }

// Fleet seeds an empty, migrated database and returns what it made.
func Fleet(ctx context.Context, db *sqlstore.DB, size Size) (*Seeded, error) {
	if size.Teams <= 0 {
		return nil, fmt.Errorf("seed: Size.Teams must be positive")
	}
	f := Describe(size, time.Now().Truncate(time.Second))
	sys := gatehouse.WithActor(ctx, gatehouse.Actor{Kind: "system"})
	step := func(what string, fn func() (int64, error)) error {
		start := time.Now()
		n, err := fn()
		if err != nil {
			return fmt.Errorf("seed %s: %w", what, err)
		}
		f.Took = append(f.Took, Timing{What: what, Rows: n, Took: time.Since(start)})
		return nil
	}
	if err := step("catalogue", func() (int64, error) {
		for _, a := range aliasNames {
			if err := db.CreateAlias(sys, &gatehouse.Alias{Alias: a, LiteLLMModel: "mock/echo", Active: true,
				Description: "seeded " + a}); err != nil {
				return 0, err
			}
		}
		for _, g := range groupDefs {
			if err := db.CreateAccessGroup(sys, &gatehouse.AccessGroup{Name: g.name, ModelAliases: g.aliases}); err != nil {
				return 0, err
			}
		}
		return int64(len(aliasNames) + len(groupDefs)), nil
	}); err != nil {
		return nil, err
	}
	steps := []struct {
		what string
		fn   func() (int64, error)
	}{
		{"organizations", func() (int64, error) { return db.BulkOrganizations(ctx, f.orgs()) }},
		{"teams", func() (int64, error) { return db.BulkTeams(ctx, f.teams()) }},
		{"keys", func() (int64, error) { return db.BulkKeys(ctx, f.keys()) }},
		{"jobs", func() (int64, error) { return db.BulkJobs(ctx, f.jobs()) }},
		{"calls", func() (int64, error) { return db.BulkCalls(ctx, f.calls(false)) }},
		{"usage rollups", func() (int64, error) { return db.BulkUsage(ctx, f.calls(true)) }},
		{"ledger", func() (int64, error) { return db.BulkLedger(ctx, f.ledger()) }},
		{"audit", func() (int64, error) { return db.BulkAudit(ctx, f.audit()) }},
	}
	for _, s := range steps {
		if err := step(s.what, s.fn); err != nil {
			return nil, err
		}
	}
	if err := step("credentials", func() (int64, error) { return f.credentials(sys, db) }); err != nil {
		return nil, err
	}
	if err := step("analyze", func() (int64, error) { return 0, db.Analyze(ctx) }); err != nil {
		return nil, err
	}
	if err := db.BulkControlPlaneDone(sys); err != nil {
		return nil, err
	}
	desc, err := json.Marshal(seeded{Size: f.Size, Now: f.Now})
	if err != nil {
		return nil, err
	}
	if err := db.PutSetting(ctx, settingSeeded, string(desc)); err != nil {
		return nil, err
	}
	return f, nil
}

// settingSeeded is the setting where a seed records what it wrote, so a
// benchmark can reuse a seeded database (Load) without seeding it again.
const settingSeeded = "bench_seeded_fleet"

type seeded struct {
	Size Size
	Now  time.Time
}

// Load describes the fleet a database was seeded with, or returns an
// error when it was not seeded.
func Load(ctx context.Context, db *sqlstore.DB) (*Seeded, error) {
	v, ok, err := db.Setting(ctx, settingSeeded)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("seed: database was not seeded")
	}
	var d seeded
	if err := json.Unmarshal([]byte(v), &d); err != nil {
		return nil, err
	}
	return Describe(d.Size, d.Now), nil
}

func (f *Seeded) orgs() iter.Seq[*gatehouse.Organization] {
	return func(yield func(*gatehouse.Organization) bool) {
		created := f.Now.Add(-time.Duration(f.Days+2) * 24 * time.Hour)
		for i := range f.Orgs {
			o := &gatehouse.Organization{ID: OrgID(i), Name: "Organization " + strconv.Itoa(i), Status: gatehouse.StatusActive,
				CreatedAt: created, UpdatedAt: created}
			if !yield(o) {
				return
			}
		}
	}
}

func (f *Seeded) teams() iter.Seq[*gatehouse.Team] {
	return func(yield func(*gatehouse.Team) bool) {
		created := f.Now.Add(-time.Duration(f.Days+2) * 24 * time.Hour)
		for i := range f.Teams {
			mode := gatehouse.BudgetJobBased
			if i%10 == 9 {
				mode = gatehouse.BudgetConsumptionUSD
			}
			bal := f.teamBalance(i)
			t := &gatehouse.Team{ID: TeamID(i), OrganizationID: OrgID(f.orgOf(i)), Alias: "Team " + strconv.Itoa(i),
				Status: gatehouse.StatusActive, BudgetMode: mode, CreditsAllocated: 0, CreditsBalance: bal,
				CreditsPerDollar: gatehouse.DefaultCreditsPerDollar, TokensPerCredit: gatehouse.DefaultTokensPerCredit,
				AccessGroups: groupsOf(i), CreatedAt: created, UpdatedAt: created}
			if bal > 0 {
				t.CreditsAllocated = ledgerStart
			}
			if !yield(t) {
				return
			}
		}
	}
}

func (f *Seeded) keys() iter.Seq[*gatehouse.Key] {
	return func(yield func(*gatehouse.Key) bool) {
		var k gatehouse.Key
		for i := range f.Teams {
			for j := range f.KeysPerTeam {
				s := KeySecret(i, j)
				k = gatehouse.Key{ID: f.keyID(i, j), TeamID: TeamID(i), Name: "key " + strconv.Itoa(j), Prefix: s[:12],
					Hash: secret.HashToken(s), CreatedAt: f.keyCreated(i, j)}
				if !yield(&k) {
					return
				}
			}
		}
	}
}

// eachJob walks every job with its team, index in the team and time,
// team by team.
func (f *Seeded) eachJob(fn func(team, j, k int, at time.Time) bool) {
	for i := range f.Teams {
		n, first := f.share(f.Jobs, i)
		for k := range n {
			if !fn(i, first+k, k, f.jobTime(i, k)) {
				return
			}
		}
	}
}

// eachJobByTime walks every job in time order across all teams. Ids
// begin with the time, so rows then arrive in primary-key order and each
// insert appends to the end of its B-tree instead of landing on a random
// page (several times cheaper for ten million rows).
func (f *Seeded) eachJobByTime(fn func(team, j, k int, at time.Time) bool) {
	byTime(f.Teams, func(team int) int { n, _ := f.share(f.Jobs, team); return n }, f.jobTime, func(team, k int, at time.Time) bool {
		_, first := f.share(f.Jobs, team)
		return fn(team, first+k, k, at)
	})
}

// byTime merges teams' items into one time order: team i has count(i)
// items, its k-th at at(i, k), later for larger k.
func byTime(teams int, count func(team int) int, at func(team, k int) time.Time, fn func(team, k int, at time.Time) bool) {
	h := make(timeHeap, 0, teams)
	for i := range teams {
		if count(i) > 0 {
			h = append(h, timed{at(i, 0), i, 0})
		}
	}
	heap.Init(&h)
	for len(h) > 0 {
		top := h[0]
		if !fn(top.team, top.k, top.at) {
			return
		}
		if top.k+1 < count(top.team) {
			h[0] = timed{at(top.team, top.k+1), top.team, top.k + 1}
			heap.Fix(&h, 0)
		} else {
			heap.Pop(&h)
		}
	}
}

type timed struct {
	at      time.Time
	team, k int
}

// timeHeap is a min-heap of the next item of each team.
type timeHeap []timed

func (h timeHeap) Len() int           { return len(h) }
func (h timeHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h timeHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *timeHeap) Push(x any)        { *h = append(*h, x.(timed)) }
func (h *timeHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func (f *Seeded) jobs() iter.Seq[*gatehouse.Job] {
	return func(yield func(*gatehouse.Job) bool) {
		f.eachJobByTime(func(team, j, k int, at time.Time) bool {
			mode := gatehouse.BudgetJobBased
			if team%10 == 9 {
				mode = gatehouse.BudgetConsumptionUSD
			}
			job := &gatehouse.Job{ID: detUUID(at, 1, uint64(j)).String(), TeamID: TeamID(team), OrganizationID: OrgID(f.orgOf(team)),
				JobType: f.jobTypeOf(team, k), UserID: "user-" + strconv.Itoa(k%100), Status: gatehouse.JobCompleted,
				Metadata: gatehouse.Metadata{}, BudgetMode: mode, CreatedAt: at}
			if k%23 == 0 {
				job.Status, job.ErrorMessage = gatehouse.JobFailed, "seeded failure"
			}
			n, first := f.callsOf(j)
			var sum gatehouse.UsageTotals
			for c := range n {
				call := f.call(team, j, k, c, first+c, at)
				sum.AddCall(call)
				job.UpdatedAt = call.CreatedAt
			}
			job.CallCount, job.FailedCalls, job.PromptTokens, job.CompletionTokens = sum.Calls, sum.FailedCalls, sum.PromptTokens, sum.CompletionTokens
			job.TotalTokens, job.CostMicroUSD, job.ClientCostMicroUSD = sum.TotalTokens, sum.CostMicroUSD, sum.ClientCostMicroUSD
			if job.UpdatedAt.IsZero() {
				job.UpdatedAt = at
			}
			if job.Status == gatehouse.JobCompleted && mode == gatehouse.BudgetJobBased {
				job.Charged = gatehouse.OneCredit
			}
			done := job.UpdatedAt
			job.CompletedAt = &done
			return yield(job)
		})
	}
}

// calls lists every call in time order (for loading), or team by team
// (for rolling up, whose rows are keyed by team first).
func (f *Seeded) calls(byTeam bool) iter.Seq[sqlstore.BulkCall] {
	walk := f.eachJobByTime
	if byTeam {
		walk = f.eachJob
	}
	return func(yield func(sqlstore.BulkCall) bool) {
		walk(func(team, j, k int, at time.Time) bool {
			n, first := f.callsOf(j)
			jt := f.jobTypeOf(team, k)
			for c := range n {
				if !yield(sqlstore.BulkCall{Call: f.call(team, j, k, c, first+c, at), JobType: jt}) {
					return false
				}
			}
			return true
		})
	}
}

// ledger writes, per team, an allocation then one-credit deductions, so
// the rows sum to the balance the team was seeded with.
func (f *Seeded) ledger() iter.Seq[*gatehouse.LedgerEntry] {
	window := time.Duration(f.Days) * 24 * time.Hour
	at := func(team, k int) time.Time {
		n, _ := f.share(f.Ledger, team)
		stagger := time.Duration(mix(uint64(team)) % uint64(time.Hour))
		return f.Now.Add(-window + stagger + fraction(window-2*time.Hour, float64(k), n)).Truncate(time.Microsecond)
	}
	return func(yield func(*gatehouse.LedgerEntry) bool) {
		var e gatehouse.LedgerEntry
		byTime(f.Teams, func(team int) int { n, _ := f.share(f.Ledger, team); return n }, at, func(team, k int, t time.Time) bool {
			_, first := f.share(f.Ledger, team)
			e = gatehouse.LedgerEntry{ID: detUUID(t, 4, uint64(first+k)).String(), TeamID: TeamID(team), Actor: "system", CreatedAt: t}
			// Entry k of a team: the allocation, then one-credit
			// deductions; the balance before it follows from k.
			before := gatehouse.Credits(0)
			if k == 0 {
				e.Kind, e.Amount, e.Reason = gatehouse.LedgerAllocation, ledgerStart, "initial allocation"
			} else {
				before = ledgerStart - gatehouse.Credits(k-1)*gatehouse.OneCredit
				e.Kind, e.Amount, e.Reason = gatehouse.LedgerDeduction, -gatehouse.OneCredit, "job completed"
			}
			e.BalanceBefore, e.BalanceAfter = before, before+e.Amount
			return yield(&e)
		})
	}
}

func (f *Seeded) audit() iter.Seq[*gatehouse.AuditEntry] {
	actions := []string{"team.update", "alias.update", "key.create", "team.suspend", "credits.allocation"}
	return func(yield func(*gatehouse.AuditEntry) bool) {
		window := time.Duration(f.Days) * 24 * time.Hour
		for i := range f.Audit {
			at := f.Now.Add(-window + fraction(window, float64(i), f.Audit)).Truncate(time.Microsecond)
			team := TeamID(int(mix(uint64(i)) % uint64(f.Teams)))
			e := &gatehouse.AuditEntry{ID: detUUID(at, 5, uint64(i)).String(), Actor: "master", Action: actions[i%len(actions)],
				ResourceType: "team", ResourceID: team, After: []byte(`{"team_id":"` + team + `"}`), CreatedAt: at}
			if !yield(e) {
				return
			}
		}
	}
}

func (f *Seeded) credentials(ctx context.Context, db *sqlstore.DB) (int64, error) {
	if f.Credentials == 0 {
		return 0, nil
	}
	if db.Sealer == nil {
		return 0, fmt.Errorf("Size.Credentials needs db.Sealer to encrypt them")
	}
	for i := range min(f.Credentials, f.Orgs) {
		c := &gatehouse.Credential{OrganizationID: OrgID(i), Provider: "openai", Name: "seeded",
			APIKey: "sk-seeded-" + strconv.Itoa(i) + "-0000000000"}
		if err := db.CreateCredential(ctx, c); err != nil {
			return int64(i), err
		}
	}
	return int64(min(f.Credentials, f.Orgs)), nil
}
