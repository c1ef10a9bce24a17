package http

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/secret"
	"github.com/gatehouse-llm/gatehouse/sqlstore/storetest"
)

// fixture is one independent set of resources a request can act on.
type fixture struct {
	org, team, alias, group, cred, user, key, teamKey, job string
}

const fixturePassword = "correct horse battery staple"

// fixtureHash is fixturePassword's bcrypt hash, computed once: bcrypt is
// deliberately slow.
var fixtureHash = sync.OnceValue(func() string {
	h, err := secret.HashPassword(fixturePassword)
	if err != nil {
		panic(err)
	}
	return h
})

func seedFixture(t *testing.T, h *harness, sfx string) fixture {
	t.Helper()
	ctx := gatehouse.WithActor(context.Background(), gatehouse.Actor{Kind: "master", Role: gatehouse.RoleOwner})
	f := fixture{org: "o" + sfx, team: "t" + sfx, alias: "a" + sfx, group: "g" + sfx}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(h.DB.CreateAlias(ctx, &gatehouse.Alias{Alias: f.alias, LiteLLMModel: "mock/echo", Active: true}))
	must(h.DB.CreateAccessGroup(ctx, &gatehouse.AccessGroup{Name: f.group, ModelAliases: []string{f.alias}}))
	must(h.DB.CreateOrganization(ctx, &gatehouse.Organization{ID: f.org, Name: "Org " + sfx}))
	nk, err := h.DB.CreateTeam(ctx, &gatehouse.Team{ID: f.team, OrganizationID: f.org, AccessGroups: []string{f.group}, CreditsAllocated: 100 * gatehouse.OneCredit})
	must(err)
	f.key, f.teamKey = nk.Key.ID, nk.Secret
	j, err := h.DB.CreateJob(ctx, &gatehouse.Job{TeamID: f.team}, "")
	must(err)
	f.job = j.ID
	c := &gatehouse.Credential{OrganizationID: f.org, Provider: "openai", Name: "c" + sfx, APIKey: "sk-fixture-" + sfx}
	must(h.DB.CreateCredential(ctx, c))
	f.cred = c.ID
	u := &gatehouse.AdminUser{Email: "u" + sfx + "@example.com", Role: gatehouse.RoleViewer, PasswordHash: fixtureHash()}
	must(h.DB.CreateAdminUser(ctx, u))
	f.user = u.ID
	return f
}

// path fills a route pattern with the fixture's resources.
func (f fixture) path(pattern string) string {
	r := strings.NewReplacer("{alias}", f.alias, "{group}", f.group, "{key}", f.key, "{model}", f.alias)
	p := r.Replace(pattern)
	switch {
	case strings.HasPrefix(p, "/api/organizations/"):
		p = strings.Replace(p, "{id}", f.org, 1)
	case strings.HasPrefix(p, "/api/teams/"):
		p = strings.Replace(strings.Replace(p, "{id}", f.team, 1), "{team_id}", f.team, 1)
	case strings.HasPrefix(p, "/api/credits/teams/"):
		p = strings.Replace(p, "{team_id}", f.team, 1)
	case strings.HasPrefix(p, "/api/jobs/"):
		p = strings.Replace(p, "{id}", f.job, 1)
	case strings.HasPrefix(p, "/api/provider-credentials/"):
		p = strings.Replace(p, "{id}", f.cred, 1)
	case strings.HasPrefix(p, "/api/admin-users/"):
		p = strings.Replace(p, "{id}", f.user, 1)
	}
	return p
}

// authzCase is the request the matrix sends to one route and the status a
// caller allowed through must get.
type authzCase struct {
	body string // %[1]s is replaced by a unique suffix, %[2]s by the fixture's alias
	ok   int
}

