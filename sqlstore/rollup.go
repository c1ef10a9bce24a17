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
// (usage_daily), the same per UTC hour (usage_hourly, for the edges of
// ranges that cut days) and per alias for all time (usage_alias_totals),
// so usage reports read a few rows per day instead of every call. They
// are written in the transaction that records the calls, so they never
// disagree with llm_calls.

// usageKey identifies one usage_daily or usage_hourly row; period is the
// day ("2006-01-02") or the hour ("2006-01-02T15").
type usageKey struct{ team, period, jobType, alias string }

// Period formats of the rollups.
const (
	dayFormat  = "2006-01-02"
	hourFormat = "2006-01-02T15"
)

// aliasSums is what a usage_alias_totals row adds up.
type aliasSums struct{ calls, total, cost int64 }

// usageRollup gathers the rollup changes of a set of calls.
type usageRollup struct {
	daily, hourly map[usageKey]*gatehouse.UsageTotals
	aliases       map[string]*aliasSums
}

func newUsageRollup() *usageRollup {
	return &usageRollup{daily: map[usageKey]*gatehouse.UsageTotals{}, hourly: map[usageKey]*gatehouse.UsageTotals{},
		aliases: map[string]*aliasSums{}}
}

// add counts one recorded call of a job of type jobType.
func (u *usageRollup) add(jobType string, c *gatehouse.Call) {
	at := c.CreatedAt.UTC()
	for _, p := range []struct {
		rows   map[usageKey]*gatehouse.UsageTotals
		format string
	}{{u.daily, dayFormat}, {u.hourly, hourFormat}} {
		k := usageKey{c.TeamID, at.Format(p.format), jobType, c.Alias}
		s := p.rows[k]
		if s == nil {
			s = &gatehouse.UsageTotals{}
			p.rows[k] = s
		}
		s.AddCall(c)
	}
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
func (u *usageRollup) size() int { return len(u.daily) + len(u.hourly) + len(u.aliases) }

// sortedKeys returns a rollup's keys in one fixed order. Writing rows in
// that order (daily, then hourly, then aliases) means two transactions
// never wait for each other's rollup rows in a cycle: every other lock a
// recording transaction takes (team, job) comes before its rollups, and
// rollups are only ever written here.
func sortedKeys(m map[usageKey]*gatehouse.UsageTotals) []usageKey {
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, func(a, b usageKey) int {
		return cmp.Or(cmp.Compare(a.team, b.team), cmp.Compare(a.period, b.period), cmp.Compare(a.jobType, b.jobType), cmp.Compare(a.alias, b.alias))
	})
	return keys
}

// periodUpsert adds rows to usage_daily or usage_hourly.
func periodUpsert(table, period string) string {
	return `INSERT INTO ` + table + ` (team_id, ` + period + `, job_type, alias, calls, failed_calls, prompt_tokens,
		completion_tokens, total_tokens, cost_micro_usd, client_cost_micro_usd) VALUES %s
		ON CONFLICT (team_id, ` + period + `, job_type, alias) DO UPDATE SET calls = ` + table + `.calls + excluded.calls,
		failed_calls = ` + table + `.failed_calls + excluded.failed_calls,
		prompt_tokens = ` + table + `.prompt_tokens + excluded.prompt_tokens,
		completion_tokens = ` + table + `.completion_tokens + excluded.completion_tokens,
		total_tokens = ` + table + `.total_tokens + excluded.total_tokens,
		cost_micro_usd = ` + table + `.cost_micro_usd + excluded.cost_micro_usd,
		client_cost_micro_usd = ` + table + `.client_cost_micro_usd + excluded.client_cost_micro_usd`
}

// rollupTables pairs each period rollup with its table, in write order.
func (u *usageRollup) rollupTables() []struct {
	rows   map[usageKey]*gatehouse.UsageTotals
	upsert string
} {
	return []struct {
		rows   map[usageKey]*gatehouse.UsageTotals
		upsert string
	}{{u.daily, usageDailyUpsert}, {u.hourly, usageHourlyUpsert}}
}

var (
	usageDailyUpsert  = periodUpsert("usage_daily", "day")
	usageHourlyUpsert = periodUpsert("usage_hourly", "hour")
)

// The one-row upserts write uses (daily, hourly; aliases), rendered once:
// the money path runs them with every batch of recorded calls.
var (
	usageOneRow      = [2]string{fmt.Sprintf(usageDailyUpsert, valueRows(Postgres, 1, 11)), fmt.Sprintf(usageHourlyUpsert, valueRows(Postgres, 1, 11))}
	usageAliasOneRow = fmt.Sprintf(usageAliasUpsert, valueRows(Postgres, 1, 4))
)

const (
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
	for i, t := range u.rollupTables() {
		upsert := usageOneRow[i]
		for _, k := range sortedKeys(t.rows) {
			s := t.rows[k]
			if _, err := tx.ExecContext(ctx, upsert, k.team, k.period, k.jobType, k.alias, s.Calls, s.FailedCalls, s.PromptTokens,
				s.CompletionTokens, s.TotalTokens, s.CostMicroUSD, s.ClientCostMicroUSD); err != nil {
				return fmt.Errorf("usage rollup: %w", err)
			}
		}
	}
	alias := usageAliasOneRow
	for _, a := range slices.Sorted(maps.Keys(u.aliases)) {
		s := u.aliases[a]
		if _, err := tx.ExecContext(ctx, alias, a, s.calls, s.total, s.cost); err != nil {
			return fmt.Errorf("alias usage rollup: %w", err)
		}
	}
	clear(u.daily)
	clear(u.hourly)
	clear(u.aliases)
	return nil
}

// writeBulk is write for bulk loading, in tx: many rows per statement,
// the full-size statement prepared once; it empties u.
func (u *usageRollup) writeBulk(ctx context.Context, tx *sql.Tx, d Dialect) error {
	const perStmt = 500
	args := make([]any, 0, perStmt*11)
	for _, t := range u.rollupTables() {
		keys := sortedKeys(t.rows)
		var full *sql.Stmt
		for len(keys) > 0 {
			n := min(perStmt, len(keys))
			args = args[:0]
			for _, k := range keys[:n] {
				s := t.rows[k]
				args = append(args, k.team, k.period, k.jobType, k.alias, s.Calls, s.FailedCalls, s.PromptTokens, s.CompletionTokens,
					s.TotalTokens, s.CostMicroUSD, s.ClientCostMicroUSD)
			}
			var err error
			if n == perStmt {
				if full == nil {
					if full, err = tx.PrepareContext(ctx, fmt.Sprintf(t.upsert, valueRows(d, n, 11))); err != nil {
						return err
					}
					defer full.Close()
				}
				_, err = full.ExecContext(ctx, args...)
			} else {
				_, err = tx.ExecContext(ctx, fmt.Sprintf(t.upsert, valueRows(d, n, 11)), args...)
			}
			if err != nil {
				return fmt.Errorf("usage rollup: %w", err)
			}
			keys = keys[n:]
		}
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
	clear(u.hourly)
	clear(u.aliases)
	return nil
}
