package http

import (
	"net/http"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/state"
)

// openAIModel is one entry of OpenAI's GET /v1/models.
type openAIModel struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}

func showModel(a *gatehouse.Alias) openAIModel {
	return openAIModel{ID: a.Alias, Object: "model", Created: a.CreatedAt.Unix(), OwnedBy: "gatehouse"}
}

// handleV1Models lists exactly the aliases the caller's key may call.
func handleV1Models(st *state.State) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := callerFrom(r)
		out := []openAIModel{}
		for _, a := range st.Snapshot().CallableAliases(c.Team.ID) {
			out = append(out, showModel(a))
		}
		encode(w, http.StatusOK, modelListResponse{Object: "list", Data: out})
	})
}

// handleV1Model answers whether the caller may call one alias, with the
// same checks as a call: unknown, not granted and disabled aliases are
// refused.
func handleV1Model(st *state.State) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, err := st.Snapshot().Authorize(callerFrom(r), r.PathValue("model"))
		if err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, showModel(a))
	})
}
