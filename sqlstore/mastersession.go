package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/gatehouse-llm/gatehouse"
)

// CreateMasterSession stores a master-key console session and audits the
// sign-in.
func (db *DB) CreateMasterSession(ctx context.Context, s *gatehouse.Session) error {
	s.CreatedAt = db.Now()
	return db.inTx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO master_sessions (token_hash, created_at, expires_at) VALUES ($1, $2, $3)`,
			s.TokenHash, s.CreatedAt, s.ExpiresAt); err != nil {
			return err
		}
		return tx.audit("master.login", "master_session", "master", nil, map[string]any{"expires_at": s.ExpiresAt})
	})
}

// FindMasterSession returns a master-key console session.
func (db *DB) FindMasterSession(ctx context.Context, tokenHash string) (*gatehouse.Session, error) {
	var s gatehouse.Session
	err := db.sql.QueryRowContext(ctx, `SELECT token_hash, created_at, expires_at, revoked_at FROM master_sessions WHERE token_hash = $1`, tokenHash).
		Scan(&s.TokenHash, &s.CreatedAt, &s.ExpiresAt, &s.RevokedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, gatehouse.Errorf(gatehouse.ENOTFOUND, "Session not found.")
	}
	return &s, err
}

// RevokeMasterSession ends a master-key console session (sign-out).
func (db *DB) RevokeMasterSession(ctx context.Context, tokenHash string) error {
	return db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE master_sessions SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL`, db.Now(), tokenHash)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return gatehouse.Errorf(gatehouse.ENOTFOUND, "Session not found.")
		}
		return tx.audit("master.logout", "master_session", "master", nil, nil)
	})
}
