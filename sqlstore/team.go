package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/secret"
)

var _ gatehouse.TeamService = (*DB)(nil)

const teamColumns = `id, organization_id, team_alias, status, budget_mode, credits_allocated, credits_balance, credits_held,
	credits_per_dollar, tokens_per_credit, markup_bp, refill_amount, refill_period, last_refill_period, last_refill_at,
	rpm_limit, tpm_limit, concurrency_limit, metadata, created_at, updated_at`

func scanTeam(row interface{ Scan(...any) error }) (*gatehouse.Team, error) {
	var t gatehouse.Team
	var meta []byte
	var lastPeriod string
	if err := row.Scan(&t.ID, &t.OrganizationID, &t.Alias, &t.Status, &t.BudgetMode, &t.CreditsAllocated,
		&t.CreditsBalance, &t.CreditsHeld, &t.CreditsPerDollar, &t.TokensPerCredit, &t.MarkupBP, &t.RefillAmount,
		&t.RefillPeriod, &lastPeriod, &t.LastRefillAt, &t.RateLimits.RequestsPerMinute, &t.RateLimits.TokensPerMinute,
		&t.RateLimits.Concurrent, &meta, &t.CreatedAt, &t.UpdatedAt); err != nil {
		return nil, err
	}
	t.CreditsRemaining = t.CreditsBalance - t.CreditsHeld
	t.Metadata = gatehouse.Metadata{}
	t.AccessGroups = []string{}
	return &t, scanJSON(meta, &t.Metadata)
}

func findTeam(ctx context.Context, q queryer, id string) (*gatehouse.Team, error) {
	t, err := scanTeam(q.QueryRowContext(ctx, `SELECT `+teamColumns+` FROM teams WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Team", id)
	} else if err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, `SELECT group_name FROM team_access_groups WHERE team_id = $1 ORDER BY group_name`, id)
	if err != nil {
		return nil, err
	}
	t.AccessGroups, err = collectStrings(rows)
	return t, err
}

// FindTeam returns one team with its access groups.
func (db *DB) FindTeam(ctx context.Context, id string) (*gatehouse.Team, error) {
	t, err := findTeam(ctx, db.sql, id)
	return t, unavailable(err)
}

// setTeamGroups replaces a team's access groups, refusing unknown ones.
func setTeamGroups(ctx context.Context, tx *Tx, teamID string, groups []string) error {
	groups = dedupe(groups)
	for _, g := range groups {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM access_groups WHERE name = $1`, g).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return &gatehouse.Error{Code: gatehouse.ENOTFOUND, Field: "access_groups", Message: "Access group \"" + g + "\" not found."}
		} else if err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM team_access_groups WHERE team_id = $1`, teamID); err != nil {
		return err
	}
	for _, g := range groups {
		if _, err := tx.ExecContext(ctx, `INSERT INTO team_access_groups (team_id, group_name) VALUES ($1, $2)`, teamID, g); err != nil {
			return err
		}
	}
	return nil
}

// CreateTeam stores a team, its access groups and its first key.
func (db *DB) CreateTeam(ctx context.Context, t *gatehouse.Team) (*gatehouse.NewKey, error) {
	if t.BudgetMode == "" {
		t.BudgetMode = gatehouse.BudgetJobBased
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	t.Status = gatehouse.StatusActive
	t.CreditsBalance, t.CreditsHeld, t.CreditsRemaining = 0, 0, 0
	if t.CreditsPerDollar == 0 {
		t.CreditsPerDollar = gatehouse.DefaultCreditsPerDollar
	}
	if t.TokensPerCredit == 0 {
		t.TokensPerCredit = gatehouse.DefaultTokensPerCredit
	}
	allocation := t.CreditsAllocated
	t.CreditsAllocated = 0
	t.CreatedAt, t.UpdatedAt = db.Now(), db.Now()
	if t.Metadata == nil {
		t.Metadata = gatehouse.Metadata{}
	}
	t.AccessGroups = dedupe(t.AccessGroups)
	var nk *gatehouse.NewKey
	err := db.change(ctx, func(tx *Tx) error {
		if _, err := findOrg(ctx, tx, t.OrganizationID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO teams (`+teamColumns+`)
			VALUES ($1, $2, $3, $4, $5, 0, 0, 0, $6, $7, $8, 0, '', '', NULL, $9, $10, $11, $12, $13, $14)`,
			t.ID, t.OrganizationID, t.Alias, t.Status, t.BudgetMode, t.CreditsPerDollar, t.TokensPerCredit, t.MarkupBP,
			t.RateLimits.RequestsPerMinute, t.RateLimits.TokensPerMinute, t.RateLimits.Concurrent,
			jsonText(t.Metadata, "{}"), t.CreatedAt, t.UpdatedAt)
		if isUniqueViolation(err) {
			return gatehouse.Errorf(gatehouse.ECONFLICT, "Team %q already exists.", t.ID)
		} else if err != nil {
			return err
		}
		if err := setTeamGroups(ctx, tx, t.ID, t.AccessGroups); err != nil {
			return err
		}
		if allocation > 0 {
			m, err := tx.moveCredits(ctx, t.ID, "", gatehouse.LedgerAllocation, allocation, 0, "initial allocation", 0)
			if err != nil {
				return err
			}
			t.CreditsAllocated, t.CreditsBalance, t.CreditsRemaining = allocation, m.BalanceAfter, m.BalanceAfter-m.HeldAfter
		}
		if nk, err = insertKey(ctx, tx, t.ID, "default", nil, gatehouse.RateLimits{}); err != nil {
			return err
		}
		return tx.audit("team.create", "team", t.ID, nil, t)
	})
	return nk, err
}

