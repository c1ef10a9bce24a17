package console

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-llm/gatehouse"
)

func (s *Server) handleOverview(w http.ResponseWriter, r *http.Request) {
	var o *gatehouse.Overview
	if s.Overview != nil {
		var err error
		now := s.Now()
		if o, err = s.Overview.Overview(r.Context(), now); err == nil {
			var m gatehouse.UsageTotals
			if m, err = s.monthUsage(r.Context(), now); err == nil {
				o.CallsMonth, o.ErrorsMonth, o.SpendMonthMicros = m.Calls, m.FailedCalls, m.CostMicroUSD
			}
		}
		if err != nil {
			s.renderError(w, r, errStatus(err), gatehouse.ErrorMessage(err))
			return
		}
	}
	s.render(w, r, http.StatusOK, "overview", "Overview", "overview", o)
}

// settledCache holds the fleet's usage over the month's days that ended
// more than an hour ago (a call is rolled up under the day it started,
// so a day still changes while its last calls finish). Those sums never
// change again, so each replica reads them once a day; only the last day
// or two are summed on each view.
type settledCache struct {
	mu           sync.Mutex
	since, until time.Time
	totals       gatehouse.UsageTotals
}

// monthUsage is the fleet's usage since the start of the UTC month.
func (s *Server) monthUsage(ctx context.Context, now time.Time) (gatehouse.UsageTotals, error) {
	now = now.UTC()
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	settled := now.Add(-time.Hour).Truncate(24 * time.Hour)
	if settled.Before(month) {
		settled = month
	}
	var past gatehouse.UsageTotals
	if settled.After(month) {
		c := &s.settled
		c.mu.Lock()
		if !c.since.Equal(month) || !c.until.Equal(settled) {
			t, err := s.Overview.FleetUsage(ctx, month, settled)
			if err != nil {
				c.mu.Unlock()
				return past, err
			}
			c.since, c.until, c.totals = month, settled, t
		}
		past = c.totals
		c.mu.Unlock()
	}
	live, err := s.Overview.FleetUsage(ctx, settled, now.Truncate(24*time.Hour).AddDate(0, 0, 1))
	past.Calls += live.Calls
	past.FailedCalls += live.FailedCalls
	past.CostMicroUSD += live.CostMicroUSD
	return past, err
}

type groupsData struct {
	Groups  []*gatehouse.AccessGroup
	Aliases []*gatehouse.Alias
}

func (s *Server) handleGroups(w http.ResponseWriter, r *http.Request) {
	g, err := s.groups(r)
	if err != nil {
		s.renderError(w, r, errStatus(err), gatehouse.ErrorMessage(err))
		return
	}
	s.render(w, r, http.StatusOK, "groups", "Access groups", "groups", groupsData{Groups: g})
}

func (s *Server) handleGroupCreate(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimSpace(r.PostFormValue("group_name"))
	body := map[string]any{"group_name": name, "description": r.PostFormValue("description"), "model_aliases": splitList(r.PostFormValue("model_aliases"))}
	s.act(w, r, http.MethodPost, "/api/model-access-groups/create", body, "Access group "+name+" created.", "/admin/groups/"+url.PathEscape(name))
}

type groupData struct {
	Group     *gatehouse.AccessGroup
	Teams     []string
	TeamCount int
}

func (s *Server) handleGroup(w http.ResponseWriter, r *http.Request) {
	g, err := s.Store.FindAccessGroup(r.Context(), r.PathValue("group"))
	if err != nil {
		s.renderError(w, r, errStatus(err), gatehouse.ErrorMessage(err))
		return
	}
	d := groupData{Group: g}
	if d.Teams, d.TeamCount, err = s.Store.GroupTeams(r.Context(), g.Name, 100); err != nil {
		s.renderError(w, r, errStatus(err), gatehouse.ErrorMessage(err))
		return
	}
	s.render(w, r, http.StatusOK, "group", "Access group "+g.Name, "groups", d)
}

func (s *Server) handleGroupAction(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("group")
	api := "/api/model-access-groups/" + url.PathEscape(name)
	back := "/admin/groups/" + url.PathEscape(name)
	switch act := r.PathValue("action"); act {
	case "add-models", "remove-models":
		s.act(w, r, http.MethodPost, api+"/"+act, map[string]any{"model_aliases": splitList(r.PostFormValue("model_aliases"))}, "Access group "+name+" saved.", back)
	case "delete":
		res := s.dispatch(r, sessionFrom(r.Context()).Token, http.MethodDelete, api, nil, nil)
		if res.err != nil {
			s.flash(w, r, res.err.Error(), true)
			http.Redirect(w, r, back, http.StatusSeeOther)
			return
		}
		s.flash(w, r, "Access group "+name+" deleted.", false)
		http.Redirect(w, r, "/admin/groups", http.StatusSeeOther)
	default:
		s.renderError(w, r, http.StatusNotFound, "Unknown access group action.")
	}
}

type credentialsData struct {
	Credentials []*gatehouse.Credential
	Providers   []string
	Result      string
}

