package openai

import (
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// roundTripFunc lets a test see the exact URL a request would go to
// without any network, which is how default base URLs are checked.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestDefaultBaseURLsOnTheWire(t *testing.T) {
	tests := map[string]string{
		"openai":       "https://api.openai.com/v1/chat/completions",
		"mistral":      "https://api.mistral.ai/v1/chat/completions",
		"groq":         "https://api.groq.com/openai/v1/chat/completions",
		"fireworks_ai": "https://api.fireworks.ai/inference/v1/chat/completions",
		"together_ai":  "https://api.together.ai/v1/chat/completions",
		"deepseek":     "https://api.deepseek.com/chat/completions",
		"xai":          "https://api.x.ai/v1/chat/completions",
		"openrouter":   "https://openrouter.ai/api/v1/chat/completions",
		"perplexity":   "https://api.perplexity.ai/chat/completions",
		"cerebras":     "https://api.cerebras.ai/v1/chat/completions",
		"ollama":       "http://localhost:11434/v1/chat/completions",
		"vllm":         "http://localhost:8000/v1/chat/completions",
	}
	for name, wantURL := range tests {
		t.Run(name, func(t *testing.T) {
			var gotURL, gotAuth string
			client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				gotURL, gotAuth = r.URL.String(), r.Header.Get("Authorization")
				return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(string(okCompletion))), Request: r}, nil
			})}
			ep := provider.Endpoint{Provider: name, APIKey: testKey, Client: client}
			if _, err := New(name).Chat(t.Context(), ep, &provider.ChatRequest{Model: "m"}); err != nil {
				t.Fatal(err)
			}
			if gotURL != wantURL || gotAuth != "Bearer "+testKey {
				t.Errorf("sent to %s with Authorization %q, want %s with the bearer key", gotURL, gotAuth, wantURL)
			}
			if base, ok := DefaultBaseURL(name); !ok || base+"/chat/completions" != wantURL {
				t.Errorf("DefaultBaseURL(%q) = %q, %v", name, base, ok)
			}
			if RequiresBaseURL(name) {
				t.Errorf("RequiresBaseURL(%q) = true", name)
			}
		})
	}
}

// A configured api_base replaces the default; a trailing slash is fine.
func TestConfiguredBaseURLWins(t *testing.T) {
	up := newFakeUpstream(t, replyJSON(http.StatusOK, okCompletion))
	ep := provider.Endpoint{Provider: "groq", BaseURL: up.URL + "/openai/v1/", APIKey: testKey, Client: up.Client()}
	if _, err := New("groq").Chat(t.Context(), ep, &provider.ChatRequest{Model: "llama-3.3-70b-versatile"}); err != nil {
		t.Fatal(err)
	}
	if p := up.Only(t).Path; p != "/openai/v1/chat/completions" {
		t.Errorf("path = %s", p)
	}
}

// Fireworks model names contain slashes and go into the body as they are.
func TestFireworksModelSentAsIs(t *testing.T) {
	up := newFakeUpstream(t, replyJSON(http.StatusOK, okCompletion))
	const model = "accounts/fireworks/models/llama-v3p1-70b-instruct"
	if _, err := New("fireworks_ai").Chat(t.Context(), up.endpoint("fireworks_ai"), &provider.ChatRequest{Model: model}); err != nil {
		t.Fatal(err)
	}
	got := up.Only(t)
	if got.Path != "/v1/chat/completions" || string(got.Body) != `{"model":"`+model+`","messages":[]}` {
		t.Errorf("request = %s %s", got.Path, got.Body)
	}
}

func TestOpenAICompatibleRequiresBaseURL(t *testing.T) {
	_, err := New("openai_compatible").Chat(t.Context(), provider.Endpoint{Provider: "my-llm"}, &provider.ChatRequest{Model: "m"})
	pe := asProviderError(t, err)
	if pe.Kind != provider.ErrBadRequest || pe.Provider != "my-llm" || !strings.Contains(pe.Message, "openai_compatible: api_base is required") {
		t.Errorf("error = %+v", pe)
	}
	if !RequiresBaseURL("openai_compatible") || !RequiresBaseURL("azure") || RequiresBaseURL("nope") {
		t.Error("RequiresBaseURL wrong")
	}
	for _, name := range []string{"openai_compatible", "azure", "nope"} {
		if base, ok := DefaultBaseURL(name); ok || base != "" {
			t.Errorf("DefaultBaseURL(%q) = %q, %v", name, base, ok)
		}
	}
}

func TestCompatibleProviders(t *testing.T) {
	want := []string{"azure", "cerebras", "deepseek", "fireworks_ai", "groq", "mistral", "ollama",
		"openai", "openai_compatible", "openrouter", "perplexity", "together_ai", "vllm", "xai"}
	got := CompatibleProviders()
	if !slices.Equal(got, want) {
		t.Errorf("CompatibleProviders() = %v, want %v", got, want)
	}
	for _, name := range got {
		if a := New(name); a == nil || a.Name() != name {
			t.Errorf("New(%q) = %v", name, a)
		}
	}
}

func TestUnknownProvider(t *testing.T) {
	a := New("anthropic")
	if a != nil {
		t.Fatalf("New(anthropic) = %v, want nil", a)
	}
	_, err := a.Chat(t.Context(), provider.Endpoint{Provider: "anthropic", APIKey: testKey}, &provider.ChatRequest{Model: "m"})
	if pe := asProviderError(t, err); pe.Kind != provider.ErrBadRequest || pe.Provider != "anthropic" {
		t.Errorf("nil adapter error = %+v", pe)
	}
	if _, err := a.ChatStream(t.Context(), provider.Endpoint{}, &provider.ChatRequest{}); err == nil {
		t.Error("nil adapter streamed")
	}
	if _, err := a.Embed(t.Context(), provider.Endpoint{}, &provider.EmbeddingRequest{}); err == nil {
		t.Error("nil adapter embedded")
	}
	if a.Name() != "" {
		t.Error("nil adapter has a name")
	}
}

// The zero Adapter is OpenAI.
func TestZeroAdapterIsOpenAI(t *testing.T) {
	var a Adapter
	if a.Name() != "openai" {
		t.Errorf("Name() = %q", a.Name())
	}
	up := newFakeUpstream(t, replyJSON(http.StatusOK, okCompletion))
	ep := up.endpoint("")
	_, err := a.Chat(t.Context(), ep, &provider.ChatRequest{Model: "o3", Temperature: ptr(0.5)})
	if pe := asProviderError(t, err); pe.Provider != "openai" {
		t.Errorf("error provider = %q, want openai (reasoning rules apply)", pe.Provider)
	}
}
