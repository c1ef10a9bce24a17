package sqlstore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/sqlstore"
	"github.com/gatehouse-llm/gatehouse/sqlstore/storetest"
)

// Usage read from the rollups (whole days) and the calls (partial days at
// the edges) equals usage summed from every call, for any range: whole
// months, ranges cutting days, empty ranges; calls recorded one by one,
// in batches, and replayed (a replay must not count twice).
func TestConformanceUsageRollupsMatchCalls(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		base := time.Date(2026, 10, 30, 0, 0, 0, 0, time.UTC)
		clock := base
		db.Now = func() time.Time { return clock }
		team(t, db, "t", gatehouse.BudgetConsumptionTokens, 1_000_000*gatehouse.OneCredit)
		team(t, db, "other", gatehouse.BudgetJobBased, 10*gatehouse.OneCredit)
		rng := rand.New(rand.NewPCG(7, 7))
		var calls []*gatehouse.Call
		jobType := map[string]string{}
		jobCreated := map[string]time.Time{}
		var batch []gatehouse.CallOutcome
		for i := range 240 {
			clock = base.Add(time.Duration(rng.Int64N(int64(9 * 24 * time.Hour))))
			j, err := db.CreateJob(ctx, &gatehouse.Job{TeamID: "t", JobType: []string{"a", "b", "c"}[i%3]}, "")
			if err != nil {
				t.Fatal(err)
			}
			jobType[j.ID], jobCreated[j.ID] = j.JobType, j.CreatedAt
			for k := range 1 + rng.IntN(3) {
				c := call(j, fmt.Sprintf("c%d-%d", i, k), int64(10+rng.IntN(500)))
				c.Alias = []string{"fast", "smart"}[rng.IntN(2)]
				c.CreatedAt = clock.Add(time.Duration(k) * 7 * time.Hour) // some land the next day
				c.CostMicroUSD, c.ClientCostMicro = int64(rng.IntN(1000)), int64(rng.IntN(2000))
				if rng.IntN(5) == 0 {
					c.Status = "error"
				}
				calls = append(calls, c)
				batch = append(batch, gatehouse.CallOutcome{Call: c})
			}
			if len(batch) > 5 || i%4 == 0 {
				if _, err := db.RecordCalls(ctx, batch); err != nil {
					t.Fatal(err)
				}
				if rng.IntN(4) == 0 { // a replayed batch records nothing new
					if _, err := db.RecordCalls(ctx, batch); err != nil {
						t.Fatal(err)
					}
				}
				batch = nil
			}
			if rng.IntN(3) == 0 {
				if _, err := db.CompleteJob(ctx, "t", j.ID, []string{gatehouse.JobCompleted, gatehouse.JobFailed}[rng.IntN(2)], "", nil); err != nil {
					t.Fatal(err)
				}
			}
		}
		if _, err := db.RecordCalls(ctx, batch); err != nil {
			t.Fatal(err)
		}
		jobs, _, err := db.ListJobs(ctx, gatehouse.JobFilter{TeamID: "t", Page: gatehouse.Page{Limit: 500}})
		if err != nil {
			t.Fatal(err)
		}
		ranges := [][2]time.Time{
			{time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)},
			{time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)},
			{base.Add(90 * time.Minute), base.Add(26 * time.Hour)},       // cuts both edges
			{base.Add(3 * time.Hour), base.Add(20 * time.Hour)},          // inside one day
			{base.Add(24 * time.Hour), base.Add(72 * time.Hour)},         // whole days only
			{base.Add(-time.Hour), base.Add(10 * 24 * time.Hour)},        // everything
			{base.Add(5 * 24 * time.Hour), base.Add(5*24*time.Hour + 1)}, // a microsecond
		}
		for range 12 {
			a := base.Add(time.Duration(rng.Int64N(int64(10 * 24 * time.Hour)))).Truncate(time.Microsecond)
			ranges = append(ranges, [2]time.Time{a, a.Add(time.Duration(rng.Int64N(int64(4 * 24 * time.Hour))))})
		}
		for _, r := range ranges {
			got, err := db.TeamUsage(ctx, "t", r[0], r[1])
			if err != nil {
				t.Fatal(err)
			}
			want := bruteUsage(calls, jobs, jobType, r[0], r[1])
			if g, w := render(got), render(want); g != w {
				t.Fatalf("range %s – %s:\nrollups: %s\ncalls:   %s", r[0], r[1], g, w)
			}
		}
		// The alias totals count every call once.
		au, err := db.AliasUsage(ctx, []string{"fast", "smart", "nope"})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range []string{"fast", "smart"} {
			var n, tokens, cost int64
			for _, c := range calls {
				if c.Alias == a {
					n, tokens, cost = n+1, tokens+c.TotalTokens, cost+c.CostMicroUSD
				}
			}
			if u := au[a]; u.TotalCalls != n || u.TotalTokens != tokens || u.TotalCostMicros != cost {
				t.Errorf("alias %s: %+v, want %d calls %d tokens %d µ$", a, u, n, tokens, cost)
			}
		}
		if _, ok := au["nope"]; ok {
			t.Error("an alias without calls has usage")
		}
		if u, err := db.TeamUsage(ctx, "other", base, base.Add(30*24*time.Hour)); err != nil || u.Totals.Calls != 0 || u.Jobs != 0 {
			t.Errorf("another team's usage leaked in: %+v %v", u, err)
		}
	})
}

