package mock

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"math"
	"strings"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// Embedding sizes: small by default so test fixtures stay readable, and
// bounded like the largest real models.
const (
	defaultDimensions = 8
	maxDimensions     = 3072
)

// Embed returns deterministic unit vectors derived from each input's
// SHA-256, after the configured latency.
func (a *Adapter) Embed(ctx context.Context, ep provider.Endpoint, req *provider.EmbeddingRequest) (*provider.EmbeddingResponse, error) {
	name := providerName(ep)
	cfg, err := parseSettings(name, ep.Extra)
	if err != nil {
		return nil, err
	}
	if req == nil || len(req.Input) == 0 {
		return nil, badRequest(name, "invalid_request_error", "input: at least one input is required")
	}
	if err := checkModel(name, req.Model, modeEmbedding); err != nil {
		return nil, err
	}
	dims := defaultDimensions
	if req.Dimensions != nil {
		dims = *req.Dimensions
		if dims < 1 || dims > maxDimensions {
			return nil, badRequest(name, "invalid_request_error", "dimensions must be from 1 to %d, got %d", maxDimensions, dims)
		}
	}
	dir, err := parseDirectives(name, strings.Join(req.Input, "\n"))
	if err != nil {
		return nil, err
	}
	latency, failStatus, err := combine(name, cfg, dir)
	if err != nil {
		return nil, err
	}
	if err := a.sleep(ctx, latency); err != nil {
		return nil, provider.TransportError(ctx, name, err)
	}
	if failStatus != 0 {
		return nil, simulatedError(name, failStatus, dir.failStatus != 0)
	}
	resp := &provider.EmbeddingResponse{Model: req.Model, Embeddings: make([][]float64, len(req.Input))}
	tokens := 0
	for i, in := range req.Input {
		resp.Embeddings[i] = embedding(in, dims)
		tokens += textTokens(in)
	}
	resp.Usage = provider.Usage{PromptTokens: tokens, TotalTokens: tokens}
	return resp, nil
}

// embedding is the documented vector for text: words of
// SHA-256(uint32_be(block) || text), each mapped into [-1, 1), scaled to
// unit length.
func embedding(text string, dims int) []float64 {
	v := make([]float64, dims)
	var sum [sha256.Size]byte
	for i := range v {
		if i%8 == 0 {
			h := sha256.New()
			var block [4]byte
			binary.BigEndian.PutUint32(block[:], uint32(i/8))
			h.Write(block[:])
			h.Write([]byte(text))
			h.Sum(sum[:0])
		}
		w := binary.BigEndian.Uint32(sum[(i%8)*4:])
		v[i] = float64(w)/(1<<31) - 1
	}
	var norm float64
	for _, x := range v {
		norm += x * x
	}
	if norm == 0 {
		return v
	}
	norm = math.Sqrt(norm)
	for i := range v {
		v[i] /= norm
	}
	return v
}
