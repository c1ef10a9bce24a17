package gateway

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/provider"
	"github.com/gatehouse-llm/gatehouse/state"
)

// envVars names, per provider, the standard environment variables a
// credential may come from when neither the organization nor the operator
// stored one: the same names the providers' SDKs and LiteLLM read.
var envVars = map[string]struct {
	key, base []string
}{
	"openai":       {[]string{"OPENAI_API_KEY"}, []string{"OPENAI_BASE_URL", "OPENAI_API_BASE"}},
	"azure":        {[]string{"AZURE_API_KEY", "AZURE_OPENAI_API_KEY"}, []string{"AZURE_API_BASE", "AZURE_OPENAI_ENDPOINT"}},
	"anthropic":    {[]string{"ANTHROPIC_API_KEY"}, []string{"ANTHROPIC_BASE_URL", "ANTHROPIC_API_BASE"}},
	"gemini":       {[]string{"GEMINI_API_KEY", "GOOGLE_API_KEY"}, []string{"GEMINI_BASE_URL", "GEMINI_API_BASE"}},
	"bedrock":      {[]string{"AWS_BEARER_TOKEN_BEDROCK"}, []string{"BEDROCK_BASE_URL"}},
	"mistral":      {[]string{"MISTRAL_API_KEY"}, []string{"MISTRAL_API_BASE"}},
	"groq":         {[]string{"GROQ_API_KEY"}, []string{"GROQ_API_BASE"}},
	"fireworks_ai": {[]string{"FIREWORKS_AI_API_KEY", "FIREWORKS_API_KEY"}, []string{"FIREWORKS_API_BASE"}},
	"together_ai":  {[]string{"TOGETHERAI_API_KEY", "TOGETHER_API_KEY"}, []string{"TOGETHERAI_API_BASE"}},
	"deepseek":     {[]string{"DEEPSEEK_API_KEY"}, []string{"DEEPSEEK_API_BASE"}},
	"xai":          {[]string{"XAI_API_KEY"}, []string{"XAI_API_BASE"}},
	"openrouter":   {[]string{"OPENROUTER_API_KEY"}, []string{"OPENROUTER_API_BASE"}},
	"perplexity":   {[]string{"PERPLEXITYAI_API_KEY", "PERPLEXITY_API_KEY"}, []string{"PERPLEXITY_API_BASE"}},
	"cerebras":     {[]string{"CEREBRAS_API_KEY"}, []string{"CEREBRAS_API_BASE"}},
	"ollama":       {nil, []string{"OLLAMA_API_BASE", "OLLAMA_HOST"}},
	"vllm":         {nil, []string{"VLLM_API_BASE"}},
}

// keyless providers work without an API key (local servers, the mock).
var keyless = map[string]bool{"ollama": true, "vllm": true, "mock": true}

// Timeouts bound upstream calls and what is read from them.
type Timeouts struct {
	// Connect bounds establishing a connection (TCP and TLS).
	Connect time.Duration
	// FirstByte bounds the wait for a streamed call's response headers,
	// which providers send as soon as they accept the request. A plain
	// call's headers come only after the whole answer is generated, so its
	// wait is bounded by the gateway's total timeout instead.
	FirstByte time.Duration
	// Idle bounds the silence while an answer is read, streamed or not: a
	// stalled upstream fails the call after this long rather than holding
	// it until the total timeout.
	Idle time.Duration
	// MaxBody caps a non-streamed answer's body; a larger one is a
	// provider error, never held in memory.
	MaxBody int64
}

// DefaultTimeouts are generous for long generations: a minute of silence
// is a stall, not a slow model (Anthropic, for one, sends keep-alive pings
// far more often), and 32 MiB is far above any real answer.
var DefaultTimeouts = Timeouts{Connect: 10 * time.Second, FirstByte: time.Minute, Idle: time.Minute, MaxBody: 32 << 20}

// Endpoints resolves where and with which credential a call goes, and
// owns the HTTP clients: one tuned transport per upstream endpoint, shared
// by every request to it, so connections (HTTP/2 where offered) are
// reused and never built per request.
type Endpoints struct {
	getenv   func(string) string
	timeouts Timeouts
	mu       sync.Mutex
	clients  map[string]*http.Client
}

