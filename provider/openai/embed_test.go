package openai

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/gatehouse-llm/gatehouse/provider"
)

func TestEmbed(t *testing.T) {
	up := newFakeUpstream(t, replyJSON(http.StatusOK, readTestdata(t, "embeddings/response.json")))
	req := &provider.EmbeddingRequest{
		Model:          "text-embedding-3-small",
		Input:          []string{"The food was delicious", "and the waiter was kind"},
		Dimensions:     ptr(4),
		EncodingFormat: "base64", // always requested as float
		User:           "user-1234",
	}
	got, err := New("openai").Embed(t.Context(), up.endpoint("openai"), req)
	if err != nil {
		t.Fatal(err)
	}
	sent := up.Only(t)
	if sent.Method != http.MethodPost || sent.Path != "/v1/embeddings" || sent.Header.Get("Authorization") != "Bearer "+testKey {
		t.Errorf("request = %s %s auth %q", sent.Method, sent.Path, sent.Header.Get("Authorization"))
	}
	assertGoldenJSON(t, "embeddings/request.json", sent.Body)

	want := &provider.EmbeddingResponse{
		Model: "text-embedding-3-small",
		// The upstream listed index 1 first; output follows input order.
		Embeddings: [][]float64{
			{0.0023064255, -0.009327292, -0.0028842222, 0.75},
			{0.5, -0.25, 0.125, 1},
		},
		Usage: provider.Usage{PromptTokens: 11, TotalTokens: 11},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("response = %+v, want %+v", got, want)
	}
}

func TestEmbedBadResponses(t *testing.T) {
	tests := map[string]string{
		"malformed":       `{"data": [`,
		"too few vectors": `{"data":[{"index":0,"embedding":[1]}],"model":"m"}`,
		"repeated index":  `{"data":[{"index":0,"embedding":[1]},{"index":0,"embedding":[2]}],"model":"m"}`,
		"index too large": `{"data":[{"index":0,"embedding":[1]},{"index":2,"embedding":[2]}],"model":"m"}`,
		"base64 vector":   `{"data":[{"index":0,"embedding":"AAAA"},{"index":1,"embedding":"AAAA"}],"model":"m"}`,
	}
	for name, body := range tests {
		t.Run(name, func(t *testing.T) {
			up := newFakeUpstream(t, replyJSON(http.StatusOK, []byte(body)))
			_, err := New("openai").Embed(t.Context(), up.endpoint("openai"), &provider.EmbeddingRequest{Model: "m", Input: []string{"a", "b"}})
			if pe := asProviderError(t, err); pe.Kind != provider.ErrBadResponse {
				t.Errorf("error = %+v, want bad_response", pe)
			}
		})
	}
}

func TestEmbedEmptyInputRejectedLocally(t *testing.T) {
	up := newFakeUpstream(t, replyJSON(http.StatusOK, []byte(`{}`)))
	for _, req := range []*provider.EmbeddingRequest{nil, {Model: "m"}} {
		_, err := New("openai").Embed(t.Context(), up.endpoint("openai"), req)
		if pe := asProviderError(t, err); pe.Kind != provider.ErrBadRequest {
			t.Errorf("error = %+v", pe)
		}
	}
	if n := len(up.Requests()); n != 0 {
		t.Errorf("upstream called %d times", n)
	}
}

func TestEmbedStatusError(t *testing.T) {
	up := newFakeUpstream(t, replyJSON(429, readTestdata(t, "errors/openai_429.json"), "Retry-After", "3"))
	_, err := New("openai").Embed(t.Context(), up.endpoint("openai"), &provider.EmbeddingRequest{Model: "m", Input: []string{"a"}})
	pe := asProviderError(t, err)
	if pe.Kind != provider.ErrRateLimited || pe.Code != "rate_limit_exceeded" || pe.RetryAfter.Seconds() != 3 {
		t.Errorf("error = %+v", pe)
	}
}
