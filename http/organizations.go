package http

import (
	"net/http"

	"github.com/gatehouse-llm/gatehouse"
)

// orgCreateRequest is the body of handleOrgCreate.
type orgCreateRequest struct {
	OrganizationID string             `json:"organization_id"`
	Name           string             `json:"name"`
	Metadata       gatehouse.Metadata `json:"metadata"`
}

func handleOrgCreate(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := decode[orgCreateRequest](w, r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		o := &gatehouse.Organization{ID: req.OrganizationID, Name: req.Name, Metadata: req.Metadata}
		if err := store.CreateOrganization(r.Context(), o); err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, http.StatusCreated, o)
	})
}

func handleOrgList(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := keysetPageFrom(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		orgs, total, err := store.ListOrganizations(r.Context(), gatehouse.OrganizationFilter{Status: r.URL.Query().Get("status"), Page: p})
		if err != nil {
			writeError(w, r, err)
			return
		}
		keysetList(w, "organizations", orgs, total, p, orgCursor)
	})
}

func handleOrgGet(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o, err := store.FindOrganization(r.Context(), r.PathValue("id"))
		if err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, o)
	})
}

// orgUpdateRequest is the body of handleOrgUpdate.
type orgUpdateRequest struct {
	Name     *string             `json:"name"`
	Metadata *gatehouse.Metadata `json:"metadata"`
}

func handleOrgUpdate(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := decode[orgUpdateRequest](w, r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		o, err := store.UpdateOrganization(r.Context(), r.PathValue("id"), gatehouse.OrganizationUpdate{Name: req.Name, Metadata: req.Metadata})
		if err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, o)
	})
}

func handleOrgStatus(store Store, status string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o, err := store.SetOrganizationStatus(r.Context(), r.PathValue("id"), status)
		if err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, o)
	})
}

func handleOrgDelete(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if err := store.DeleteOrganization(r.Context(), id); err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, map[string]any{"organization_id": id, "deleted": true})
	})
}
