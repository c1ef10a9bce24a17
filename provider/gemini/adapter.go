package gemini

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// DefaultBaseURL is used when the endpoint names no base URL.
const DefaultBaseURL = "https://generativelanguage.googleapis.com"

// apiVersion is appended to base URLs that do not name a version; v1beta is
// where systemInstruction, tools, thinking and JSON-schema output live.
const apiVersion = "v1beta"

// defaultProviderName labels errors when the endpoint carries no name.
const defaultProviderName = "gemini"

// maxErrorBody bounds how much of an error response is read.
const maxErrorBody = 1 << 20

var (
	_ provider.Adapter  = (*Adapter)(nil)
	_ provider.Embedder = (*Adapter)(nil)
)

// Adapter speaks the Gemini API. It holds no state, so one value serves
// every endpoint and goroutine.
type Adapter struct{}

// New returns the Gemini adapter.
func New() *Adapter { return &Adapter{} }

// Chat sends a generateContent request and maps the answer.
func (a *Adapter) Chat(ctx context.Context, ep provider.Endpoint, req *provider.ChatRequest) (*provider.ChatResponse, error) {
	name := providerName(ep)
	body, err := buildRequest(req)
	if err != nil {
		return nil, badRequest(name, err)
	}
	resp, err := send(ctx, ep, methodURL(ep, req.Model, "generateContent"), body, false)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := provider.ReadBody(resp.Body, resp.ContentLength) // capped by the gateway's transport
	if err != nil {
		return nil, provider.TransportError(ctx, name, err)
	}
	var gr generateResponse
	if err := json.Unmarshal(raw, &gr); err != nil {
		return nil, badResponse(name, "malformed generateContent response: "+err.Error())
	}
	if gr.Error != nil {
		return nil, errorFromStatus(name, ep.APIKey, resp.StatusCode, gr.Error)
	}
	return chatResponse(&gr, req.Model), nil
}

// ChatStream sends a streamGenerateContent request and returns once the
// upstream has answered with its status.
func (a *Adapter) ChatStream(ctx context.Context, ep provider.Endpoint, req *provider.ChatRequest) (provider.Stream, error) {
	name := providerName(ep)
	body, err := buildRequest(req)
	if err != nil {
		return nil, badRequest(name, err)
	}
	resp, err := send(ctx, ep, methodURL(ep, req.Model, "streamGenerateContent")+"?alt=sse", body, true)
	if err != nil {
		return nil, err
	}
	return newStream(ctx, name, ep.APIKey, resp), nil
}

// send POSTs a JSON body with the key in its header. A non-2xx answer is
// read, closed and returned as a *provider.Error.
func send(ctx context.Context, ep provider.Endpoint, target string, payload any, stream bool) (*http.Response, error) {
	name := providerName(ep)
	body, err := json.Marshal(payload)
	if err != nil {
		return nil, badRequest(name, err)
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		// The URL holds only the base and the model; no secret to leak.
		return nil, &provider.Error{Provider: name, Kind: provider.ErrBadRequest, Message: "cannot build request: " + err.Error()}
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("x-goog-api-key", ep.APIKey)
	if stream {
		hreq.Header.Set("Accept", "text/event-stream")
	}
	resp, err := ep.HTTPClient().Do(hreq)
	if err != nil {
		return nil, provider.TransportError(ctx, name, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		defer resp.Body.Close()
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return nil, errorFromResponse(name, ep.APIKey, resp, raw)
	}
	return resp, nil
}

// methodURL builds {base}/v1beta/models/{model}:{method}. The model may be
// given bare or as "models/…"; it is path-escaped so a crafted name cannot
// reach another path.
func methodURL(ep provider.Endpoint, model, method string) string {
	return versionedBase(ep) + "/" + resourceName(model) + ":" + method
}

// versionedBase returns the base URL with an API version, keeping one the
// operator already wrote.
func versionedBase(ep provider.Endpoint) string {
	base := strings.TrimRight(ep.BaseURL, "/")
	if base == "" {
		base = DefaultBaseURL
	}
	if strings.HasSuffix(base, "/v1beta") || strings.HasSuffix(base, "/v1") {
		return base
	}
	return base + "/" + apiVersion
}

// resourceName returns "models/{model}" (or "tunedModels/{model}" when the
// caller named a tuned model) with the id path-escaped.
func resourceName(model string) string {
	for _, collection := range []string{"models/", "tunedModels/"} {
		if id, ok := strings.CutPrefix(model, collection); ok {
			return collection + url.PathEscape(id)
		}
	}
	return "models/" + url.PathEscape(model)
}

// providerName is the name errors carry.
func providerName(ep provider.Endpoint) string {
	if ep.Provider != "" {
		return ep.Provider
	}
	return defaultProviderName
}

// badRequest reports a request Gatehouse cannot translate; it is never sent.
func badRequest(name string, err error) *provider.Error {
	return &provider.Error{Provider: name, Kind: provider.ErrBadRequest, Message: err.Error()}
}

// badResponse reports a 2xx answer that breaks the protocol.
func badResponse(name, msg string) *provider.Error {
	return &provider.Error{Provider: name, Kind: provider.ErrBadResponse, Message: msg}
}