// ListTeams returns a page of teams ordered by id.
func (db *DB) ListTeams(ctx context.Context, f gatehouse.TeamFilter) ([]*gatehouse.Team, int, error) {
	var w where
	if f.OrganizationID != "" {
		w.add("organization_id = ?", f.OrganizationID)
	}
	if f.Status != "" {
		w.add("status = ?", f.Status)
	}
	total, err := db.count(ctx, db.sql, "teams", &w)
	if err != nil {
		return nil, 0, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT `+teamColumns+` FROM teams`+w.String()+` ORDER BY id`+w.page(f.Page), w.args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []*gatehouse.Team{}
	byID := map[string]*gatehouse.Team{}
	for rows.Next() {
		t, err := scanTeam(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, t)
		byID[t.ID] = t
	}
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, total, err
	}
	// One query for the page's access groups rather than one per team.
	ids := make([]any, 0, len(out))
	for _, t := range out {
		ids = append(ids, t.ID)
	}
	grows, err := db.sql.QueryContext(ctx, `SELECT team_id, group_name FROM team_access_groups WHERE team_id IN (`+
		placeholders(1, len(ids))+`) ORDER BY group_name`, ids...)
	if err != nil {
		return nil, 0, err
	}
	defer grows.Close()
	for grows.Next() {
		var team, group string
		if err := grows.Scan(&team, &group); err != nil {
			return nil, 0, err
		}
		byID[team].AccessGroups = append(byID[team].AccessGroups, group)
	}
	return out, total, grows.Err()
}

// UpdateTeam changes a team's alias, budget mode, metadata or groups.
func (db *DB) UpdateTeam(ctx context.Context, id string, upd gatehouse.TeamUpdate) (*gatehouse.Team, error) {
	var out *gatehouse.Team
	err := db.change(ctx, func(tx *Tx) error {
		before, err := findTeam(ctx, tx, id)
		if err != nil {
			return err
		}
		t := *before
		if upd.Alias != nil {
			t.Alias = *upd.Alias
		}
		if upd.BudgetMode != nil {
			t.BudgetMode = *upd.BudgetMode
		}
		if upd.Metadata != nil {
			t.Metadata = *upd.Metadata
		}
		if upd.RateLimits != nil {
			t.RateLimits = *upd.RateLimits
		}
		if err := t.Validate(); err != nil {
			return err
		}
		if upd.AccessGroups != nil {
			if err := setTeamGroups(ctx, tx, id, *upd.AccessGroups); err != nil {
				return err
			}
			t.AccessGroups = dedupe(*upd.AccessGroups)
		}
		t.UpdatedAt = db.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE teams SET team_alias = $1, budget_mode = $2, metadata = $3, updated_at = $4,
			rpm_limit = $5, tpm_limit = $6, concurrency_limit = $7 WHERE id = $8`,
			t.Alias, t.BudgetMode, jsonText(t.Metadata, "{}"), t.UpdatedAt, t.RateLimits.RequestsPerMinute, t.RateLimits.TokensPerMinute,
			t.RateLimits.Concurrent, id); err != nil {
			return err
		}
		out = &t
		return tx.audit("team.update", "team", id, before, t)
	})
	return out, err
}

