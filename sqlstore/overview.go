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
// through llm_calls_errors. The month's figures sum the month's daily
// rollup rows, so their cost grows with the fleet's active team-days,
// never with its calls.
func (db *DB) Overview(ctx context.Context, now time.Time) (*gatehouse.Overview, error) {
	now = now.UTC()
	o := &gatehouse.Overview{}
	if err := db.sql.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM organizations), (SELECT COUNT(*) FROM teams)`).Scan(&o.Organizations, &o.Teams); err != nil {
		return nil, err
	}
	sum := func(since, until string, calls, failed, spend *int64) error {
		var c, f, s sql.NullInt64
		err := db.sql.QueryRowContext(ctx, `SELECT SUM(calls), SUM(failed_calls), SUM(cost_micro_usd) FROM usage_daily WHERE day >= $1 AND day < $2`, since, until).Scan(&c, &f, &s)
		*calls, *failed, *spend = c.Int64, f.Int64, s.Int64
		return err
	}
	today := now.Format(dayFormat)
	if err := sum(today, now.AddDate(0, 0, 1).Format(dayFormat), &o.CallsToday, &o.ErrorsToday, &o.SpendTodayMicros); err != nil {
		return nil, err
	}
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	if err := sum(month.Format(dayFormat), month.AddDate(0, 1, 0).Format(dayFormat), &o.CallsMonth, &o.ErrorsMonth, &o.SpendMonthMicros); err != nil {
		return nil, err
	}
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
