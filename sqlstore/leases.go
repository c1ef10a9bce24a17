package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/gatehouse-llm/gatehouse"
)

// LeaseShare bounds a lease to this fraction (1/LeaseShare) of a team's
// free credits, beyond the one admission that asked for it: a team with
// little left gets small leases, so one replica cannot take what another
// needs, and the last credits are leased one call at a time.
const LeaseShare = 4

// AcquireLease sets up to want of a team's free credits aside for this
// instance's credit lease (db.Instance), and at least need, or nothing
// (what it grants beyond need is a whole number of units, the size of one
// admission, so no fraction of an admission is left stranded in a lease):
// a team that cannot spare need is refused with gatehouse.CreditsRefusal's
// error (held by work in progress: retryable; spent: 402). The credits
// are held in the ledger like a job's hold (a 'hold' entry naming the
// lease) and counted in credit_leases, so a replica that dies with them
// leaves a row the sweeper returns. It reports what was granted.
func (db *DB) AcquireLease(ctx context.Context, teamID string, want, need, unit gatehouse.Credits) (gatehouse.Credits, error) {
	if db.Instance == "" {
		return 0, errors.New("sqlstore: AcquireLease needs db.Instance")
	}
	var granted gatehouse.Credits
	err := db.inTx(ctx, func(tx *Tx) error {
		// The lease row before the team's, the order every transaction
		// that touches both takes them in (recording calls charges the
		// lease, then the team).
		var current gatehouse.Credits
		if err := tx.QueryRowContext(ctx, `SELECT amount FROM credit_leases WHERE team_id = $1 AND instance_id = $2`+tx.forUpdate(),
			teamID, db.Instance).Scan(&current); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		balance, held, err := tx.teamFunds(ctx, teamID)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("Team", teamID)
		} else if err != nil {
			return err
		}
		free := balance - held
		if need <= 0 || free < need {
			return gatehouse.CreditsRefusal(teamID, balance, held, max(need, 1))
		}
		granted = need
		if extra := min(want, free/LeaseShare) - need; extra > 0 && unit > 0 {
			granted += extra / unit * unit
		}
		if _, err := tx.moveCredits(ctx, teamID, "", gatehouse.LedgerHold, 0, granted, "credit lease of instance "+db.Instance, 0); err != nil {
			return err
		}
		now := db.Now()
		_, err = tx.ExecContext(ctx, `INSERT INTO credit_leases (team_id, instance_id, amount, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
			ON CONFLICT (team_id, instance_id) DO UPDATE SET amount = credit_leases.amount + excluded.amount, updated_at = excluded.updated_at`,
			teamID, db.Instance, granted, now)
		return err
	})
	if err != nil {
		return 0, unavailable(err)
	}
	return granted, nil
}

// ReturnLease gives back amount of what this instance's lease on a team
// holds: all of it when amount is zero or more than the lease holds (this
// process lost count of it). It reports how much it returned.
func (db *DB) ReturnLease(ctx context.Context, teamID string, amount gatehouse.Credits) (gatehouse.Credits, error) {
	var n gatehouse.Credits
	reason := "credit lease of instance " + db.Instance + " returned"
	err := db.inTx(ctx, func(tx *Tx) error {
		if amount > 0 {
			var left gatehouse.Credits
			err := tx.QueryRowContext(ctx, `UPDATE credit_leases SET amount = amount - $1, updated_at = $2
				WHERE team_id = $3 AND instance_id = $4 AND amount >= $1 RETURNING amount`, amount, db.Now(), teamID, db.Instance).Scan(&left)
			if err == nil {
				n = amount
				if left == 0 {
					if _, err := tx.ExecContext(ctx, `DELETE FROM credit_leases WHERE team_id = $1 AND instance_id = $2 AND amount = 0`, teamID, db.Instance); err != nil {
						return err
					}
				}
				_, err := tx.moveCredits(ctx, teamID, "", gatehouse.LedgerRelease, 0, -amount, reason, 0)
				return err
			} else if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		var err error
		n, err = tx.returnLease(ctx, teamID, db.Instance, reason)
		return err
	})
	return n, unavailable(err)
}

// returnLease removes one lease and releases what it held.
func (tx *Tx) returnLease(ctx context.Context, teamID, instance, reason string) (gatehouse.Credits, error) {
	var amount gatehouse.Credits
	err := tx.QueryRowContext(ctx, `DELETE FROM credit_leases WHERE team_id = $1 AND instance_id = $2 RETURNING amount`, teamID, instance).Scan(&amount)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	} else if err != nil {
		return 0, err
	}
	if amount > 0 {
		if _, err := tx.moveCredits(ctx, teamID, "", gatehouse.LedgerRelease, 0, -amount, reason, 0); err != nil {
			return 0, err
		}
	}
	return amount, nil
}

