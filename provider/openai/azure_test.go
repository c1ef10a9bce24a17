package openai

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse-llm/gatehouse/provider"
)

func TestAzureChatURLAndHeaders(t *testing.T) {
	tests := []struct {
		name      string
		extra     map[string]string
		model     string
		wantPath  string
		wantQuery string
	}{
		{"default api-version", nil, "gpt-4o-prod", "/openai/deployments/gpt-4o-prod/chat/completions", "api-version=" + DefaultAzureAPIVersion},
		{"configured api-version", map[string]string{"api_version": "2025-04-01-preview"}, "gpt-4o-prod", "/openai/deployments/gpt-4o-prod/chat/completions", "api-version=2025-04-01-preview"},
		{"deployment name escaped", nil, "team a/b", "/openai/deployments/team a/b/chat/completions", "api-version=" + DefaultAzureAPIVersion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newFakeUpstream(t, replyJSON(http.StatusOK, okCompletion))
			ep := provider.Endpoint{Provider: "azure", BaseURL: up.URL + "/", APIKey: testKey, Client: up.Client(), Extra: tt.extra}
			req := &provider.ChatRequest{Model: tt.model, Messages: []provider.Message{{Role: "user", Content: provider.TextContent("hi")}}}
			if _, err := NewAzure().Chat(t.Context(), ep, req); err != nil {
				t.Fatal(err)
			}
			got := up.Only(t)
			if got.Path != tt.wantPath || got.RawQuery != tt.wantQuery {
				t.Errorf("URL = %s?%s, want %s?%s", got.Path, got.RawQuery, tt.wantPath, tt.wantQuery)
			}
			if h := got.Header.Get("api-key"); h != testKey {
				t.Errorf("api-key = %q", h)
			}
			if h := got.Header.Get("Authorization"); h != "" {
				t.Errorf("Authorization = %q, want none on Azure", h)
			}
			// Same body as OpenAI.
			want := `{"model":"` + tt.model + `","messages":[{"role":"user","content":"hi"}]}`
			if string(got.Body) != want {
				t.Errorf("body = %s, want %s", got.Body, want)
			}
		})
	}
}

func TestAzureEscapedDeploymentOnTheWire(t *testing.T) {
	up := newFakeUpstream(t, replyJSON(http.StatusOK, okCompletion))
	var rawPath string
	up.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rawPath = r.URL.EscapedPath()
		replyJSON(http.StatusOK, okCompletion)(w, r)
	})
	ep := provider.Endpoint{BaseURL: up.URL, APIKey: testKey, Client: up.Client()}
	if _, err := NewAzure().Chat(t.Context(), ep, &provider.ChatRequest{Model: "team a/b"}); err != nil {
		t.Fatal(err)
	}
	if want := "/openai/deployments/team%20a%2Fb/chat/completions"; rawPath != want {
		t.Errorf("escaped path = %s, want %s", rawPath, want)
	}
}

func TestAzureStreamAndEmbeddings(t *testing.T) {
	up := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/embeddings") {
			replyJSON(http.StatusOK, readTestdata(t, "embeddings/response.json"))(w, r)
			return
		}
		replySSE(okStream)(w, r)
	})
	ep := provider.Endpoint{BaseURL: up.URL, APIKey: testKey, Client: up.Client()}
	s, err := NewAzure().ChatStream(t.Context(), ep, &provider.ChatRequest{Model: "chat-dep"})
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := s.Recv(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	if _, err := NewAzure().Embed(t.Context(), ep, &provider.EmbeddingRequest{Model: "embed-dep", Input: []string{"a", "b"}}); err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, r := range up.Requests() {
		paths = append(paths, r.Path+"?"+r.RawQuery)
	}
	want := []string{
		"/openai/deployments/chat-dep/chat/completions?api-version=" + DefaultAzureAPIVersion,
		"/openai/deployments/embed-dep/embeddings?api-version=" + DefaultAzureAPIVersion,
	}
	if strings.Join(paths, " ") != strings.Join(want, " ") {
		t.Errorf("paths = %v, want %v", paths, want)
	}
	for _, r := range up.Requests() {
		if r.Header.Get("api-key") != testKey {
			t.Errorf("%s: api-key header missing", r.Path)
		}
	}
	// The stream asked for usage like OpenAI does.
	if body := string(up.Requests()[0].Body); !strings.Contains(body, `"stream":true,"stream_options":{"include_usage":true}`) {
		t.Errorf("stream body = %s", body)
	}
}

func TestAzureRequiresBaseURLAndDeployment(t *testing.T) {
	_, err := NewAzure().Chat(t.Context(), provider.Endpoint{APIKey: testKey}, &provider.ChatRequest{Model: "dep"})
	pe := asProviderError(t, err)
	if pe.Kind != provider.ErrBadRequest || pe.Provider != "azure" ||
		!strings.Contains(pe.Message, "azure") || !strings.Contains(pe.Message, "api_base") {
		t.Errorf("missing api_base error = %+v", pe)
	}
	_, err = NewAzure().Embed(t.Context(), provider.Endpoint{Provider: "azure-eu", APIKey: testKey}, &provider.EmbeddingRequest{Model: "e", Input: []string{"x"}})
	if pe := asProviderError(t, err); pe.Provider != "azure-eu" || !strings.Contains(pe.Message, "api_base") {
		t.Errorf("embeddings missing api_base error = %+v", pe)
	}

	_, err = NewAzure().Chat(t.Context(), provider.Endpoint{BaseURL: "https://example.openai.azure.com"}, &provider.ChatRequest{})
	if pe := asProviderError(t, err); pe.Kind != provider.ErrBadRequest || !strings.Contains(pe.Message, "deployment") {
		t.Errorf("missing deployment error = %+v", pe)
	}
}
