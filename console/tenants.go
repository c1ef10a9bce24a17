package console

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gatehouse-llm/gatehouse"
)

// keysetPage reads ?after= for a list read through an index.
func keysetPage(r *http.Request, limit int) gatehouse.Page {
	return gatehouse.Page{Limit: limit, After: r.URL.Query().Get("after")}
}

// nextAfter is the cursor of a full page's last item, or "" at the end.
func nextAfter(n, limit int, c gatehouse.Cursor) string {
	if n < limit {
		return ""
	}
	return c.String()
}

type orgsData struct {
	Orgs   []*gatehouse.Organization
	Status string
	Next   string
}

func (s *Server) handleOrgs(w http.ResponseWriter, r *http.Request) {
	d := orgsData{Status: r.URL.Query().Get("status")}
	p := keysetPage(r, 50)
	orgs, _, err := s.Store.ListOrganizations(r.Context(), gatehouse.OrganizationFilter{Status: d.Status, Page: p})
	if err != nil {
		s.renderError(w, r, errStatus(err), gatehouse.ErrorMessage(err))
		return
	}
	d.Orgs = orgs
	if len(orgs) > 0 {
		d.Next = nextAfter(len(orgs), 50, gatehouse.Cursor{ID: orgs[len(orgs)-1].ID})
	}
	s.render(w, r, http.StatusOK, "orgs", "Organizations", "orgs", d)
}

func (s *Server) handleOrgCreate(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimSpace(r.PostFormValue("organization_id"))
	body := map[string]any{"organization_id": id, "name": r.PostFormValue("name")}
	res := s.dispatch(r, sessionFrom(r.Context()).Token, http.MethodPost, "/api/organizations/create", body, nil)
	if res.err != nil {
		s.flash(w, r, res.err.Error(), true)
		http.Redirect(w, r, "/admin/orgs", http.StatusSeeOther)
		return
	}
	s.flash(w, r, "Organization "+id+" created.", false)
	http.Redirect(w, r, "/admin/orgs/"+url.PathEscape(id), http.StatusSeeOther)
}

type orgData struct {
	Org         *gatehouse.Organization
	Teams       []*gatehouse.Team
	Next        string
	Groups      []*gatehouse.AccessGroup
	Credentials []*gatehouse.Credential
}

func (s *Server) handleOrg(w http.ResponseWriter, r *http.Request) {
	org, err := s.Store.FindOrganization(r.Context(), r.PathValue("id"))
	if err != nil {
		s.renderError(w, r, errStatus(err), gatehouse.ErrorMessage(err))
		return
	}
	d := orgData{Org: org}
	if d.Teams, _, err = s.Store.ListTeams(r.Context(), gatehouse.TeamFilter{OrganizationID: org.ID, Page: keysetPage(r, 50)}); err != nil {
		s.renderError(w, r, errStatus(err), gatehouse.ErrorMessage(err))
		return
	}
	if len(d.Teams) > 0 {
		d.Next = nextAfter(len(d.Teams), 50, gatehouse.Cursor{ID: d.Teams[len(d.Teams)-1].ID})
	}
	d.Groups, _ = s.groups(r)
	s.render(w, r, http.StatusOK, "org", "Organization "+org.Name, "orgs", d)
}

func (s *Server) handleOrgAction(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	back := "/admin/orgs/" + url.PathEscape(id)
	switch act := r.PathValue("action"); act {
	case "suspend", "activate":
		s.act(w, r, http.MethodPost, "/api/organizations/"+url.PathEscape(id)+"/"+act, nil, "Organization "+id+": "+act+"d.", back)
	default:
		s.renderError(w, r, http.StatusNotFound, "Unknown organization action.")
	}
}

// groups lists the access groups (operator-defined, few) for pickers.
func (s *Server) groups(r *http.Request) ([]*gatehouse.AccessGroup, error) {
	g, _, err := s.Store.ListAccessGroups(r.Context(), gatehouse.AccessGroupFilter{Page: gatehouse.Page{Limit: gatehouse.MaxPageLimit}})
	return g, err
}

type teamsData struct {
	Teams  []*gatehouse.Team
	Org    string
	Status string
	Next   string
	Groups []*gatehouse.AccessGroup
}

func (s *Server) handleTeams(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := teamsData{Org: q.Get("org"), Status: q.Get("status")}
	teams, _, err := s.Store.ListTeams(r.Context(), gatehouse.TeamFilter{OrganizationID: d.Org, Status: d.Status, Page: keysetPage(r, 50)})
	if err != nil {
		s.renderError(w, r, errStatus(err), gatehouse.ErrorMessage(err))
		return
	}
	d.Teams = teams
	if len(teams) > 0 {
		d.Next = nextAfter(len(teams), 50, gatehouse.Cursor{ID: teams[len(teams)-1].ID})
	}
	d.Groups, _ = s.groups(r)
	s.render(w, r, http.StatusOK, "teams", "Teams", "teams", d)
}

// newKeyData is the one page that ever shows a key's secret.
type newKeyData struct {
	TeamID, Secret, Prefix string
}

