package sqlstore

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-llm/gatehouse"
)

var _ gatehouse.UsageService = (*DB)(nil)

// AliasUsage reports, per alias callers named, every call made through
// it, from the all-time rollup (one row per alias; never the calls).
func (db *DB) AliasUsage(ctx context.Context, aliases []string) (map[string]gatehouse.AliasUsage, error) {
	out := make(map[string]gatehouse.AliasUsage, len(aliases))
	if len(aliases) == 0 {
		return out, nil
	}
	args := make([]any, len(aliases))
	for i, a := range aliases {
		args[i] = a
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT alias, calls, cost_micro_usd, total_tokens
		FROM usage_alias_totals WHERE alias IN (`+placeholders(1, len(args))+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var alias string
		var u gatehouse.AliasUsage
		if err := rows.Scan(&alias, &u.TotalCalls, &u.TotalCostMicros, &u.TotalTokens); err != nil {
			return nil, err
		}
		if u.TotalCalls > 0 {
			u.AvgTokensPerCall = u.TotalTokens / u.TotalCalls
		}
		out[alias] = u
	}
	return out, rows.Err()
}

// day renders a timestamp column as its UTC date in this dialect.
func (db *DB) day(col string) string {
	if db.dialect == Postgres {
		return `to_char(` + col + ` AT TIME ZONE 'UTC', 'YYYY-MM-DD')`
	}
	return `substr(` + col + `, 1, 10)`
}

// TeamUsage reports a team's jobs and calls created in [since, until):
// totals, and breakdowns by job type, by model alias and by UTC day.
// Credits are what completed jobs were charged, net of refunds.
//
// Calls come from the daily rollups for every whole UTC day in the range
// (a few rows a day, however many calls), the hourly ones for the whole
// hours of a day it cuts, and from the calls themselves only for the
// parts of hours it cuts, if any (index llm_calls_team). Jobs come from
// the covering index jobs_team_keyset, never their rows.
func (db *DB) TeamUsage(ctx context.Context, teamID string, since, until time.Time) (*gatehouse.TeamUsage, error) {
	if _, err := db.FindTeam(ctx, teamID); err != nil {
		return nil, err
	}
	since, until = since.UTC(), until.UTC()
	agg := newUsageAgg()
	if err := db.usageOver(ctx, agg, teamID, since, until, 24*time.Hour); err != nil {
		return nil, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT job_type, status, charged - refunded FROM jobs
		WHERE team_id = $1 AND created_at >= $2 AND created_at < $3`, teamID, since, until)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	u := &gatehouse.TeamUsage{TeamID: teamID, Since: since, Until: until}
	for rows.Next() {
		var jobType, status string
		var credits gatehouse.Credits
		if err := rows.Scan(&jobType, &status, &credits); err != nil {
			return nil, err
		}
		u.Jobs++
		switch status {
		case gatehouse.JobCompleted:
			u.JobsCompleted++
		case gatehouse.JobFailed:
			u.JobsFailed++
		case gatehouse.JobCancelled:
			u.JobsCancelled++
		}
		g := agg.group(agg.byType, jobType)
		g.Jobs++
		g.Credits += credits
		u.Totals.Credits += credits
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	credits := u.Totals.Credits
	u.Totals = agg.total
	u.Totals.Credits = credits
	u.ByJobType, u.ByModel, u.ByDay = agg.sorted(agg.byType), agg.sorted(agg.byModel), agg.sorted(agg.byDay)
	return u, nil
}

// usageOver adds the calls of [from, to): whole units (UTC days, then
// hours) from their rollup, and whatever is left at the edges from the
// next finer rollup, down to the calls themselves for the parts of hours
// the range cuts. A month costs a few dozen rollup rows; a range cut at
// any instant adds at most two partial days of hourly rows and two
// partial hours of calls.
func (db *DB) usageOver(ctx context.Context, agg *usageAgg, teamID string, from, to time.Time, unit time.Duration) error {
	if !from.Before(to) {
		return nil
	}
	first := from.Truncate(unit)
	if first.Before(from) {
		first = first.Add(unit)
	}
	end := to.Truncate(unit)
	finer := func(a, b time.Time) error {
		if unit == time.Hour {
			return db.usageFromCalls(ctx, agg, teamID, a, b)
		}
		return db.usageOver(ctx, agg, teamID, a, b, time.Hour)
	}
	if !first.Before(end) {
		return finer(from, to)
	}
	table, col, format := "usage_daily", "day", dayFormat
	if unit == time.Hour {
		table, col, format = "usage_hourly", "hour", hourFormat
	}
	if err := db.usageFromRollup(ctx, agg, table, col, teamID, first.Format(format), end.Format(format)); err != nil {
		return err
	}
	if err := finer(from, first); err != nil {
		return err
	}
	return finer(end, to)
}

// usageFromRollup adds the rollup rows of periods [first, end).
func (db *DB) usageFromRollup(ctx context.Context, agg *usageAgg, table, col, teamID, first, end string) error {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+col+`, job_type, alias, calls, failed_calls, prompt_tokens, completion_tokens,
		total_tokens, cost_micro_usd, client_cost_micro_usd FROM `+table+` WHERE team_id = $1 AND `+col+` >= $2 AND `+col+` < $3`,
		teamID, first, end)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var period, jobType, alias string
		var t gatehouse.UsageTotals
		if err := rows.Scan(&period, &jobType, &alias, &t.Calls, &t.FailedCalls, &t.PromptTokens, &t.CompletionTokens,
			&t.TotalTokens, &t.CostMicroUSD, &t.ClientCostMicroUSD); err != nil {
			return err
		}
		agg.add(period[:len(dayFormat)], jobType, alias, t)
	}
	return rows.Err()
}

