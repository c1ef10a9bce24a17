package openai

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// Embedding encoding formats a client may ask for in encoding_format.
const (
	// FormatFloat returns vectors as JSON number arrays (the default).
	FormatFloat = "float"
	// FormatBase64 returns vectors packed as base64 float32, a quarter of
	// the size; the OpenAI SDKs ask for it by default.
	FormatBase64 = "base64"
)

// rawEmbedding is an embeddings request with input left raw, because it
// may be a string, an array of strings, or token arrays.
type rawEmbedding struct {
	Model          string          `json:"model"`
	Input          json.RawMessage `json:"input"`
	Dimensions     *int            `json:"dimensions"`
	EncodingFormat string          `json:"encoding_format"`
	User           string          `json:"user"`
}

// DecodeEmbeddings parses a client's embeddings body. input may be a string
// or an array of strings; token-id arrays are refused because the gateway
// cannot know which tokenizer the routed model uses. EncodingFormat keeps
// the client's choice ("float", "base64" or "") so the handler knows how to
// encode the answer; upstream adapters always fetch floats. Every error is a
// *BadRequest.
func DecodeEmbeddings(body []byte) (*provider.EmbeddingRequest, error) {
	var raw rawEmbedding
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, jsonError(err)
	}
	if raw.Model == "" {
		return nil, &BadRequest{Param: "model", Message: "model: you must provide a model parameter"}
	}
	inputs, br := decodeInput(raw.Input)
	if br != nil {
		return nil, br
	}
	if raw.Dimensions != nil && *raw.Dimensions < 1 {
		return nil, &BadRequest{Param: "dimensions", Message: fmt.Sprintf("dimensions: must be at least 1, got %d", *raw.Dimensions)}
	}
	switch raw.EncodingFormat {
	case "", FormatFloat, FormatBase64:
	default:
		return nil, &BadRequest{Param: "encoding_format", Message: fmt.Sprintf("encoding_format: must be %q or %q, got %q", FormatFloat, FormatBase64, raw.EncodingFormat)}
	}
	return &provider.EmbeddingRequest{
		Model:          raw.Model,
		Input:          inputs,
		Dimensions:     raw.Dimensions,
		EncodingFormat: raw.EncodingFormat,
		User:           raw.User,
	}, nil
}

// decodeInput accepts a string or a non-empty array of strings. Empty
// strings are refused, as OpenAI does, because most providers reject them.
func decodeInput(in json.RawMessage) ([]string, *BadRequest) {
	in = bytes.TrimSpace(in)
	if len(in) == 0 || bytes.Equal(in, []byte("null")) {
		return nil, &BadRequest{Param: "input", Message: "input: is required"}
	}
	var inputs []string
	if in[0] == '"' {
		var s string
		if err := json.Unmarshal(in, &s); err != nil {
			return nil, jsonError(err)
		}
		inputs = []string{s}
	} else {
		var items []json.RawMessage
		if json.Unmarshal(in, &items) != nil {
			return nil, &BadRequest{Param: "input", Message: "input: must be a string or an array of strings"}
		}
		if len(items) == 0 {
			return nil, &BadRequest{Param: "input", Message: "input: must not be an empty array"}
		}
		for i, item := range items {
			var s string
			if json.Unmarshal(item, &s) != nil {
				param := fmt.Sprintf("input[%d]", i)
				return nil, &BadRequest{Param: param, Message: param + ": must be a string; token-id arrays are not supported, send the text instead"}
			}
			inputs = append(inputs, s)
		}
	}
	for i, s := range inputs {
		if s == "" {
			param := "input"
			if in[0] == '[' {
				param = fmt.Sprintf("input[%d]", i)
			}
			return nil, &BadRequest{Param: param, Message: param + ": must not be an empty string"}
		}
	}
	return inputs, nil
}

// embeddingList is the response object of POST /v1/embeddings.
type embeddingList struct {
	Object string          `json:"object"`
	Data   []embeddingItem `json:"data"`
	Model  string          `json:"model"`
	Usage  embeddingUsage  `json:"usage"`
}

// embeddingItem's Embedding is a []float64 or, for base64, a string.
type embeddingItem struct {
	Object    string `json:"object"`
	Index     int    `json:"index"`
	Embedding any    `json:"embedding"`
}

type embeddingUsage struct {
	PromptTokens int `json:"prompt_tokens"`
	TotalTokens  int `json:"total_tokens"`
}

// EncodeEmbeddings renders the embeddings list with alias as "model". With
// asBase64 each vector becomes the base64 of its little-endian float32
// values, the format OpenAI returns for encoding_format "base64" and that
// the OpenAI SDKs request by default and decode. A NaN or infinite value,
// which JSON cannot carry and no sane upstream sends, is written as 0.
func EncodeEmbeddings(alias string, resp *provider.EmbeddingResponse, asBase64 bool) []byte {
	if resp == nil {
		resp = &provider.EmbeddingResponse{}
	}
	list := embeddingList{Object: "list", Data: make([]embeddingItem, len(resp.Embeddings)), Model: alias}
	for i, vec := range resp.Embeddings {
		var emb any
		if asBase64 {
			emb = float32Base64(vec)
		} else {
			emb = finite(vec)
		}
		list.Data[i] = embeddingItem{Object: "embedding", Index: i, Embedding: emb}
	}
	list.Usage = embeddingUsage{PromptTokens: resp.Usage.PromptTokens, TotalTokens: resp.Usage.TotalTokens}
	if list.Usage.TotalTokens == 0 {
		list.Usage.TotalTokens = resp.Usage.PromptTokens
	}
	return marshal(list)
}

// float32Base64 packs a vector as OpenAI does: float32, little-endian,
// standard base64 with padding.
func float32Base64(vec []float64) string {
	buf := make([]byte, 4*len(vec))
	for i, v := range finite(vec) {
		binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(float32(v)))
	}
	return base64.StdEncoding.EncodeToString(buf)
}

// finite returns vec with NaN and infinities replaced by 0, copying only
// when there is something to replace.
func finite(vec []float64) []float64 {
	out, copied := vec, false
	for i, v := range vec {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			if !copied {
				out, copied = append([]float64(nil), vec...), true
			}
			out[i] = 0
		}
	}
	if out == nil {
		out = []float64{} // an empty vector is [], never null
	}
	return out
}
