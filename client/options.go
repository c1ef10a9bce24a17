package client

import (
	"net/http"
	"time"
)

// Option configures a Client; options exist so New stays one line for the
// common case and new settings never break callers.
type Option func(*Client)

// WithHTTPClient sends requests through hc, for custom transports, proxies
// or TLS settings. Leave hc.Timeout at zero: it would cut long streams
// short; bound each call with its context instead. A nil hc is ignored.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.http = hc
		}
	}
}

// WithMaxRetries sets how many times a failed request may be repeated
// (DefaultMaxRetries unless set; 0 disables retries). Only requests that
// are safe to repeat are retried; see the package documentation.
func WithMaxRetries(n int) Option {
	return func(c *Client) { c.maxRetries = max(n, 0) }
}

// WithBackoff sets the exponential backoff between retries: the n-th wait
// is drawn between half and all of base·2ⁿ⁻¹, capped at max, so replicas
// that failed together do not retry together. Non-positive values keep the
// defaults.
func WithBackoff(base, max time.Duration) Option {
	return func(c *Client) {
		if base > 0 {
			c.backoffBase = base
		}
		if max > 0 {
			c.backoffMax = max
		}
		if c.backoffMax < c.backoffBase {
			c.backoffMax = c.backoffBase
		}
	}
}

// WithUserAgent sets the User-Agent header, so an operator can tell which
// of their services a request came from.
func WithUserAgent(ua string) Option {
	return func(c *Client) {
		if ua != "" {
			c.userAgent = ua
		}
	}
}
