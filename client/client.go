package client

import (
	"context"
	"net/http"
	"strings"
	"time"
)

// Defaults for New, chosen so that a transient failure (a restart, a
// moment of rate limiting) is ridden out without making a caller wait long.
const (
	DefaultMaxRetries  = 2
	DefaultBackoffBase = 250 * time.Millisecond
	DefaultBackoffMax  = 8 * time.Second
	DefaultUserAgent   = "gatehouse-go-client"
)

// Client talks to one Gatehouse deployment with one team's virtual key. It
// is safe for concurrent use; create one and share it, so connections are
// pooled.
type Client struct {
	baseURL     string
	apiKey      string
	http        *http.Client
	maxRetries  int
	backoffBase time.Duration
	backoffMax  time.Duration
	userAgent   string

	// sleep waits between attempts; tests replace it to observe waits.
	sleep func(ctx context.Context, d time.Duration) error
}

// New returns a client for the Gatehouse at baseURL (for example
// "http://localhost:8003", with or without a path prefix behind a proxy)
// that authenticates with apiKey, a team's virtual key ("gh-sk-…").
func New(baseURL, apiKey string, opts ...Option) *Client {
	c := &Client{
		baseURL:     strings.TrimRight(baseURL, "/"),
		apiKey:      apiKey,
		http:        &http.Client{},
		maxRetries:  DefaultMaxRetries,
		backoffBase: DefaultBackoffBase,
		backoffMax:  DefaultBackoffMax,
		userAgent:   DefaultUserAgent,
		sleep:       sleepContext,
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// sleepContext waits for d or until ctx is done, whichever comes first.
func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
