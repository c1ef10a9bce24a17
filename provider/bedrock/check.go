package bedrock

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse-llm/gatehouse/provider"
)

var _ provider.Checker = (*Adapter)(nil)

// opListFoundationModels is the control-plane path of ListFoundationModels.
const opListFoundationModels = "/foundation-models"

// Check calls ListFoundationModels (GET /foundation-models) on the Bedrock
// control plane, bedrock.{region}.amazonaws.com, with the same credentials
// as chat: SigV4 (signing name "bedrock", like the runtime) when the AWS keys
// are set, the Bedrock API key as a bearer token otherwise. It runs no
// model, so testing a credential costs no tokens.
//
// When ep.BaseURL is set (a proxy, a test server) the request goes to
// {ep.BaseURL}/foundation-models instead, so the base URL must also serve
// the control plane. The identity needs the bedrock:ListFoundationModels
// permission: one allowed only to invoke models is reported as ErrAuth
// (AccessDeniedException) although chat would work.
//
// It returns nil for a 2xx JSON object, the error mapping of Chat for any
// other status, and ErrBadResponse when a 2xx body is not a JSON object.
func (a *Adapter) Check(ctx context.Context, ep provider.Endpoint) error {
	name := providerName(ep)
	auth, err := resolveAuth(name, ep)
	if err != nil {
		return err
	}
	u, err := foundationModelsURL(name, ep, auth)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return badRequest(name, "building request: invalid base URL")
	}
	req.Header.Set("Accept", "application/json")
	if err := a.authorize(ctx, req, auth, nil); err != nil {
		return &provider.Error{Provider: name, Kind: provider.ErrAuth, Message: "signing request failed"}
	}
	secrets := secretsOf(ep)
	resp, err := ep.HTTPClient().Do(req)
	if err != nil {
		return redactTransport(provider.TransportError(ctx, name, err), secrets)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return httpError(name, resp, secrets, a.now())
	}
	// Only the first token is read: the listing itself is not needed.
	tok, err := json.NewDecoder(resp.Body).Token()
	var syntax *json.SyntaxError
	switch {
	case errors.As(err, &syntax), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return badResponse(name, "ListFoundationModels response is not JSON")
	case err != nil: // the body could not be read
		return redactTransport(provider.TransportError(ctx, name, err), secrets)
	case tok != json.Delim('{'):
		return badResponse(name, "ListFoundationModels response is not a JSON object")
	}
	return nil
}

// foundationModelsURL is {base}/foundation-models, the base defaulting to
// the regional control-plane host. The region rules are those of
// operationURL: required for the default host and for SigV4, and always
// validated because it becomes part of a host name.
func foundationModelsURL(name string, ep provider.Endpoint, auth authMethod) (*url.URL, error) {
	needRegion := ep.BaseURL == "" || auth.creds != nil
	if needRegion && auth.region == "" {
		return nil, badRequest(name, `bedrock: endpoint has no region: set Extra["region"] (e.g. "us-east-1")`)
	}
	if auth.region != "" && !validRegion(auth.region) {
		return nil, badRequest(name, "bedrock: invalid region "+quoteShort(auth.region))
	}
	base := strings.TrimRight(ep.BaseURL, "/")
	if base == "" {
		base = "https://bedrock." + auth.region + ".amazonaws.com"
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, badRequest(name, "bedrock: invalid base URL")
	}
	basePath := u.EscapedPath()
	u.Path = strings.TrimRight(u.Path, "/") + opListFoundationModels
	u.RawPath = strings.TrimRight(basePath, "/") + opListFoundationModels
	return u, nil
}

// redactTransport removes credential values from a transport error's
// message, should a proxy's error ever have carried one.
func redactTransport(err error, secrets []string) error {
	if pe, ok := err.(*provider.Error); ok {
		pe.Message = redact(pe.Message, secrets)
	}
	return err
}
