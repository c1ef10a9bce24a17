package gemini

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// Embed sends all inputs in one batchEmbedContents call. Gemini reports no
// token counts for embeddings, so Usage stays zero and cost accounting
// must not rely on it for this provider.
func (a *Adapter) Embed(ctx context.Context, ep provider.Endpoint, req *provider.EmbeddingRequest) (*provider.EmbeddingResponse, error) {
	name := providerName(ep)
	model := resourceName(req.Model)
	body := batchEmbedRequest{Requests: make([]embedRequest, len(req.Input))}
	for i, text := range req.Input {
		body.Requests[i] = embedRequest{
			Model:                model,
			Content:              content{Parts: []part{{Text: text}}},
			OutputDimensionality: req.Dimensions,
		}
	}
	resp, err := send(ctx, ep, methodURL(ep, req.Model, "batchEmbedContents"), body, false)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := provider.ReadBody(resp.Body, resp.ContentLength) // capped by the gateway's transport
	if err != nil {
		return nil, provider.TransportError(ctx, name, err)
	}
	var br batchEmbedResponse
	if err := json.Unmarshal(raw, &br); err != nil {
		return nil, badResponse(name, "malformed batchEmbedContents response: "+err.Error())
	}
	if len(br.Embeddings) != len(req.Input) {
		return nil, badResponse(name, fmt.Sprintf("got %d embeddings for %d inputs", len(br.Embeddings), len(req.Input)))
	}
	out := &provider.EmbeddingResponse{Model: req.Model, Embeddings: make([][]float64, len(br.Embeddings))}
	for i, e := range br.Embeddings {
		out.Embeddings[i] = e.Values
	}
	return out, nil
}
