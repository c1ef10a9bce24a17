package sqlstore

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// SingleCallMaxAge is how long a single-call job may stay open whoever
// owns it. Its one call cannot run this long (the gateway's total call
// timeout is ten minutes), so such a job was left open by a failure to
// end it, typically a database outage while its call was recorded, and
// is failed like an orphan rather than held until job_ttl.
const SingleCallMaxAge = time.Hour

// instanceRetention is how long the row of an instance that stopped
// heartbeating is kept. Only live rows matter (a job whose owner has no
// fresh row is an orphan), so this merely keeps the table small while
// leaving recent deaths visible to an operator.
const instanceRetention = time.Hour

// Heartbeat registers the instance id, or refreshes its heartbeat: the
// single-call jobs it owns are not orphans while its heartbeat is fresh.
func (db *DB) Heartbeat(ctx context.Context, id string) error {
	sent := time.Now()
	now := db.Now()
	_, err := db.write.ExecContext(ctx, `INSERT INTO instances (id, started_at, heartbeat_at) VALUES ($1, $2, $2)
		ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at`, id, now)
	if err != nil {
		return fmt.Errorf("heartbeat: %w", err)
	}
	if id == db.Instance {
		db.lastBeat.Store(sent.UnixNano())
	}
	return nil
}

// HeartbeatAge is how long ago the last heartbeat of db.Instance that
// succeeded was sent (counted from before it was sent, on this process's
// clock); very long when there was none. Credit leases are used only
// while it is well within the instance expiry: past that, the others may
// take this instance for dead and return its leases.
func (db *DB) HeartbeatAge() time.Duration {
	last := db.lastBeat.Load()
	if last == 0 {
		return time.Duration(1<<63 - 1)
	}
	return time.Since(time.Unix(0, last))
}

// RetireInstance ends an instance that stops cleanly: the single-call jobs
// it still owns (none, normally, once its requests have drained) are
// failed at once, releasing their credits, and its row is removed.
func (db *DB) RetireInstance(ctx context.Context, id string) (int, error) {
	n, err := db.abandonJobs(ctx, "failed: the process running its call stopped before the call ended",
		`SELECT team_id, id FROM jobs WHERE owner = $1 AND status IN ('pending', 'in_progress') LIMIT 500`, id)
	if err != nil {
		return n, err
	}
	if _, err := db.returnLeases(ctx, "credit lease of instance %s returned at its shutdown",
		`SELECT team_id, instance_id FROM credit_leases WHERE instance_id = $1`, id); err != nil {
		return n, err
	}
	_, err = db.write.ExecContext(ctx, `DELETE FROM instances WHERE id = $1`, id)
	return n, err
}

// FailOrphanedJobs fails the open single-call jobs whose owner's heartbeat
// is older than expiry (or who has no row at all: it retired or was
// pruned), and those open for longer than SingleCallMaxAge, releasing
// what they hold (see abandonJob). Rows of instances silent for longer
// than an hour are pruned. The jobs of db.Instance itself, which is
// evidently running, are only ended by age. Safe on every replica at
// once: each job ends once.
//
// The caller must itself be heartbeating: a replica that could not reach
// the database for a while must not take the others, whose heartbeats
// failed for the same reason, for dead (RunInstance waits for that).
func (db *DB) FailOrphanedJobs(ctx context.Context, expiry time.Duration) (int, error) {
	now := db.Now()
	n, err := db.abandonJobs(ctx, "failed: the process running its call stopped before the call ended",
		`SELECT team_id, id FROM jobs j WHERE owner <> '' AND status IN ('pending', 'in_progress')
			AND (created_at < $2 OR (owner <> $3
				AND NOT EXISTS (SELECT 1 FROM instances i WHERE i.id = j.owner AND i.heartbeat_at >= $1)))
			ORDER BY created_at LIMIT 500`, now.Add(-expiry), now.Add(-SingleCallMaxAge), db.Instance)
	if err != nil {
		return n, err
	}
	// The credit leases of dead instances come back the same way.
	if _, err := db.returnLeases(ctx, "credit lease of instance %s returned: its heartbeat expired",
		`SELECT team_id, instance_id FROM credit_leases l WHERE instance_id <> $2
			AND NOT EXISTS (SELECT 1 FROM instances i WHERE i.id = l.instance_id AND i.heartbeat_at >= $1) LIMIT 500`,
		now.Add(-expiry), db.Instance); err != nil {
		return n, err
	}
	_, err = db.write.ExecContext(ctx, `DELETE FROM instances WHERE heartbeat_at < $1`, now.Add(-expiry-instanceRetention))
	return n, err
}

// RunInstance keeps the instance db.Instance alive and frees the jobs of
// dead ones, until ctx is done; then it retires the instance. Every
// expiry/3 it refreshes its heartbeat and, once its own heartbeats have
// succeeded for a whole expiry in a row, fails orphaned single-call jobs.
// That wait matters after a database outage: every replica's heartbeat
// was stale, and each must have had the time to refresh its own before
// anyone judges the others dead. The instance must have sent a first
// Heartbeat before it opened any job.
func (db *DB) RunInstance(ctx context.Context, expiry time.Duration, logger *slog.Logger) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	t := time.NewTicker(max(expiry/3, 10*time.Millisecond))
	defer t.Stop()
	var healthySince time.Time
	for {
		if err := db.Heartbeat(ctx, db.Instance); err != nil {
			if ctx.Err() == nil {
				logger.Warn("instance heartbeat failed; not sweeping other instances' jobs until it recovers", "instance", db.Instance, "err", err)
			}
			healthySince = time.Time{}
		} else if healthySince.IsZero() {
			healthySince = time.Now()
		} else if time.Since(healthySince) >= expiry {
			if n, err := db.FailOrphanedJobs(ctx, expiry); err != nil && ctx.Err() == nil {
				logger.Warn("sweeping orphaned single-call jobs failed", "err", err)
			} else if n > 0 {
				logger.Info("failed single-call jobs whose process stopped", "count", n, "expiry", expiry)
			}
		}
		select {
		case <-ctx.Done():
			retireCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			n, err := db.RetireInstance(retireCtx, db.Instance)
			cancel()
			if err != nil {
				logger.Warn("retiring this instance failed; its jobs will be swept by another replica", "instance", db.Instance, "err", err)
			} else if n > 0 {
				logger.Info("failed this instance's unfinished single-call jobs at shutdown", "count", n)
			}
			return
		case <-t.C:
		}
	}
}
