package client

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/url"
)

// CreateJob opens a job (POST /api/jobs/create). In job_based mode it
// holds one credit until the job ends, and fails with a 402 (IsNoCredits)
// when the team cannot spare one. It is sent with an Idempotency-Key (see
// JobParams.IdempotencyKey), which is what makes it safe to retry.
func (c *Client) CreateJob(ctx context.Context, p JobParams) (*Job, error) {
	body, err := jsonBody(p)
	if err != nil {
		return nil, err
	}
	key := p.IdempotencyKey
	if key == "" && c.maxRetries > 0 {
		key = newIdempotencyKey()
	}
	class := beforeWork
	h := http.Header{}
	if key != "" {
		h.Set("Idempotency-Key", key)
		class = idempotent
	}
	var j Job
	err = c.call(ctx, request{method: http.MethodPost, path: "/api/jobs/create", body: body, header: h, class: class}, &j)
	if err != nil {
		return nil, err
	}
	return &j, nil
}

// GetJob reads a job (GET /api/jobs/{id}); another team's job is a 404.
func (c *Client) GetJob(ctx context.Context, id string) (*Job, error) {
	return c.jobRequest(ctx, http.MethodGet, id, "", nil)
}

// CompleteJob ends a job (POST /api/jobs/{id}/complete): completed is
// charged, failed and cancelled are free. Completing an ended job returns
// its first result and never charges twice, which is why it is retried.
func (c *Client) CompleteJob(ctx context.Context, id string, p CompleteParams) (*Job, error) {
	return c.jobRequest(ctx, http.MethodPost, id, "/complete", p)
}

// UpdateJobMetadata merges keys into a job's metadata (PATCH
// /api/jobs/{id}/metadata); a key whose value is nil is removed. Merging
// the same keys again changes nothing, so it is retried.
func (c *Client) UpdateJobMetadata(ctx context.Context, id string, metadata map[string]any) (*Job, error) {
	if metadata == nil {
		metadata = map[string]any{}
	}
	return c.jobRequest(ctx, http.MethodPatch, id, "/metadata", map[string]any{"metadata": metadata})
}

// jobRequest sends an idempotent request about one job and decodes the
// job it answers with.
func (c *Client) jobRequest(ctx context.Context, method, id, suffix string, in any) (*Job, error) {
	if err := requireID("job id", id); err != nil {
		return nil, err
	}
	r := request{method: method, path: "/api/jobs/" + url.PathEscape(id) + suffix, class: idempotent}
	if in != nil {
		b, err := jsonBody(in)
		if err != nil {
			return nil, err
		}
		r.body = b
	}
	var j Job
	if err := c.call(ctx, r, &j); err != nil {
		return nil, err
	}
	return &j, nil
}

// newIdempotencyKey returns a random key that no other create will use.
func newIdempotencyKey() string {
	return "ghc-" + rand.Text()
}
