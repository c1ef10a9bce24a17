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
	webhook, delivery                                      string
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
	// An endpoint limited to the fixture's team, registered before the
	// team so that the team's first credits make a delivery.
	ep := &gatehouse.WebhookEndpoint{URL: "https://example.com/hook" + sfx, EventTypes: []string{"*"}}
	must(h.DB.CreateWebhookEndpoint(ctx, ep))
	f.webhook = ep.ID
	nk, err := h.DB.CreateTeam(ctx, &gatehouse.Team{ID: f.team, OrganizationID: f.org, AccessGroups: []string{f.group}, CreditsAllocated: 100 * gatehouse.OneCredit})
	must(err)
	f.key, f.teamKey = nk.Key.ID, nk.Secret
	ds, _, err := h.DB.ListWebhookDeliveries(ctx, gatehouse.DeliveryFilter{EndpointID: ep.ID})
	must(err)
	if len(ds) == 0 {
		t.Fatal("the fixture team's credits made no webhook delivery")
	}
	f.delivery = ds[0].ID
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
	case strings.HasPrefix(p, "/api/webhooks/"):
		p = strings.Replace(p, "{id}", f.webhook, 1)
	case strings.HasPrefix(p, "/api/webhook-deliveries/"):
		p = strings.Replace(p, "{id}", f.delivery, 1)
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

	"POST /api/webhooks/create":                {`{"url": "https://example.com/new%[1]s", "event_types": ["job.completed"], "credits_low_threshold": 2.5}`, 201},
	"GET /api/webhooks":                        {"", 200},
	"GET /api/webhooks/{id}":                   {"", 200},
	"PUT /api/webhooks/{id}":                   {`{"description": "changed", "is_active": false}`, 200},
	"POST /api/webhooks/{id}/rotate-secret":    {"", 200},
	"POST /api/webhooks/{id}/test":             {"", 202},
	"DELETE /api/webhooks/{id}":                {"", 200},
	"GET /api/webhook-deliveries":              {"", 200},
	"GET /api/webhook-deliveries/{id}":         {"", 200},
	"POST /api/webhook-deliveries/{id}/replay": {"", 202},

	"POST /v1/chat/completions": {`{"model": "%[2]s", "messages": [{"role": "user", "content": "hi"}]}`, 200},
	"POST /v1/embeddings":       {`{"model": "%[2]s", "input": "hi"}`, 400},
	"POST /v1/messages":         {`{"model": "%[2]s", "max_tokens": 20, "messages": [{"role": "user", "content": "hi"}]}`, 200},
	"GET /v1/models":            {"", 200},
	"GET /v1/models/{model}":    {"", 200},
}

// callers of the matrix: no credentials, a well-formed key nobody issued,
// the key of the team that owns the route's resources (A), another
// team's key (B), each admin role's session, and the master key.
var callers = []string{"none", "bad_key", "team_a", "team_b", "viewer", "admin", "owner", "master"}

// crossTenant is what team B's key gets on a route that names team A's
// resources, derived from the route: another team_id is a 403, another
// team's job a 404 (exactly like a missing one; calls in it name team B's
// own alias, so the job is what is refused), an alias team B is not
// granted a 403. A route naming nothing of team A's acts on B's own team.
func crossTenant(rt route, c authzCase) int {
	switch {
	case strings.Contains(rt.Path, "{team_id}"):
		return http.StatusForbidden
	case strings.HasPrefix(rt.Path, "/api/jobs/{id}"):
		return http.StatusNotFound
	case strings.Contains(rt.Path, "{model}"), strings.Contains(c.body, "%[2]s"):
		return http.StatusForbidden
	}
	return c.ok
}

// expected returns the exact status a caller kind gets on a route, from
// the route's declared access alone; known is false for an access level
// it does not know, which fails the matrix: a new kind of route must say
// here who may call it.
func expected(rt route, c authzCase, caller string) (status int, known bool) {
	s := expectedStatus(rt, c, caller)
	return s, s != 0
}

