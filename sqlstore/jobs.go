package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse-llm/gatehouse"
)

var _ gatehouse.JobService = (*DB)(nil)

const jobColumns = `id, team_id, organization_id, job_type, user_id, status, metadata, error_message, budget_mode,
	reserved, accrued, charged, uncollected, refunded, call_count, failed_calls, inflight, prompt_tokens, completion_tokens,
	total_tokens, cost_micro_usd, client_cost_micro_usd, created_at, updated_at, completed_at`

func scanJob(row interface{ Scan(...any) error }) (*gatehouse.Job, error) {
	var j gatehouse.Job
	var meta []byte
	err := row.Scan(&j.ID, &j.TeamID, &j.OrganizationID, &j.JobType, &j.UserID, &j.Status, &meta, &j.ErrorMessage, &j.BudgetMode,
		&j.Reserved, &j.Accrued, &j.Charged, &j.Uncollected, &j.Refunded, &j.CallCount, &j.FailedCalls, &j.Inflight, &j.PromptTokens,
		&j.CompletionTokens, &j.TotalTokens, &j.CostMicroUSD, &j.ClientCostMicroUSD, &j.CreatedAt, &j.UpdatedAt, &j.CompletedAt)
	if err != nil {
		return nil, err
	}
	j.Metadata = gatehouse.Metadata{}
	return &j, scanJSON(meta, &j.Metadata)
}

func findJob(ctx context.Context, q queryer, teamID, jobID, lock string) (*gatehouse.Job, error) {
	j, err := scanJob(q.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM jobs WHERE id = $1 AND team_id = $2`+lock, jobID, teamID))
	if errors.Is(err, sql.ErrNoRows) {
		// Another team's job is reported exactly like a missing one.
		return nil, notFound("Job", jobID)
	}
	return j, err
}

// FindJob returns one of a team's jobs.
func (db *DB) FindJob(ctx context.Context, teamID, jobID string) (*gatehouse.Job, error) {
	return findJob(ctx, db.sql, teamID, jobID, "")
}

// idempotencyRoute names the operation an Idempotency-Key belongs to.
const idempotencyJobCreate = "jobs.create"

// CreateJob opens a job. In job_based mode the job holds one credit from
// now until it ends, so a team never has more jobs in flight than credits.
// With an idempotency key, a retry of the same creation returns the job
// the first one made. A single-call job is owned by this process
// (db.Instance), so that another one can end it if this one dies.
func (db *DB) CreateJob(ctx context.Context, j *gatehouse.Job, idemKey string) (*gatehouse.Job, error) {
	if len(j.JobType) > 128 || len(j.UserID) > 256 || len(idemKey) > 256 {
		return nil, gatehouse.FieldErrorf("job_type", "job_type must be at most 128 characters, user_id 256, Idempotency-Key 256.")
	}
	var out *gatehouse.Job
	err := db.inTx(ctx, func(tx *Tx) error {
		if idemKey != "" {
			var existing string
			err := tx.QueryRowContext(ctx, `SELECT resource FROM idempotency_keys WHERE team_id = $1 AND route = $2 AND key = $3`,
				j.TeamID, idempotencyJobCreate, idemKey).Scan(&existing)
			if err == nil {
				out, err = findJob(ctx, tx, j.TeamID, existing, "")
				return err
			} else if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		team, err := findTeam(ctx, tx, j.TeamID)
		if err != nil {
			return err
		}
		now := db.Now()
		job := *j
		job.ID, job.OrganizationID, job.Status, job.BudgetMode = newID(), team.OrganizationID, gatehouse.JobPending, team.BudgetMode
		job.CreatedAt, job.UpdatedAt = now, now
		if job.Metadata == nil {
			job.Metadata = gatehouse.Metadata{}
		}
		if team.BudgetMode == gatehouse.BudgetJobBased {
			job.Reserved = gatehouse.OneCredit
		}
		if idemKey != "" {
			if _, err := tx.ExecContext(ctx, `INSERT INTO idempotency_keys (team_id, key, route, resource, created_at) VALUES ($1, $2, $3, $4, $5)`,
				j.TeamID, idemKey, idempotencyJobCreate, job.ID, now); err != nil {
				return err
			}
		}
		owner := ""
		if job.SingleCall {
			owner = db.Instance
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO jobs (`+jobColumns+`, owner) VALUES ($1, $2, $3, $4, $5, $6, $7, '', $8,
			$9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, $10, $10, NULL, $11)`,
			job.ID, job.TeamID, job.OrganizationID, job.JobType, job.UserID, job.Status, jsonText(job.Metadata, "{}"),
			job.BudgetMode, job.Reserved, now, owner); err != nil {
			return err
		}
		if job.Reserved > 0 {
			if _, err := tx.moveCredits(ctx, job.TeamID, job.ID, gatehouse.LedgerHold, 0, job.Reserved, "job hold", 0); err != nil {
				if gatehouse.ErrorCode(err) != gatehouse.ECREDITS {
					return err
				}
				refusal, err := tx.creditsRefusal(ctx, job.TeamID, job.Reserved)
				if err != nil {
					return err
				}
				if refusal.Code == gatehouse.ECREDITS {
					refusal.Message = fmt.Sprintf("Team %q has no credits left for a new job (each job_based job holds one credit until it ends).", j.TeamID)
				} else {
					refusal.Message = fmt.Sprintf("Team %q's credits are all held by jobs in progress (each job_based job holds one credit until it ends); retry when one ends.", j.TeamID)
				}
				return refusal
			}
		}
		out = &job
		return nil
	})
	if isUniqueViolation(err) && idemKey != "" {
		// A concurrent request with the same key won; answer with its job.
		var existing string
		if err := db.sql.QueryRowContext(ctx, `SELECT resource FROM idempotency_keys WHERE team_id = $1 AND route = $2 AND key = $3`,
			j.TeamID, idempotencyJobCreate, idemKey).Scan(&existing); err != nil {
			return nil, err
		}
		return db.FindJob(ctx, j.TeamID, existing)
	}
	return out, unavailable(err)
}

