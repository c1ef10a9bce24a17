package client_test

import (
	"context"
	"testing"

	"github.com/gatehouse-llm/gatehouse/client"
)

func TestJobLifecycle(t *testing.T) {
	g := newGatehouse(t)
	ctx := context.Background()
	c := client.New(g.URL, g.Key)

	job, err := c.CreateJob(ctx, client.JobParams{JobType: "summarize", UserID: "u1", Metadata: map[string]any{"doc": 7, "draft": true}})
	if err != nil {
		t.Fatal(err)
	}
	if job.ID == "" || job.Status != client.JobPending || job.TeamID != "t" || job.JobType != "summarize" || job.UserID != "u1" ||
		job.CreditsReserved != client.OneCredit || job.Final() || job.CreatedAt.IsZero() {
		t.Fatalf("created %+v", job)
	}
	got, err := c.GetJob(ctx, job.ID)
	if err != nil || got.ID != job.ID || got.Metadata["doc"] != float64(7) {
		t.Fatalf("GetJob = %+v, %v", got, err)
	}
	got, err = c.UpdateJobMetadata(ctx, job.ID, map[string]any{"draft": nil, "pages": 3})
	if err != nil || got.Metadata["pages"] != float64(3) || got.Metadata["doc"] != float64(7) {
		t.Fatalf("UpdateJobMetadata = %+v, %v", got, err)
	}
	if _, present := got.Metadata["draft"]; present {
		t.Fatalf("a nil value must remove its key: %v", got.Metadata)
	}

	resp, err := c.Chat(ctx, job.ID, client.ChatRequest{Model: "echo", Messages: []client.Message{client.User("Say hello")},
		Purpose: "greeting", CallMetadata: map[string]any{"step": 1}})
	if err != nil || resp.Content != "Say hello" || resp.CallID == "" || resp.JobID != job.ID {
		t.Fatalf("Chat = %+v, %v", resp, err)
	}

	done, err := c.CompleteJob(ctx, job.ID, client.CompleteParams{Status: client.JobCompleted, Metadata: map[string]any{"result": "ok"}})
	if err != nil || done.Status != client.JobCompleted || !done.Final() || done.CreditsCharged != client.OneCredit ||
		done.CompletedAt == nil || done.Metadata["result"] != "ok" || done.CallCount != 1 {
		t.Fatalf("CompleteJob = %+v, %v", done, err)
	}
	again, err := c.CompleteJob(ctx, job.ID, client.CompleteParams{Status: client.JobCompleted})
	if err != nil || again.CreditsCharged != client.OneCredit {
		t.Fatalf("completing again = %+v, %v", again, err)
	}

	costs, err := c.JobCosts(ctx, job.ID)
	if err != nil || costs.ID != job.ID || costs.CreditsCharged != client.OneCredit || len(costs.Calls) != 1 {
		t.Fatalf("JobCosts = %+v, %v", costs, err)
	}
	call := costs.Calls[0]
	if call.CallID != resp.CallID || call.Purpose != "greeting" || call.Provider != "mock" || call.ProviderModel != "echo" ||
		call.Status != "success" || call.PromptTokens != resp.Usage.PromptTokens || call.CallMetadata["step"] != float64(1) {
		t.Fatalf("call record %+v", call)
	}

	bal, err := c.Balance(ctx, "t")
	if err != nil || bal.TeamID != "t" || bal.BudgetMode != "job_based" || bal.CreditsBalance != 99*client.OneCredit ||
		bal.CreditsHeld != 0 || bal.CreditsRemaining != 99*client.OneCredit {
		t.Fatalf("Balance = %+v, %v", bal, err)
	}
}

// The same Idempotency-Key opens one job however often it is sent.
func TestCreateJobIdempotent(t *testing.T) {
	g := newGatehouse(t)
	ctx := context.Background()
	c := client.New(g.URL, g.Key)
	a, err := c.CreateJob(ctx, client.JobParams{JobType: "order", IdempotencyKey: "order-1234"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.CreateJob(ctx, client.JobParams{JobType: "order", IdempotencyKey: "order-1234"})
	if err != nil || b.ID != a.ID {
		t.Fatalf("second create = %+v, %v; want job %s", b, err, a.ID)
	}
	if bal, err := c.Balance(ctx, "t"); err != nil || bal.CreditsHeld != client.OneCredit {
		t.Fatalf("held = %v, %v; want one job's credit", bal.CreditsHeld, err)
	}
}

func TestMissingIDsAreRefusedLocally(t *testing.T) {
	c := client.New("http://127.0.0.1:1", "k")
	ctx := context.Background()
	if _, err := c.GetJob(ctx, ""); err == nil || !errorsIs(err, client.ErrMissingID) {
		t.Fatalf("GetJob(\"\") = %v", err)
	}
	if _, err := c.Balance(ctx, ""); !errorsIs(err, client.ErrMissingID) {
		t.Fatalf("Balance(\"\") = %v", err)
	}
	for _, err := range c.ChatStream(ctx, "", client.ChatRequest{}) {
		if !errorsIs(err, client.ErrMissingID) {
			t.Fatalf("ChatStream(\"\") = %v", err)
		}
	}
}