var authzCases = map[string]authzCase{
	"GET /health":       {"", 200},
	"GET /ready":        {"", 200},
	"GET /version":      {"", 200},
	"GET /openapi.json": {"", 200},
	"GET /docs":         {"", 200},

	"POST /api/model-aliases/create":          {`{"alias": "new%[1]s", "litellm_model": "openai/gpt-4"}`, 201},
	"GET /api/model-aliases":                  {"", 200},
	"GET /api/model-aliases/{alias}":          {"", 200},
	"PUT /api/model-aliases/{alias}":          {`{"description": "changed"}`, 200},
	"POST /api/model-aliases/{alias}/disable": {"", 200},
	"POST /api/model-aliases/{alias}/enable":  {"", 200},
	"DELETE /api/model-aliases/{alias}":       {"", 200},

	"POST /api/model-access-groups/create":                {`{"group_name": "new%[1]s", "model_aliases": ["%[2]s"]}`, 201},
	"GET /api/model-access-groups":                        {"", 200},
	"GET /api/model-access-groups/{group}":                {"", 200},
	"PUT /api/model-access-groups/{group}":                {`{"description": "changed"}`, 200},
	"POST /api/model-access-groups/{group}/add-models":    {`{"model_aliases": ["%[2]s"]}`, 200},
	"POST /api/model-access-groups/{group}/remove-models": {`{"model_aliases": ["%[2]s"]}`, 200},
	"DELETE /api/model-access-groups/{group}":             {"", 409}, // the fixture team uses it

	"POST /api/organizations/create":        {`{"organization_id": "new%[1]s", "name": "New"}`, 201},
	"GET /api/organizations":                {"", 200},
	"GET /api/organizations/{id}":           {"", 200},
	"PUT /api/organizations/{id}":           {`{"name": "Renamed"}`, 200},
	"POST /api/organizations/{id}/suspend":  {"", 200},
	"POST /api/organizations/{id}/activate": {"", 200},
	"DELETE /api/organizations/{id}":        {"", 409}, // it still has the fixture team
	"GET /api/organizations/{id}/teams":     {"", 200},

	"POST /api/teams/create":                 {`{"organization_id": "o%[1]s", "team_id": "new%[1]s"}`, 201},
	"GET /api/teams":                         {"", 200},
	"GET /api/teams/{id}":                    {"", 200},
	"PUT /api/teams/{id}":                    {`{"team_alias": "Renamed"}`, 200},
	"PUT /api/teams/{id}/access-groups":      {`{"access_groups": []}`, 200},
	"POST /api/teams/{id}/suspend":           {"", 200},
	"POST /api/teams/{id}/pause":             {"", 200},
	"POST /api/teams/{id}/resume":            {"", 200},
	"DELETE /api/teams/{id}":                 {"", 200},
	"POST /api/teams/{id}/keys":              {`{"name": "ci"}`, 201},
	"GET /api/teams/{id}/keys":               {"", 200},
	"POST /api/teams/{id}/keys/{key}/rotate": {"", 201},
	"POST /api/teams/{id}/keys/{key}/revoke": {"", 200},

	"POST /api/provider-credentials/create":    {`{"organization_id": "o%[1]s", "provider": "anthropic", "credential_name": "n", "api_key": "sk-ant-secret-value"}`, 201},
	"GET /api/provider-credentials":            {"", 200},
	"GET /api/provider-credentials/{id}":       {"", 200},
	"PUT /api/provider-credentials/{id}":       {`{"api_base": "https://proxy.example.com/v1"}`, 200},
	"DELETE /api/provider-credentials/{id}":    {"", 200},
	"POST /api/provider-credentials/{id}/test": {"", 200},

	"POST /api/admin-users/login":              {`{"email": "nobody-%[1]s@example.com", "password": "not the password"}`, 401},
	"POST /api/admin-users/logout":             {"", 200},
	"GET /api/admin-users/me":                  {"", 200},
	"POST /api/admin-users/me/change-password": {`{"current_password": "` + fixturePassword + `", "new_password": "another long password"}`, 200},
	"GET /api/admin-users":                     {"", 200},
	"POST /api/admin-users":                    {`{"email": "new%[1]s@example.com", "password": "a long enough password", "role": "viewer"}`, 201},
	"PUT /api/admin-users/{id}":                {`{"display_name": "Renamed"}`, 200},
	"DELETE /api/admin-users/{id}":             {"", 200},
	"GET /api/audit-log":                       {"", 200},
	"GET /api/providers":                       {"", 200},

	"POST /api/jobs/create":                 {`{"job_type": "t"}`, 201},
	"POST /api/jobs/create-and-call":        {`{"model": "%[2]s", "messages": [{"role": "user", "content": "hi"}]}`, 200},
	"POST /api/jobs/create-and-call-stream": {`{"model": "%[2]s", "messages": [{"role": "user", "content": "hi"}]}`, 200},
	"GET /api/jobs/{id}":                    {"", 200},
	"POST /api/jobs/{id}/llm-call":          {`{"model": "%[2]s", "messages": [{"role": "user", "content": "hi"}]}`, 200},
	"POST /api/jobs/{id}/llm-call-stream":   {`{"model": "%[2]s", "messages": [{"role": "user", "content": "hi"}]}`, 200},
	"POST /api/jobs/{id}/complete":          {`{"status": "completed"}`, 200},
	"PATCH /api/jobs/{id}/metadata":         {`{"metadata": {"k": "v"}}`, 200},
	"GET /api/jobs/{id}/costs":              {"", 200},
	"GET /api/teams/{team_id}/jobs":         {"", 200},

	"GET /api/teams/{team_id}/usage":                          {"", 200},
	"GET /api/credits/teams/{team_id}/balance":                {"", 200},
	"GET /api/credits/teams/{team_id}/transactions":           {"", 200},
	"POST /api/credits/teams/{team_id}/add":                   {`{"credits": 5, "reason": "bonus"}`, 200},
	"POST /api/credits/teams/{team_id}/replenish":             {`{"credits": 100, "payment_type": "one_time", "payment_amount_usd": "9.99"}`, 200},
	"POST /api/credits/teams/{team_id}/adjust":                {`{"credits": -1.5, "reason": "correction"}`, 200},
	"POST /api/credits/teams/{team_id}/refund":                {`{"job_id": "nope"}`, 404},
	"GET /api/credits/teams/{team_id}/conversion-rates":       {"", 200},
	"PATCH /api/credits/teams/{team_id}/conversion-rates":     {`{"credits_per_dollar": 20, "tokens_per_credit": 500}`, 200},
	"PATCH /api/credits/teams/{team_id}/budget-mode":          {`{"budget_mode": "job_based"}`, 200},
	"PATCH /api/credits/teams/{team_id}/markup":               {`{"cost_markup_percentage": 12.5}`, 200},
	"POST /api/credits/teams/{team_id}/configure-auto-refill": {`{"enabled": true, "refill_amount": 50, "refill_period": "monthly"}`, 200},

	"POST /v1/chat/completions": {`{"model": "%[2]s", "messages": [{"role": "user", "content": "hi"}]}`, 200},
	"POST /v1/embeddings":       {`{"model": "%[2]s", "input": "hi"}`, 400},
	"POST /v1/messages":         {`{"model": "%[2]s", "max_tokens": 20, "messages": [{"role": "user", "content": "hi"}]}`, 200},
	"GET /v1/models":            {"", 200},
	"GET /v1/models/{model}":    {"", 200},
}

