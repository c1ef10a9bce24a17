package sqlstore

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// KeyUse records when virtual keys were last used without touching the
// database on the request path: uses are kept in memory and written in one
// batch every FlushInterval (and at shutdown). Losing the last few seconds
// of last-used times in a crash is acceptable; they are informational.
type KeyUse struct {
	db      *DB
	logger  *slog.Logger
	mu      sync.Mutex
	pending map[string]time.Time
}

// KeyUseFlushInterval is how often recorded uses are written.
const KeyUseFlushInterval = 5 * time.Second

// NewKeyUse returns a recorder writing to db.
func NewKeyUse(db *DB, logger *slog.Logger) *KeyUse {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &KeyUse{db: db, logger: logger, pending: map[string]time.Time{}}
}

// Used notes that a key was used at t.
func (k *KeyUse) Used(keyID string, t time.Time) {
	k.mu.Lock()
	if t.After(k.pending[keyID]) {
		k.pending[keyID] = t
	}
	k.mu.Unlock()
}

// Flush writes the recorded uses.
func (k *KeyUse) Flush(ctx context.Context) error {
	k.mu.Lock()
	batch := k.pending
	k.pending = map[string]time.Time{}
	k.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	tx, err := k.db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for id, t := range batch {
		t = t.UTC().Truncate(time.Microsecond)
		if _, err := tx.ExecContext(ctx, `UPDATE virtual_keys SET last_used_at = $1
			WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $1)`, t, id); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// Run flushes periodically until ctx ends, then once more.
func (k *KeyUse) Run(ctx context.Context) {
	t := time.NewTicker(KeyUseFlushInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if err := k.Flush(context.WithoutCancel(ctx)); err != nil {
				k.logger.Warn("final key-use flush failed", "err", err)
			}
			return
		case <-t.C:
			if err := k.Flush(ctx); err != nil && ctx.Err() == nil {
				k.logger.Warn("key-use flush failed", "err", err)
			}
		}
	}
}
