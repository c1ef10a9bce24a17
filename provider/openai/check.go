package openai

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"

	"github.com/gatehouse-llm/gatehouse/provider"
)

var _ provider.Checker = (*Adapter)(nil)

// Check asks the upstream to list its models, which every OpenAI-speaking
// server authenticates like a chat call but answers without running a
// model, so testing a credential costs no tokens. OpenAI and the
// compatible family get GET {base}/models with the bearer key; Azure gets
// GET {api_base}/openai/models?api-version=… with the api-key header (the
// data-plane "Models - List" operation, which needs no deployment name).
// Providers that need no key (ollama, vllm) are sent no Authorization
// header when the key is empty.
//
// It returns nil for a 2xx answer whose body is JSON, the error mapping of
// Chat for any other status, and ErrBadResponse when a 2xx body is not
// JSON, which is what a misconfigured api_base pointing at a web page
// answers.
func (a *Adapter) Check(ctx context.Context, ep provider.Endpoint) error {
	up, err := a.upstream(ep)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, up.modelsURL(), nil)
	if err != nil {
		// Only a malformed api_base gets here; url.Error would quote it.
		return up.badRequest(up.d.name + ": invalid api_base")
	}
	req.Header.Set("Accept", "application/json")
	if ep.APIKey != "" {
		if up.d.azure {
			req.Header.Set("api-key", ep.APIKey)
		} else {
			req.Header.Set("Authorization", "Bearer "+ep.APIKey)
		}
	}
	resp, err := up.client.Do(req)
	if err != nil {
		return up.transportError(ctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return up.statusError(resp)
	}
	return up.checkModelList(ctx, resp.Body)
}

// modelsURL is the model-listing URL of the upstream.
func (u *upstream) modelsURL() string {
	if !u.d.azure {
		return u.base + "/models"
	}
	version := u.ep.Extra["api_version"]
	if version == "" {
		version = DefaultAzureAPIVersion
	}
	return u.base + "/openai/models?" + url.Values{"api-version": {version}}.Encode()
}

// checkModelList accepts a body that starts as JSON: an object ({"object":
// "list","data":[…]} from OpenAI and most servers) or an array (Together's
// list). Only the first token is read, so a catalogue of thousands of
// models is never held in memory.
func (u *upstream) checkModelList(ctx context.Context, body io.Reader) error {
	tok, err := json.NewDecoder(body).Token()
	var syntax *json.SyntaxError
	switch {
	case errors.As(err, &syntax), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return u.badResponse("models list response is not JSON")
	case err != nil: // the body could not be read
		return u.transportError(ctx, err)
	}
	if tok != json.Delim('{') && tok != json.Delim('[') {
		return u.badResponse("models list response is not a JSON object or array")
	}
	return nil
}
