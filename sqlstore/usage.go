package sqlstore

import (
	"context"
	"time"

	"github.com/gatehouse-llm/gatehouse"
)

var _ gatehouse.UsageService = (*DB)(nil)

// AliasUsage sums calls per alias the callers named.
func (db *DB) AliasUsage(ctx context.Context, aliases []string) (map[string]gatehouse.AliasUsage, error) {
	out := make(map[string]gatehouse.AliasUsage, len(aliases))
	if len(aliases) == 0 {
		return out, nil
	}
	args := make([]any, len(aliases))
	for i, a := range aliases {
		args[i] = a
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT alias, COUNT(*), COALESCE(SUM(cost_micro_usd), 0), COALESCE(SUM(total_tokens), 0)
		FROM llm_calls WHERE alias IN (`+placeholders(1, len(args))+`) GROUP BY alias`, args...)
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

const callSums = `COUNT(*), COALESCE(SUM(CASE WHEN c.status <> 'success' THEN 1 ELSE 0 END), 0), COALESCE(SUM(c.prompt_tokens), 0),
	COALESCE(SUM(c.completion_tokens), 0), COALESCE(SUM(c.total_tokens), 0), COALESCE(SUM(c.cost_micro_usd), 0),
	COALESCE(SUM(c.client_cost_micro_usd), 0)`

func scanTotals(row interface{ Scan(...any) error }, prefix ...any) (gatehouse.UsageTotals, error) {
	var t gatehouse.UsageTotals
	dest := append(prefix, &t.Calls, &t.FailedCalls, &t.PromptTokens, &t.CompletionTokens, &t.TotalTokens, &t.CostMicroUSD, &t.ClientCostMicroUSD)
	return t, row.Scan(dest...)
}

// TeamUsage reports a team's jobs and calls created in [since, until):
// totals, and breakdowns by job type, by model alias and by UTC day.
// Credits are what completed jobs were charged, net of refunds.
func (db *DB) TeamUsage(ctx context.Context, teamID string, since, until time.Time) (*gatehouse.TeamUsage, error) {
	if _, err := db.FindTeam(ctx, teamID); err != nil {
		return nil, err
	}
	u := &gatehouse.TeamUsage{TeamID: teamID, Since: since.UTC(), Until: until.UTC(), ByJobType: []gatehouse.UsageGroup{},
		ByModel: []gatehouse.UsageGroup{}, ByDay: []gatehouse.UsageGroup{}}
	args := []any{teamID, since.UTC(), until.UTC()}
	err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN status = 'completed' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN status = 'cancelled' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(charged - refunded), 0)
		FROM jobs WHERE team_id = $1 AND created_at >= $2 AND created_at < $3`, args...).
		Scan(&u.Jobs, &u.JobsCompleted, &u.JobsFailed, &u.JobsCancelled, &u.Totals.Credits)
	if err != nil {
		return nil, err
	}
	credits := u.Totals.Credits
	if u.Totals, err = scanTotals(db.sql.QueryRowContext(ctx, `SELECT `+callSums+` FROM llm_calls c
		WHERE c.team_id = $1 AND c.created_at >= $2 AND c.created_at < $3`, args...)); err != nil {
		return nil, err
	}
	u.Totals.Credits = credits

	group := func(keyExpr, from string) ([]gatehouse.UsageGroup, error) {
		rows, err := db.sql.QueryContext(ctx, `SELECT `+keyExpr+`, `+callSums+` FROM `+from+`
			WHERE c.team_id = $1 AND c.created_at >= $2 AND c.created_at < $3 GROUP BY 1 ORDER BY 1`, args...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		out := []gatehouse.UsageGroup{}
		for rows.Next() {
			var g gatehouse.UsageGroup
			if g.UsageTotals, err = scanTotals(rows, &g.Key); err != nil {
				return nil, err
			}
			out = append(out, g)
		}
		return out, rows.Err()
	}
	if u.ByModel, err = group("c.alias", "llm_calls c"); err != nil {
		return nil, err
	}
	if u.ByDay, err = group(db.day("c.created_at"), "llm_calls c"); err != nil {
		return nil, err
	}
	if u.ByJobType, err = group("j.job_type", "llm_calls c JOIN jobs j ON j.id = c.job_id"); err != nil {
		return nil, err
	}
	// Jobs and credits per job type come from the jobs themselves.
	rows, err := db.sql.QueryContext(ctx, `SELECT job_type, COUNT(*), COALESCE(SUM(charged - refunded), 0) FROM jobs
		WHERE team_id = $1 AND created_at >= $2 AND created_at < $3 GROUP BY job_type`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	byType := map[string]int{}
	for i, g := range u.ByJobType {
		byType[g.Key] = i
	}
	for rows.Next() {
		var jt string
		var n int64
		var c gatehouse.Credits
		if err := rows.Scan(&jt, &n, &c); err != nil {
			return nil, err
		}
		if i, ok := byType[jt]; ok {
			u.ByJobType[i].Jobs, u.ByJobType[i].Credits = n, c
		} else {
			u.ByJobType = append(u.ByJobType, gatehouse.UsageGroup{Key: jt, Jobs: n, UsageTotals: gatehouse.UsageTotals{Credits: c}})
		}
	}
	return u, rows.Err()
}
