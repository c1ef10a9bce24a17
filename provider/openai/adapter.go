package openai

import (
	"context"
	"net/http"

	"github.com/gatehouse-llm/gatehouse/provider"
)

var (
	_ provider.Adapter  = (*Adapter)(nil)
	_ provider.Embedder = (*Adapter)(nil)
)

// Adapter sends chat and embedding requests to one OpenAI-speaking
// upstream family. It holds no per-call state and is safe for concurrent
// use; the zero Adapter speaks to OpenAI.
type Adapter struct {
	d dialect
}

// New returns the adapter for a provider name from CompatibleProviders
// ("openai", "azure", "groq", ...), or nil when this package does not serve
// that provider. Callers validate names with CompatibleProviders first; a
// nil *Adapter answers every call with an invalid_request error rather than
// guessing an upstream to send the credential to.
func New(name string) *Adapter {
	d, ok := dialects[name]
	if !ok {
		return nil
	}
	return &Adapter{d: d}
}

// NewAzure returns the Azure OpenAI adapter; it is New("azure").
func NewAzure() *Adapter { return New("azure") }

// Name returns the provider name the adapter was built for.
func (a *Adapter) Name() string {
	if a == nil {
		return ""
	}
	return a.dialect().name
}

func (a *Adapter) dialect() dialect {
	if a.d.name == "" {
		return dialects["openai"]
	}
	return a.d
}

// Chat sends a non-streamed chat completion request.
func (a *Adapter) Chat(ctx context.Context, ep provider.Endpoint, req *provider.ChatRequest) (*provider.ChatResponse, error) {
	up, resp, err := a.sendChat(ctx, ep, req, false)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := up.readBody(ctx, resp)
	if err != nil {
		return nil, err
	}
	return parseChatResponse(up, raw)
}

// ChatStream sends a streamed chat completion request and returns once the
// upstream has answered with a 2xx status; any other status is returned
// here as a *provider.Error so the gateway may retry.
func (a *Adapter) ChatStream(ctx context.Context, ep provider.Endpoint, req *provider.ChatRequest) (provider.Stream, error) {
	up, resp, err := a.sendChat(ctx, ep, req, true)
	if err != nil {
		return nil, err
	}
	return newChatStream(ctx, up, resp.Body), nil
}

// sendChat builds and posts a chat request, returning the upstream it went
// to and its 2xx response.
func (a *Adapter) sendChat(ctx context.Context, ep provider.Endpoint, req *provider.ChatRequest, stream bool) (*upstream, *http.Response, error) {
	up, err := a.upstream(ep)
	if err != nil {
		return nil, nil, err
	}
	body, err := buildChatBody(up, req, stream)
	if err != nil {
		return nil, nil, err
	}
	u, err := up.chatURL(req.Model)
	if err != nil {
		return nil, nil, err
	}
	resp, err := up.post(ctx, u, body, stream)
	if err != nil {
		return nil, nil, err
	}
	return up, resp, nil
}

// Embed sends an embeddings request and returns the vectors in input
// order.
func (a *Adapter) Embed(ctx context.Context, ep provider.Endpoint, req *provider.EmbeddingRequest) (*provider.EmbeddingResponse, error) {
	up, err := a.upstream(ep)
	if err != nil {
		return nil, err
	}
	body, err := buildEmbeddingBody(up, req)
	if err != nil {
		return nil, err
	}
	u, err := up.embeddingsURL(req.Model)
	if err != nil {
		return nil, err
	}
	resp, err := up.post(ctx, u, body, false)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := up.readBody(ctx, resp)
	if err != nil {
		return nil, err
	}
	return parseEmbeddingResponse(up, raw, len(req.Input))
}

// upstream resolves the endpoint against the adapter's dialect: name for
// errors, base URL, credentials and client.
func (a *Adapter) upstream(ep provider.Endpoint) (*upstream, error) {
	if a == nil {
		return nil, &provider.Error{Provider: ep.Provider, Kind: provider.ErrBadRequest,
			Message: "provider is not served by the OpenAI-compatible adapter"}
	}
	d := a.dialect()
	up := &upstream{d: d, ep: ep, name: ep.Provider, client: ep.HTTPClient()}
	if up.name == "" {
		up.name = d.name
	}
	up.base = trimBase(ep.BaseURL)
	if up.base == "" {
		up.base = d.defaultBaseURL
	}
	if up.base == "" {
		return nil, up.badRequest(d.name + ": api_base is required (this provider has no default base URL)")
	}
	return up, nil
}

// upstream is one resolved call target. It is built per call from the
// endpoint and never outlives it.
type upstream struct {
	d      dialect
	ep     provider.Endpoint
	name   string
	base   string
	client *http.Client
}
