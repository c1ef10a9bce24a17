package openai

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"

	"github.com/gatehouse-llm/gatehouse/provider"
)

func TestDecodeEmbeddings(t *testing.T) {
	dims := 256
	cases := []struct {
		name, body string
		want       provider.EmbeddingRequest
	}{
		{"string", `{"model":"embed","input":"hello"}`,
			provider.EmbeddingRequest{Model: "embed", Input: []string{"hello"}}},
		{"array", `{"model":"embed","input":["a","b"],"encoding_format":"base64","dimensions":256,"user":"u1"}`,
			provider.EmbeddingRequest{Model: "embed", Input: []string{"a", "b"}, Dimensions: &dims, EncodingFormat: "base64", User: "u1"}},
		{"float format", `{"model":"embed","input":["a"],"encoding_format":"float"}`,
			provider.EmbeddingRequest{Model: "embed", Input: []string{"a"}, EncodingFormat: "float"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeEmbeddings([]byte(tc.body))
			if err != nil {
				t.Fatalf("DecodeEmbeddings: %v", err)
			}
			if !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", *got, tc.want)
			}
		})
	}
}

func TestDecodeEmbeddingsErrors(t *testing.T) {
	cases := []struct {
		name, body, param, message string
	}{
		{"no model", `{"input":"x"}`, "model", "model: you must provide a model parameter"},
		{"no input", `{"model":"embed"}`, "input", "input: is required"},
		{"null input", `{"model":"embed","input":null}`, "input", "input: is required"},
		{"empty array", `{"model":"embed","input":[]}`, "input", "input: must not be an empty array"},
		{"empty string", `{"model":"embed","input":""}`, "input", "input: must not be an empty string"},
		{"empty item", `{"model":"embed","input":["a",""]}`, "input[1]", "input[1]: must not be an empty string"},
		{"tokens", `{"model":"embed","input":[1212,318]}`, "input[0]", "input[0]: must be a string; token-id arrays are not supported, send the text instead"},
		{"token arrays", `{"model":"embed","input":[[1212,318]]}`, "input[0]", "input[0]: must be a string; token-id arrays are not supported, send the text instead"},
		{"object input", `{"model":"embed","input":{"text":"x"}}`, "input", "input: must be a string or an array of strings"},
		{"bad format", `{"model":"embed","input":"x","encoding_format":"binary"}`, "encoding_format", `encoding_format: must be "float" or "base64", got "binary"`},
		{"bad dimensions", `{"model":"embed","input":"x","dimensions":0}`, "dimensions", "dimensions: must be at least 1, got 0"},
		{"dimensions type", `{"model":"embed","input":"x","dimensions":"big"}`, "dimensions", "dimensions: expected an integer, got string"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, err := DecodeEmbeddings([]byte(tc.body))
			if req != nil {
				t.Errorf("request = %+v, want nil on error", req)
			}
			asBadRequest(t, err, tc.param, tc.message)
		})
	}
}

func TestEncodeEmbeddings(t *testing.T) {
	resp := &provider.EmbeddingResponse{
		Model:      "text-embedding-3-small",
		Embeddings: [][]float64{{1, -2.5, 0.25}, {0.1, math.NaN()}},
		Usage:      provider.Usage{PromptTokens: 6},
	}
	cases := []struct {
		name     string
		asBase64 bool
		want     string
	}{
		{"float", false, `{"object":"list","data":[` +
			`{"object":"embedding","index":0,"embedding":[1,-2.5,0.25]},` +
			`{"object":"embedding","index":1,"embedding":[0.1,0]}],` +
			`"model":"embed","usage":{"prompt_tokens":6,"total_tokens":6}}`},
		// Expected strings computed independently:
		// base64(struct.pack('<3f', 1.0, -2.5, 0.25)) and ('<2f', 0.1, 0).
		{"base64", true, `{"object":"list","data":[` +
			`{"object":"embedding","index":0,"embedding":"AACAPwAAIMAAAIA+"},` +
			`{"object":"embedding","index":1,"embedding":"zczMPQAAAAA="}],` +
			`"model":"embed","usage":{"prompt_tokens":6,"total_tokens":6}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(EncodeEmbeddings("embed", resp, tc.asBase64)); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
	if !math.IsNaN(resp.Embeddings[1][1]) {
		t.Error("EncodeEmbeddings modified the caller's vector")
	}
}

// TestEncodeEmbeddingsEmpty checks that no vectors still give "data": [].
func TestEncodeEmbeddingsEmpty(t *testing.T) {
	var got struct {
		Data []json.RawMessage `json:"data"`
	}
	raw := EncodeEmbeddings("embed", &provider.EmbeddingResponse{Embeddings: [][]float64{{}}}, false)
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	if want := `{"object":"embedding","index":0,"embedding":[]}`; len(got.Data) != 1 || string(got.Data[0]) != want {
		t.Errorf("data = %s, want [%s]", got.Data, want)
	}
	if want := `{"object":"list","data":[],"model":"embed","usage":{"prompt_tokens":0,"total_tokens":0}}`; string(EncodeEmbeddings("embed", nil, true)) != want {
		t.Errorf("nil response = %s, want %s", EncodeEmbeddings("embed", nil, true), want)
	}
}