// ListJobs returns a page of a team's jobs, newest first.
func (db *DB) ListJobs(ctx context.Context, f gatehouse.JobFilter) ([]*gatehouse.Job, int, error) {
	var w where
	w.add("team_id = ?", f.TeamID)
	if f.Status != "" {
		w.add("status = ?", f.Status)
	}
	if f.JobType != "" {
		w.add("job_type = ?", f.JobType)
	}
	if f.Since != nil {
		w.add("created_at >= ?", f.Since.UTC())
	}
	if f.Until != nil {
		w.add("created_at < ?", f.Until.UTC())
	}
	total, err := db.listTotal(ctx, "jobs", &w, f.Page)
	if err != nil {
		return nil, 0, err
	}
	window, err := w.window(f.Page, keyset{timeCol: "created_at", idCol: "id", desc: true}) // index jobs_team_keyset
	if err != nil {
		return nil, 0, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT `+jobColumns+` FROM jobs`+w.String()+window, w.args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []*gatehouse.Job{}
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, j)
	}
	return out, total, rows.Err()
}

// UpdateJobMetadata merges keys into a job's metadata (a null value
// removes a key).
func (db *DB) UpdateJobMetadata(ctx context.Context, teamID, jobID string, m gatehouse.Metadata) (*gatehouse.Job, error) {
	var out *gatehouse.Job
	err := db.inTx(ctx, func(tx *Tx) error {
		j, err := findJob(ctx, tx, teamID, jobID, tx.forUpdate())
		if err != nil {
			return err
		}
		mergeMetadata(j.Metadata, m)
		j.UpdatedAt = db.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE jobs SET metadata = $1, updated_at = $2 WHERE id = $3`, jsonText(j.Metadata, "{}"), j.UpdatedAt, jobID); err != nil {
			return err
		}
		out = j
		return nil
	})
	return out, err
}