// caller kinds of the matrix.
var callers = []string{"none", "team_key", "viewer", "admin", "owner", "master"}

// expected returns the exact status a caller kind gets on a route.
func expected(a access, caller string, ok int) int {
	if a == public {
		return ok
	}
	if a == teamOrViewer {
		if caller == "none" {
			return http.StatusUnauthorized
		}
		return ok
	}
	if a == teamKey {
		if caller == "team_key" {
			return ok
		}
		return http.StatusUnauthorized
	}
	switch caller {
	case "none":
		return http.StatusUnauthorized
	case "team_key":
		return http.StatusForbidden
	case "master":
		if a == session {
			return http.StatusForbidden
		}
		return ok
	}
	if gatehouse.RoleRank(caller) >= gatehouse.RoleRank(minRole[a]) {
		return ok
	}
	return http.StatusForbidden
}

func TestAuthorizationMatrix(t *testing.T) {
	h := newHarness(t, storetest.OpenSQLite(t))
	routes := (&server{Deps: Deps{Store: h.DB, State: h.State}}).routes()
	// Each (route, caller) that is allowed to change something gets its
	// own fixture, so no request sees another's side effects.
	ctx := context.Background()
	users := map[string]*gatehouse.AdminUser{}
	for _, role := range []string{gatehouse.RoleViewer, gatehouse.RoleAdmin, gatehouse.RoleOwner} {
		u := &gatehouse.AdminUser{Email: role + "@example.com", Role: role, PasswordHash: fixtureHash()}
		if err := h.DB.CreateAdminUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		users[role] = u
	}
	// session mints a fresh session for a role, so logouts and password
	// changes in one cell never affect another.
	session := func(role string) string {
		tok := secret.NewToken(secret.PrefixSession)
		if err := h.DB.CreateSession(ctx, &gatehouse.Session{TokenHash: secret.HashToken(tok), UserID: users[role].ID, ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		return tok
	}
	shared := seedFixture(t, h, "shared")
	if err := h.State.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i, rt := range routes {
		name := rt.Method + " " + rt.Path
		seen[name] = true
		c, ok := authzCases[name]
		if !ok {
			t.Errorf("route %s has no authorization matrix case; add one", name)
			continue
		}
		for j, caller := range callers {
			want := expected(rt.Access, caller, c.ok)
			f := shared
			sfx := fmt.Sprintf("%d-%d", i, j)
			if rt.Method != "GET" && want == c.ok && rt.Access != public {
				f = seedFixture(t, h, sfx)
				if err := h.State.Refresh(ctx); err != nil {
					t.Fatal(err)
				}
			}
			var token string
			switch caller {
			case "team_key":
				token = f.teamKey
			case "master":
				token = h.Master
			case "viewer", "admin", "owner":
				token = session(caller)
			}
			body := c.body
			if strings.Contains(body, "%[") {
				body = fmt.Sprintf(body, sfx, f.alias)
				if strings.Contains(body, `"organization_id": "o`+sfx) && f == shared {
					body = strings.ReplaceAll(body, "o"+sfx, shared.org)
				}
			}
			r := h.do(rt.Method, f.path(rt.Path), token, body)
			if r.Status != want {
				t.Errorf("%s as %s: status %d, want %d: %s", name, caller, r.Status, want, r.Raw)
			}
			if r.Status >= 400 {
				errorOf(t, r)
			}
		}
	}
	for name := range authzCases {
		if !seen[name] {
			t.Errorf("matrix case %s matches no route", name)
		}
	}
}
