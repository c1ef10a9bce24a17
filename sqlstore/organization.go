package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/gatehouse-llm/gatehouse"
)

var _ gatehouse.OrganizationService = (*DB)(nil)

const orgColumns = `id, name, status, metadata, created_at, updated_at`

func scanOrg(row interface{ Scan(...any) error }) (*gatehouse.Organization, error) {
	var o gatehouse.Organization
	var meta []byte
	if err := row.Scan(&o.ID, &o.Name, &o.Status, &meta, &o.CreatedAt, &o.UpdatedAt); err != nil {
		return nil, err
	}
	o.Metadata = gatehouse.Metadata{}
	return &o, scanJSON(meta, &o.Metadata)
}

// CreateOrganization stores a new active organization.
func (db *DB) CreateOrganization(ctx context.Context, o *gatehouse.Organization) error {
	if err := o.Validate(); err != nil {
		return err
	}
	o.Status = gatehouse.StatusActive
	o.CreatedAt, o.UpdatedAt = db.Now(), db.Now()
	if o.Metadata == nil {
		o.Metadata = gatehouse.Metadata{}
	}
	return db.change(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO organizations (`+orgColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
			o.ID, o.Name, o.Status, jsonText(o.Metadata, "{}"), o.CreatedAt, o.UpdatedAt)
		if isUniqueViolation(err) {
			return gatehouse.Errorf(gatehouse.ECONFLICT, "Organization %q already exists.", o.ID)
		} else if err != nil {
			return err
		}
		tx.changed(gatehouse.ChangeOrganization, o.ID)
		return tx.audit("organization.create", "organization", o.ID, nil, o)
	})
}

// FindOrganization returns one organization.
func (db *DB) FindOrganization(ctx context.Context, id string) (*gatehouse.Organization, error) {
	return findOrg(ctx, db.sql, id)
}

func findOrg(ctx context.Context, q queryer, id string) (*gatehouse.Organization, error) {
	o, err := scanOrg(q.QueryRowContext(ctx, `SELECT `+orgColumns+` FROM organizations WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Organization", id)
	}
	return o, err
}

// ListOrganizations returns a page of organizations ordered by id.
func (db *DB) ListOrganizations(ctx context.Context, f gatehouse.OrganizationFilter) ([]*gatehouse.Organization, int, error) {
	var w where
	if f.Status != "" {
		w.add("status = ?", f.Status)
	}
	total, err := db.listTotal(ctx, "organizations", &w, f.Page)
	if err != nil {
		return nil, 0, err
	}
	window, err := w.window(f.Page, keyset{idCol: "id"})
	if err != nil {
		return nil, 0, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT `+orgColumns+` FROM organizations`+w.String()+window, w.args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []*gatehouse.Organization{}
	for rows.Next() {
		o, err := scanOrg(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, o)
	}
	return out, total, rows.Err()
}

// UpdateOrganization changes name and metadata.
func (db *DB) UpdateOrganization(ctx context.Context, id string, upd gatehouse.OrganizationUpdate) (*gatehouse.Organization, error) {
	var out *gatehouse.Organization
	err := db.change(ctx, func(tx *Tx) error {
		before, err := findOrg(ctx, tx, id)
		if err != nil {
			return err
		}
		o := *before
		if upd.Name != nil {
			o.Name = *upd.Name
		}
		if upd.Metadata != nil {
			o.Metadata = *upd.Metadata
		}
		if err := o.Validate(); err != nil {
			return err
		}
		o.UpdatedAt = db.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE organizations SET name = $1, metadata = $2, updated_at = $3 WHERE id = $4`,
			o.Name, jsonText(o.Metadata, "{}"), o.UpdatedAt, id); err != nil {
			return err
		}
		out = &o
		tx.changed(gatehouse.ChangeOrganization, id)
		return tx.audit("organization.update", "organization", id, before, o)
	})
	return out, err
}

// SetOrganizationStatus suspends or reactivates an organization.
func (db *DB) SetOrganizationStatus(ctx context.Context, id, status string) (*gatehouse.Organization, error) {
	if status != gatehouse.StatusActive && status != gatehouse.StatusSuspended {
		return nil, gatehouse.FieldErrorf("status", "Organization status must be active or suspended.")
	}
	var out *gatehouse.Organization
	err := db.change(ctx, func(tx *Tx) error {
		before, err := findOrg(ctx, tx, id)
		if err != nil {
			return err
		}
		o := *before
		o.Status, o.UpdatedAt = status, db.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE organizations SET status = $1, updated_at = $2 WHERE id = $3`, status, o.UpdatedAt, id); err != nil {
			return err
		}
		out = &o
		action := "organization.suspend"
		if status == gatehouse.StatusActive {
			action = "organization.activate"
		}
		tx.changed(gatehouse.ChangeOrganization, id)
		return tx.audit(action, "organization", id, before, o)
	})
	return out, err
}

// DeleteOrganization deletes an organization without teams, and its
// provider credentials.
func (db *DB) DeleteOrganization(ctx context.Context, id string) error {
	return db.change(ctx, func(tx *Tx) error {
		before, err := findOrg(ctx, tx, id)
		if err != nil {
			return err
		}
		teams, err := tx.dependents(ctx, `SELECT id FROM teams WHERE organization_id = $1 ORDER BY id`, id)
		if err != nil {
			return err
		}
		if teams != "" {
			return gatehouse.Errorf(gatehouse.ECONFLICT, "Organization %q still has teams (%s); delete them first.", id, teams)
		}
		creds, err := tx.QueryContext(ctx, `DELETE FROM provider_credentials WHERE organization_id = $1 RETURNING id`, id)
		if err != nil {
			return err
		}
		deleted, err := collectStrings(creds)
		if err != nil {
			return err
		}
		for _, c := range deleted {
			tx.changed(gatehouse.ChangeCredential, c)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM organizations WHERE id = $1`, id); err != nil {
			return err
		}
		tx.changed(gatehouse.ChangeOrganization, id)
		return tx.audit("organization.delete", "organization", id, before, nil)
	})
}

// collectStrings reads a single-column result.
func collectStrings(rows *sql.Rows) ([]string, error) {
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// dependents lists, for a 409 message, the first 20 ids a single-column
// query returns ("" when there are none).
func (tx *Tx) dependents(ctx context.Context, query string, arg any) (string, error) {
	rows, err := tx.QueryContext(ctx, query+` LIMIT 21`, arg)
	if err != nil {
		return "", err
	}
	ids, err := collectStrings(rows)
	if err != nil || len(ids) == 0 {
		return "", err
	}
	if len(ids) > 20 {
		return strings.Join(ids[:20], ", ") + ", …", nil
	}
	return strings.Join(ids, ", "), nil
}
