package bedrock

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// defaultProviderName labels errors when the endpoint carries no name.
const defaultProviderName = "bedrock"

// Converse operations, as they appear at the end of the request path.
const (
	opConverse       = "converse"
	opConverseStream = "converse-stream"
)

// contentTypeEventStream is the media type of ConverseStream's binary frames.
const contentTypeEventStream = "application/vnd.amazon.eventstream"

var _ provider.Adapter = (*Adapter)(nil)

// Adapter speaks the Bedrock Runtime Converse API. It holds only a signer
// (which caches derived signing keys) and a clock, so one value serves every
// endpoint and goroutine.
type Adapter struct {
	now    func() time.Time
	signer *v4.Signer
}

// Option customises an Adapter.
type Option func(*Adapter)

// WithClock replaces the clock used for SigV4 signing times and response
// timestamps, so tests can produce deterministic signatures.
func WithClock(now func() time.Time) Option {
	return func(a *Adapter) { a.now = now }
}

// New returns the Bedrock adapter.
func New(opts ...Option) *Adapter {
	a := &Adapter{now: time.Now, signer: v4.NewSigner()}
	for _, opt := range opts {
		opt(a)
	}
	return a
}

// Chat sends a Converse request and maps the answer.
func (a *Adapter) Chat(ctx context.Context, ep provider.Endpoint, req *provider.ChatRequest) (*provider.ChatResponse, error) {
	name := providerName(ep)
	conv, resp, err := a.start(ctx, ep, req, opConverse, "application/json")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := provider.ReadBody(resp.Body, resp.ContentLength) // capped by the gateway's transport
	if err != nil {
		return nil, provider.TransportError(ctx, name, err)
	}
	var cr converseResponse
	if err := json.Unmarshal(raw, &cr); err != nil {
		return nil, badResponse(name, "malformed Converse response: "+err.Error())
	}
	return chatResponse(name, &cr, conv.jsonTool, resp.Header.Get("X-Amzn-Requestid"), req.Model, a.now())
}

// ChatStream sends a ConverseStream request and returns once the upstream
// has answered with its status. Converse always reports usage in the
// stream's metadata event, so there is nothing to ask for.
func (a *Adapter) ChatStream(ctx context.Context, ep provider.Endpoint, req *provider.ChatRequest) (provider.Stream, error) {
	name := providerName(ep)
	conv, resp, err := a.start(ctx, ep, req, opConverseStream, contentTypeEventStream)
	if err != nil {
		return nil, err
	}
	return newStream(ctx, name, resp, req.Model, conv.jsonTool, secretsOf(ep)), nil
}

// start converts the request, signs and sends it, and returns the response
// only when the upstream answered 2xx; other statuses become *provider.Error.
func (a *Adapter) start(ctx context.Context, ep provider.Endpoint, req *provider.ChatRequest, op, accept string) (*conversion, *http.Response, error) {
	name := providerName(ep)
	auth, err := resolveAuth(name, ep)
	if err != nil {
		return nil, nil, err
	}
	conv, err := convertRequest(req)
	if err != nil {
		return nil, nil, badRequest(name, err.Error())
	}
	body, err := json.Marshal(conv.body)
	if err != nil {
		return nil, nil, badRequest(name, "encoding request: "+err.Error())
	}
	u, err := operationURL(name, ep, auth, req.Model, op)
	if err != nil {
		return nil, nil, err
	}
	httpReq, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, nil, badRequest(name, "building request: invalid base URL")
	}
	httpReq.Header.Set("Content-Type", "application/json")
	httpReq.Header.Set("Accept", accept)
	if err := a.authorize(ctx, httpReq, auth, body); err != nil {
		return nil, nil, &provider.Error{Provider: name, Kind: provider.ErrAuth, Message: "signing request failed"}
	}
	resp, err := ep.HTTPClient().Do(httpReq)
	if err != nil {
		return nil, nil, provider.TransportError(ctx, name, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		defer resp.Body.Close()
		return nil, nil, httpError(name, resp, secretsOf(ep), a.now())
	}
	return conv, resp, nil
}

// providerName is the name errors carry: the endpoint's, or "bedrock".
func providerName(ep provider.Endpoint) string {
	if ep.Provider != "" {
		return ep.Provider
	}
	return defaultProviderName
}
