package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/gatehouse-llm/gatehouse"
)

var (
	_ gatehouse.AdminService = (*DB)(nil)
	_ gatehouse.AuditService = (*DB)(nil)
)

const userColumns = `id, email, display_name, role, password_hash, active, created_at, updated_at, last_login_at`

func scanUser(row interface{ Scan(...any) error }) (*gatehouse.AdminUser, error) {
	var u gatehouse.AdminUser
	err := row.Scan(&u.ID, &u.Email, &u.DisplayName, &u.Role, &u.PasswordHash, &u.Active, &u.CreatedAt, &u.UpdatedAt, &u.LastLoginAt)
	return &u, err
}

func findUser(ctx context.Context, q queryer, cond string, arg any) (*gatehouse.AdminUser, error) {
	u, err := scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM admin_users WHERE `+cond, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, gatehouse.Errorf(gatehouse.ENOTFOUND, "Admin user not found.")
	}
	return u, err
}

// CreateAdminUser stores a new admin user (the caller hashes the password).
func (db *DB) CreateAdminUser(ctx context.Context, u *gatehouse.AdminUser) error {
	u.Email = strings.ToLower(strings.TrimSpace(u.Email))
	u.ID = newID()
	u.Active = true
	u.CreatedAt, u.UpdatedAt = db.Now(), db.Now()
	return db.change(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO admin_users (`+userColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			u.ID, u.Email, u.DisplayName, u.Role, u.PasswordHash, u.Active, u.CreatedAt, u.UpdatedAt, nil)
		if isUniqueViolation(err) {
			return gatehouse.ConflictFieldErrorf("email", "An admin user with email %q already exists.", u.Email)
		} else if err != nil {
			return err
		}
		return tx.audit("admin_user.create", "admin_user", u.ID, nil, u)
	})
}

// FindAdminUser returns a user by id.
func (db *DB) FindAdminUser(ctx context.Context, id string) (*gatehouse.AdminUser, error) {
	return findUser(ctx, db.sql, "id = $1", id)
}

// FindAdminUserByEmail returns a user by email (case-insensitive).
func (db *DB) FindAdminUserByEmail(ctx context.Context, email string) (*gatehouse.AdminUser, error) {
	return findUser(ctx, db.sql, "email = $1", strings.ToLower(strings.TrimSpace(email)))
}

// ListAdminUsers returns a page of users ordered by email.
func (db *DB) ListAdminUsers(ctx context.Context, p gatehouse.Page) ([]*gatehouse.AdminUser, int, error) {
	var w where
	total, err := db.count(ctx, db.sql, "admin_users", &w)
	if err != nil {
		return nil, 0, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT `+userColumns+` FROM admin_users ORDER BY email`+w.page(p), w.args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []*gatehouse.AdminUser{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, u)
	}
	return out, total, rows.Err()
}

// UpdateAdminUser changes a user; deactivating or changing the password
// revokes their sessions.
func (db *DB) UpdateAdminUser(ctx context.Context, id string, upd gatehouse.AdminUserUpdate) (*gatehouse.AdminUser, error) {
	var out *gatehouse.AdminUser
	err := db.change(ctx, func(tx *Tx) error {
		before, err := findUser(ctx, tx, "id = $1", id)
		if err != nil {
			return err
		}
		u := *before
		if upd.DisplayName != nil {
			u.DisplayName = *upd.DisplayName
		}
		if upd.Role != nil {
			u.Role = *upd.Role
		}
		if upd.Active != nil {
			u.Active = *upd.Active
		}
		if upd.PasswordHash != nil {
			u.PasswordHash = *upd.PasswordHash
		}
		u.UpdatedAt = db.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE admin_users SET display_name = $1, role = $2, active = $3, password_hash = $4, updated_at = $5 WHERE id = $6`,
			u.DisplayName, u.Role, u.Active, u.PasswordHash, u.UpdatedAt, id); err != nil {
			return err
		}
		if !u.Active || upd.PasswordHash != nil || u.Role != before.Role {
			if _, err := tx.ExecContext(ctx, `UPDATE admin_sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL`, db.Now(), id); err != nil {
				return err
			}
		}
		out = &u
		action := "admin_user.update"
		if upd.PasswordHash != nil && upd.DisplayName == nil && upd.Role == nil && upd.Active == nil {
			action = "admin_user.change_password"
		}
		return tx.audit(action, "admin_user", id, before, u)
	})
	return out, err
}

