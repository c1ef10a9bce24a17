package gemini

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/gatehouse-llm/gatehouse/provider"
)

var _ provider.Checker = (*Adapter)(nil)

// Check lists one model (GET {base}/v1beta/models?pageSize=1) with the key
// in the x-goog-api-key header, never the URL: Google authenticates the
// listing like generateContent but runs no model, so testing a credential
// costs no tokens. An invalid key comes back as 400 API_KEY_INVALID, which
// the shared error mapping reports as ErrAuth.
//
// It returns nil for a 2xx JSON object, the error mapping of Chat for any
// other status, and ErrBadResponse when a 2xx body is not a JSON object,
// which is what a base URL pointing at a web page answers.
func (a *Adapter) Check(ctx context.Context, ep provider.Endpoint) error {
	name := providerName(ep)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, versionedBase(ep)+"/models?pageSize=1", nil)
	if err != nil {
		return &provider.Error{Provider: name, Kind: provider.ErrBadRequest, Message: "invalid base URL"}
	}
	req.Header.Set("x-goog-api-key", ep.APIKey)
	req.Header.Set("Accept", "application/json")
	resp, err := ep.HTTPClient().Do(req)
	if err != nil {
		return redactTransport(provider.TransportError(ctx, name, err), ep.APIKey)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return errorFromResponse(name, ep.APIKey, resp, raw)
	}
	// Only the first token is read: the listing itself is not needed.
	tok, err := json.NewDecoder(resp.Body).Token()
	var syntax *json.SyntaxError
	switch {
	case errors.As(err, &syntax), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return badResponse(name, "models list response is not JSON")
	case err != nil: // the body could not be read
		return redactTransport(provider.TransportError(ctx, name, err), ep.APIKey)
	case tok != json.Delim('{'):
		return badResponse(name, "models list response is not a JSON object")
	}
	return nil
}

// redactTransport removes the key from a transport error's message, should
// a proxy's error ever have carried it.
func redactTransport(err error, apiKey string) error {
	if pe, ok := err.(*provider.Error); ok {
		pe.Message = redact(pe.Message, apiKey)
	}
	return err
}
