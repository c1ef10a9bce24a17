package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/gatehouse-llm/gatehouse"
)

var _ gatehouse.CredentialService = (*DB)(nil)

const credColumns = `id, organization_id, provider, name, api_key_ciphertext, api_key_last4, api_base, extra, active, created_at, updated_at`

// scanCred reads a credential row; the ciphertext is returned separately
// and decrypted only when a caller needs the key.
func scanCred(row interface{ Scan(...any) error }) (*gatehouse.Credential, string, error) {
	var c gatehouse.Credential
	var sealed string
	var extra []byte
	if err := row.Scan(&c.ID, &c.OrganizationID, &c.Provider, &c.Name, &sealed, &c.APIKeyLast4, &c.APIBase, &extra, &c.Active, &c.CreatedAt, &c.UpdatedAt); err != nil {
		return nil, "", err
	}
	c.Extra = map[string]string{}
	return &c, sealed, scanJSON(extra, &c.Extra)
}

// last4 shows the tail of a key, enough to tell two keys apart.
func last4(key string) string {
	if len(key) <= 8 {
		return strings.Repeat("*", len(key))
	}
	return key[len(key)-4:]
}

func validateCredential(c *gatehouse.Credential) error {
	switch {
	case c.Provider == "":
		return gatehouse.FieldErrorf("provider", "provider is required.")
	case strings.TrimSpace(c.Name) == "":
		return gatehouse.FieldErrorf("credential_name", "credential_name is required.")
	case len(c.Name) > 128:
		return gatehouse.FieldErrorf("credential_name", "credential_name must be at most 128 characters.")
	case c.APIKey == "" && c.Provider != "mock" && c.Provider != "ollama" && c.Provider != "vllm" && c.Extra["aws_access_key_id"] == "":
		return gatehouse.FieldErrorf("api_key", "api_key is required for provider %s.", c.Provider)
	case c.APIBase != "" && !strings.HasPrefix(c.APIBase, "http://") && !strings.HasPrefix(c.APIBase, "https://"):
		return gatehouse.FieldErrorf("api_base", "api_base must be an http:// or https:// URL.")
	}
	return nil
}

// sealExtra encrypts the secret parts of provider extras (AWS secret
// keys) the same way as API keys.
var secretExtras = []string{"aws_secret_access_key", "aws_session_token"}