// bruteUsage sums the report from every call and job, the slow way.
func bruteUsage(calls []*gatehouse.Call, jobs []*gatehouse.Job, jobType map[string]string, since, until time.Time) *gatehouse.TeamUsage {
	u := &gatehouse.TeamUsage{}
	groups := map[string]map[string]*gatehouse.UsageGroup{"type": {}, "model": {}, "day": {}}
	get := func(kind, key string) *gatehouse.UsageGroup {
		g := groups[kind][key]
		if g == nil {
			g = &gatehouse.UsageGroup{Key: key}
			groups[kind][key] = g
		}
		return g
	}
	for _, c := range calls {
		if c.CreatedAt.Before(since) || !c.CreatedAt.Before(until) {
			continue
		}
		u.Totals.AddCall(c)
		get("type", jobType[c.JobID]).AddCall(c)
		get("model", c.Alias).AddCall(c)
		get("day", c.CreatedAt.UTC().Format(time.DateOnly)).AddCall(c)
	}
	for _, j := range jobs {
		if j.CreatedAt.Before(since) || !j.CreatedAt.Before(until) {
			continue
		}
		u.Jobs++
		switch j.Status {
		case gatehouse.JobCompleted:
			u.JobsCompleted++
		case gatehouse.JobFailed:
			u.JobsFailed++
		}
		g := get("type", j.JobType)
		g.Jobs++
		g.Credits += j.Charged - j.Refunded
		u.Totals.Credits += j.Charged - j.Refunded
	}
	list := func(kind string) []gatehouse.UsageGroup {
		var out []gatehouse.UsageGroup
		for _, g := range groups[kind] {
			out = append(out, *g)
		}
		slices.SortFunc(out, func(a, b gatehouse.UsageGroup) int { return strings.Compare(a.Key, b.Key) })
		return out
	}
	u.ByJobType, u.ByModel, u.ByDay = list("type"), list("model"), list("day")
	return u
}

// render prints what a usage report says, for comparison.
func render(u *gatehouse.TeamUsage) string {
	var b strings.Builder
	fmt.Fprintf(&b, "jobs %d/%d/%d/%d totals %+v", u.Jobs, u.JobsCompleted, u.JobsFailed, u.JobsCancelled, u.Totals)
	for _, gs := range [][]gatehouse.UsageGroup{u.ByJobType, u.ByModel, u.ByDay} {
		for _, g := range gs {
			if !reflect.DeepEqual(g, gatehouse.UsageGroup{Key: g.Key}) {
				fmt.Fprintf(&b, " [%s %d %+v]", g.Key, g.Jobs, g.UsageTotals)
			}
		}
		b.WriteString(" |")
	}
	return b.String()
}
