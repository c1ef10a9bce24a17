package openai

import (
	"encoding/json"
	"strconv"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// embeddingBody is the outgoing embeddings body. encoding_format is always
// "float": the vectors are decoded into []float64, and base64 would only
// save bytes on a hop the gateway re-encodes anyway.
type embeddingBody struct {
	Model          string   `json:"model"`
	Input          []string `json:"input"`
	Dimensions     *int     `json:"dimensions,omitempty"`
	EncodingFormat string   `json:"encoding_format"`
	User           string   `json:"user,omitempty"`
}

// wireEmbeddingResponse is OpenAI's list of embedding objects.
type wireEmbeddingResponse struct {
	Model string `json:"model"`
	Data  []struct {
		Index     int       `json:"index"`
		Embedding []float64 `json:"embedding"`
	} `json:"data"`
	Usage *wireUsage `json:"usage"`
}

func buildEmbeddingBody(up *upstream, req *provider.EmbeddingRequest) ([]byte, error) {
	if req == nil || len(req.Input) == 0 {
		return nil, up.badRequest("embeddings: input must contain at least one string")
	}
	body, err := json.Marshal(embeddingBody{
		Model:          req.Model,
		Input:          req.Input,
		Dimensions:     req.Dimensions,
		EncodingFormat: "float",
		User:           req.User,
	})
	if err != nil {
		return nil, up.badRequest("cannot encode request: " + err.Error())
	}
	return body, nil
}

// parseEmbeddingResponse places each vector at its item's index, so the
// result is in input order whatever order the upstream listed them in,
// and insists on exactly one vector per input.
func parseEmbeddingResponse(up *upstream, raw []byte, inputs int) (*provider.EmbeddingResponse, error) {
	var w wireEmbeddingResponse
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, up.badResponse("malformed embeddings response: " + err.Error())
	}
	if len(w.Data) != inputs {
		return nil, up.badResponse("embeddings response has " + strconv.Itoa(len(w.Data)) +
			" vectors for " + strconv.Itoa(inputs) + " inputs")
	}
	vectors := make([][]float64, inputs)
	for _, item := range w.Data {
		if item.Index < 0 || item.Index >= inputs || vectors[item.Index] != nil {
			return nil, up.badResponse("embeddings response has a missing or repeated index " + strconv.Itoa(item.Index))
		}
		if item.Embedding == nil {
			item.Embedding = []float64{}
		}
		vectors[item.Index] = item.Embedding
	}
	resp := &provider.EmbeddingResponse{Model: w.Model, Embeddings: vectors}
	if w.Usage != nil {
		resp.Usage = provider.Usage{PromptTokens: w.Usage.PromptTokens, TotalTokens: w.Usage.TotalTokens}
		if resp.Usage.TotalTokens == 0 {
			resp.Usage.TotalTokens = resp.Usage.PromptTokens
		}
	}
	return resp, nil
}
