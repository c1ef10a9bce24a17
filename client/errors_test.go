package client_test

import (
	"context"
	"errors"
	"testing"

	"github.com/gatehouse-llm/gatehouse/client"
)

// errorsIs is errors.Is, short for the tests' conditions.
func errorsIs(err, target error) bool { return errors.Is(err, target) }

func TestTypedErrors(t *testing.T) {
	g := newGatehouse(t)
	ctx := context.Background()
	c := client.New(g.URL, g.Key, client.WithMaxRetries(0))

	// 402: a team at zero credits cannot open a job.
	brokeKey, err := g.team("broke", 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.New(g.URL, brokeKey).CreateJob(ctx, client.JobParams{JobType: "x"})
	var apiErr *client.APIError
	if !client.IsNoCredits(err) || !errors.As(err, &apiErr) || apiErr.StatusCode != 402 || apiErr.Code != client.CodeInsufficientCredits || apiErr.Message == "" {
		t.Fatalf("402: %v", err)
	}
	if client.IsRateLimited(err) || client.IsNotFound(err) || client.IsConflict(err) || client.IsUnauthorized(err) {
		t.Fatalf("402 matches another helper: %v", err)
	}

	// 404: no such job, and another team's job.
	if _, err := c.GetJob(ctx, "job_nope"); !client.IsNotFound(err) {
		t.Fatalf("404: %v", err)
	}
	otherKey, err := g.team("other", 5)
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := client.New(g.URL, otherKey).CreateJob(ctx, client.JobParams{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetJob(ctx, theirs.ID); !client.IsNotFound(err) {
		t.Fatalf("another team's job: %v", err)
	}

	// 409: a call on a finished job.
	job, err := c.CreateJob(ctx, client.JobParams{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CompleteJob(ctx, job.ID, client.CompleteParams{Status: client.JobCancelled}); err != nil {
		t.Fatal(err)
	}
	_, err = c.Chat(ctx, job.ID, client.ChatRequest{Model: "echo", Messages: []client.Message{client.User("late")}})
	if !client.IsConflict(err) {
		t.Fatalf("409: %v", err)
	}

	// 400 names the field at fault.
	open, err := c.CreateJob(ctx, client.JobParams{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Chat(ctx, open.ID, client.ChatRequest{Messages: []client.Message{client.User("no model")}})
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.Code != client.CodeInvalidRequest || apiErr.Field != "model" {
		t.Fatalf("400: %v", err)
	}

	// 401: an unknown key.
	if _, err := client.New(g.URL, "gh-sk-nope").GetJob(ctx, job.ID); !client.IsUnauthorized(err) {
		t.Fatalf("401: %v", err)
	}

	// 403: another team's balance.
	if _, err := c.Balance(ctx, "other"); !errors.As(err, &apiErr) || apiErr.Code != client.CodeForbidden || apiErr.Field != "team_id" {
		t.Fatalf("403: %v", err)
	}
}

func TestAPIErrorMessage(t *testing.T) {
	e := &client.APIError{StatusCode: 400, Code: "invalid_request", Message: "model is required.", Field: "model"}
	if got := e.Error(); got != `gatehouse: 400 invalid_request: model is required. (field "model")` {
		t.Fatalf("Error() = %q", got)
	}
}