// usageFromCalls adds the calls made in [from, to), a partial day at most.
func (db *DB) usageFromCalls(ctx context.Context, agg *usageAgg, teamID string, from, to time.Time) error {
	if !from.Before(to) {
		return nil
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT c.created_at, COALESCE(j.job_type, ''), c.alias, c.status, c.prompt_tokens,
		c.completion_tokens, c.total_tokens, c.cost_micro_usd, c.client_cost_micro_usd
		FROM llm_calls c LEFT JOIN jobs j ON j.id = c.job_id
		WHERE c.team_id = $1 AND c.created_at >= $2 AND c.created_at < $3`, teamID, from, to)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var c gatehouse.Call
		var jobType string
		if err := rows.Scan(&c.CreatedAt, &jobType, &c.Alias, &c.Status, &c.PromptTokens, &c.CompletionTokens, &c.TotalTokens,
			&c.CostMicroUSD, &c.ClientCostMicro); err != nil {
			return err
		}
		var t gatehouse.UsageTotals
		t.AddCall(&c)
		agg.add(c.CreatedAt.UTC().Format(dayFormat), jobType, c.Alias, t)
	}
	return rows.Err()
}

// usageAgg sums usage rows into the report's totals and breakdowns.
type usageAgg struct {
	total                  gatehouse.UsageTotals
	byType, byModel, byDay map[string]*gatehouse.UsageGroup
}

func newUsageAgg() *usageAgg {
	return &usageAgg{byType: map[string]*gatehouse.UsageGroup{}, byModel: map[string]*gatehouse.UsageGroup{},
		byDay: map[string]*gatehouse.UsageGroup{}}
}

func (a *usageAgg) group(m map[string]*gatehouse.UsageGroup, key string) *gatehouse.UsageGroup {
	g := m[key]
	if g == nil {
		g = &gatehouse.UsageGroup{Key: key}
		m[key] = g
	}
	return g
}

func (a *usageAgg) add(day, jobType, alias string, t gatehouse.UsageTotals) {
	for _, dst := range []*gatehouse.UsageTotals{&a.total, &a.group(a.byType, jobType).UsageTotals,
		&a.group(a.byModel, alias).UsageTotals, &a.group(a.byDay, day).UsageTotals} {
		dst.Add(t)
	}
}

// sorted lists a breakdown by key.
func (a *usageAgg) sorted(m map[string]*gatehouse.UsageGroup) []gatehouse.UsageGroup {
	out := make([]gatehouse.UsageGroup, 0, len(m))
	for _, g := range m {
		out = append(out, *g)
	}
	slices.SortFunc(out, func(x, y gatehouse.UsageGroup) int { return strings.Compare(x.Key, y.Key) })
	return out
}

// TeamUsageByDeployment sums a team's calls in [since, until) per serving
// deployment, from the calls (index llm_calls_team), in Go so both
// engines add alike.
func (db *DB) TeamUsageByDeployment(ctx context.Context, teamID string, since, until time.Time) ([]gatehouse.DeploymentUsage, error) {
	if _, err := db.FindTeam(ctx, teamID); err != nil {
		return nil, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT served_alias, deployment_id, provider, provider_model, credential_id, region, status,
		prompt_tokens, completion_tokens, total_tokens, cost_micro_usd, client_cost_micro_usd
		FROM llm_calls WHERE team_id = $1 AND created_at >= $2 AND created_at < $3`, teamID, since.UTC(), until.UTC())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	type key struct{ alias, id, provider, model, cred, region string }
	at := map[key]*gatehouse.DeploymentUsage{}
	for rows.Next() {
		var k key
		var c gatehouse.Call
		if err := rows.Scan(&k.alias, &k.id, &k.provider, &k.model, &k.cred, &k.region, &c.Status, &c.PromptTokens, &c.CompletionTokens,
			&c.TotalTokens, &c.CostMicroUSD, &c.ClientCostMicro); err != nil {
			return nil, err
		}
		u := at[k]
		if u == nil {
			u = &gatehouse.DeploymentUsage{ServedAlias: k.alias, DeploymentID: k.id, Provider: k.provider, ProviderModel: k.model, CredentialID: k.cred, Region: k.region}
			at[k] = u
		}
		u.AddCall(&c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]gatehouse.DeploymentUsage, 0, len(at))
	for _, u := range at {
		out = append(out, *u)
	}
	slices.SortFunc(out, func(a, b gatehouse.DeploymentUsage) int {
		return strings.Compare(a.ServedAlias+"\x00"+a.DeploymentID+"\x00"+a.CredentialID, b.ServedAlias+"\x00"+b.DeploymentID+"\x00"+b.CredentialID)
	})
	return out, nil
}
