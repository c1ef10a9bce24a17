package gemini

import (
	"context"
	"net/http"
	"reflect"
	"testing"

	"github.com/gatehouse-llm/gatehouse/provider"
)

func TestEmbed(t *testing.T) {
	up := newFakeUpstream(t, respondFile(t, "embed.response.json", "application/json"))
	dims := 3
	got, err := New().Embed(context.Background(), up.endpoint(), &provider.EmbeddingRequest{
		Model: "gemini-embedding-001", Input: []string{"first text", "second text"}, Dimensions: &dims,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := &provider.EmbeddingResponse{
		Model:      "gemini-embedding-001",
		Embeddings: [][]float64{{0.013, -0.008, 0.021}, {-0.5, 0.25, 0}},
		Usage:      provider.Usage{}, // Gemini reports no token counts for embeddings
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	req := up.Last(t)
	if req.Method != http.MethodPost || req.Path != "/v1beta/models/gemini-embedding-001:batchEmbedContents" || req.RawQuery != "" {
		t.Errorf("request = %s %s?%s", req.Method, req.Path, req.RawQuery)
	}
	checkAuth(t, req)
	checkGolden(t, "embed.request.json", req.Body)
}

func TestEmbedCountMismatch(t *testing.T) {
	up := newFakeUpstream(t, respondJSON(http.StatusOK, `{"embeddings":[{"values":[1,2]}]}`))
	_, err := New().Embed(context.Background(), up.endpoint(), &provider.EmbeddingRequest{Model: "gemini-embedding-001", Input: []string{"a", "b"}})
	if pe := asProviderError(t, err); pe.Kind != provider.ErrBadResponse {
		t.Errorf("err = %+v, want bad_response", pe)
	}
}

func TestEmbedErrors(t *testing.T) {
	up := newFakeUpstream(t, respondJSON(http.StatusBadRequest, `{"error":{"code":400,"message":"Request contains an invalid argument.","status":"INVALID_ARGUMENT"}}`))
	_, err := New().Embed(context.Background(), up.endpoint(), &provider.EmbeddingRequest{Model: "gemini-embedding-001", Input: []string{"a"}})
	pe := asProviderError(t, err)
	want := provider.Error{Provider: "gemini", Kind: provider.ErrBadRequest, Status: 400, Code: "INVALID_ARGUMENT", Message: "Request contains an invalid argument."}
	if *pe != want {
		t.Errorf("err = %+v, want %+v", *pe, want)
	}

	bad := newFakeUpstream(t, respondJSON(http.StatusOK, `{"embeddings":`))
	_, err = New().Embed(context.Background(), bad.endpoint(), &provider.EmbeddingRequest{Model: "gemini-embedding-001", Input: []string{"a"}})
	if pe := asProviderError(t, err); pe.Kind != provider.ErrBadResponse {
		t.Errorf("malformed: err = %+v, want bad_response", pe)
	}
}