func mergeMetadata(dst, src gatehouse.Metadata) {
	for k, v := range src {
		if v == nil {
			delete(dst, k)
		} else {
			dst[k] = v
		}
	}
}

// ReserveForCall admits a call on an open job and holds amount credits
// for it. The job check and the hold are one transaction: a job being
// completed concurrently either sees the call in flight or refuses it.
func (db *DB) ReserveForCall(ctx context.Context, teamID, jobID, mode string, amount gatehouse.Credits) error {
	return unavailable(db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE jobs SET inflight = inflight + 1, reserved = reserved + $1,
				status = CASE WHEN status = 'pending' THEN 'in_progress' ELSE status END, updated_at = $2
			WHERE id = $3 AND team_id = $4 AND status IN ('pending', 'in_progress') AND budget_mode = $5`, amount, db.Now(), jobID, teamID, mode)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			j, err := findJob(ctx, tx, teamID, jobID, "")
			if err != nil {
				return err
			}
			if !gatehouse.JobFinal(j.Status) && j.BudgetMode != mode {
				return gatehouse.ErrModeMismatch
			}
			return gatehouse.Errorf(gatehouse.ECONFLICT, "Job %s is %s; it accepts no more calls.", jobID, j.Status)
		}
		if amount > 0 {
			if _, err := tx.moveCredits(ctx, teamID, jobID, gatehouse.LedgerHold, 0, amount, "call reservation", 0); err != nil {
				if gatehouse.ErrorCode(err) != gatehouse.ECREDITS {
					return err
				}
				refusal, err := tx.creditsRefusal(ctx, teamID, amount)
				if err != nil {
					return err
				}
				return refusal
			}
		}
		return nil
	}))
}

// creditsRefusal explains why the team cannot hold amount more credits
// now, from its funds as this transaction sees them: held by work in
// progress (retryable) or spent (see gatehouse.CreditsRefusal).
func (tx *Tx) creditsRefusal(ctx context.Context, teamID string, amount gatehouse.Credits) (*gatehouse.Error, error) {
	balance, held, err := tx.teamFunds(ctx, teamID)
	if err != nil {
		return nil, err
	}
	return gatehouse.CreditsRefusal(teamID, balance, held, amount), nil
}

// teamFunds reads a team's balance and held credits, locking the row.
func (tx *Tx) teamFunds(ctx context.Context, teamID string) (balance, held gatehouse.Credits, err error) {
	err = tx.QueryRowContext(ctx, `SELECT credits_balance, credits_held FROM teams WHERE id = $1`+tx.forUpdate(), teamID).Scan(&balance, &held)
	return balance, held, err
}

// RecordCalls writes finished calls and settles their credits, all in one
// transaction (group commit): the caller acknowledges a call to its
// client only after this returns.
//
// Settlement of a call that reserved R and costs C (consumption modes):
// while the job is open, C joins the job's accrued charge and stays held
// until the job ends, and R is released; if C exceeds R and the team
// cannot hold the difference, the uncovered part is recorded as
// uncollected (the balance never goes negative). After the job ended, a
// late call of a completed job is charged at once; of a failed or
// cancelled job, not at all.
func (db *DB) RecordCalls(ctx context.Context, outcomes []gatehouse.CallOutcome) ([]gatehouse.Settlement, error) {
	settled := make([]gatehouse.Settlement, len(outcomes))
	err := db.inTx(ctx, func(tx *Tx) error {
		usage := newUsageRollup() // usage rollups (rollup.go), written last
		var leased leaseBatch     // lease-admitted single-call jobs, settled by team (leases.go)
		for i, o := range outcomes {
			if o.NewJob != nil {
				if err := tx.recordLeasedCall(ctx, o, i, &leased, settled); err != nil {
					return err
				}
				continue
			}
			j, err := tx.recordCall(ctx, o)
			if err != nil {
				return err
			}
			usage.record(j, o.Call)
			c := o.Call
			if o.CompleteJob {
				status := gatehouse.JobCompleted
				if c.Status != "success" {
					status = gatehouse.JobFailed
				}
				if j == nil { // a replay: the job may have ended already
					j, err = tx.completeJob(ctx, c.TeamID, c.JobID, status, c.Error, nil)
				} else {
					j, err = tx.endJob(ctx, j, status, c.Error, nil)
				}
				if err != nil {
					return err
				}
				settled[i].Job = j
			}
			if err := tx.QueryRowContext(ctx, `SELECT credits_balance - credits_held FROM teams WHERE id = $1`, c.TeamID).
				Scan(&settled[i].CreditsRemaining); err != nil {
				return err
			}
		}
		if err := tx.settleLeased(ctx, &leased, settled); err != nil {
			return err
		}
		for _, team := range leased.teams {
			for _, lj := range leased.jobs[team] {
				usage.record(lj.job, lj.call)
			}
		}
		return usage.write(ctx, tx)
	})
	if err != nil {
		return nil, err
	}
	return settled, nil
}

// recordCall writes one call and settles it; it returns the call's job
// as the settlement left it, or nil when the call was already recorded.
func (tx *Tx) recordCall(ctx context.Context, o gatehouse.CallOutcome) (*gatehouse.Job, error) {
	c := o.Call
	inserted, err := tx.insertCall(ctx, c)
	if err != nil {
		return nil, err
	}
	if !inserted {
		return nil, nil // already recorded (a replay): recording is idempotent
	}
	failed := 0
	if c.Status != "success" {
		failed = 1
	}
	j, err := findJob(ctx, tx, c.TeamID, c.JobID, tx.forUpdate())
	if err != nil {
		return nil, err
	}
	return tx.settleCall(ctx, o, j, failed)
}

// insertCall writes a call's record; it reports false when the call was
// already recorded.
func (tx *Tx) insertCall(ctx context.Context, c *gatehouse.Call) (bool, error) {
	if c.Metadata == nil {
		c.Metadata = gatehouse.Metadata{}
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO llm_calls (id, job_id, team_id, organization_id, key_id, alias, served_alias, provider,
		provider_model, purpose, metadata, status, error, stream, finish_reason, prompt_tokens, completion_tokens, cached_tokens,
		cache_write_tokens, reasoning_tokens, total_tokens, usage_source, cost_micro_usd, client_cost_micro_usd, latency_ms,
		first_token_ms, attempts, request_body, response_body, created_at, deployment_id, credential_id, region, request_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25,
		$26, $27, $28, $29, $30, $31, $32, $33, $34) ON CONFLICT (id) DO NOTHING`,
		c.ID, c.JobID, c.TeamID, c.OrganizationID, c.KeyID, c.Alias, c.ServedAlias, c.Provider, c.ProviderModel, c.Purpose,
		jsonText(c.Metadata, "{}"), c.Status, c.Error, c.Stream, c.FinishReason, c.PromptTokens, c.CompletionTokens, c.CachedTokens,
		c.CacheWriteTokens, c.ReasoningTokens, c.TotalTokens, c.UsageSource, c.CostMicroUSD, c.ClientCostMicro, c.LatencyMS,
		c.FirstTokenMS, c.Attempts, c.RequestBody, c.ResponseBody, c.CreatedAt, c.DeploymentID, c.CredentialID, c.Region, c.RequestID)
	if err != nil {
		return false, fmt.Errorf("record call: %w", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// settleCall settles a recorded call against its job j, read and locked
// in this transaction, and returns the job as it left it.
func (tx *Tx) settleCall(ctx context.Context, o gatehouse.CallOutcome, j *gatehouse.Job, failed int) (*gatehouse.Job, error) {
	c := o.Call
	// A call releases the reservation it made, but never more than its job
	// still holds for calls in flight: a job abandoned by a sweeper has
	// already released the reservations of calls that were still running,
	// and a late record must not release them twice.
	charge, reserved := o.Charge, min(o.Reserved, j.Reserved)
	var heldChange, balanceChange, uncollected, accrued gatehouse.Credits
	kind, reason := gatehouse.LedgerRelease, "call settled"
	switch {
	case !gatehouse.JobFinal(j.Status):
		balance, held, err := tx.teamFunds(ctx, c.TeamID)
		if err != nil {
			return nil, err
		}
		heldChange = charge - reserved
		if spare := balance - held; heldChange > spare {
			uncollected = heldChange - spare
			heldChange = spare
		}
		accrued = charge - uncollected
		if heldChange > 0 {
			kind = gatehouse.LedgerHold
		}
	case j.Status == gatehouse.JobCompleted:
		balance, held, err := tx.teamFunds(ctx, c.TeamID)
		if err != nil {
			return nil, err
		}
		heldChange = -reserved
		if spare := balance - (held - reserved); charge > spare {
			uncollected, charge = charge-spare, spare
		}
		balanceChange = -charge
		kind, reason = gatehouse.LedgerDeduction, "call finished after its job completed"
	default:
		heldChange = -reserved // failed and cancelled jobs cost nothing
	}
	if heldChange != 0 || balanceChange != 0 {
		if _, err := tx.moveCredits(ctx, c.TeamID, c.JobID, kind, balanceChange, heldChange, reason, 0); err != nil {
			return nil, err
		}
	}
	return scanJob(tx.QueryRowContext(ctx, `UPDATE jobs SET call_count = call_count + 1, failed_calls = failed_calls + $1,
			inflight = CASE WHEN inflight > 0 THEN inflight - 1 ELSE 0 END, reserved = reserved - $2, accrued = accrued + $3, charged = charged + $4,
			uncollected = uncollected + $5, prompt_tokens = prompt_tokens + $6, completion_tokens = completion_tokens + $7,
			total_tokens = total_tokens + $8, cost_micro_usd = cost_micro_usd + $9, client_cost_micro_usd = client_cost_micro_usd + $10,
			updated_at = $11
		WHERE id = $12 RETURNING `+jobColumns,
		failed, reserved, accrued, -balanceChange, uncollected, c.PromptTokens, c.CompletionTokens, c.TotalTokens,
		c.CostMicroUSD, c.ClientCostMicro, tx.db.Now(), c.JobID))
}

// CompleteJob ends an open job with status completed, failed or
// cancelled, and turns its hold into a charge (completed) or releases it
// (failed, cancelled). A job already ended is returned as it is, so a
// retried completion never charges twice.
func (db *DB) CompleteJob(ctx context.Context, teamID, jobID, status, errorMessage string, m gatehouse.Metadata) (*gatehouse.Job, error) {
	if !gatehouse.JobFinal(status) {
		return nil, gatehouse.FieldErrorf("status", "status must be completed, failed or cancelled.")
	}
	var out *gatehouse.Job
	err := db.inTx(ctx, func(tx *Tx) (err error) {
		out, err = tx.completeJob(ctx, teamID, jobID, status, errorMessage, m)
		return err
	})
	return out, err
}

// completeJob is CompleteJob inside a transaction.
func (tx *Tx) completeJob(ctx context.Context, teamID, jobID, status, errorMessage string, m gatehouse.Metadata) (*gatehouse.Job, error) {
	j, err := findJob(ctx, tx, teamID, jobID, tx.forUpdate())
	if err != nil {
		return nil, err
	}
	return tx.endJob(ctx, j, status, errorMessage, m)
}

// endJob ends job j, read in this transaction (and locked on
// PostgreSQL); an ended job is returned as it is.
func (tx *Tx) endJob(ctx context.Context, j *gatehouse.Job, status, errorMessage string, m gatehouse.Metadata) (*gatehouse.Job, error) {
	teamID, jobID := j.TeamID, j.ID
	if gatehouse.JobFinal(j.Status) {
		return j, nil
	}
	mergeMetadata(j.Metadata, m)
	var amount, held gatehouse.Credits
	kind, reason := gatehouse.LedgerRelease, "job "+status
	switch {
	case j.BudgetMode == gatehouse.BudgetJobBased && status == gatehouse.JobCompleted:
		amount, held, kind, reason = -j.Reserved, -j.Reserved, gatehouse.LedgerDeduction, "job completed"
	case j.BudgetMode == gatehouse.BudgetJobBased:
		held = -j.Reserved
	case status == gatehouse.JobCompleted:
		amount, held, kind, reason = -j.Accrued, -j.Accrued, gatehouse.LedgerDeduction, "job completed"
	default:
		held = -j.Accrued
	}
	if amount != 0 || held != 0 {
		if _, err := tx.moveCredits(ctx, teamID, jobID, kind, amount, held, reason, 0); err != nil {
			return nil, err
		}
	}
	reserved := j.Reserved
	if j.BudgetMode == gatehouse.BudgetJobBased {
		reserved = 0
	}
	now := tx.db.Now()
	ended, err := scanJob(tx.QueryRowContext(ctx, `UPDATE jobs SET status = $1, error_message = $2, metadata = $3, charged = charged + $4,
		reserved = $5, updated_at = $6, completed_at = $6 WHERE id = $7 RETURNING `+jobColumns,
		status, errorMessage, jsonText(j.Metadata, "{}"), -amount, reserved, now, jobID))
	if err != nil {
		return nil, err
	}
	return ended, tx.jobEnded(ctx, ended) // webhook event (webhook.go)
}

// ExpireJobs fails every job still open after maxAge, releasing its
// holds, including those of calls still recorded as in flight: after
// job_ttl they are long past any call's timeout. Safe to run on every
// replica at once: each job ends once.
func (db *DB) ExpireJobs(ctx context.Context, maxAge time.Duration) (int, error) {
	return db.abandonJobs(ctx, fmt.Sprintf("expired: still open after %s", maxAge),
		`SELECT team_id, id FROM jobs WHERE status IN ('pending', 'in_progress') AND created_at < $1 ORDER BY created_at LIMIT 500`,
		db.Now().Add(-maxAge))
}

// abandonJobs fails the open jobs a query selects (team_id, id; at most a
// few hundred per run), each in its own transaction, and returns how many
// it ended (a job another replica ended first is not counted).
func (db *DB) abandonJobs(ctx context.Context, reason, query string, args ...any) (int, error) {
	refs, err := db.queryPairs(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	ctx = gatehouse.WithActor(ctx, gatehouse.Actor{Kind: "system"})
	n := 0
	for _, r := range refs {
		var ended bool
		err := db.inTx(ctx, func(tx *Tx) (err error) {
			ended, err = tx.abandonJob(ctx, r[0], r[1], reason)
			return err
		})
		if err != nil {
			return n, err
		}
		if ended {
			n++
		}
	}
	return n, nil
}

// queryPairs runs a query that selects two text columns (a team and a
// job or instance id; at most a few hundred rows) and returns them, so
// the sweepers can then change each in its own transaction without
// holding a cursor open.
func (db *DB) queryPairs(ctx context.Context, query string, args ...any) ([][2]string, error) {
	rows, err := db.sql.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var refs [][2]string
	for rows.Next() {
		var r [2]string
		if err := rows.Scan(&r[0], &r[1]); err != nil {
			return nil, err
		}
		refs = append(refs, r)
	}
	return refs, rows.Err()
}

// abandonJob fails an open job that nobody will end any more (expired, or
// its owner died) and releases everything it holds: the job's own hold
// or accrued charge, as failing any job does, and the reservations of
// calls still recorded as in flight, whose process is gone or long timed
// out. A record of such a call arriving after all settles against what
// the job still holds, which is then nothing (see recordCall), so no
// credit is released twice. It reports whether this call ended the job.
func (tx *Tx) abandonJob(ctx context.Context, teamID, jobID, reason string) (bool, error) {
	j, err := findJob(ctx, tx, teamID, jobID, tx.forUpdate())
	if err != nil || gatehouse.JobFinal(j.Status) {
		return false, err
	}
	ended, err := tx.endJob(ctx, j, gatehouse.JobFailed, reason, nil)
	if err != nil {
		return false, err
	}
	if ended.Reserved > 0 {
		if _, err := tx.moveCredits(ctx, teamID, jobID, gatehouse.LedgerRelease, 0, -ended.Reserved, "calls in flight of an abandoned job", 0); err != nil {
			return false, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE jobs SET reserved = 0, inflight = 0 WHERE id = $1`, jobID); err != nil {
			return false, err
		}
	}
	return true, nil
}

// JobCalls lists a page of a job's calls in order (index llm_calls_job).
func (db *DB) JobCalls(ctx context.Context, teamID, jobID string, p gatehouse.Page) ([]*gatehouse.Call, error) {
	if _, err := db.FindJob(ctx, teamID, jobID); err != nil {
		return nil, err
	}
	var w where
	w.add("job_id = ?", jobID)
	window, err := w.window(p, keyset{timeCol: "created_at", idCol: "id"})
	if err != nil {
		return nil, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT id, job_id, team_id, alias, served_alias, provider, provider_model, purpose, metadata,
		status, error, stream, finish_reason, prompt_tokens, completion_tokens, cached_tokens, cache_write_tokens, reasoning_tokens,
		total_tokens, usage_source, cost_micro_usd, client_cost_micro_usd, latency_ms, first_token_ms, attempts, created_at,
		deployment_id, credential_id, region, request_id
		FROM llm_calls`+w.String()+window, w.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*gatehouse.Call{}
	for rows.Next() {
		var c gatehouse.Call
		var meta []byte
		if err := rows.Scan(&c.ID, &c.JobID, &c.TeamID, &c.Alias, &c.ServedAlias, &c.Provider, &c.ProviderModel, &c.Purpose, &meta,
			&c.Status, &c.Error, &c.Stream, &c.FinishReason, &c.PromptTokens, &c.CompletionTokens, &c.CachedTokens, &c.CacheWriteTokens,
			&c.ReasoningTokens, &c.TotalTokens, &c.UsageSource, &c.CostMicroUSD, &c.ClientCostMicro, &c.LatencyMS, &c.FirstTokenMS,
			&c.Attempts, &c.CreatedAt, &c.DeploymentID, &c.CredentialID, &c.Region, &c.RequestID); err != nil {
			return nil, err
		}
		c.Metadata = gatehouse.Metadata{}
		if err := scanJSON(meta, &c.Metadata); err != nil {
			return nil, err
		}
		out = append(out, &c)
	}
	return out, rows.Err()
}

// CallRecorded reports whether a call is in the records (for tests and
// the crash-recovery check).
func (db *DB) CallRecorded(ctx context.Context, callID string) (bool, error) {
	var one int
	err := db.sql.QueryRowContext(ctx, `SELECT 1 FROM llm_calls WHERE id = $1`, callID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// PurgeBodies forgets the stored request and response bodies of calls
// older than retention; the rest of each record (usage, cost) is kept.
func (db *DB) PurgeBodies(ctx context.Context, retention time.Duration) (int64, error) {
	res, err := db.write.ExecContext(ctx, `UPDATE llm_calls SET request_body = NULL, response_body = NULL
		WHERE created_at < $1 AND (request_body IS NOT NULL OR response_body IS NOT NULL)`, db.Now().Add(-retention))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// CallBodies returns a call's stored bodies (nil when not stored or
// purged).
func (db *DB) CallBodies(ctx context.Context, callID string) (request, response *string, err error) {
	err = db.sql.QueryRowContext(ctx, `SELECT request_body, response_body FROM llm_calls WHERE id = $1`, callID).Scan(&request, &response)
	return request, response, err
}
