package mock

import (
	"net/http"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// mode is what a model can be called for.
type mode int

const (
	modeChat mode = iota
	modeEmbedding
)

var modelModes = map[string]mode{
	ModelEcho:  modeChat,
	ModelFixed: modeChat,
	ModelEmbed: modeEmbedding,
}

// checkModel fails as an upstream does for a model it does not serve (404)
// or one called through the wrong endpoint (400).
func checkModel(name, model string, want mode) error {
	m, ok := modelModes[model]
	if !ok {
		return &provider.Error{
			Provider: name,
			Kind:     provider.KindForStatus(http.StatusNotFound),
			Status:   http.StatusNotFound,
			Code:     "model_not_found",
			Message:  "The model `" + model + "` does not exist; the mock provider serves echo, fixed and embed.",
		}
	}
	if m != want {
		if want == modeChat {
			return badRequest(name, "invalid_request_error", "%q is an embedding model; chat with echo or fixed", model)
		}
		return badRequest(name, "invalid_request_error", "%q is a chat model; embed with embed", model)
	}
	return nil
}
