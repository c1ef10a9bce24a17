package mock

import (
	"context"
	"math"
	"testing"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// Golden vectors, computed independently from the documented algorithm.
var (
	helloVector = []float64{-0.34735660678204744, 0.5498552601958442, -0.5187822147216954, 0.09092801647489122,
		0.16730601810045348, -0.11851087595958482, -0.28600796155076713, 0.4192409862888585}
	emptyVector = []float64{0.3633721055991719, -0.47054205489498196, -0.24286375277891306, 0.26034342115994696,
		0.4061743425396959, -0.17268530261058865, 0.39683946513602897, -0.40927987579136493}
)

func TestEmbed(t *testing.T) {
	a, _ := newTestAdapter()
	resp, err := a.Embed(context.Background(), provider.Endpoint{}, &provider.EmbeddingRequest{Model: ModelEmbed, Input: []string{"hello", "", "hello"}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Model != ModelEmbed {
		t.Errorf("model = %q", resp.Model)
	}
	want := [][]float64{helloVector, emptyVector, helloVector}
	if mustJSON(t, resp.Embeddings) != mustJSON(t, want) {
		t.Errorf("embeddings\n got %v\nwant %v", resp.Embeddings, want)
	}
	if wantUsage := (provider.Usage{PromptTokens: 4, TotalTokens: 4}); resp.Usage != wantUsage {
		t.Errorf("usage = %+v, want %+v", resp.Usage, wantUsage)
	}
}

func TestEmbedDimensions(t *testing.T) {
	a, _ := newTestAdapter()
	for _, dims := range []int{1, 10, 3072} {
		resp, err := a.Embed(context.Background(), provider.Endpoint{}, &provider.EmbeddingRequest{Model: ModelEmbed, Input: []string{"hello"}, Dimensions: intPtr(dims)})
		if err != nil {
			t.Fatalf("dimensions %d: %v", dims, err)
		}
		v := resp.Embeddings[0]
		if len(v) != dims {
			t.Fatalf("dimensions %d: got %d", dims, len(v))
		}
		var norm float64
		for _, x := range v {
			norm += x * x
		}
		if math.Abs(norm-1) > 1e-9 {
			t.Errorf("dimensions %d: squared norm %v, want 1", dims, norm)
		}
		if dims == 10 && (v[8] != 0.08177363504104913 || v[9] != -0.4326897162825286) {
			t.Errorf("dimensions 10: second block starts %v %v", v[8], v[9])
		}
	}
}

func TestEmbedErrors(t *testing.T) {
	tests := []struct {
		name       string
		req        *provider.EmbeddingRequest
		wantStatus int
		wantMsg    string
	}{
		{"nil request", nil, 400, "input: at least one input is required"},
		{"no input", &provider.EmbeddingRequest{Model: ModelEmbed}, 400, "input: at least one input is required"},
		{"chat model", &provider.EmbeddingRequest{Model: ModelEcho, Input: []string{"x"}}, 400, `"echo" is a chat model; embed with embed`},
		{"unknown model", &provider.EmbeddingRequest{Model: "text-embedding-3-small", Input: []string{"x"}}, 404,
			"The model `text-embedding-3-small` does not exist; the mock provider serves echo, fixed and embed."},
		{"zero dimensions", &provider.EmbeddingRequest{Model: ModelEmbed, Input: []string{"x"}, Dimensions: intPtr(0)}, 400, "dimensions must be from 1 to 3072, got 0"},
		{"too many dimensions", &provider.EmbeddingRequest{Model: ModelEmbed, Input: []string{"x"}, Dimensions: intPtr(3073)}, 400, "dimensions must be from 1 to 3072, got 3073"},
		{"bad directive", &provider.EmbeddingRequest{Model: ModelEmbed, Input: []string{"[mock:nope=1]"}}, 400, "unknown directive [mock:nope=...]; known: error, latency, tool"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, _ := newTestAdapter()
			_, err := a.Embed(context.Background(), provider.Endpoint{}, tt.req)
			pe, ok := provider.AsError(err)
			if !ok {
				t.Fatalf("error = %v, want *provider.Error", err)
			}
			if pe.Provider != "mock" || pe.Status != tt.wantStatus || pe.Kind != provider.ErrBadRequest || pe.Message != tt.wantMsg {
				t.Errorf("error = %+v, want status %d message %q", *pe, tt.wantStatus, tt.wantMsg)
			}
		})
	}
}

func TestTokenRule(t *testing.T) {
	for _, tt := range []struct {
		text string
		want int
	}{{"", 0}, {"a", 1}, {"abcd", 1}, {"abcde", 2}, {"héllo", 2}, {"日本語", 3}} {
		if got := textTokens(tt.text); got != tt.want {
			t.Errorf("textTokens(%q) = %d, want %d", tt.text, got, tt.want)
		}
	}
}
