package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/gatehouse-llm/gatehouse"
)

// moveCredits changes a team's balance by amount and its held credits by
// held in one conditional UPDATE — the database refuses (and nothing
// changes) if the balance would drop below what is held or held below
// zero — and writes the ledger row in the same transaction. There is no
// read-then-write: two replicas racing for the last credit cannot both
// win. It returns ECREDITS when the movement would overspend.
func (tx *Tx) moveCredits(ctx context.Context, teamID, jobID, kind string, amount, held gatehouse.Credits, reason string, paymentMicroUSD int64) (*gatehouse.LedgerEntry, error) {
	var e gatehouse.LedgerEntry
	allocated := gatehouse.Credits(0)
	switch kind {
	case gatehouse.LedgerAllocation, gatehouse.LedgerPayment, gatehouse.LedgerRefill:
		allocated = amount
	}
	err := tx.QueryRowContext(ctx, `
		UPDATE teams SET credits_balance = credits_balance + $1, credits_held = credits_held + $2,
			credits_allocated = credits_allocated + $3
		WHERE id = $4 AND credits_balance + $1 >= credits_held + $2 AND credits_held + $2 >= 0
		RETURNING credits_balance, credits_held`, amount, held, allocated, teamID).Scan(&e.BalanceAfter, &e.HeldAfter)
	if errors.Is(err, sql.ErrNoRows) {
		if _, ferr := findTeam(ctx, tx, teamID); ferr != nil {
			return nil, ferr
		}
		return nil, gatehouse.Errorf(gatehouse.ECREDITS, "Team %q does not have enough credits for this.", teamID)
	} else if err != nil {
		return nil, fmt.Errorf("move credits: %w", err)
	}
	e = gatehouse.LedgerEntry{ID: newID(), TeamID: teamID, JobID: jobID, Kind: kind, Amount: amount, Held: held,
		BalanceBefore: e.BalanceAfter - amount, BalanceAfter: e.BalanceAfter, HeldBefore: e.HeldAfter - held, HeldAfter: e.HeldAfter,
		Reason: reason, Actor: gatehouse.ActorFrom(ctx).String(), PaymentMicroUSD: paymentMicroUSD, CreatedAt: tx.db.Now()}
	if err := tx.insertLedger(ctx, &e); err != nil {
		return nil, err
	}
	return &e, nil
}

// insertLedger writes one ledger entry whose movement the caller has
// applied to the team's row in the same transaction.
func (tx *Tx) insertLedger(ctx context.Context, e *gatehouse.LedgerEntry) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO credit_ledger (id, team_id, job_id, kind, amount, held, balance_before, balance_after,
		held_before, held_after, reason, actor, payment_micro_usd, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		e.ID, e.TeamID, e.JobID, e.Kind, e.Amount, e.Held, e.BalanceBefore, e.BalanceAfter, e.HeldBefore, e.HeldAfter,
		e.Reason, e.Actor, e.PaymentMicroUSD, e.CreatedAt)
	if err != nil {
		return fmt.Errorf("write ledger: %w", err)
	}
	if err := tx.creditsMoved(ctx, e); err != nil { // webhook events (webhook.go)
		return err
	}
	return nil
}

// ListLedger returns a page of a team's credit movements, newest first.
func (db *DB) ListLedger(ctx context.Context, teamID string, p gatehouse.Page) ([]*gatehouse.LedgerEntry, int, error) {
	var w where
	w.add("team_id = ?", teamID)
	total, err := db.listTotal(ctx, "credit_ledger", &w, p)
	if err != nil {
		return nil, 0, err
	}
	window, err := w.window(p, keyset{timeCol: "created_at", idCol: "id", desc: true}) // index credit_ledger_team
	if err != nil {
		return nil, 0, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT id, team_id, job_id, kind, amount, held, balance_before, balance_after,
		held_before, held_after, reason, actor, payment_micro_usd, created_at FROM credit_ledger`+w.String()+window, w.args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []*gatehouse.LedgerEntry{}
	for rows.Next() {
		var e gatehouse.LedgerEntry
		if err := rows.Scan(&e.ID, &e.TeamID, &e.JobID, &e.Kind, &e.Amount, &e.Held, &e.BalanceBefore, &e.BalanceAfter,
			&e.HeldBefore, &e.HeldAfter, &e.Reason, &e.Actor, &e.PaymentMicroUSD, &e.CreatedAt); err != nil {
			return nil, 0, err
		}
		out = append(out, &e)
	}
	return out, total, rows.Err()
}

// LedgerTotals sums a team's ledger: the balance and held credits it
// implies. They always equal the team's own columns (a test checks).
func (db *DB) LedgerTotals(ctx context.Context, teamID string) (balance, held gatehouse.Credits, err error) {
	err = db.sql.QueryRowContext(ctx, `SELECT COALESCE(SUM(amount), 0), COALESCE(SUM(held), 0) FROM credit_ledger WHERE team_id = $1`, teamID).
		Scan(&balance, &held)
	return balance, held, err
}