func (s *Server) showNewKey(w http.ResponseWriter, r *http.Request, teamID, secret, prefix string) {
	s.render(w, r, http.StatusOK, "newkey", "New key", "teams", newKeyData{TeamID: teamID, Secret: secret, Prefix: prefix})
}

func (s *Server) handleTeamCreate(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimSpace(r.PostFormValue("team_id"))
	body := map[string]any{"organization_id": strings.TrimSpace(r.PostFormValue("organization_id")), "team_id": id,
		"team_alias": r.PostFormValue("team_alias"), "access_groups": r.PostForm["access_groups"]}
	if body["access_groups"] == nil {
		body["access_groups"] = []string{}
	}
	fm := &form{r: r}
	if c := fm.decimal("credits_allocated"); c != nil {
		body["credits_allocated"] = c
	}
	if fm.err != nil {
		s.flash(w, r, fm.err.Error(), true)
		http.Redirect(w, r, safeNext(r, "/admin/teams"), http.StatusSeeOther)
		return
	}
	if m := r.PostFormValue("budget_mode"); m != "" {
		body["budget_mode"] = m
	}
	var out struct {
		VirtualKey string `json:"virtual_key"`
		Key        struct {
			Prefix string `json:"prefix"`
		} `json:"key"`
	}
	res := s.dispatch(r, sessionFrom(r.Context()).Token, http.MethodPost, "/api/teams/create", body, &out)
	if res.err != nil {
		s.flash(w, r, res.err.Error(), true)
		http.Redirect(w, r, safeNext(r, "/admin/teams"), http.StatusSeeOther)
		return
	}
	s.showNewKey(w, r, id, out.VirtualKey, out.Key.Prefix)
}

type teamData struct {
	Team      *gatehouse.Team
	Keys      []*gatehouse.Key
	KeysNext  string
	Ledger    []*gatehouse.LedgerEntry
	LedgerNxt string
	Kind      string
	Groups    []*gatehouse.AccessGroup
	MarkupPct string
	Now       any
}

func (s *Server) handleTeam(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	t, err := s.Store.FindTeam(ctx, r.PathValue("id"))
	if err != nil {
		s.renderError(w, r, errStatus(err), gatehouse.ErrorMessage(err))
		return
	}
	q := r.URL.Query()
	d := teamData{Team: t, Kind: q.Get("kind"), MarkupPct: strconv.FormatFloat(float64(t.MarkupBP)/100, 'f', -1, 64), Now: s.Now()}
	kp := gatehouse.Page{Limit: 20, After: q.Get("keys_after")}
	if d.Keys, _, err = s.Store.ListKeys(ctx, t.ID, kp); err != nil {
		s.renderError(w, r, errStatus(err), gatehouse.ErrorMessage(err))
		return
	}
	if n := len(d.Keys); n > 0 {
		d.KeysNext = nextAfter(n, 20, gatehouse.Cursor{Time: d.Keys[n-1].CreatedAt, ID: d.Keys[n-1].ID})
	}
	// The ledger is read newest first through credit_ledger_team; a kind
	// filter keeps reading pages until it has enough rows or the end.
	lp := gatehouse.Page{Limit: 25, After: q.Get("ledger_after")}
	for range 8 {
		entries, _, err := s.Store.ListLedger(ctx, t.ID, lp)
		if err != nil {
			s.renderError(w, r, errStatus(err), gatehouse.ErrorMessage(err))
			return
		}
		for _, e := range entries {
			if d.Kind == "" || e.Kind == d.Kind {
				d.Ledger = append(d.Ledger, e)
			}
		}
		if len(entries) < lp.Limit {
			d.LedgerNxt = ""
			break
		}
		last := entries[len(entries)-1]
		d.LedgerNxt = gatehouse.Cursor{Time: last.CreatedAt, ID: last.ID}.String()
		lp.After = d.LedgerNxt
		if len(d.Ledger) >= 25 {
			break
		}
	}
	d.Groups, _ = s.groups(r)
	s.render(w, r, http.StatusOK, "team", "Team "+t.ID, "teams", d)
}

