package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"sync/atomic"
)

// maxErrorBody bounds how much of an error response is read.
const maxErrorBody = 1 << 20

// request is one API request, kept whole so that it can be sent again.
type request struct {
	method string
	path   string // already escaped, starting with "/"
	body   []byte // nil for none
	header http.Header
	class  retryClass
	stream bool
}

// send performs r, retrying as its class allows, and returns a response
// with a 2xx status whose body the caller must close. Any other answer is
// returned as an *APIError.
func (c *Client) send(ctx context.Context, r request) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		resp, sent, err := c.attempt(ctx, r)
		if err == nil && resp.StatusCode >= 200 && resp.StatusCode < 300 {
			return resp, nil
		}
		var apiErr *APIError
		if err == nil {
			raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
			resp.Body.Close()
			apiErr = newAPIError(resp.StatusCode, resp.Header, raw)
			err = apiErr
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("gatehouse: %s %s: %w", r.method, r.path, context.Cause(ctx))
		}
		if attempt >= c.maxRetries || !shouldRetry(r.class, apiErr, sent) {
			return nil, err
		}
		wait, ok := c.retryWait(ctx, attempt+1, apiErr)
		if !ok {
			return nil, err
		}
		if serr := c.sleep(ctx, wait); serr != nil {
			return nil, fmt.Errorf("gatehouse: %s %s: %w (while waiting to retry after: %v)", r.method, r.path, serr, err)
		}
	}
}

// attempt sends r once. sent reports whether the whole request was
// written to the connection, so that a request that never left can be
// retried even when repeating it after delivery would not be safe.
func (c *Client) attempt(ctx context.Context, r request) (resp *http.Response, sent bool, err error) {
	var wrote atomic.Bool
	trace := &httptrace.ClientTrace{WroteRequest: func(info httptrace.WroteRequestInfo) {
		if info.Err == nil {
			wrote.Store(true)
		}
	}}
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), r.method, c.baseURL+r.path, body)
	if err != nil {
		return nil, false, err
	}
	for k, vs := range r.header {
		req.Header[k] = vs
	}
	req.Header.Set("Authorization", "Bearer "+c.apiKey)
	req.Header.Set("User-Agent", c.userAgent)
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.stream {
		req.Header.Set("Accept", "text/event-stream")
	} else {
		req.Header.Set("Accept", "application/json")
	}
	resp, err = c.http.Do(req)
	return resp, wrote.Load(), err
}

// call performs r and decodes its JSON answer into out.
func (c *Client) call(ctx context.Context, r request, out any) error {
	resp, err := c.send(ctx, r)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("gatehouse: %s %s: %w", r.method, r.path, context.Cause(ctx))
		}
		return fmt.Errorf("gatehouse: %s %s: reading the answer: %w", r.method, r.path, err)
	}
	return nil
}

// jsonBody encodes a request body.
func jsonBody(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("gatehouse: encoding the request: %w", err)
	}
	return b, nil
}
