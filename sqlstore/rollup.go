package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/gatehouse-llm/gatehouse"
)

// Usage rollups: calls summed per team, UTC day, job type and alias
// (usage_daily) and per alias for all time (usage_alias_totals), so usage
// reports read a few rows per day instead of every call. They are written
// in the transaction that records the calls, so they never disagree with
// llm_calls.

// usageKey identifies one usage_daily row.
type usageKey struct{ team, day, jobType, alias string }

// aliasSums is what a usage_alias_totals row adds up.
type aliasSums struct{ calls, total, cost int64 }

// usageRollup gathers the rollup changes of a set of calls.
type usageRollup struct {
	daily   map[usageKey]*gatehouse.UsageTotals
	aliases map[string]*aliasSums
}

func newUsageRollup() *usageRollup {
	return &usageRollup{daily: map[usageKey]*gatehouse.UsageTotals{}, aliases: map[string]*aliasSums{}}
}

// usageDay is the rollup day of a call: its UTC date.
func usageDay(c *gatehouse.Call) string { return c.CreatedAt.UTC().Format("2006-01-02") }

// add counts one recorded call of a job of type jobType.
func (u *usageRollup) add(jobType string, c *gatehouse.Call) {
	k := usageKey{c.TeamID, usageDay(c), jobType, c.Alias}
	s := u.daily[k]
	if s == nil {
		s = &gatehouse.UsageTotals{}
		u.daily[k] = s
	}
	s.AddCall(c)
	a := u.aliases[c.Alias]
	if a == nil {
		a = &aliasSums{}
		u.aliases[c.Alias] = a
	}
	a.calls++
	a.total += c.TotalTokens
	a.cost += c.CostMicroUSD
}

// record counts a call RecordCalls just recorded in job j; j is nil for a
// replay of a call already recorded, which must not count twice.
func (u *usageRollup) record(j *gatehouse.Job, c *gatehouse.Call) {
	if j != nil {
		u.add(j.JobType, c)
	}
}

// size is how many rollup rows the gathered calls touch.
func (u *usageRollup) size() int { return len(u.daily) + len(u.aliases) }

// sortedKeys returns the daily keys in one fixed order. Writing rows in
// that order means two transactions never wait for each other's rollup
// rows in a cycle: every other lock a recording transaction takes (team,
// job) comes before its rollups, and rollups are only ever written here.
func (u *usageRollup) sortedKeys() []usageKey {
	keys := slices.Collect(maps.Keys(u.daily))
	slices.SortFunc(keys, func(a, b usageKey) int {
		return cmp.Or(cmp.Compare(a.team, b.team), cmp.Compare(a.day, b.day), cmp.Compare(a.jobType, b.jobType), cmp.Compare(a.alias, b.alias))
	})
	return keys
}

const (
	usageDailyUpsert = `INSERT INTO usage_daily (team_id, day, job_type, alias, calls, failed_calls, prompt_tokens,
		completion_tokens, total_tokens, cost_micro_usd, client_cost_micro_usd) VALUES %s
		ON CONFLICT (team_id, day, job_type, alias) DO UPDATE SET calls = usage_daily.calls + excluded.calls,
		failed_calls = usage_daily.failed_calls + excluded.failed_calls,
		prompt_tokens = usage_daily.prompt_tokens + excluded.prompt_tokens,
		completion_tokens = usage_daily.completion_tokens + excluded.completion_tokens,
		total_tokens = usage_daily.total_tokens + excluded.total_tokens,
		cost_micro_usd = usage_daily.cost_micro_usd + excluded.cost_micro_usd,
		client_cost_micro_usd = usage_daily.client_cost_micro_usd + excluded.client_cost_micro_usd`
	usageAliasUpsert = `INSERT INTO usage_alias_totals (alias, calls, total_tokens, cost_micro_usd) VALUES %s
		ON CONFLICT (alias) DO UPDATE SET calls = usage_alias_totals.calls + excluded.calls,
		total_tokens = usage_alias_totals.total_tokens + excluded.total_tokens,
		cost_micro_usd = usage_alias_totals.cost_micro_usd + excluded.cost_micro_usd`
)

