package anthropic

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/gatehouse-llm/gatehouse/provider"
)

var _ provider.Checker = (*Adapter)(nil)

// Check lists one model (GET {base}/v1/models?limit=1) with the same
// x-api-key and anthropic-version headers as a Messages call: Anthropic
// authenticates it like any other request but runs no model, so testing a
// credential costs no tokens.
//
// It returns nil for a 2xx JSON object, the error mapping of Chat for any
// other status, and ErrBadResponse when a 2xx body is not a JSON object,
// which is what a base URL pointing at a web page answers.
func (a *Adapter) Check(ctx context.Context, ep provider.Endpoint) error {
	name := providerName(ep)
	redact := redactor(ep.APIKey)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, modelsURL(ep.BaseURL), nil)
	if err != nil {
		return &provider.Error{Provider: name, Kind: provider.ErrBadRequest, Message: "invalid base URL"}
	}
	req.Header.Set("x-api-key", ep.APIKey)
	req.Header.Set("anthropic-version", APIVersion)
	req.Header.Set("accept", "application/json")
	resp, err := ep.HTTPClient().Do(req)
	if err != nil {
		return redactTransport(provider.TransportError(ctx, name, err), redact)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return errorFromResponse(name, resp, a.clock(), redact)
	}
	tok, err := json.NewDecoder(resp.Body).Token()
	var syntax *json.SyntaxError
	switch {
	case errors.As(err, &syntax), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &provider.Error{Provider: name, Kind: provider.ErrBadResponse, Status: resp.StatusCode,
			Message: "models list response is not JSON"}
	case err != nil: // the body could not be read
		return redactTransport(provider.TransportError(ctx, name, err), redact)
	case tok != json.Delim('{'):
		return &provider.Error{Provider: name, Kind: provider.ErrBadResponse, Status: resp.StatusCode,
			Message: "models list response is not a JSON object"}
	}
	return nil
}

// modelsURL is the one-model listing URL, following the same base-URL
// convention as messagesURL; limit=1 keeps the answer small.
func modelsURL(base string) string {
	base = strings.TrimRight(base, "/")
	if base == "" {
		base = DefaultBaseURL
	}
	if !strings.HasSuffix(base, "/v1") {
		base += "/v1"
	}
	return base + "/models?limit=1"
}

// redactTransport removes the key from a transport error's message, should
// a proxy's error ever have carried it.
func redactTransport(err error, redact func(string) string) error {
	if pe, ok := err.(*provider.Error); ok {
		pe.Message = redact(pe.Message)
	}
	return err
}
