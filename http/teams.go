package http

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"time"

	"github.com/gatehouse-llm/gatehouse"
)

// teamJSON is a team with the aliases its access groups grant.
type teamJSON struct {
	*gatehouse.Team
	CostMarkupPercentage percentBP `json:"cost_markup_percentage"`
	AllowedModelAliases  []string  `json:"allowed_model_aliases"`
}

// allowedAliases unions the aliases of a team's active groups.
func allowedAliases(ctx context.Context, store Store, groups []string) ([]string, error) {
	out := []string{}
	for _, name := range groups {
		g, err := store.FindAccessGroup(ctx, name)
		if err != nil {
			return nil, err
		}
		if g.Active {
			out = append(out, g.ModelAliases...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func showTeam(ctx context.Context, store Store, t *gatehouse.Team) (teamJSON, error) {
	allowed, err := allowedAliases(ctx, store, t.AccessGroups)
	return teamJSON{Team: t, CostMarkupPercentage: percentBP(t.MarkupBP), AllowedModelAliases: allowed}, err
}

// writeTeam renders a team or the error of building it.
func writeTeam(w http.ResponseWriter, r *http.Request, store Store, status int, t *gatehouse.Team, err error) {
	if err != nil {
		writeError(w, r, err)
		return
	}
	j, err := showTeam(r.Context(), store, t)
	if err != nil {
		writeError(w, r, err)
		return
	}
	encode(w, status, j)
}

// teamCreateRequest is the body of handleTeamCreate.
type teamCreateRequest struct {
	OrganizationID   string               `json:"organization_id"`
	TeamID           string               `json:"team_id"`
	TeamAlias        string               `json:"team_alias"`
	AccessGroups     []string             `json:"access_groups"`
	CreditsAllocated gatehouse.Credits    `json:"credits_allocated"`
	BudgetMode       string               `json:"budget_mode"`
	Metadata         gatehouse.Metadata   `json:"metadata"`
	RateLimits       gatehouse.RateLimits `json:"rate_limits"`
}

// teamCreateResponse is the body of handleTeamCreate.
type teamCreateResponse struct {
	teamJSON
	VirtualKey string         `json:"virtual_key"`
	Key        *gatehouse.Key `json:"key"`
	Message    string         `json:"message"`
}

func handleTeamCreate(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := decode[teamCreateRequest](w, r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		t := &gatehouse.Team{ID: req.TeamID, OrganizationID: req.OrganizationID, Alias: req.TeamAlias, AccessGroups: req.AccessGroups,
			CreditsAllocated: req.CreditsAllocated, BudgetMode: req.BudgetMode, Metadata: req.Metadata, RateLimits: req.RateLimits}
		if t.AccessGroups == nil {
			t.AccessGroups = []string{}
		}
		nk, err := store.CreateTeam(r.Context(), t)
		if err != nil {
			writeError(w, r, err)
			return
		}
		j, err := showTeam(r.Context(), store, t)
		if err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, http.StatusCreated, teamCreateResponse{teamJSON: j, VirtualKey: nk.Secret, Key: nk.Key,
			Message: "Store virtual_key now: it is shown only this once."})
	})
}

func handleTeamList(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := keysetPageFrom(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		f := gatehouse.TeamFilter{OrganizationID: r.URL.Query().Get("organization_id"), Status: r.URL.Query().Get("status"), Page: p}
		if id := r.PathValue("id"); id != "" { // /api/organizations/{id}/teams
			if _, err := store.FindOrganization(r.Context(), id); err != nil {
				writeError(w, r, err)
				return
			}
			f.OrganizationID = id
		}
		teams, total, err := store.ListTeams(r.Context(), f)
		if err != nil {
			writeError(w, r, err)
			return
		}
		out := make([]teamJSON, 0, len(teams))
		for _, t := range teams {
			j, err := showTeam(r.Context(), store, t)
			if err != nil {
				writeError(w, r, err)
				return
			}
			out = append(out, j)
		}
		keysetList(w, "teams", out, total, p, teamCursor)
	})
}

func handleTeamGet(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, err := store.FindTeam(r.Context(), r.PathValue("id"))
		writeTeam(w, r, store, http.StatusOK, t, err)
	})
}

// teamUpdateRequest is the body of handleTeamUpdate.
type teamUpdateRequest struct {
	TeamAlias    *string               `json:"team_alias"`
	BudgetMode   *string               `json:"budget_mode"`
	Metadata     *gatehouse.Metadata   `json:"metadata"`
	AccessGroups *[]string             `json:"access_groups"`
	RateLimits   *gatehouse.RateLimits `json:"rate_limits"`
}

func handleTeamUpdate(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := decode[teamUpdateRequest](w, r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		t, err := store.UpdateTeam(r.Context(), r.PathValue("id"), gatehouse.TeamUpdate{
			Alias: req.TeamAlias, BudgetMode: req.BudgetMode, Metadata: req.Metadata, AccessGroups: req.AccessGroups, RateLimits: req.RateLimits})
		writeTeam(w, r, store, http.StatusOK, t, err)
	})
}