// handleTeamAction runs a team change: status, access groups, credits,
// budget settings, rate limits and new keys. Each maps a form to one API
// request.
func (s *Server) handleTeamAction(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	api := "/api/teams/" + url.PathEscape(id)
	credits := "/api/credits/teams/" + url.PathEscape(id)
	back := "/admin/teams/" + url.PathEscape(id)
	f := func(name string) string { return strings.TrimSpace(r.PostFormValue(name)) }
	fm := &form{r: r}
	num, whole := fm.decimal, fm.integer
	// Read every number field up front, so an unreadable one is refused
	// before anything is sent.
	for _, name := range []string{"credits", "payment_amount_usd", "credits_per_dollar", "cost_markup_percentage", "refill_amount"} {
		num(name)
	}
	for _, name := range []string{"tokens_per_credit", "requests_per_minute", "tokens_per_minute", "concurrent"} {
		whole(name)
	}
	if fm.err != nil {
		s.flash(w, r, fm.err.Error(), true)
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	switch act := r.PathValue("action"); act {
	case "suspend", "pause", "resume":
		s.act(w, r, http.MethodPost, api+"/"+act, nil, "Team "+id+": "+act+"d.", back)
	case "access-groups":
		g := r.PostForm["access_groups"]
		if g == nil {
			g = []string{}
		}
		s.act(w, r, http.MethodPut, api+"/access-groups", map[string]any{"access_groups": g}, "Access groups saved.", back)
	case "rate-limits":
		body := map[string]any{"rate_limits": map[string]any{"requests_per_minute": whole("requests_per_minute"), "tokens_per_minute": whole("tokens_per_minute"), "concurrent": whole("concurrent")}}
		for k, v := range body["rate_limits"].(map[string]any) {
			if v == nil {
				body["rate_limits"].(map[string]any)[k] = 0
			}
		}
		s.act(w, r, http.MethodPut, api, body, "Rate limits saved.", back)
	case "keys":
		body := map[string]any{"name": f("name")}
		if e := f("expires_at"); e != "" {
			body["expires_at"] = e
		}
		var out struct {
			VirtualKey string `json:"virtual_key"`
			Prefix     string `json:"prefix"`
		}
		res := s.dispatch(r, sessionFrom(r.Context()).Token, http.MethodPost, api+"/keys", body, &out)
		if res.err != nil {
			s.flash(w, r, res.err.Error(), true)
			http.Redirect(w, r, back, http.StatusSeeOther)
			return
		}
		s.showNewKey(w, r, id, out.VirtualKey, out.Prefix)
	case "add", "replenish", "adjust":
		body := map[string]any{"credits": num("credits"), "reason": f("reason")}
		if act == "replenish" {
			body["payment_type"] = f("payment_type")
			if v := num("payment_amount_usd"); v != nil {
				body["payment_amount_usd"] = v
			}
		}
		s.act(w, r, http.MethodPost, credits+"/"+act, body, "Credits recorded ("+act+").", back)
	case "refund":
		s.act(w, r, http.MethodPost, credits+"/refund", map[string]any{"job_id": f("job_id"), "reason": f("reason")}, "Job refunded.", back)
	case "budget-mode":
		body := map[string]any{"budget_mode": f("budget_mode")}
		if v := num("credits_per_dollar"); v != nil {
			body["credits_per_dollar"] = v
		}
		if v := whole("tokens_per_credit"); v != nil {
			body["tokens_per_credit"] = v
		}
		s.act(w, r, http.MethodPatch, credits+"/budget-mode", body, "Budget mode saved.", back)
	case "conversion-rates":
		body := map[string]any{}
		if v := num("credits_per_dollar"); v != nil {
			body["credits_per_dollar"] = v
		}
		if v := whole("tokens_per_credit"); v != nil {
			body["tokens_per_credit"] = v
		}
		s.act(w, r, http.MethodPatch, credits+"/conversion-rates", body, "Conversion rates saved.", back)
	case "markup":
		s.act(w, r, http.MethodPatch, credits+"/markup", map[string]any{"cost_markup_percentage": num("cost_markup_percentage")}, "Markup saved.", back)
	case "auto-refill":
		body := map[string]any{"enabled": r.PostFormValue("enabled") == "on", "refill_period": f("refill_period")}
		if v := num("refill_amount"); v != nil {
			body["refill_amount"] = v
		}
		s.act(w, r, http.MethodPost, credits+"/configure-auto-refill", body, "Auto-refill saved.", back)
	default:
		s.renderError(w, r, http.StatusNotFound, "Unknown team action.")
	}
}

// handleKeyAction rotates (with a grace period) or revokes a key.
func (s *Server) handleKeyAction(w http.ResponseWriter, r *http.Request) {
	id, key := r.PathValue("id"), r.PathValue("key")
	api := "/api/teams/" + url.PathEscape(id) + "/keys/" + url.PathEscape(key)
	back := "/admin/teams/" + url.PathEscape(id)
	switch r.PathValue("action") {
	case "revoke":
		s.act(w, r, http.MethodPost, api+"/revoke", nil, "Key revoked.", back)
	case "rotate":
		body := map[string]any{}
		fm := &form{r: r}
		if g := fm.integer("grace_period_seconds"); g != nil {
			body["grace_period_seconds"] = g
		}
		if fm.err != nil {
			s.flash(w, r, fm.err.Error(), true)
			http.Redirect(w, r, back, http.StatusSeeOther)
			return
		}
		var out struct {
			VirtualKey string `json:"virtual_key"`
			Prefix     string `json:"prefix"`
		}
		res := s.dispatch(r, sessionFrom(r.Context()).Token, http.MethodPost, api+"/rotate", body, &out)
		if res.err != nil {
			s.flash(w, r, res.err.Error(), true)
			http.Redirect(w, r, back, http.StatusSeeOther)
			return
		}
		s.showNewKey(w, r, id, out.VirtualKey, out.Prefix)
	default:
		s.renderError(w, r, http.StatusNotFound, "Unknown key action.")
	}
}