// NewEndpoints resolves environment fallbacks through getenv.
func NewEndpoints(getenv func(string) string, t Timeouts) *Endpoints {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	return &Endpoints{getenv: getenv, timeouts: t, clients: map[string]*http.Client{}}
}

// client returns the shared client for a provider endpoint.
func (e *Endpoints) client(providerName, base string) *http.Client {
	key := providerName + " " + base
	e.mu.Lock()
	defer e.mu.Unlock()
	if c, ok := e.clients[key]; ok {
		return c
	}
	dialer := &net.Dialer{Timeout: e.timeouts.Connect, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   e.timeouts.Connect,
		ExpectContinueTimeout: time.Second,
	}
	// The first-byte, idle and size limits are enforced per request by the
	// provider transport, which knows a stream from a plain call.
	c := &http.Client{Transport: provider.NewTransport(traceHeaders{tr}, provider.Limits{
		FirstByte: e.timeouts.FirstByte, Idle: e.timeouts.Idle, MaxBody: e.timeouts.MaxBody})}
	e.clients[key] = c
	return c
}

// FromCredential builds the endpoint for a stored credential.
func (e *Endpoints) FromCredential(c *gatehouse.Credential) provider.Endpoint {
	return provider.Endpoint{Provider: c.Provider, BaseURL: c.APIBase, APIKey: c.APIKey, Extra: c.Extra,
		Client: e.client(c.Provider, c.APIBase)}
}

// Resolve finds the credential for a call by a team of orgID to a
// provider: the organization's own, else the operator default, else the
// provider's standard environment variables. A provider with none of them
// is a clear error naming it.
func (e *Endpoints) Resolve(snap *state.Snapshot, orgID, providerName string) (provider.Endpoint, error) {
	if snap != nil {
		if c := snap.Credential(orgID, providerName); c != nil {
			return e.FromCredential(c), nil
		}
	}
	return e.fromEnv(providerName)
}

func (e *Endpoints) fromEnv(providerName string) (provider.Endpoint, error) {
	first := func(names []string) string {
		for _, n := range names {
			if v := strings.TrimSpace(e.getenv(n)); v != "" {
				return v
			}
		}
		return ""
	}
	vars := envVars[providerName]
	ep := provider.Endpoint{Provider: providerName, APIKey: first(vars.key), BaseURL: first(vars.base), Extra: map[string]string{}}
	switch providerName {
	case "azure":
		if v := e.getenv("AZURE_API_VERSION"); v != "" {
			ep.Extra["api_version"] = v
		}
	case "bedrock":
		for extra, names := range map[string][]string{
			"aws_access_key_id": {"AWS_ACCESS_KEY_ID"}, "aws_secret_access_key": {"AWS_SECRET_ACCESS_KEY"},
			"aws_session_token": {"AWS_SESSION_TOKEN"}, "region": {"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_REGION_NAME"},
		} {
			if v := first(names); v != "" {
				ep.Extra[extra] = v
			}
		}
		if ep.Extra["aws_access_key_id"] != "" {
			ep.Client = e.client(providerName, ep.BaseURL)
			return ep, nil
		}
	}
	if ep.APIKey == "" && !keyless[providerName] {
		hint := ""
		if len(vars.key) > 0 {
			hint = " or set " + vars.key[0]
		}
		return provider.Endpoint{}, gatehouse.Errorf(gatehouse.EUNAVAILABLE,
			"No credential for provider %s: add one with POST /api/provider-credentials/create%s.", providerName, hint)
	}
	ep.Client = e.client(providerName, ep.BaseURL)
	return ep, nil
}

// Tester checks stored credentials against their providers without
// spending tokens.
func Tester(reg *Registry, eps *Endpoints) func(ctx context.Context, c *gatehouse.Credential) error {
	return func(ctx context.Context, c *gatehouse.Credential) error {
		a, ok := reg.Adapter(c.Provider)
		if !ok {
			return gatehouse.Errorf(gatehouse.EINVALID, "Provider %s is not supported.", c.Provider)
		}
		checker, ok := a.(provider.Checker)
		if !ok {
			return gatehouse.Errorf(gatehouse.EUNAVAILABLE, "Provider %s offers no way to check a credential without a call.", c.Provider)
		}
		return checker.Check(ctx, eps.FromCredential(c))
	}
}