// SetTeamStatus suspends, pauses or resumes a team.
func (db *DB) SetTeamStatus(ctx context.Context, id, status string) (*gatehouse.Team, error) {
	switch status {
	case gatehouse.StatusActive, gatehouse.StatusSuspended, gatehouse.StatusPaused:
	default:
		return nil, gatehouse.FieldErrorf("status", "Team status must be active, suspended or paused.")
	}
	var out *gatehouse.Team
	err := db.change(ctx, func(tx *Tx) error {
		before, err := findTeam(ctx, tx, id)
		if err != nil {
			return err
		}
		t := *before
		t.Status, t.UpdatedAt = status, db.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE teams SET status = $1, updated_at = $2 WHERE id = $3`, status, t.UpdatedAt, id); err != nil {
			return err
		}
		out = &t
		return tx.audit("team."+statusVerb(status), "team", id, before, t)
	})
	return out, err
}

func statusVerb(status string) string {
	switch status {
	case gatehouse.StatusSuspended:
		return "suspend"
	case gatehouse.StatusPaused:
		return "pause"
	}
	return "resume"
}

// DeleteTeam deletes a team and its keys.
func (db *DB) DeleteTeam(ctx context.Context, id string) error {
	return db.change(ctx, func(tx *Tx) error {
		before, err := findTeam(ctx, tx, id)
		if err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM virtual_keys WHERE team_id = $1`,
			`DELETE FROM team_access_groups WHERE team_id = $1`,
			`DELETE FROM teams WHERE id = $1`,
		} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		return tx.audit("team.delete", "team", id, before, nil)
	})
}

const keyColumns = `id, team_id, name, prefix, key_hash, rpm_limit, tpm_limit, concurrency_limit, created_at, last_used_at, expires_at, revoked_at`

func scanKey(row interface{ Scan(...any) error }) (*gatehouse.Key, error) {
	var k gatehouse.Key
	err := row.Scan(&k.ID, &k.TeamID, &k.Name, &k.Prefix, &k.Hash, &k.RateLimits.RequestsPerMinute, &k.RateLimits.TokensPerMinute,
		&k.RateLimits.Concurrent, &k.CreatedAt, &k.LastUsedAt, &k.ExpiresAt, &k.RevokedAt)
	return &k, err
}

// keyPrefixLen is how much of a key is kept in clear to recognise it:
// the "gh-sk-" marker and six random characters (36 bits, useless to an
// attacker, enough to tell keys apart in a list).
const keyPrefixLen = len(secret.PrefixVirtualKey) + 6

func insertKey(ctx context.Context, tx *Tx, teamID, name string, expiresAt *time.Time, limits gatehouse.RateLimits) (*gatehouse.NewKey, error) {
	if err := limits.Validate(); err != nil {
		return nil, err
	}
	if name == "" {
		name = "default"
	}
	if len(name) > 128 {
		return nil, gatehouse.FieldErrorf("name", "Key name must be at most 128 characters.")
	}
	plain := secret.NewToken(secret.PrefixVirtualKey)
	k := &gatehouse.Key{ID: newID(), TeamID: teamID, Name: name, Prefix: plain[:keyPrefixLen],
		Hash: secret.HashToken(plain), CreatedAt: tx.db.Now(), ExpiresAt: expiresAt, RateLimits: limits}
	if _, err := tx.ExecContext(ctx, `INSERT INTO virtual_keys (`+keyColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		k.ID, k.TeamID, k.Name, k.Prefix, k.Hash, limits.RequestsPerMinute, limits.TokensPerMinute, limits.Concurrent,
		k.CreatedAt, nil, k.ExpiresAt, nil); err != nil {
		return nil, err
	}
	return &gatehouse.NewKey{Key: k, Secret: plain}, nil
}

