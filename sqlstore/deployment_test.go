package sqlstore_test

import (
	"context"
	"testing"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/secret"
	"github.com/gatehouse-llm/gatehouse/sqlstore"
	"github.com/gatehouse-llm/gatehouse/sqlstore/storetest"
)

func TestConformanceDeployments(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		sealer, serr := secret.NewSealer(make([]byte, 32))
		if serr != nil {
			t.Fatal(serr)
		}
		db.Sealer = sealer
		cred := &gatehouse.Credential{Provider: "mock", Name: "eu", APIKey: "k-1234", Active: true}
		if err := db.CreateCredential(ctx, cred); err != nil {
			t.Fatal(err)
		}
		three := 3
		a := &gatehouse.Alias{Alias: "smart", Active: true, RoutingStrategy: gatehouse.RouteLeastBusy, NumRetries: &three,
			Deployments: []gatehouse.Deployment{
				{LiteLLMModel: "mock/echo", Weight: 3, RPM: 60, TPM: 1000, Region: "us"},
				{LiteLLMModel: "mock/echo", CredentialID: cred.ID, APIBase: "http://127.0.0.1:9/v1", Extra: map[string]string{"api_version": "2024-10-21"},
					Region: "eu", Order: 1, Pricing: &gatehouse.Pricing{InputPerM: 1_000_000, OutputPerM: 2_000_000}},
			}}
		_, before, _, err := db.ChangesSince(ctx, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.CreateAlias(ctx, a); err != nil {
			t.Fatal(err)
		}
		got, err := db.FindAlias(ctx, "smart")
		if err != nil {
			t.Fatal(err)
		}
		if got.LiteLLMModel != "mock/echo" || got.RoutingStrategy != gatehouse.RouteLeastBusy || got.NumRetries == nil || *got.NumRetries != 3 {
			t.Fatalf("alias = %+v", got)
		}
		if len(got.Deployments) != 2 {
			t.Fatalf("deployments = %+v", got.Deployments)
		}
		d0, d1 := got.Deployments[0], got.Deployments[1]
		if d0.ID != "mock/echo" || d0.Weight != 3 || d0.RPM != 60 || d0.TPM != 1000 || d0.Region != "us" || d0.Order != 0 || d0.Pricing != nil || d0.CredentialID != "" {
			t.Errorf("deployment 0 = %+v", d0)
		}
		if d1.ID != "mock/echo#2" || d1.Weight != 1 || d1.CredentialID != cred.ID || d1.APIBase != "http://127.0.0.1:9/v1" || d1.Extra["api_version"] != "2024-10-21" ||
			d1.Region != "eu" || d1.Order != 1 || d1.Pricing == nil || d1.Pricing.OutputPerM != 2_000_000 {
			t.Errorf("deployment 1 = %+v", d1)
		}
		// The change feed names the alias, so replicas reload it alone.
		changes, _, _, err := db.ChangesSince(ctx, before, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(changes) != 1 || changes[0].Kind != gatehouse.ChangeAlias || changes[0].ID != "smart" {
			t.Errorf("changes = %+v", changes)
		}
		list, _, err := db.ListAliases(ctx, gatehouse.AliasFilter{})
		if err != nil || len(list) != 1 || len(list[0].Deployments) != 2 {
			t.Fatalf("list = %+v, %v", list, err)
		}

		// litellm_model alone cannot say which of two deployments changes.
		other := "mock/other"
		if _, err := db.UpdateAlias(ctx, "smart", gatehouse.AliasUpdate{LiteLLMModel: &other}); gatehouse.ErrorCode(err) != gatehouse.EINVALID {
			t.Errorf("litellm_model on a two-deployment alias: %v, want invalid", err)
		}
		// Deployments replace the list; the primary is the lowest tier's first.
		deps := []gatehouse.Deployment{{ID: "backup", LiteLLMModel: "mock/echo", Order: 2}, {ID: "main", LiteLLMModel: "mock/echo", Order: 1}}
		upd, err := db.UpdateAlias(ctx, "smart", gatehouse.AliasUpdate{Deployments: &deps})
		if err != nil {
			t.Fatal(err)
		}
		if upd.Primary().ID != "main" || len(upd.Deployments) != 2 {
			t.Errorf("after update: %+v", upd.Deployments)
		}
		// Refused: a credential that does not exist, a duplicate id, a
		// secret in extras, an unknown strategy. Nothing changes.
		for name, bad := range map[string]gatehouse.AliasUpdate{
			"credential": {Deployments: &[]gatehouse.Deployment{{LiteLLMModel: "mock/echo", CredentialID: "nope"}}},
			"duplicate":  {Deployments: &[]gatehouse.Deployment{{ID: "x", LiteLLMModel: "mock/echo"}, {ID: "x", LiteLLMModel: "mock/echo"}}},
			"secret":     {Deployments: &[]gatehouse.Deployment{{LiteLLMModel: "mock/echo", Extra: map[string]string{"api_key": "sk"}}}},
			"strategy":   {RoutingStrategy: new("round-robin")},
			"model":      {Deployments: &[]gatehouse.Deployment{{LiteLLMModel: "gpt-4o"}}},
		} {
			if _, err := db.UpdateAlias(ctx, "smart", bad); gatehouse.ErrorCode(err) != gatehouse.EINVALID {
				t.Errorf("%s: %v, want invalid", name, err)
			}
		}
		if got, _ := db.FindAlias(ctx, "smart"); len(got.Deployments) != 2 || got.Deployments[0].ID != "backup" {
			t.Errorf("a refused update changed the deployments: %+v", got.Deployments)
		}

		// The seed's single-model API: one deployment, changed in place.
		if err := db.CreateAlias(ctx, &gatehouse.Alias{Alias: "one", LiteLLMModel: "mock/echo", Active: true}); err != nil {
			t.Fatal(err)
		}
		one, err := db.UpdateAlias(ctx, "one", gatehouse.AliasUpdate{LiteLLMModel: new("mock/slow")})
		if err != nil {
			t.Fatal(err)
		}
		if len(one.Deployments) != 1 || one.Deployments[0].LiteLLMModel != "mock/slow" || one.Deployments[0].ID != "mock/slow" || one.LiteLLMModel != "mock/slow" {
			t.Errorf("single-model update: %+v", one)
		}

		// An alias written by the previous release (no deployment rows)
		// reads as one deployment: its litellm_model.
		if _, err := db.SQL().ExecContext(ctx, `INSERT INTO model_aliases (alias, litellm_model, description, active, fallbacks, metadata, created_at, updated_at)
			SELECT 'legacy', 'mock/echo', '', true, '[]', '{}', created_at, updated_at FROM model_aliases WHERE alias = 'one'`); err != nil {
			t.Fatal(err)
		}
		legacy, err := db.FindAlias(ctx, "legacy")
		if err != nil || len(legacy.Deployments) != 1 || legacy.Deployments[0].LiteLLMModel != "mock/echo" || legacy.Deployments[0].Weight != 1 {
			t.Fatalf("legacy alias: %+v, %v", legacy, err)
		}

		if err := db.DeleteAlias(ctx, "smart"); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM model_deployments WHERE alias = 'smart'`).Scan(&n); err != nil || n != 0 {
			t.Errorf("deployments left after delete: %d, %v", n, err)
		}
	})
}