// handleTeamAccessGroups replaces a team's groups. The body is
// {"access_groups": [...]} or, as SaasLiteLLM accepted, a bare array.
func handleTeamAccessGroups(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, err := readJSON(w, r, maxBodyBytes, reflect.TypeFor[teamAccessGroupsRequest]())
		if err != nil {
			writeError(w, r, err)
			return
		}
		var groups []string
		if b := bytes.TrimSpace(raw); len(b) > 0 && b[0] == '[' {
			err = unmarshalStrict(b, &groups)
		} else {
			var req struct {
				AccessGroups *[]string `json:"access_groups"`
			}
			if err = unmarshalStrict(b, &req); err == nil {
				if req.AccessGroups == nil {
					err = gatehouse.FieldErrorf("access_groups", "access_groups is required (an array of group names; [] removes all).")
				} else {
					groups = *req.AccessGroups
				}
			}
		}
		if err != nil {
			writeError(w, r, err)
			return
		}
		if groups == nil {
			groups = []string{}
		}
		t, err := store.UpdateTeam(r.Context(), r.PathValue("id"), gatehouse.TeamUpdate{AccessGroups: &groups})
		writeTeam(w, r, store, http.StatusOK, t, err)
	})
}

func handleTeamStatus(store Store, status string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, err := store.SetTeamStatus(r.Context(), r.PathValue("id"), status)
		writeTeam(w, r, store, http.StatusOK, t, err)
	})
}

func handleTeamDelete(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if err := store.DeleteTeam(r.Context(), id); err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, map[string]any{"team_id": id, "deleted": true})
	})
}

// newKeyJSON is a freshly issued key: the one response that carries it.
type newKeyJSON struct {
	*gatehouse.Key
	VirtualKey string `json:"virtual_key"`
	Message    string `json:"message"`
}

func showNewKey(nk *gatehouse.NewKey) newKeyJSON {
	return newKeyJSON{Key: nk.Key, VirtualKey: nk.Secret, Message: "Store virtual_key now: it is shown only this once."}
}

// keyCreateRequest is the body of handleKeyCreate.
type keyCreateRequest struct {
	Name       string                `json:"name"`
	ExpiresAt  *timestamp            `json:"expires_at"`
	RateLimits *gatehouse.RateLimits `json:"rate_limits"`
}

// timestamp is a time in a request body. Unlike time.Time, whose error
// quotes Go's layout ("2006-01-02T15:04:05Z07:00") and names no field,
// it refuses a bad value as a type error, so the decoder names the field,
// with an example of what is expected.
type timestamp struct{ time.Time }

// UnmarshalJSON reads an RFC 3339 time.
func (t *timestamp) UnmarshalJSON(b []byte) error {
	const reason = "must be an RFC 3339 time such as \"2026-12-31T23:59:59Z\""
	if string(b) == "null" {
		return nil
	}
	var s string
	if json.Unmarshal(b, &s) != nil {
		return gatehouse.ValueError[timestamp](reason)
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return gatehouse.ValueError[timestamp](reason + ", not " + gatehouse.QuoteInput(s))
	}
	t.Time = v
	return nil
}

// ptr returns the time, or nil for an absent one.
func (t *timestamp) ptr() *time.Time {
	if t == nil {
		return nil
	}
	return &t.Time
}

func handleKeyCreate(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := decode[keyCreateRequest](w, r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		var limits gatehouse.RateLimits
		if req.RateLimits != nil {
			limits = *req.RateLimits
		}
		nk, err := store.CreateKey(r.Context(), r.PathValue("id"), req.Name, req.ExpiresAt.ptr(), limits)
		if err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, http.StatusCreated, showNewKey(nk))
	})
}

func handleKeyList(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := keysetPageFrom(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		keys, total, err := store.ListKeys(r.Context(), r.PathValue("id"), p)
		if err != nil {
			writeError(w, r, err)
			return
		}
		keysetList(w, "keys", keys, total, p, keyCursor)
	})
}

// defaultRotationGrace is how long a rotated key keeps working when the
// caller does not say: long enough to roll the new key out.
const defaultRotationGrace = time.Hour

// maxRotationGraceSeconds is the longest grace a rotated key may get
// (the store enforces the same 30 days).
const maxRotationGraceSeconds = 30 * 24 * 3600

// keyRotateRequest is the body of handleKeyRotate.
type keyRotateRequest struct {
	GracePeriodSeconds *int64 `json:"grace_period_seconds"`
}

func handleKeyRotate(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := decodeOptional[keyRotateRequest](w, r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		grace := defaultRotationGrace
		if g := req.GracePeriodSeconds; g != nil {
			// Checked before it becomes a Duration, whose nanoseconds
			// would wrap around for a huge number of seconds.
			if *g < 0 || *g > maxRotationGraceSeconds {
				writeError(w, r, gatehouse.FieldErrorf("grace_period_seconds", "grace_period_seconds must be between 0 and %d (30 days).", maxRotationGraceSeconds))
				return
			}
			grace = time.Duration(*g) * time.Second
		}
		nk, err := store.RotateKey(r.Context(), r.PathValue("id"), r.PathValue("key"), grace)
		if err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, http.StatusCreated, showNewKey(nk))
	})
}

func handleKeyRevoke(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k, err := store.RevokeKey(r.Context(), r.PathValue("id"), r.PathValue("key"))
		if err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, k)
	})
}