// returnLeases returns the leases a query selects (team_id, instance_id;
// at most a few hundred per run), each in its own transaction, and
// reports how many it returned.
func (db *DB) returnLeases(ctx context.Context, reason, query string, args ...any) (int, error) {
	refs, err := db.queryPairs(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	ctx = gatehouse.WithActor(ctx, gatehouse.Actor{Kind: "system"})
	n := 0
	for _, r := range refs {
		team, instance := r[0], r[1]
		err := db.inTx(ctx, func(tx *Tx) error {
			_, err := tx.returnLease(ctx, team, instance, fmt.Sprintf(reason, instance))
			return err
		})
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// LeasedCredits is what the credit leases of every instance hold of a
// team's credits (part of its credits_held).
func (db *DB) LeasedCredits(ctx context.Context, teamID string) (gatehouse.Credits, error) {
	var n gatehouse.Credits
	err := db.sql.QueryRowContext(ctx, `SELECT COALESCE(SUM(amount), 0) FROM credit_leases WHERE team_id = $1`, teamID).Scan(&n)
	return n, err
}

// leasedJob is a lease-admitted single-call job in a batch of recorded
// calls, settled with the other jobs of its team.
type leasedJob struct {
	index     int // in the batch
	job       *gatehouse.Job
	call      *gatehouse.Call
	charge    gatehouse.Credits // what the job costs (0 when it failed)
	fromLease gatehouse.Credits
	fromFree  gatehouse.Credits
}

// leaseBatch gathers a batch's lease-admitted jobs by team, in order.
type leaseBatch struct {
	teams []string
	jobs  map[string][]*leasedJob
}

func (b *leaseBatch) add(j *leasedJob) {
	if b.jobs == nil {
		b.jobs = map[string][]*leasedJob{}
	}
	t := j.job.TeamID
	if _, ok := b.jobs[t]; !ok {
		b.teams = append(b.teams, t)
	}
	b.jobs[t] = append(b.jobs[t], j)
}

// recordLeasedCall writes a call whose single-call job was admitted
// against the lease (o.NewJob) and queues its job for the batch's
// settlement. A call already recorded (a replay) settles nothing: its
// job is returned as it is.
func (tx *Tx) recordLeasedCall(ctx context.Context, o gatehouse.CallOutcome, i int, b *leaseBatch, settled []gatehouse.Settlement) error {
	inserted, err := tx.insertCall(ctx, o.Call)
	if err != nil || !inserted {
		if err == nil {
			settled[i].Job, err = findJob(ctx, tx, o.Call.TeamID, o.Call.JobID, "")
		}
		return err
	}
	c := o.Call
	j := *o.NewJob
	j.ID, j.TeamID, j.Status = c.JobID, c.TeamID, gatehouse.JobCompleted
	charge := o.Charge
	if c.Status != "success" {
		j.Status, j.ErrorMessage, charge = gatehouse.JobFailed, c.Error, 0
		j.FailedCalls = 1
	}
	if j.Metadata == nil {
		j.Metadata = gatehouse.Metadata{}
	}
	j.CallCount = 1
	j.PromptTokens, j.CompletionTokens, j.TotalTokens = c.PromptTokens, c.CompletionTokens, c.TotalTokens
	j.CostMicroUSD, j.ClientCostMicroUSD = c.CostMicroUSD, c.ClientCostMicro
	b.add(&leasedJob{index: i, job: &j, call: c, charge: charge, fromLease: min(max(o.FromLease, 0), charge)})
	return nil
}

// settleLeased charges each team's lease-admitted jobs of the batch: what
// they take from this instance's lease in one update of the lease and
// one of the team, the rest (a charge above the call's reservation, or a
// lease swept meanwhile) from the team's free credits, uncollected where
// those do not cover it (the balance never goes below zero). Then it
// writes the jobs, already ended, and one ledger entry per charged job.
func (tx *Tx) settleLeased(ctx context.Context, b *leaseBatch, settled []gatehouse.Settlement) error {
	now := tx.db.Now()
	// Teams in one order, so two replicas' batches never wait for each
	// other's team rows in a cycle.
	slices.Sort(b.teams)
	for _, team := range b.teams {
		jobs := b.jobs[team]
		var fromLease gatehouse.Credits
		for _, j := range jobs {
			fromLease += j.fromLease
		}
		lost := false
		if fromLease > 0 {
			res, err := tx.ExecContext(ctx, `UPDATE credit_leases SET amount = amount - $1, updated_at = $2
				WHERE team_id = $3 AND instance_id = $4 AND amount >= $1`, fromLease, now, team, tx.db.Instance)
			if err != nil {
				return fmt.Errorf("charge lease: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				// Returned or swept meanwhile: charge the team's free
				// credits instead, as far as they go.
				lost, fromLease = true, 0
				for _, j := range jobs {
					j.fromLease = 0
				}
			}
		}
		var balance, held, fromFree gatehouse.Credits
		short := false
		for _, j := range jobs {
			short = short || j.charge > j.fromLease
		}
		if short || fromLease == 0 {
			var err error
			if balance, held, err = tx.teamFunds(ctx, team); err != nil {
				return err
			}
			spare := balance - held
			for _, j := range jobs {
				j.fromFree = min(j.charge-j.fromLease, max(spare-fromFree, 0))
				fromFree += j.fromFree
			}
		}
		if fromLease+fromFree > 0 {
			if err := tx.QueryRowContext(ctx, `UPDATE teams SET credits_balance = credits_balance - $1, credits_held = credits_held - $2
				WHERE id = $3 RETURNING credits_balance, credits_held`, fromLease+fromFree, fromLease, team).Scan(&balance, &held); err != nil {
				return fmt.Errorf("charge team: %w", err)
			}
		}
		// Ledger entries in order, each with the balance it moved from.
		bal, hld := balance+fromLease+fromFree, held+fromLease
		actor := gatehouse.ActorFrom(ctx).String()
		for _, lj := range jobs {
			j := lj.job
			paid := lj.fromLease + lj.fromFree
			j.Uncollected = lj.charge - paid
			if j.BudgetMode != gatehouse.BudgetJobBased {
				j.Accrued = paid
			}
			if j.Status == gatehouse.JobCompleted {
				j.Charged = paid
			}
			j.UpdatedAt, j.CompletedAt = now, &now
			if _, err := tx.ExecContext(ctx, `INSERT INTO jobs (`+jobColumns+`, owner) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,
				0, $10, $11, $12, 0, 1, $13, 0, $14, $15, $16, $17, $18, $19, $20, $20, '')`,
				j.ID, j.TeamID, j.OrganizationID, j.JobType, j.UserID, j.Status, jsonText(j.Metadata, "{}"), j.ErrorMessage, j.BudgetMode,
				j.Accrued, j.Charged, j.Uncollected, j.FailedCalls, j.PromptTokens, j.CompletionTokens, j.TotalTokens, j.CostMicroUSD,
				j.ClientCostMicroUSD, j.CreatedAt, now); err != nil {
				return fmt.Errorf("write job: %w", err)
			}
			if err := tx.jobEnded(ctx, j); err != nil { // webhook event (webhook.go), as endJob emits it
				return err
			}
			if paid > 0 {
				e := gatehouse.LedgerEntry{ID: newID(), TeamID: team, JobID: j.ID, Kind: gatehouse.LedgerDeduction, Amount: -paid,
					Held: -lj.fromLease, BalanceBefore: bal, BalanceAfter: bal - paid, HeldBefore: hld, HeldAfter: hld - lj.fromLease,
					Reason: "job completed", Actor: actor, CreatedAt: now}
				bal, hld = e.BalanceAfter, e.HeldAfter
				if err := tx.insertLedger(ctx, &e); err != nil {
					return err
				}
			}
			settled[lj.index].Job = j
			settled[lj.index].CreditsRemaining = balance - held
			settled[lj.index].LeaseLost = lost
		}
	}
	return nil
}

// shrinkLeasesFor makes room for removing amount credits from a team
// whose free credits fall short because replicas' credit leases hold
// them: it takes the difference back from the leases, largest first.
// Credits set aside by a lease are not work in progress until a call is
// admitted against them, so an adjustment may take them; a replica whose
// lease shrank this way finds out when it next charges it (the charge
// then comes from the team's free credits, see settleLeased) and acquires
// a new lease. Holds of jobs are never taken.
func (tx *Tx) shrinkLeasesFor(ctx context.Context, teamID string, amount gatehouse.Credits) error {
	balance, held, err := tx.teamFunds(ctx, teamID)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("Team", teamID)
	} else if err != nil {
		return err
	}
	short := amount - (balance - held)
	if short <= 0 {
		return nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT instance_id, amount FROM credit_leases WHERE team_id = $1 AND amount > 0 ORDER BY amount DESC, instance_id`, teamID)
	if err != nil {
		return err
	}
	type lease struct {
		instance string
		amount   gatehouse.Credits
	}
	var leases []lease
	for rows.Next() {
		var l lease
		if err := rows.Scan(&l.instance, &l.amount); err != nil {
			rows.Close()
			return err
		}
		leases = append(leases, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, l := range leases {
		if short <= 0 {
			break
		}
		take := min(short, l.amount)
		if _, err := tx.ExecContext(ctx, `UPDATE credit_leases SET amount = amount - $1, updated_at = $2 WHERE team_id = $3 AND instance_id = $4`,
			take, tx.db.Now(), teamID, l.instance); err != nil {
			return err
		}
		if _, err := tx.moveCredits(ctx, teamID, "", gatehouse.LedgerRelease, 0, -take, "credit lease of instance "+l.instance+" reduced to make room for an adjustment", 0); err != nil {
			return err
		}
		short -= take
	}
	return nil
}