// CreateKey issues another key for a team.
func (db *DB) CreateKey(ctx context.Context, teamID, name string, expiresAt *time.Time, limits gatehouse.RateLimits) (*gatehouse.NewKey, error) {
	if expiresAt != nil && !expiresAt.After(db.Now()) {
		return nil, gatehouse.FieldErrorf("expires_at", "expires_at must be in the future.")
	}
	var nk *gatehouse.NewKey
	err := db.change(ctx, func(tx *Tx) error {
		if _, err := findTeam(ctx, tx, teamID); err != nil {
			return err
		}
		var err error
		if nk, err = insertKey(ctx, tx, teamID, name, expiresAt, limits); err != nil {
			return err
		}
		return tx.audit("key.create", "key", nk.Key.ID, nil, nk.Key)
	})
	return nk, err
}

// ListKeys returns a page of a team's keys, newest first.
func (db *DB) ListKeys(ctx context.Context, teamID string, p gatehouse.Page) ([]*gatehouse.Key, int, error) {
	if _, err := db.FindTeam(ctx, teamID); err != nil {
		return nil, 0, err
	}
	var w where
	w.add("team_id = ?", teamID)
	total, err := db.count(ctx, db.sql, "virtual_keys", &w)
	if err != nil {
		return nil, 0, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT `+keyColumns+` FROM virtual_keys`+w.String()+` ORDER BY created_at DESC, id DESC`+w.page(p), w.args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []*gatehouse.Key{}
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, k)
	}
	return out, total, rows.Err()
}

func findKey(ctx context.Context, q queryer, teamID, keyID string) (*gatehouse.Key, error) {
	k, err := scanKey(q.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM virtual_keys WHERE id = $1 AND team_id = $2`, keyID, teamID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Key", keyID)
	}
	return k, err
}

// RotateKey issues a replacement key and retires the old one after grace.
func (db *DB) RotateKey(ctx context.Context, teamID, keyID string, grace time.Duration) (*gatehouse.NewKey, error) {
	if grace < 0 || grace > 30*24*time.Hour {
		return nil, gatehouse.FieldErrorf("grace_period_seconds", "grace_period_seconds must be between 0 and 30 days.")
	}
	var nk *gatehouse.NewKey
	err := db.change(ctx, func(tx *Tx) error {
		old, err := findKey(ctx, tx, teamID, keyID)
		if err != nil {
			return err
		}
		now := db.Now()
		if !old.Usable(now) {
			return gatehouse.Errorf(gatehouse.ECONFLICT, "Key %q is already revoked or expired; create a new key instead.", keyID)
		}
		if nk, err = insertKey(ctx, tx, teamID, old.Name, old.ExpiresAt, old.RateLimits); err != nil {
			return err
		}
		after := *old
		if grace == 0 {
			after.RevokedAt = &now
		} else {
			end := now.Add(grace)
			if after.ExpiresAt == nil || end.Before(*after.ExpiresAt) {
				after.ExpiresAt = &end
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE virtual_keys SET expires_at = $1, revoked_at = $2 WHERE id = $3`,
			after.ExpiresAt, after.RevokedAt, keyID); err != nil {
			return err
		}
		return tx.audit("key.rotate", "key", keyID, old, map[string]any{"old": after, "new": nk.Key})
	})
	return nk, err
}

// RevokeKey stops a key from working at once.
func (db *DB) RevokeKey(ctx context.Context, teamID, keyID string) (*gatehouse.Key, error) {
	var out *gatehouse.Key
	err := db.change(ctx, func(tx *Tx) error {
		before, err := findKey(ctx, tx, teamID, keyID)
		if err != nil {
			return err
		}
		k := *before
		if k.RevokedAt == nil {
			now := db.Now()
			k.RevokedAt = &now
			if _, err := tx.ExecContext(ctx, `UPDATE virtual_keys SET revoked_at = $1 WHERE id = $2`, now, keyID); err != nil {
				return err
			}
		}
		out = &k
		return tx.audit("key.revoke", "key", keyID, before, k)
	})
	return out, err
}

// dedupe returns s without repeats, order kept.
func dedupe(s []string) []string {
	seen := make(map[string]bool, len(s))
	out := make([]string, 0, len(s))
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
