package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse-llm/gatehouse"
)

var _ gatehouse.CreditService = (*DB)(nil)

// GrantCredits moves credits on an admin's behalf (audited).
func (db *DB) GrantCredits(ctx context.Context, teamID, kind string, amount gatehouse.Credits, reason string, paymentMicroUSD int64) (*gatehouse.LedgerEntry, error) {
	switch kind {
	case gatehouse.LedgerAllocation, gatehouse.LedgerPayment:
		if amount <= 0 {
			return nil, gatehouse.FieldErrorf("credits", "credits must be positive.")
		}
	case gatehouse.LedgerAdjustment:
		if amount == 0 {
			return nil, gatehouse.FieldErrorf("credits", "An adjustment must change the balance.")
		}
		if strings.TrimSpace(reason) == "" {
			return nil, gatehouse.FieldErrorf("reason", "An adjustment needs a reason.")
		}
	default:
		return nil, fmt.Errorf("sqlstore: GrantCredits cannot make %s entries", kind)
	}
	if reason == "" {
		reason = kind
	}
	if amount > gatehouse.MaxCredits || amount < -gatehouse.MaxCredits {
		return nil, gatehouse.FieldErrorf("credits", "credits must be between -%s and %s.", gatehouse.MaxCredits, gatehouse.MaxCredits)
	}
	var e *gatehouse.LedgerEntry
	err := db.change(ctx, func(tx *Tx) error {
		if amount > 0 {
			if err := tx.checkCreditCeiling(ctx, teamID, kind, amount); err != nil {
				return err
			}
		}
		var err error
		if amount < 0 {
			if err := tx.shrinkLeasesFor(ctx, teamID, -amount); err != nil {
				return err
			}
		}
		if e, err = tx.moveCredits(ctx, teamID, "", kind, amount, 0, reason, paymentMicroUSD); err != nil {
			if gatehouse.ErrorCode(err) == gatehouse.ECREDITS {
				return gatehouse.Errorf(gatehouse.ECREDITS, "Removing %s credits would take team %q below what its work in progress holds.", -amount, teamID)
			}
			return err
		}
		return tx.audit("credits."+kind, "team", teamID, nil, e)
	})
	return e, err
}

// checkCreditCeiling refuses a grant that would take a team's balance, or
// its total allocation, above gatehouse.MaxCredits: a 400 naming the
// limit, where the sum would otherwise overflow the database's integer
// range and fail as an internal error. The row is locked on PostgreSQL so
// two grants cannot both pass on the same old balance.
func (tx *Tx) checkCreditCeiling(ctx context.Context, teamID, kind string, amount gatehouse.Credits) error {
	var balance, allocated gatehouse.Credits
	err := tx.QueryRowContext(ctx, `SELECT credits_balance, credits_allocated FROM teams WHERE id = $1`+tx.forUpdate(), teamID).Scan(&balance, &allocated)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("Team", teamID)
	} else if err != nil {
		return err
	}
	if balance > gatehouse.MaxCredits-amount {
		return gatehouse.FieldErrorf("credits", "Adding %s credits would take team %q to a balance of more than %s credits, the most a team may hold (it has %s).",
			amount, teamID, gatehouse.MaxCredits, balance)
	}
	if kind != gatehouse.LedgerAdjustment && allocated > gatehouse.MaxCredits-amount {
		return gatehouse.FieldErrorf("credits", "Adding %s credits would take team %q's total allocation above %s credits, the most Gatehouse tracks (it is %s).",
			amount, teamID, gatehouse.MaxCredits, allocated)
	}
	return nil
}