// valueRows renders n value tuples of width parameters. SQLite gets
// anonymous "?" parameters: the driver resolves each numbered one by name,
// which grows with the square of their number in the statement (a
// 500-row insert took 0.4 s to bind).
func valueRows(d Dialect, n, width int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		if d == SQLite {
			b.WriteString("(" + strings.Repeat("?, ", width-1) + "?)")
		} else {
			b.WriteString("(" + placeholders(i*width+1, width) + ")")
		}
	}
	return b.String()
}

// write adds the gathered sums to the rollup tables, one row per
// statement so the statements stay prepared (a recorded batch touches
// few rows), and empties u.
func (u *usageRollup) write(ctx context.Context, tx *Tx) error {
	daily, alias := fmt.Sprintf(usageDailyUpsert, valueRows(Postgres, 1, 11)), fmt.Sprintf(usageAliasUpsert, valueRows(Postgres, 1, 4))
	for _, k := range u.sortedKeys() {
		s := u.daily[k]
		if _, err := tx.ExecContext(ctx, daily, k.team, k.day, k.jobType, k.alias, s.Calls, s.FailedCalls, s.PromptTokens,
			s.CompletionTokens, s.TotalTokens, s.CostMicroUSD, s.ClientCostMicroUSD); err != nil {
			return fmt.Errorf("usage rollup: %w", err)
		}
	}
	for _, a := range slices.Sorted(maps.Keys(u.aliases)) {
		s := u.aliases[a]
		if _, err := tx.ExecContext(ctx, alias, a, s.calls, s.total, s.cost); err != nil {
			return fmt.Errorf("alias usage rollup: %w", err)
		}
	}
	clear(u.daily)
	clear(u.aliases)
	return nil
}

// writeBulk is write for bulk loading, in tx: many rows per statement,
// the full-size statement prepared once; it empties u.
func (u *usageRollup) writeBulk(ctx context.Context, tx *sql.Tx, d Dialect) error {
	const perStmt = 500
	keys := u.sortedKeys()
	args := make([]any, 0, perStmt*11)
	var full *sql.Stmt
	defer func() {
		if full != nil {
			full.Close()
		}
	}()
	for len(keys) > 0 {
		n := min(perStmt, len(keys))
		args = args[:0]
		for _, k := range keys[:n] {
			s := u.daily[k]
			args = append(args, k.team, k.day, k.jobType, k.alias, s.Calls, s.FailedCalls, s.PromptTokens, s.CompletionTokens,
				s.TotalTokens, s.CostMicroUSD, s.ClientCostMicroUSD)
		}
		var err error
		if n == perStmt {
			if full == nil {
				if full, err = tx.PrepareContext(ctx, fmt.Sprintf(usageDailyUpsert, valueRows(d, n, 11))); err != nil {
					return err
				}
			}
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, fmt.Sprintf(usageDailyUpsert, valueRows(d, n, 11)), args...)
		}
		if err != nil {
			return fmt.Errorf("usage rollup: %w", err)
		}
		keys = keys[n:]
	}
	q := tx
	names := slices.Sorted(maps.Keys(u.aliases))
	for len(names) > 0 {
		n := min(perStmt, len(names))
		args = args[:0]
		for _, a := range names[:n] {
			s := u.aliases[a]
			args = append(args, a, s.calls, s.total, s.cost)
		}
		if _, err := q.ExecContext(ctx, fmt.Sprintf(usageAliasUpsert, valueRows(d, n, 4)), args...); err != nil {
			return fmt.Errorf("alias usage rollup: %w", err)
		}
		names = names[n:]
	}
	clear(u.daily)
	clear(u.aliases)
	return nil
}
