package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/gatehouse-llm/gatehouse"
)

var _ gatehouse.OverviewService = (*DB)(nil)

// Overview answers the console's first page. Each figure reads an index
// (migration 00009): the day's usage rows through usage_daily_day, the
// teams lowest on credits through teams_remaining, the latest failures
// through llm_calls_errors. The month's figures are left to FleetUsage,
// whose cost grows with the fleet's active team-days.
func (db *DB) Overview(ctx context.Context, now time.Time) (*gatehouse.Overview, error) {
	now = now.UTC()
	o := &gatehouse.Overview{}
	if err := db.sql.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM organizations), (SELECT COUNT(*) FROM teams)`).Scan(&o.Organizations, &o.Teams); err != nil {
		return nil, err
	}
	day := now.Truncate(24 * time.Hour)
	t, err := db.FleetUsage(ctx, day, day.AddDate(0, 0, 1))
	if err != nil {
		return nil, err
	}
	o.CallsToday, o.ErrorsToday, o.SpendTodayMicros = t.Calls, t.FailedCalls, t.CostMicroUSD
	rows, err := db.sql.QueryContext(ctx, `SELECT id FROM teams WHERE status = 'active' ORDER BY (credits_balance - credits_held) LIMIT 10`)
	if err != nil {
		return nil, err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, id := range ids {
		t, err := db.FindTeam(ctx, id)
		if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND {
			continue // deleted meanwhile
		} else if err != nil {
			return nil, err
		}
		o.LowCredit = append(o.LowCredit, t)
	}
	rows, err = db.sql.QueryContext(ctx, `SELECT id, job_id, team_id, alias, provider, provider_model, error, created_at
		FROM llm_calls WHERE status = 'error' ORDER BY created_at DESC LIMIT 10`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		c := &gatehouse.Call{Status: "error"}
		if err := rows.Scan(&c.ID, &c.JobID, &c.TeamID, &c.Alias, &c.Provider, &c.ProviderModel, &c.Error, &c.CreatedAt); err != nil {
			return nil, err
		}
		o.RecentErrors = append(o.RecentErrors, c)
	}
	return o, rows.Err()
}

// FleetUsage sums usage_daily over whole UTC days through usage_daily_day
// (covering on PostgreSQL and SQLite).
func (db *DB) FleetUsage(ctx context.Context, since, until time.Time) (gatehouse.UsageTotals, error) {
	var t gatehouse.UsageTotals
	var c, f, s sql.NullInt64
	err := db.sql.QueryRowContext(ctx, `SELECT SUM(calls), SUM(failed_calls), SUM(cost_micro_usd) FROM usage_daily WHERE day >= $1 AND day < $2`,
		since.UTC().Format(dayFormat), until.UTC().Format(dayFormat)).Scan(&c, &f, &s)
	t.Calls, t.FailedCalls, t.CostMicroUSD = c.Int64, f.Int64, s.Int64
	return t, err
}

var _ gatehouse.UsageReportService = (*DB)(nil)

// OrganizationUsage reads each of the organization's teams' daily rollups
// for the range (teams_organization, then usage_daily's primary key per
// team): its cost grows with the organization's teams and days, never
// with its calls. Credits are charged per job and are not in the rollups,
// so the report has none.
func (db *DB) OrganizationUsage(ctx context.Context, orgID string, since, until time.Time) (*gatehouse.UsageReport, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT u.day, u.alias, SUM(u.calls), SUM(u.failed_calls), SUM(u.prompt_tokens), SUM(u.completion_tokens),
		SUM(u.total_tokens), SUM(u.cost_micro_usd), SUM(u.client_cost_micro_usd)
		FROM teams t JOIN usage_daily u ON u.team_id = t.id
		WHERE t.organization_id = $1 AND u.day >= $2 AND u.day < $3
		GROUP BY u.day, u.alias ORDER BY u.day, u.alias`,
		orgID, since.UTC().Format(dayFormat), until.UTC().Format(dayFormat))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	rep := &gatehouse.UsageReport{}
	byModel := map[string]*gatehouse.UsageGroup{}
	var order []string
	for rows.Next() {
		var day, alias string
		var t gatehouse.UsageTotals
		if err := rows.Scan(&day, &alias, &t.Calls, &t.FailedCalls, &t.PromptTokens, &t.CompletionTokens, &t.TotalTokens, &t.CostMicroUSD, &t.ClientCostMicroUSD); err != nil {
			return nil, err
		}
		if n := len(rep.ByDay); n == 0 || rep.ByDay[n-1].Key != day {
			rep.ByDay = append(rep.ByDay, gatehouse.UsageGroup{Key: day})
		}
		addTotals(&rep.ByDay[len(rep.ByDay)-1].UsageTotals, t)
		g, ok := byModel[alias]
		if !ok {
			g = &gatehouse.UsageGroup{Key: alias}
			byModel[alias] = g
			order = append(order, alias)
		}
		addTotals(&g.UsageTotals, t)
		addTotals(&rep.Totals, t)
	}
	for _, a := range order {
		rep.ByModel = append(rep.ByModel, *byModel[a])
	}
	return rep, rows.Err()
}

func addTotals(dst *gatehouse.UsageTotals, t gatehouse.UsageTotals) {
	dst.Calls += t.Calls
	dst.FailedCalls += t.FailedCalls
	dst.PromptTokens += t.PromptTokens
	dst.CompletionTokens += t.CompletionTokens
	dst.TotalTokens += t.TotalTokens
	dst.CostMicroUSD += t.CostMicroUSD
	dst.ClientCostMicroUSD += t.ClientCostMicroUSD
}