// RefundJob gives back a completed job's charge, once.
func (db *DB) RefundJob(ctx context.Context, teamID, jobID, reason string) (*gatehouse.LedgerEntry, error) {
	var e *gatehouse.LedgerEntry
	err := db.change(ctx, func(tx *Tx) error {
		j, err := findJob(ctx, tx, teamID, jobID, tx.forUpdate())
		if err != nil {
			return err
		}
		if j.Status != gatehouse.JobCompleted {
			return gatehouse.Errorf(gatehouse.ECONFLICT, "Job %s is %s; only completed jobs are charged, so only they can be refunded.", jobID, j.Status)
		}
		if j.Refunded > 0 || j.Charged == 0 {
			return gatehouse.Errorf(gatehouse.ECONFLICT, "Job %s has nothing left to refund (charged %s, refunded %s).", jobID, j.Charged, j.Refunded)
		}
		if reason == "" {
			reason = "job refund"
		}
		if e, err = tx.moveCredits(ctx, teamID, jobID, gatehouse.LedgerRefund, j.Charged, 0, reason, 0); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE jobs SET refunded = $1, updated_at = $2 WHERE id = $3`, j.Charged, db.Now(), jobID); err != nil {
			return err
		}
		return tx.audit("credits.refund", "job", jobID, j, e)
	})
	return e, err
}

// SetTeamRates changes a team's budget mode, conversion rates or markup.
// The budget mode cannot change while jobs are open: each job is paid the
// way it started.
func (db *DB) SetTeamRates(ctx context.Context, teamID string, r gatehouse.TeamRates) (*gatehouse.Team, error) {
	var out *gatehouse.Team
	err := db.change(ctx, func(tx *Tx) error {
		before, err := findTeam(ctx, tx, teamID)
		if err != nil {
			return err
		}
		t := *before
		if r.BudgetMode != nil && *r.BudgetMode != t.BudgetMode {
			if !gatehouse.ValidBudgetMode(*r.BudgetMode) {
				return gatehouse.FieldErrorf("budget_mode", "budget_mode must be job_based, consumption_usd or consumption_tokens.")
			}
			var open int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM jobs WHERE team_id = $1 AND status IN ('pending', 'in_progress')`, teamID).Scan(&open); err != nil {
				return err
			}
			if open > 0 {
				return gatehouse.Errorf(gatehouse.ECONFLICT, "Team %q has %d open jobs; the budget mode can change once they end.", teamID, open)
			}
			t.BudgetMode = *r.BudgetMode
		}
		if r.CreditsPerDollar != nil {
			if *r.CreditsPerDollar <= 0 {
				return gatehouse.FieldErrorf("credits_per_dollar", "credits_per_dollar must be positive.")
			}
			t.CreditsPerDollar = *r.CreditsPerDollar
		}
		if r.TokensPerCredit != nil {
			if *r.TokensPerCredit <= 0 {
				return gatehouse.FieldErrorf("tokens_per_credit", "tokens_per_credit must be a positive integer.")
			}
			t.TokensPerCredit = *r.TokensPerCredit
		}
		if r.MarkupBP != nil {
			if *r.MarkupBP < 0 || *r.MarkupBP > 1_000_000 {
				return gatehouse.FieldErrorf("cost_markup_percentage", "cost_markup_percentage must be between 0 and 10000.")
			}
			t.MarkupBP = *r.MarkupBP
		}
		t.UpdatedAt = db.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE teams SET budget_mode = $1, credits_per_dollar = $2, tokens_per_credit = $3,
			markup_bp = $4, updated_at = $5 WHERE id = $6`, t.BudgetMode, t.CreditsPerDollar, t.TokensPerCredit, t.MarkupBP, t.UpdatedAt, teamID); err != nil {
			return err
		}
		out = &t
		tx.changed(gatehouse.ChangeTeam, teamID)
		return tx.audit("team.rates", "team", teamID, before, t)
	})
	return out, err
}

// ConfigureRefill sets (or, with period "", turns off) a team's automatic
// refill. The first refill happens at the start of the next period.
func (db *DB) ConfigureRefill(ctx context.Context, teamID string, amount gatehouse.Credits, period string) (*gatehouse.Team, error) {
	if period != "" && gatehouse.RefillPeriodKey(period, db.Now()) == "" {
		return nil, gatehouse.FieldErrorf("refill_period", "refill_period must be daily, weekly or monthly.")
	}
	if period != "" && amount <= 0 {
		return nil, gatehouse.FieldErrorf("refill_amount", "refill_amount must be positive.")
	}
	if period == "" {
		amount = 0
	}
	var out *gatehouse.Team
	err := db.change(ctx, func(tx *Tx) error {
		before, err := findTeam(ctx, tx, teamID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE teams SET refill_amount = $1, refill_period = $2, last_refill_period = $3, updated_at = $4 WHERE id = $5`,
			amount, period, gatehouse.RefillPeriodKey(period, db.Now()), db.Now(), teamID); err != nil {
			return err
		}
		if out, err = findTeam(ctx, tx, teamID); err != nil {
			return err
		}
		tx.changed(gatehouse.ChangeTeam, teamID)
		return tx.audit("team.auto_refill", "team", teamID, before, out)
	})
	return out, err
}

// RunRefills makes the refills due at now: each team's at most once per
// period, however many replicas run this at the same moment (the period
// is claimed by a conditional update in the refill's own transaction).
func (db *DB) RunRefills(ctx context.Context) (int, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT id, refill_period, last_refill_period FROM teams WHERE refill_period <> '' AND refill_amount > 0`)
	if err != nil {
		return 0, err
	}
	type due struct{ team, period string }
	var dues []due
	now := db.Now()
	for rows.Next() {
		var id, period, last string
		if err := rows.Scan(&id, &period, &last); err != nil {
			rows.Close()
			return 0, err
		}
		if key := gatehouse.RefillPeriodKey(period, now); key != last {
			dues = append(dues, due{id, key})
		}
	}
	rows.Close()
	ctx = gatehouse.WithActor(ctx, gatehouse.Actor{Kind: "system"})
	n := 0
	for _, d := range dues {
		err := db.inTx(ctx, func(tx *Tx) error {
			var amount gatehouse.Credits
			err := tx.QueryRowContext(ctx, `UPDATE teams SET last_refill_period = $1, last_refill_at = $2
				WHERE id = $3 AND last_refill_period <> $1 AND refill_amount > 0 RETURNING refill_amount`, d.period, now, d.team).Scan(&amount)
			if err != nil {
				return err
			}
			_, err = tx.moveCredits(ctx, d.team, "", gatehouse.LedgerRefill, amount, 0, "auto-refill "+d.period, 0)
			return err
		})
		switch {
		case err == nil:
			n++
		case errors.Is(err, sql.ErrNoRows):
			// another replica made this period's refill
		default:
			return n, fmt.Errorf("refill team %s: %w", d.team, err)
		}
	}
	return n, nil
}

// RunRefillsEvery runs RunRefills on a ticker until ctx ends.
func (db *DB) RunRefillsEvery(ctx context.Context, every time.Duration, onErr func(error)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := db.RunRefills(ctx); err != nil && ctx.Err() == nil && onErr != nil {
			onErr(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
