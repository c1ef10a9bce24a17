package openai

import (
	"bytes"
	"context"
	"net/http"
	"net/url"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// DefaultAzureAPIVersion is the api-version sent to Azure OpenAI when the
// endpoint's Extra["api_version"] is empty: the latest GA release of the
// data-plane inference API, which has max_completion_tokens and
// stream_options.
const DefaultAzureAPIVersion = "2024-10-21"

// chatURL returns the chat completions URL. For Azure the model is the
// deployment name and becomes part of the path.
func (u *upstream) chatURL(model string) (string, error) {
	return u.operationURL(model, "chat/completions")
}

// embeddingsURL returns the embeddings URL, deployment-scoped on Azure.
func (u *upstream) embeddingsURL(model string) (string, error) {
	return u.operationURL(model, "embeddings")
}

func (u *upstream) operationURL(model, op string) (string, error) {
	if !u.d.azure {
		return u.base + "/" + op, nil
	}
	if model == "" {
		return "", u.badRequest("azure: model (the deployment name) is required")
	}
	version := u.ep.Extra["api_version"]
	if version == "" {
		version = DefaultAzureAPIVersion
	}
	q := url.Values{"api-version": {version}}
	return u.base + "/openai/deployments/" + url.PathEscape(model) + "/" + op + "?" + q.Encode(), nil
}

// post sends a JSON body and returns the response if its status is 2xx.
// Transport failures and other statuses come back as *provider.Error (or
// the context's own cancellation).
func (u *upstream) post(ctx context.Context, target string, body []byte, stream bool) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		// Only a malformed api_base gets here; url.Error would quote it.
		return nil, u.badRequest(u.d.name + ": invalid api_base")
	}
	req.Header.Set("Content-Type", "application/json")
	if stream {
		req.Header.Set("Accept", "text/event-stream")
	} else {
		req.Header.Set("Accept", "application/json")
	}
	if u.ep.APIKey != "" {
		if u.d.azure {
			req.Header.Set("api-key", u.ep.APIKey)
		} else {
			req.Header.Set("Authorization", "Bearer "+u.ep.APIKey)
		}
	}
	resp, err := u.client.Do(req)
	if err != nil {
		return nil, u.transportError(ctx, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		defer resp.Body.Close()
		return nil, u.statusError(resp)
	}
	return resp, nil
}

// readBody reads a non-streamed success body into one buffer; its size is
// capped by the gateway's transport (provider.Limits.MaxBody).
func (u *upstream) readBody(ctx context.Context, resp *http.Response) ([]byte, error) {
	raw, err := provider.ReadBody(resp.Body, resp.ContentLength)
	if err != nil {
		return nil, u.transportError(ctx, err)
	}
	return raw, nil
}

// transportError classifies a client or body-read failure, removing the
// key in case an error message ever carried it.
func (u *upstream) transportError(ctx context.Context, err error) error {
	err = provider.TransportError(ctx, u.name, err)
	if pe, ok := err.(*provider.Error); ok {
		pe.Message = u.redact(pe.Message)
	}
	return err
}

// badRequest is a request Gatehouse refuses locally, before any upstream
// call.
func (u *upstream) badRequest(msg string) *provider.Error {
	return &provider.Error{Provider: u.name, Kind: provider.ErrBadRequest, Message: msg}
}

// badResponse is a 2xx answer that does not follow the protocol.
func (u *upstream) badResponse(msg string) *provider.Error {
	return &provider.Error{Provider: u.name, Kind: provider.ErrBadResponse, Message: u.redact(msg)}
}
