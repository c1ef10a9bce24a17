package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/gatehouse-llm/gatehouse"
)

const deploymentColumns = `alias, deployment_id, litellm_model, credential_id, api_base, extra, region, weight, rpm, tpm, priority_order, input_price_per_m, output_price_per_m`

func scanDeployment(row interface{ Scan(...any) error }) (string, gatehouse.Deployment, error) {
	var alias string
	var d gatehouse.Deployment
	var extra []byte
	var in, out sql.NullInt64
	if err := row.Scan(&alias, &d.ID, &d.LiteLLMModel, &d.CredentialID, &d.APIBase, &extra, &d.Region, &d.Weight, &d.RPM, &d.TPM,
		&d.Order, &in, &out); err != nil {
		return "", d, err
	}
	if in.Valid && out.Valid {
		d.Pricing = &gatehouse.Pricing{InputPerM: in.Int64, OutputPerM: out.Int64}
	}
	if err := scanJSON(extra, &d.Extra); err != nil {
		return "", d, err
	}
	if len(d.Extra) == 0 {
		d.Extra = nil
	}
	return alias, d, nil
}

// withDeployments attaches each alias's deployments, read in one query.
// An alias without deployment rows (created by a release before
// deployments) has one: its litellm_model.
func withDeployments(ctx context.Context, q queryer, aliases ...*gatehouse.Alias) error {
	if len(aliases) == 0 {
		return nil
	}
	byName := make(map[string]*gatehouse.Alias, len(aliases))
	args := make([]any, len(aliases))
	marks := make([]string, len(aliases))
	for i, a := range aliases {
		byName[a.Alias] = a
		a.Deployments = nil
		args[i] = a.Alias
		marks[i] = fmt.Sprintf("$%d", i+1)
	}
	rows, err := q.QueryContext(ctx, `SELECT `+deploymentColumns+` FROM model_deployments WHERE alias IN (`+strings.Join(marks, ", ")+`) ORDER BY alias, position`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		name, d, err := scanDeployment(rows)
		if err != nil {
			return err
		}
		if a := byName[name]; a != nil {
			a.Deployments = append(a.Deployments, d)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, a := range aliases {
		defaultDeployments(a)
	}
	return nil
}

// defaultDeployments gives an alias stored without deployment rows its
// one implicit deployment.
func defaultDeployments(a *gatehouse.Alias) {
	if len(a.Deployments) == 0 {
		a.Deployments = []gatehouse.Deployment{{ID: a.LiteLLMModel, LiteLLMModel: a.LiteLLMModel, Weight: 1}}
	}
}

// allDeployments reads every alias's deployments, for a full load.
func allDeployments(ctx context.Context, q queryer) (map[string][]gatehouse.Deployment, error) {
	out := map[string][]gatehouse.Deployment{}
	err := each(ctx, q, `SELECT `+deploymentColumns+` FROM model_deployments ORDER BY alias, position`, func(r *sql.Rows) error {
		name, d, err := scanDeployment(r)
		if err == nil {
			out[name] = append(out[name], d)
		}
		return err
	})
	return out, err
}

// writeDeployments replaces an alias's deployments.
func writeDeployments(ctx context.Context, tx *Tx, a *gatehouse.Alias) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM model_deployments WHERE alias = $1`, a.Alias); err != nil {
		return err
	}
	for i, d := range a.Deployments {
		in, out := priceArgs(d.Pricing)
		if _, err := tx.ExecContext(ctx, `INSERT INTO model_deployments (`+deploymentColumns+`, position)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
			a.Alias, d.ID, d.LiteLLMModel, d.CredentialID, d.APIBase, jsonText(d.Extra, "{}"), d.Region, d.Weight, d.RPM, d.TPM,
			d.Order, in, out, i); err != nil {
			return err
		}
	}
	return nil
}

// checkDeployments checks each deployment's model and price, and that a
// pinned credential exists and is for the deployment's provider.
func (db *DB) checkDeployments(ctx context.Context, q queryer, a *gatehouse.Alias) error {
	for i, d := range a.Deployments {
		field := fmt.Sprintf("deployments[%d]", i)
		if db.Models != nil {
			pricing := d.Pricing
			if pricing == nil {
				pricing = a.Pricing
			}
			if err := db.Models.CheckModel(d.LiteLLMModel, pricing, a.Active); err != nil {
				if len(a.Deployments) > 1 {
					var e *gatehouse.Error
					if errors.As(err, &e) {
						return &gatehouse.Error{Code: e.Code, Field: field + ".litellm_model", Message: "Deployment " + gatehouse.QuoteInput(d.ID) + ": " + e.Message}
					}
				}
				return err
			}
		}
		if d.CredentialID == "" {
			continue
		}
		var prov string
		err := q.QueryRowContext(ctx, `SELECT provider FROM provider_credentials WHERE id = $1`, d.CredentialID).Scan(&prov)
		if errors.Is(err, sql.ErrNoRows) {
			return &gatehouse.Error{Code: gatehouse.EINVALID, Field: field + ".credential_id",
				Message: "Credential " + gatehouse.QuoteInput(d.CredentialID) + " does not exist; create it with POST /api/provider-credentials/create first."}
		} else if err != nil {
			return err
		}
		if prov != d.Provider() {
			return gatehouse.FieldErrorf(field+".credential_id", "Credential %s is for provider %s, not %s.", gatehouse.QuoteInput(d.CredentialID), prov, d.Provider())
		}
	}
	return nil
}
