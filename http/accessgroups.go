package http

import (
	"net/http"

	"github.com/gatehouse-llm/gatehouse"
)

// groupJSON is an access group with the first teams using it (by id) and
// how many use it; a group may serve the whole fleet, so the list stops
// at groupTeamsShown.
type groupJSON struct {
	*gatehouse.AccessGroup
	TeamsUsing      []string `json:"teams_using"`
	TeamsUsingCount int      `json:"teams_using_count"`
	TeamsCapped     bool     `json:"teams_using_count_capped,omitempty"`
}

// groupTeamsShown is how many teams a group's answer names.
const groupTeamsShown = 100

func showGroup(r *http.Request, store Store, g *gatehouse.AccessGroup) (groupJSON, error) {
	teams, n, err := store.GroupTeams(r.Context(), g.Name, groupTeamsShown)
	return groupJSON{AccessGroup: g, TeamsUsing: teams, TeamsUsingCount: min(n, gatehouse.CountCap), TeamsCapped: n > gatehouse.CountCap}, err
}

// groupCreateRequest is the body of handleGroupCreate.
type groupCreateRequest struct {
	GroupName    string   `json:"group_name"`
	Description  string   `json:"description"`
	ModelAliases []string `json:"model_aliases"`
}

func handleGroupCreate(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := decode[groupCreateRequest](w, r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		g := &gatehouse.AccessGroup{Name: req.GroupName, Description: req.Description, ModelAliases: req.ModelAliases}
		if g.ModelAliases == nil {
			g.ModelAliases = []string{}
		}
		if err := store.CreateAccessGroup(r.Context(), g); err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, http.StatusCreated, groupJSON{AccessGroup: g, TeamsUsing: []string{}})
	})
}

func handleGroupList(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := pageFrom(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		f := gatehouse.AccessGroupFilter{Page: p}
		if f.Active, err = boolQuery(r, "active"); err != nil {
			writeError(w, r, err)
			return
		}
		groups, total, err := store.ListAccessGroups(r.Context(), f)
		if err != nil {
			writeError(w, r, err)
			return
		}
		out := make([]groupJSON, 0, len(groups))
		for _, g := range groups {
			j, err := showGroup(r, store, g)
			if err != nil {
				writeError(w, r, err)
				return
			}
			out = append(out, j)
		}
		list(w, "access_groups", out, total, p)
	})
}

// writeGroup answers with a group as shown to admins, or with the error
// that came instead of it.
func writeGroup(w http.ResponseWriter, r *http.Request, store Store, g *gatehouse.AccessGroup, err error) {
	if err != nil {
		writeError(w, r, err)
		return
	}
	j, err := showGroup(r, store, g)
	if err != nil {
		writeError(w, r, err)
		return
	}
	encode(w, http.StatusOK, j)
}

func handleGroupGet(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g, err := store.FindAccessGroup(r.Context(), r.PathValue("group"))
		writeGroup(w, r, store, g, err)
	})
}

// groupUpdateRequest is the body of handleGroupUpdate.
type groupUpdateRequest struct {
	Description *string `json:"description"`
	Active      *bool   `json:"active"`
}

func handleGroupUpdate(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := decode[groupUpdateRequest](w, r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		g, err := store.UpdateAccessGroup(r.Context(), r.PathValue("group"), req.Description, req.Active)
		writeGroup(w, r, store, g, err)
	})
}

// groupMembersRequest is the body of handleGroupMembers.
type groupMembersRequest struct {
	ModelAliases []string `json:"model_aliases"`
}

// handleGroupMembers adds aliases to a group, or removes them.
func handleGroupMembers(store Store, add bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := decode[groupMembersRequest](w, r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		change := store.RemoveGroupAliases
		if add {
			change = store.AddGroupAliases
		}
		g, err := change(r.Context(), r.PathValue("group"), req.ModelAliases)
		writeGroup(w, r, store, g, err)
	})
}

func handleGroupDelete(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("group")
		if err := store.DeleteAccessGroup(r.Context(), name); err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, map[string]any{"group_name": name, "deleted": true})
	})
}