func expectedStatus(rt route, c authzCase, caller string) int {
	switch rt.Access {
	case public:
		return c.ok
	case teamKey, teamOrViewer:
		switch caller {
		case "none", "bad_key":
			return http.StatusUnauthorized
		case "team_a":
			return c.ok
		case "team_b":
			return crossTenant(rt, c)
		}
		if rt.Access == teamOrViewer {
			return c.ok // every admin role reads
		}
		return http.StatusUnauthorized // admin credentials are no team key
	case session, viewer, admin, owner:
		switch caller {
		case "none", "bad_key":
			return http.StatusUnauthorized
		case "team_a", "team_b":
			return http.StatusForbidden
		case "master":
			if rt.Access == session {
				return http.StatusForbidden
			}
			return c.ok
		}
		if gatehouse.RoleRank(caller) >= gatehouse.RoleRank(minRole[rt.Access]) {
			return c.ok
		}
		return http.StatusForbidden
	}
	return 0
}

// Every route × every kind of caller, from the route table itself: a
// route added without a case here fails, and so does one whose access
// level the matrix does not know. Path parameters are filled with team
// A's resources, so team B's key is tried against another tenant's team,
// jobs and aliases.
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
	other := seedFixture(t, h, "other") // team B: its own organization, group and alias
	if err := h.State.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	badKey := secret.NewToken(secret.PrefixVirtualKey)
	seen := map[string]bool{}
	cells := 0
	for i, rt := range routes {
		name := rt.Method + " " + rt.Path
		seen[name] = true
		c, ok := authzCases[name]
		if !ok {
			t.Errorf("route %s has no authorization matrix case; add one", name)
			continue
		}
		for j, caller := range callers {
			want, known := expected(rt, c, caller)
			if !known {
				t.Fatalf("route %s has access level %d, which the authorization matrix does not know; teach expected() who may call it", name, rt.Access)
			}
			f := shared
			sfx := fmt.Sprintf("%d-%d", i, j)
			if rt.Method != "GET" && want == c.ok && rt.Access != public && caller != "team_b" {
				f = seedFixture(t, h, sfx)
				if err := h.State.Refresh(ctx); err != nil {
					t.Fatal(err)
				}
			}
			var token string
			switch caller {
			case "bad_key":
				token = badKey
			case "team_a":
				token = f.teamKey
			case "team_b":
				token = other.teamKey
			case "master":
				token = h.Master
			case "viewer", "admin", "owner":
				token = session(caller)
			}
			body := c.body
			if strings.Contains(body, "%[") {
				alias := f.alias
				if caller == "team_b" && strings.HasPrefix(rt.Path, "/api/jobs/{id}") {
					// Team B calls its own alias inside team A's job, so
					// what is refused is the job, not the alias.
					alias = other.alias
				}
				body = fmt.Sprintf(body, sfx, alias)
				if strings.Contains(body, `"organization_id": "o`+sfx) && f == shared {
					body = strings.ReplaceAll(body, "o"+sfx, shared.org)
				}
			}
			r := h.do(rt.Method, f.path(rt.Path), token, body)
			cells++
			if r.Status != want {
				t.Errorf("%s as %s: status %d, want %d: %.300s", name, caller, r.Status, want, r.Raw)
			}
			if r.Status >= 400 {
				errorOf(t, r)
			}
			if caller == "team_b" && r.Status < 400 && crossTenant(rt, c) != c.ok {
				t.Errorf("%s: team B's key reached team A's resources", name)
			}
		}
	}
	for name := range authzCases {
		if !seen[name] {
			t.Errorf("matrix case %s matches no route", name)
		}
	}
	if want := len(routes) * len(callers); cells != want {
		t.Errorf("%d cells tried, want %d", cells, want)
	}
}

// The matrix knows every access level routes.go declares, and refuses
// one it does not know.
func TestAuthorizationMatrixKnowsEveryAccessLevel(t *testing.T) {
	for a := public; a <= owner; a++ {
		for _, caller := range callers {
			if _, known := expected(route{Access: a}, authzCase{ok: 200}, caller); !known {
				t.Errorf("access level %d is unknown to the matrix", a)
			}
		}
	}
	if _, known := expected(route{Access: owner + 1}, authzCase{ok: 200}, "none"); known {
		t.Error("the matrix accepted an access level it cannot know")
	}
}