func (s *Server) handleCredentials(w http.ResponseWriter, r *http.Request) {
	c, _, err := s.Store.ListCredentials(r.Context(), gatehouse.CredentialFilter{Page: gatehouse.Page{Limit: gatehouse.MaxPageLimit}})
	if err != nil {
		s.renderError(w, r, errStatus(err), gatehouse.ErrorMessage(err))
		return
	}
	d := credentialsData{Credentials: c}
	if s.Catalog != nil {
		d.Providers = s.Catalog.Providers()
	}
	s.render(w, r, http.StatusOK, "credentials", "Provider credentials", "credentials", d)
}

func (s *Server) handleCredentialCreate(w http.ResponseWriter, r *http.Request) {
	body := map[string]any{"provider": r.PostFormValue("provider"), "credential_name": r.PostFormValue("credential_name"), "api_key": r.PostFormValue("api_key")}
	if o := strings.TrimSpace(r.PostFormValue("organization_id")); o != "" {
		body["organization_id"] = o
	}
	if b := strings.TrimSpace(r.PostFormValue("api_base")); b != "" {
		body["api_base"] = b
	}
	s.act(w, r, http.MethodPost, "/api/provider-credentials/create", body, "Credential stored (encrypted).", "/admin/credentials")
}

func (s *Server) handleCredentialAction(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	api := "/api/provider-credentials/" + url.PathEscape(id)
	switch r.PathValue("action") {
	case "test":
		var out struct {
			OK    bool   `json:"ok"`
			Error string `json:"error"`
		}
		res := s.dispatch(r, sessionFrom(r.Context()).Token, http.MethodPost, api+"/test", nil, &out)
		switch {
		case res.err != nil:
			s.flash(w, r, res.err.Error(), true)
		case out.OK:
			s.flash(w, r, "The provider accepts the credential.", false)
		default:
			s.flash(w, r, "The provider refused the credential: "+out.Error, true)
		}
		http.Redirect(w, r, "/admin/credentials", http.StatusSeeOther)
	case "delete":
		s.act(w, r, http.MethodDelete, api, nil, "Credential deleted.", "/admin/credentials")
	case "disable", "enable":
		s.act(w, r, http.MethodPut, api, map[string]any{"is_active": r.PathValue("action") == "enable"}, "Credential saved.", "/admin/credentials")
	default:
		s.renderError(w, r, http.StatusNotFound, "Unknown credential action.")
	}
}

type auditRow struct {
	*gatehouse.AuditEntry
	BeforeText, AfterText string
}

type auditData struct {
	Rows                                  []auditRow
	Actor, Action, ResourceType, Resource string
	Next                                  string
}

func pretty(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return string(raw)
	}
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := auditData{Actor: q.Get("actor"), Action: q.Get("action"), ResourceType: q.Get("resource_type"), Resource: q.Get("resource_id")}
	entries, _, err := s.Store.ListAudit(r.Context(), gatehouse.AuditFilter{Actor: d.Actor, Action: d.Action, ResourceType: d.ResourceType, ResourceID: d.Resource, Page: keysetPage(r, 50)})
	if err != nil {
		s.renderError(w, r, errStatus(err), gatehouse.ErrorMessage(err))
		return
	}
	for _, e := range entries {
		d.Rows = append(d.Rows, auditRow{AuditEntry: e, BeforeText: pretty(e.Before), AfterText: pretty(e.After)})
	}
	if n := len(entries); n > 0 {
		d.Next = nextAfter(n, 50, gatehouse.Cursor{Time: entries[n-1].CreatedAt, ID: entries[n-1].ID})
	}
	s.render(w, r, http.StatusOK, "audit", "Audit log", "audit", d)
}

func (s *Server) handleUsers(w http.ResponseWriter, r *http.Request) {
	u, _, err := s.Store.ListAdminUsers(r.Context(), gatehouse.Page{Limit: gatehouse.MaxPageLimit})
	if err != nil {
		s.renderError(w, r, errStatus(err), gatehouse.ErrorMessage(err))
		return
	}
	s.render(w, r, http.StatusOK, "users", "Admin users", "users", u)
}

func (s *Server) handleUserCreate(w http.ResponseWriter, r *http.Request) {
	body := map[string]any{"email": strings.TrimSpace(r.PostFormValue("email")), "display_name": r.PostFormValue("display_name"),
		"password": r.PostFormValue("password"), "role": r.PostFormValue("role")}
	s.act(w, r, http.MethodPost, "/api/admin-users", body, "Admin user created.", "/admin/users")
}

func (s *Server) handleUserAction(w http.ResponseWriter, r *http.Request) {
	api := "/api/admin-users/" + url.PathEscape(r.PathValue("id"))
	switch r.PathValue("action") {
	case "role":
		s.act(w, r, http.MethodPut, api, map[string]any{"role": r.PostFormValue("role")}, "Role changed.", "/admin/users")
	case "deactivate":
		s.act(w, r, http.MethodDelete, api, nil, "User deactivated.", "/admin/users")
	case "activate":
		s.act(w, r, http.MethodPut, api, map[string]any{"is_active": true}, "User reactivated.", "/admin/users")
	default:
		s.renderError(w, r, http.StatusNotFound, "Unknown user action.")
	}
}
