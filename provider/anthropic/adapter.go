package anthropic

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse-llm/gatehouse/provider"
)

const (
	// DefaultBaseURL is used when Endpoint.BaseURL is empty. Like
	// ANTHROPIC_BASE_URL it stops before the "/v1" segment.
	DefaultBaseURL = "https://api.anthropic.com"
	// APIVersion is sent as the anthropic-version header; the wire types in
	// this package follow it.
	APIVersion = "2023-06-01"
	// ProviderName labels errors when Endpoint.Provider is empty.
	ProviderName = "anthropic"
)

// Adapter speaks the Anthropic Messages API. It holds no per-endpoint
// state, so one Adapter serves every Anthropic credential.
type Adapter struct {
	now func() time.Time // stamps ChatResponse.Created and anchors Retry-After dates
}

var _ provider.Adapter = (*Adapter)(nil)

// New returns an Adapter.
func New() *Adapter { return &Adapter{now: time.Now} }

func (a *Adapter) clock() time.Time {
	if a == nil || a.now == nil {
		return time.Now()
	}
	return a.now()
}

// Chat sends a non-streamed request to POST {base}/v1/messages.
func (a *Adapter) Chat(ctx context.Context, ep provider.Endpoint, req *provider.ChatRequest) (*provider.ChatResponse, error) {
	name := providerName(ep)
	p, err := buildRequest(req, false)
	if err != nil {
		return nil, &provider.Error{Provider: name, Kind: provider.ErrBadRequest, Message: err.Error()}
	}
	resp, err := a.post(ctx, ep, &p.body)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	// One buffer, capped by the gateway's transport (provider.Limits).
	raw, err := provider.ReadBody(resp.Body, resp.ContentLength)
	if err != nil {
		return nil, provider.TransportError(ctx, name, err)
	}
	var mr messagesResponse
	if err := json.Unmarshal(raw, &mr); err != nil {
		return nil, &provider.Error{Provider: name, Kind: provider.ErrBadResponse, Status: resp.StatusCode,
			Message: "malformed response JSON: " + err.Error()}
	}
	if mr.Type == "error" { // a proxy that puts an error envelope behind a 2xx
		var body errorBody
		_ = json.Unmarshal(raw, &body)
		e := &provider.Error{Provider: name, Kind: provider.ErrServer, Status: resp.StatusCode, Message: "error body with a success status"}
		if body.Error != nil {
			e.Kind, e.Code, e.Message = kindForErrorType(body.Error.Type), body.Error.Type, redactor(ep.APIKey)(body.Error.Message)
		}
		return nil, e
	}
	out, err := toChatResponse(raw, &mr, p.jsonTool, a.clock().Unix())
	if err != nil {
		return nil, &provider.Error{Provider: name, Kind: provider.ErrBadResponse, Status: resp.StatusCode,
			Message: "malformed response text: " + err.Error()}
	}
	return out, nil
}

// ChatStream sends the request with "stream": true and returns once the
// upstream has answered with headers. Anthropic always reports usage in
// its stream, so there is nothing extra to ask for.
func (a *Adapter) ChatStream(ctx context.Context, ep provider.Endpoint, req *provider.ChatRequest) (provider.Stream, error) {
	name := providerName(ep)
	p, err := buildRequest(req, true)
	if err != nil {
		return nil, &provider.Error{Provider: name, Kind: provider.ErrBadRequest, Message: err.Error()}
	}
	resp, err := a.post(ctx, ep, &p.body)
	if err != nil {
		return nil, err
	}
	return newStream(ctx, name, resp.Body, p.jsonTool, redactor(ep.APIKey)), nil
}

// post sends body and returns the response when its status is 2xx; any
// other status is read, closed and returned as a *provider.Error.
func (a *Adapter) post(ctx context.Context, ep provider.Endpoint, body *messagesRequest) (*http.Response, error) {
	name := providerName(ep)
	payload, err := json.Marshal(body)
	if err != nil { // only client-supplied raw JSON (schemas) can fail here
		return nil, &provider.Error{Provider: name, Kind: provider.ErrBadRequest, Message: "encoding request: " + err.Error()}
	}
	httpReq, err := http.NewRequestWithContext(ctx, http.MethodPost, messagesURL(ep.BaseURL), bytes.NewReader(payload))
	if err != nil {
		return nil, &provider.Error{Provider: name, Kind: provider.ErrBadRequest, Message: "invalid base URL: " + err.Error()}
	}
	httpReq.Header.Set("x-api-key", ep.APIKey)
	httpReq.Header.Set("anthropic-version", APIVersion)
	httpReq.Header.Set("content-type", "application/json")
	if body.Stream {
		httpReq.Header.Set("accept", "text/event-stream")
	} else {
		httpReq.Header.Set("accept", "application/json")
	}
	resp, err := ep.HTTPClient().Do(httpReq)
	if err != nil {
		return nil, provider.TransportError(ctx, name, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		defer resp.Body.Close()
		return nil, errorFromResponse(name, resp, a.clock(), redactor(ep.APIKey))
	}
	return resp, nil
}

// messagesURL appends the Messages path to a base that, by the
// ANTHROPIC_BASE_URL convention, has no "/v1"; a base that does end in
// "/v1" gets only "/messages" so it is not doubled.
func messagesURL(base string) string {
	base = strings.TrimRight(base, "/")
	if base == "" {
		base = DefaultBaseURL
	}
	if strings.HasSuffix(base, "/v1") {
		return base + "/messages"
	}
	return base + "/v1/messages"
}

func providerName(ep provider.Endpoint) string {
	if ep.Provider != "" {
		return ep.Provider
	}
	return ProviderName
}
