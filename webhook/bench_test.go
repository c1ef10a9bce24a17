package webhook_test

import (
	"context"
	"testing"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/secret"
	"github.com/gatehouse-llm/gatehouse/sqlstore/storetest"
)

// What the outbox costs the money path: a job opened and completed (a
// hold, a charge, the job's end) with no endpoint, with an endpoint that
// subscribes to none of the events this causes, and with one receiving
// job.completed and every credit event (an outbox row and a delivery
// each). Run: go test -run '^$' -bench JobEvents ./webhook
func BenchmarkJobEvents(b *testing.B) {
	for _, c := range []struct {
		name  string
		types []string
	}{{"no-endpoint", nil}, {"unsubscribed", []string{gatehouse.EventAliasUpdated}}, {"subscribed", []string{"*"}}} {
		b.Run(c.name, func(b *testing.B) {
			db := storetest.OpenSQLite(b)
			s, _ := secret.NewSealer(make([]byte, 32))
			db.Sealer = s
			ctx := context.Background()
			if err := db.CreateOrganization(ctx, &gatehouse.Organization{ID: "o", Name: "O"}); err != nil {
				b.Fatal(err)
			}
			if _, err := db.CreateTeam(ctx, &gatehouse.Team{ID: "t", OrganizationID: "o", BudgetMode: gatehouse.BudgetJobBased,
				CreditsAllocated: 100_000_000 * gatehouse.OneCredit}); err != nil {
				b.Fatal(err)
			}
			if c.types != nil {
				if err := db.CreateWebhookEndpoint(ctx, &gatehouse.WebhookEndpoint{URL: "https://example.com", EventTypes: c.types,
					CreditsLowThreshold: gatehouse.OneCredit}); err != nil {
					b.Fatal(err)
				}
			}
			for b.Loop() {
				j, err := db.CreateJob(ctx, &gatehouse.Job{TeamID: "t"}, "")
				if err != nil {
					b.Fatal(err)
				}
				if _, err := db.CompleteJob(ctx, "t", j.ID, gatehouse.JobCompleted, "", nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