// DeleteAdminUser deactivates a user and revokes their sessions; the row is
// kept so the audit log's references stay meaningful.
func (db *DB) DeleteAdminUser(ctx context.Context, id string) error {
	f := false
	_, err := db.UpdateAdminUser(ctx, id, gatehouse.AdminUserUpdate{Active: &f})
	return err
}

// CreateSession stores a session and stamps the user's last login.
func (db *DB) CreateSession(ctx context.Context, s *gatehouse.Session) error {
	s.CreatedAt = db.Now()
	return db.change(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO admin_sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
			s.TokenHash, s.UserID, s.CreatedAt, s.ExpiresAt); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE admin_users SET last_login_at = $1 WHERE id = $2`, s.CreatedAt, s.UserID); err != nil {
			return err
		}
		return tx.audit("admin_user.login", "admin_user", s.UserID, nil, map[string]any{"expires_at": s.ExpiresAt})
	})
}

// FindSession returns a session and its user.
func (db *DB) FindSession(ctx context.Context, tokenHash string) (*gatehouse.Session, *gatehouse.AdminUser, error) {
	var s gatehouse.Session
	err := db.sql.QueryRowContext(ctx, `SELECT token_hash, user_id, created_at, expires_at, revoked_at FROM admin_sessions WHERE token_hash = $1`, tokenHash).
		Scan(&s.TokenHash, &s.UserID, &s.CreatedAt, &s.ExpiresAt, &s.RevokedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, gatehouse.Errorf(gatehouse.ENOTFOUND, "Session not found.")
	} else if err != nil {
		return nil, nil, err
	}
	u, err := findUser(ctx, db.sql, "id = $1", s.UserID)
	return &s, u, err
}

// RevokeSession ends a session (logout).
func (db *DB) RevokeSession(ctx context.Context, tokenHash string) error {
	return db.change(ctx, func(tx *Tx) error {
		var userID string
		err := tx.QueryRowContext(ctx, `SELECT user_id FROM admin_sessions WHERE token_hash = $1`, tokenHash).Scan(&userID)
		if errors.Is(err, sql.ErrNoRows) {
			return gatehouse.Errorf(gatehouse.ENOTFOUND, "Session not found.")
		} else if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE admin_sessions SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL`, db.Now(), tokenHash); err != nil {
			return err
		}
		return tx.audit("admin_user.logout", "admin_user", userID, nil, nil)
	})
}

// ListAudit returns a page of audit entries, newest first.
func (db *DB) ListAudit(ctx context.Context, f gatehouse.AuditFilter) ([]*gatehouse.AuditEntry, int, error) {
	var w where
	if f.Actor != "" {
		w.add("actor = ?", f.Actor)
	}
	if f.Action != "" {
		w.add("action = ?", f.Action)
	}
	if f.ResourceType != "" {
		w.add("resource_type = ?", f.ResourceType)
	}
	if f.ResourceID != "" {
		w.add("resource_id = ?", f.ResourceID)
	}
	total, err := db.listTotal(ctx, "audit_log", &w, f.Page)
	if err != nil {
		return nil, 0, err
	}
	// Indexes audit_log_created, _actor, _action, _type and _resource
	// serve the unfiltered list and each filter.
	window, err := w.window(f.Page, keyset{timeCol: "created_at", idCol: "id", desc: true})
	if err != nil {
		return nil, 0, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT id, actor, action, resource_type, resource_id, before_state, after_state, created_at
		FROM audit_log`+w.String()+window, w.args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []*gatehouse.AuditEntry{}
	for rows.Next() {
		var e gatehouse.AuditEntry
		var before, after []byte
		if err := rows.Scan(&e.ID, &e.Actor, &e.Action, &e.ResourceType, &e.ResourceID, &before, &after, &e.CreatedAt); err != nil {
			return nil, 0, err
		}
		e.Before, e.After = rawJSON(before), rawJSON(after)
		out = append(out, &e)
	}
	return out, total, rows.Err()
}

func rawJSON(b []byte) []byte {
	if len(b) == 0 {
		return []byte("null")
	}
	return append([]byte(nil), b...)
}