// CreateCredential encrypts and stores a credential.
func (db *DB) CreateCredential(ctx context.Context, c *gatehouse.Credential) error {
	if db.Sealer == nil {
		return errors.New("sqlstore: no encryption key configured for credentials")
	}
	c.Provider = strings.ToLower(strings.TrimSpace(c.Provider))
	if c.Extra == nil {
		c.Extra = map[string]string{}
	}
	if err := validateCredential(c); err != nil {
		return err
	}
	c.ID = newID()
	c.Active = true
	c.APIKeyLast4 = last4(c.APIKey)
	c.CreatedAt, c.UpdatedAt = db.Now(), db.Now()
	return db.change(ctx, func(tx *Tx) error {
		if c.OrganizationID != "" {
			if _, err := findOrg(ctx, tx, c.OrganizationID); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO provider_credentials (`+credColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			c.ID, c.OrganizationID, c.Provider, c.Name, db.Sealer.Seal(c.APIKey, c.ID), c.APIKeyLast4, c.APIBase,
			jsonText(db.sealExtras(c.ID, c.Extra), "{}"), c.Active, c.CreatedAt, c.UpdatedAt)
		if isUniqueViolation(err) {
			scope := "operator-wide " + c.Provider + " credentials"
			if c.OrganizationID != "" {
				scope = "organization " + c.OrganizationID + "'s " + c.Provider + " credentials"
			}
			return gatehouse.ConflictFieldErrorf("credential_name", "A credential named %q already exists among the %s.", c.Name, scope)
		} else if err != nil {
			return err
		}
		shown := *c
		shown.Extra = redactExtras(c.Extra)
		tx.changed(gatehouse.ChangeCredential, c.ID)
		return tx.audit("credential.create", "credential", c.ID, nil, shown)
	})
}

func (db *DB) sealExtras(id string, extra map[string]string) map[string]string {
	out := make(map[string]string, len(extra))
	for k, v := range extra {
		out[k] = v
	}
	for _, k := range secretExtras {
		if v, ok := out[k]; ok && v != "" {
			out[k] = db.Sealer.Seal(v, id+"/"+k)
		}
	}
	return out
}

func (db *DB) openExtras(id string, extra map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(extra))
	for k, v := range extra {
		out[k] = v
	}
	for _, k := range secretExtras {
		if v, ok := out[k]; ok && v != "" {
			pt, err := db.Sealer.Open(v, id+"/"+k)
			if err != nil {
				return nil, fmt.Errorf("credential %s %s: %w", id, k, err)
			}
			out[k] = pt
		}
	}
	return out, nil
}

// redactExtras hides secret extras in what the API returns.
func redactExtras(extra map[string]string) map[string]string {
	out := make(map[string]string, len(extra))
	for k, v := range extra {
		out[k] = v
	}
	for _, k := range secretExtras {
		if _, ok := out[k]; ok {
			out[k] = "********"
		}
	}
	return out
}

// openCred decrypts a credential's secrets.
func (db *DB) openCred(c *gatehouse.Credential, sealed string) error {
	if db.Sealer == nil {
		return errors.New("sqlstore: no encryption key configured for credentials")
	}
	key, err := db.Sealer.Open(sealed, c.ID)
	if err != nil {
		return fmt.Errorf("credential %s: %w", c.ID, err)
	}
	c.APIKey = key
	c.Extra, err = db.openExtras(c.ID, c.Extra)
	return err
}

func findCred(ctx context.Context, q queryer, id string) (*gatehouse.Credential, string, error) {
	c, sealed, err := scanCred(q.QueryRowContext(ctx, `SELECT `+credColumns+` FROM provider_credentials WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", notFound("Credential", id)
	}
	return c, sealed, err
}

// FindCredential returns a credential with its secrets decrypted.
func (db *DB) FindCredential(ctx context.Context, id string) (*gatehouse.Credential, error) {
	c, sealed, err := findCred(ctx, db.sql, id)
	if err != nil {
		return nil, err
	}
	return c, db.openCred(c, sealed)
}

// ListCredentials returns a page of credentials without their secrets.
func (db *DB) ListCredentials(ctx context.Context, f gatehouse.CredentialFilter) ([]*gatehouse.Credential, int, error) {
	var w where
	if f.OrganizationID != "" || f.DefaultsOnly {
		w.add("organization_id = ?", f.OrganizationID)
	}
	if f.Provider != "" {
		w.add("provider = ?", f.Provider)
	}
	total, err := db.count(ctx, db.sql, "provider_credentials", &w)
	if err != nil {
		return nil, 0, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT `+credColumns+` FROM provider_credentials`+w.String()+` ORDER BY organization_id, provider, name`+w.page(f.Page), w.args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []*gatehouse.Credential{}
	for rows.Next() {
		c, _, err := scanCred(rows)
		if err != nil {
			return nil, 0, err
		}
		c.Extra = redactExtras(c.Extra)
		out = append(out, c)
	}
	return out, total, rows.Err()
}

// UpdateCredential changes a credential; a new api_key is encrypted.
func (db *DB) UpdateCredential(ctx context.Context, id string, upd gatehouse.CredentialUpdate) (*gatehouse.Credential, error) {
	var out *gatehouse.Credential
	err := db.change(ctx, func(tx *Tx) error {
		before, sealed, err := findCred(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := db.openCred(before, sealed); err != nil {
			return err
		}
		c := *before
		if upd.Name != nil {
			c.Name = *upd.Name
		}
		if upd.APIKey != nil {
			c.APIKey = *upd.APIKey
			c.APIKeyLast4 = last4(c.APIKey)
		}
		if upd.APIBase != nil {
			c.APIBase = *upd.APIBase
		}
		if upd.Extra != nil {
			c.Extra = *upd.Extra
		}
		if upd.Active != nil {
			c.Active = *upd.Active
		}
		if err := validateCredential(&c); err != nil {
			return err
		}
		c.UpdatedAt = db.Now()
		_, err = tx.ExecContext(ctx, `UPDATE provider_credentials SET name = $1, api_key_ciphertext = $2, api_key_last4 = $3,
			api_base = $4, extra = $5, active = $6, updated_at = $7 WHERE id = $8`,
			c.Name, db.Sealer.Seal(c.APIKey, id), c.APIKeyLast4, c.APIBase, jsonText(db.sealExtras(id, c.Extra), "{}"), c.Active, c.UpdatedAt, id)
		if isUniqueViolation(err) {
			return gatehouse.Errorf(gatehouse.ECONFLICT, "A credential named %q already exists in this scope.", c.Name)
		} else if err != nil {
			return err
		}
		b, a := *before, c
		b.Extra, a.Extra = redactExtras(b.Extra), redactExtras(a.Extra)
		out = &a
		tx.changed(gatehouse.ChangeCredential, id)
		return tx.audit("credential.update", "credential", id, b, a)
	})
	return out, err
}

// DeleteCredential deletes a credential.
func (db *DB) DeleteCredential(ctx context.Context, id string) error {
	return db.change(ctx, func(tx *Tx) error {
		before, _, err := findCred(ctx, tx, id)
		if err != nil {
			return err
		}
		before.Extra = redactExtras(before.Extra)
		rows, err := tx.QueryContext(ctx, `SELECT DISTINCT alias FROM model_deployments WHERE credential_id = $1 ORDER BY alias LIMIT 10`, id)
		if err != nil {
			return err
		}
		pinned, err := collectStrings(rows)
		if err != nil {
			return err
		}
		if len(pinned) > 0 {
			return gatehouse.Errorf(gatehouse.ECONFLICT, "Credential %q is pinned by deployments of %s; change their credential_id first (or disable the credential).",
				id, strings.Join(pinned, ", "))
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM provider_credentials WHERE id = $1`, id); err != nil {
			return err
		}
		tx.changed(gatehouse.ChangeCredential, id)
		return tx.audit("credential.delete", "credential", id, before, nil)
	})
}
