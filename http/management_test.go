package http

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse/sqlstore"
	"github.com/gatehouse-llm/gatehouse/sqlstore/storetest"
)

// seedBasics creates alias fast (in group starter) and team t of org o.
func seedBasics(t *testing.T, h *harness) (teamKey string) {
	t.Helper()
	h.admin("POST", "/api/model-aliases/create", `{"alias": "fast", "litellm_model": "openai/gpt-3.5-turbo"}`, http.StatusCreated)
	h.admin("POST", "/api/model-aliases/create", `{"alias": "smart", "litellm_model": "openai/gpt-4"}`, http.StatusCreated)
	h.admin("POST", "/api/model-access-groups/create", `{"group_name": "starter", "model_aliases": ["fast"]}`, http.StatusCreated)
	h.admin("POST", "/api/organizations/create", `{"organization_id": "o", "name": "O"}`, http.StatusCreated)
	team := h.admin("POST", "/api/teams/create", `{"organization_id": "o", "team_id": "t", "access_groups": ["starter"]}`, http.StatusCreated)
	return team["virtual_key"].(string)
}

// Bad input gets a 4xx in the standard shape naming the field, and
// changes nothing at all.
func TestBadInputChangesNothing(t *testing.T) {
	tests := []struct {
		name, method, path, body string
		status                   int
		code, field              string
	}{
		{"alias missing", "POST", "/api/model-aliases/create", `{"litellm_model": "openai/gpt-4"}`, 400, "invalid_request", "alias"},
		{"alias uppercase", "POST", "/api/model-aliases/create", `{"alias": "GPT-4", "litellm_model": "openai/gpt-4"}`, 400, "invalid_request", "alias"},
		{"model not provider/model", "POST", "/api/model-aliases/create", `{"alias": "x", "litellm_model": "gpt-4"}`, 400, "invalid_request", "litellm_model"},
		{"unsupported provider", "POST", "/api/model-aliases/create", `{"alias": "x", "litellm_model": "acme/gpt-4"}`, 400, "invalid_request", "litellm_model"},
		{"unknown model without price", "POST", "/api/model-aliases/create", `{"alias": "x", "litellm_model": "openai/gpt-99"}`, 400, "invalid_request", "litellm_model"},
		{"open provider without price", "POST", "/api/model-aliases/create", `{"alias": "x", "litellm_model": "azure/my-deployment"}`, 400, "invalid_request", "pricing"},
		{"bad price", "POST", "/api/model-aliases/create", `{"alias": "x", "litellm_model": "openai/gpt-99", "pricing": {"input_per_million": "-1", "output_per_million": "2"}}`, 400, "invalid_request", "pricing.input_per_million"},
		{"half a price", "POST", "/api/model-aliases/create", `{"alias": "x", "litellm_model": "openai/gpt-99", "pricing": {"input_per_million": "1"}}`, 400, "invalid_request", "pricing"},
		{"unknown fallback", "POST", "/api/model-aliases/create", `{"alias": "x", "litellm_model": "openai/gpt-4", "fallbacks": ["nope"]}`, 400, "invalid_request", "fallbacks"},
		{"self fallback", "PUT", "/api/model-aliases/fast", `{"fallbacks": ["fast"]}`, 400, "invalid_request", "fallbacks"},
		{"typo in field", "POST", "/api/model-aliases/create", `{"alias": "x", "litellm_modle": "openai/gpt-4"}`, 400, "invalid_request", "litellm_modle"},
		{"wrong type", "POST", "/api/model-aliases/create", `{"alias": 4, "litellm_model": "openai/gpt-4"}`, 400, "invalid_request", "alias"},
		{"not json", "POST", "/api/model-aliases/create", `alias=x`, 400, "invalid_request", ""},
		{"empty body", "POST", "/api/organizations/create", ``, 400, "invalid_request", ""},
		{"duplicate alias", "POST", "/api/model-aliases/create", `{"alias": "fast", "litellm_model": "openai/gpt-4"}`, 409, "conflict", ""},
		{"rename alias", "PUT", "/api/model-aliases/fast", `{"alias": "quick"}`, 400, "invalid_request", "alias"},
		{"unknown alias", "PUT", "/api/model-aliases/nope", `{"description": "x"}`, 404, "not_found", ""},
		{"group with unknown alias", "POST", "/api/model-access-groups/create", `{"group_name": "g2", "model_aliases": ["fast", "nope"]}`, 404, "not_found", "model_aliases"},
		{"remove alias not in group", "POST", "/api/model-access-groups/starter/remove-models", `{"model_aliases": ["smart"]}`, 404, "not_found", "model_aliases"},
		{"delete group in use", "DELETE", "/api/model-access-groups/starter", ``, 409, "conflict", ""},
		{"org id with spaces", "POST", "/api/organizations/create", `{"organization_id": "a b", "name": "x"}`, 400, "invalid_request", "organization_id"},
		{"org without name", "POST", "/api/organizations/create", `{"organization_id": "x"}`, 400, "invalid_request", "name"},
		{"delete org with teams", "DELETE", "/api/organizations/o", ``, 409, "conflict", ""},
		{"team in unknown org", "POST", "/api/teams/create", `{"organization_id": "nope", "team_id": "t2"}`, 404, "not_found", ""},
		{"team with unknown group", "POST", "/api/teams/create", `{"organization_id": "o", "team_id": "t2", "access_groups": ["nope"]}`, 404, "not_found", "access_groups"},
		{"team bad budget mode", "POST", "/api/teams/create", `{"organization_id": "o", "team_id": "t2", "budget_mode": "free"}`, 400, "invalid_request", "budget_mode"},
		{"team negative credits", "POST", "/api/teams/create", `{"organization_id": "o", "team_id": "t2", "credits_allocated": -5}`, 400, "invalid_request", "credits_allocated"},
		{"team credits finer than a micro-credit", "POST", "/api/teams/create", `{"organization_id": "o", "team_id": "t2", "credits_allocated": 1.0000001}`, 400, "invalid_request", "credits_allocated"},
		{"duplicate team", "POST", "/api/teams/create", `{"organization_id": "o", "team_id": "t"}`, 409, "conflict", ""},
		{"key expiring in the past", "POST", "/api/teams/t/keys", `{"expires_at": "2001-01-01T00:00:00Z"}`, 400, "invalid_request", "expires_at"},
		{"credential without key", "POST", "/api/provider-credentials/create", `{"provider": "openai", "credential_name": "x"}`, 400, "invalid_request", "api_key"},
		{"credential bad provider", "POST", "/api/provider-credentials/create", `{"provider": "acme", "credential_name": "x", "api_key": "k"}`, 400, "invalid_request", "provider"},
		{"credential bad base", "POST", "/api/provider-credentials/create", `{"provider": "openai", "credential_name": "x", "api_key": "k", "api_base": "ftp://x"}`, 400, "invalid_request", "api_base"},
		{"admin user short password", "POST", "/api/admin-users", `{"email": "a@example.com", "password": "short", "role": "admin"}`, 400, "invalid_request", "password"},
		{"admin user bad role", "POST", "/api/admin-users", `{"email": "a@example.com", "password": "long enough password", "role": "god"}`, 400, "invalid_request", "role"},
		{"bad limit", "GET", "/api/teams?limit=-1", ``, 400, "invalid_request", "limit"},
		{"limit too big", "GET", "/api/teams?limit=100000", ``, 400, "invalid_request", "limit"},
	}
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		h := newHarness(t, db)
		seedBasics(t, h)
		for _, tt := range tests {
			t.Run(strings.ReplaceAll(tt.name, " ", "_"), func(t *testing.T) {
				before, _ := db.StateVersion(context.Background())
				auditBefore := len(h.admin("GET", "/api/audit-log?limit=500", "", 200)["entries"].([]any))
				r := h.do(tt.method, tt.path, h.Master, tt.body)
				e := errorOf(t, r)
				if r.Status != tt.status || e["code"] != tt.code {
					t.Fatalf("status %d code %v, want %d %s: %s", r.Status, e["code"], tt.status, tt.code, r.Raw)
				}
				if field, _ := e["field"].(string); field != tt.field {
					t.Errorf("field = %q, want %q (%s)", field, tt.field, e["message"])
				}
				after, _ := db.StateVersion(context.Background())
				auditAfter := len(h.admin("GET", "/api/audit-log?limit=500", "", 200)["entries"].([]any))
				if after != before || auditAfter != auditBefore {
					t.Errorf("a refused request changed state (version %d→%d, audit %d→%d)", before, after, auditBefore, auditAfter)
				}
			})
		}
	})
}

func TestUnknownRoutesAndMethodsAnswerJSON(t *testing.T) {
	h := newHarness(t, storetest.OpenSQLite(t))
	r := h.do("GET", "/api/nope", h.Master, "")
	if e := errorOf(t, r); r.Status != 404 || e["code"] != "not_found" {
		t.Errorf("unknown route: %d %s", r.Status, r.Raw)
	}
	r = h.do("PATCH", "/api/model-aliases/x", h.Master, "{}")
	if e := errorOf(t, r); r.Status != 405 || e["code"] != "method_not_allowed" || r.Header.Get("Allow") == "" {
		t.Errorf("wrong method: %d %s allow=%q", r.Status, r.Raw, r.Header.Get("Allow"))
	}
}

func TestPagination(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		h := newHarness(t, db)
		for _, id := range []string{"o1", "o2", "o3", "o4", "o5"} {
			h.admin("POST", "/api/organizations/create", `{"organization_id": "`+id+`", "name": "x"}`, 201)
		}
		h.admin("POST", "/api/organizations/o5/suspend", "", 200)
		page := h.admin("GET", "/api/organizations?limit=2&offset=2", "", 200)
		orgs := page["organizations"].([]any)
		if page["total"] != float64(5) || page["limit"] != float64(2) || page["offset"] != float64(2) || len(orgs) != 2 ||
			orgs[0].(map[string]any)["organization_id"] != "o3" {
			t.Fatalf("page: %v", page)
		}
		def := h.admin("GET", "/api/organizations", "", 200)
		if def["limit"] != float64(50) {
			t.Errorf("default limit = %v, want 50", def["limit"])
		}
		sus := h.admin("GET", "/api/organizations?status=suspended", "", 200)
		if sus["total"] != float64(1) {
			t.Errorf("status filter: %v", sus)
		}
	})
}

func TestKeyLifecycle(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		h := newHarness(t, db)
		first := seedBasics(t, h)
		ok := func(key string) int { return h.do("GET", "/v1/models", key, "").Status }
		if ok(first) != 200 {
			t.Fatal("first key refused")
		}
		if err := h.KeyUse.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		keys := h.admin("GET", "/api/teams/t/keys", "", 200)["keys"].([]any)
		if keys[0].(map[string]any)["last_used_at"] == nil {
			t.Error("last_used_at not recorded after a use")
		}
		firstID := keys[0].(map[string]any)["key_id"].(string)
		if p := keys[0].(map[string]any)["prefix"].(string); !strings.HasPrefix(first, p) || len(p) != 12 {
			t.Errorf("prefix %q does not identify the key", p)
		}

		// Rotation with a grace period: both keys work until it ends.
		rot := h.admin("POST", "/api/teams/t/keys/"+firstID+"/rotate", `{"grace_period_seconds": 3600}`, 201)
		second := rot["virtual_key"].(string)
		if ok(first) != 200 || ok(second) != 200 {
			t.Fatal("during the grace period both keys must work")
		}
		// Rotation with no grace: the old key stops at once.
		secondID := rot["key_id"].(string)
		third := h.admin("POST", "/api/teams/t/keys/"+secondID+"/rotate", `{"grace_period_seconds": 0}`, 201)["virtual_key"].(string)
		if ok(second) != 401 || ok(third) != 200 {
			t.Fatal("rotation without grace must retire the old key at once")
		}
		// Revocation.
		h.admin("POST", "/api/teams/t/keys/"+firstID+"/revoke", "", 200)
		if ok(first) != 401 {
			t.Fatal("revoked key still works")
		}
		// Expiry.
		soon := time.Now().Add(3 * time.Second)
		exp := h.admin("POST", "/api/teams/t/keys", `{"name": "short", "expires_at": "`+soon.UTC().Format(time.RFC3339Nano)+`"}`, 201)["virtual_key"].(string)
		if ok(exp) != 200 && time.Now().Before(soon) {
			t.Fatal("fresh key refused")
		}
		time.Sleep(time.Until(soon) + 100*time.Millisecond)
		if ok(exp) != 401 {
			t.Fatal("expired key still works")
		}
		if ok("gh-sk-not-a-real-key") != 401 || ok("") != 401 {
			t.Fatal("bogus keys must be refused")
		}
	})
}

// Suspending or pausing refuses the team's calls; suspending its
// organization refuses all of its teams.
func TestSuspension(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		h := newHarness(t, db)
		key := seedBasics(t, h)
		status := func() int { return h.do("GET", "/v1/models", key, "").Status }
		for _, step := range []struct {
			path string
			want int
		}{
			{"/api/teams/t/suspend", 403}, {"/api/teams/t/resume", 200},
			{"/api/teams/t/pause", 403}, {"/api/teams/t/resume", 200},
			{"/api/organizations/o/suspend", 403}, {"/api/organizations/o/activate", 200},
		} {
			h.admin("POST", step.path, "", 200)
			if got := status(); got != step.want {
				t.Fatalf("after %s: /v1/models = %d, want %d", step.path, got, step.want)
			}
		}
		// Access follows the groups: an inactive group grants nothing.
		h.admin("PUT", "/api/model-access-groups/starter", `{"active": false}`, 200)
		if r := h.do("GET", "/v1/models/fast", key, ""); r.Status != 403 {
			t.Fatalf("alias through an inactive group: %d", r.Status)
		}
		h.admin("PUT", "/api/model-access-groups/starter", `{"active": true}`, 200)
		h.admin("PUT", "/api/teams/t/access-groups", `["starter"]`, 200) // SaasLiteLLM's bare-array form
		if r := h.do("GET", "/v1/models/fast", key, ""); r.Status != 200 {
			t.Fatalf("after re-granting: %d %s", r.Status, r.Raw)
		}
	})
}

func TestAdminSessions(t *testing.T) {
	h := newHarness(t, storetest.OpenSQLite(t))
	h.admin("POST", "/api/admin-users", `{"email": "Viewer@Example.com", "password": "viewer password 1", "role": "viewer", "display_name": "V"}`, 201)
	login := func(pw string) response {
		return h.do("POST", "/api/admin-users/login", "", `{"email": "viewer@example.com", "password": "`+pw+`"}`)
	}
	r := login("viewer password 1")
	if r.Status != 200 || r.Body["token_type"] != "bearer" || r.Body["expires_at"] == nil {
		t.Fatalf("login: %s", r.Raw)
	}
	tok := r.Body["access_token"].(string)
	if me := h.do("GET", "/api/admin-users/me", tok, ""); me.Status != 200 || me.Body["role"] != "viewer" {
		t.Fatalf("me: %s", me.Raw)
	}
	if w := h.do("POST", "/api/organizations/create", tok, `{"organization_id": "x", "name": "x"}`); w.Status != 403 {
		t.Fatalf("viewer wrote: %d", w.Status)
	}
	if out := h.do("POST", "/api/admin-users/logout", tok, ""); out.Status != 200 {
		t.Fatalf("logout: %s", out.Raw)
	}
	if me := h.do("GET", "/api/admin-users/me", tok, ""); me.Status != 401 {
		t.Fatalf("session works after logout: %d", me.Status)
	}

	// Throttling: five wrong passwords, then even the right one waits.
	for i := range 5 {
		if r := login("wrong password " + string(rune('a'+i))); r.Status != 401 {
			t.Fatalf("wrong password %d: %d", i, r.Status)
		}
	}
	r = login("viewer password 1")
	if r.Status != 429 || r.Header.Get("Retry-After") == "" {
		t.Fatalf("after 5 failures: %d %s (Retry-After %q)", r.Status, r.Raw, r.Header.Get("Retry-After"))
	}
	// Unknown emails get the same answer as wrong passwords.
	if r := h.do("POST", "/api/admin-users/login", "", `{"email": "ghost@example.com", "password": "whatever password"}`); r.Status != 401 {
		t.Fatalf("unknown user: %d", r.Status)
	}
}

func TestAuditLog(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		h := newHarness(t, db)
		h.admin("POST", "/api/model-aliases/create", `{"alias": "smart", "litellm_model": "openai/gpt-4", "description": "one"}`, 201)
		h.admin("PUT", "/api/model-aliases/smart", `{"litellm_model": "anthropic/claude-3-opus-20240229"}`, 200)
		h.admin("POST", "/api/model-aliases/smart/disable", "", 200)
		log := h.admin("GET", "/api/audit-log?resource_type=alias&resource_id=smart", "", 200)
		entries := log["entries"].([]any)
		if len(entries) != 3 {
			t.Fatalf("entries: %v", log)
		}
		newest := entries[0].(map[string]any)
		if newest["action"] != "alias.disable" || newest["actor"] != "master" {
			t.Errorf("newest entry: %v", newest)
		}
		upd := entries[1].(map[string]any)
		before, after := upd["before"].(map[string]any), upd["after"].(map[string]any)
		if upd["action"] != "alias.update" || before["litellm_model"] != "openai/gpt-4" || after["litellm_model"] != "anthropic/claude-3-opus-20240229" {
			t.Errorf("update entry must carry before and after: %v", upd)
		}
		if _, err := time.Parse(time.RFC3339Nano, upd["created_at"].(string)); err != nil {
			t.Errorf("created_at: %v", err)
		}
	})
}

func TestCredentials(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		h := newHarness(t, db)
		h.admin("POST", "/api/organizations/create", `{"organization_id": "o", "name": "O"}`, 201)
		org := h.admin("POST", "/api/provider-credentials/create", `{"organization_id": "o", "provider": "OpenAI", "credential_name": "main", "api_key": "sk-org-key-aaaa1111"}`, 201)
		def := h.admin("POST", "/api/provider-credentials/create", `{"provider": "openai", "credential_name": "default", "api_key": "sk-default-key-bbbb2222", "api_base": "https://proxy.example.com/v1"}`, 201)
		h.admin("POST", "/api/provider-credentials/create", `{"provider": "anthropic", "credential_name": "default", "api_key": "sk-ant-cccc3333"}`, 201)
		if org["provider"] != "openai" || org["api_key_last4"] != "1111" || org["scope"] != "organization" || def["scope"] != "operator_default" {
			t.Errorf("create responses: %v / %v", org, def)
		}
		if _, ok := org["api_key"]; ok {
			t.Error("api_key returned")
		}
		h.admin("POST", "/api/provider-credentials/create", `{"organization_id": "o", "provider": "openai", "credential_name": "main", "api_key": "x1234567890"}`, 409)
		if l := h.admin("GET", "/api/provider-credentials?organization_id=o", "", 200); l["total"] != float64(1) {
			t.Errorf("org filter: %v", l)
		}
		if l := h.admin("GET", "/api/provider-credentials?scope=operator_default", "", 200); l["total"] != float64(2) {
			t.Errorf("scope filter: %v", l)
		}
		snap := h.State.Snapshot()
		if c := snap.Credential("o", "openai"); c == nil || c.APIKey != "sk-org-key-aaaa1111" {
			t.Errorf("organization credential resolution: %+v", c)
		}
		if c := snap.Credential("o", "anthropic"); c == nil || c.APIKey != "sk-ant-cccc3333" {
			t.Errorf("fallback to operator default: %+v", c)
		}
		if c := snap.Credential("other", "openai"); c == nil || c.APIBase != "https://proxy.example.com/v1" {
			t.Errorf("operator default for another org: %+v", c)
		}
		id := org["credential_id"].(string)
		upd := h.admin("PUT", "/api/provider-credentials/"+id, `{"api_key": "sk-rotated-zzzz9999"}`, 200)
		if upd["api_key_last4"] != "9999" {
			t.Errorf("after key change: %v", upd)
		}
		if c := h.State.Snapshot().Credential("o", "openai"); c == nil || c.APIKey != "sk-rotated-zzzz9999" {
			t.Errorf("new key not in effect: %+v", c)
		}
		test := h.admin("POST", "/api/provider-credentials/"+id+"/test", "", 200)
		if test["ok"] != true || strings.Contains(h.do("POST", "/api/provider-credentials/"+id+"/test", h.Master, "").Raw, "sk-rotated") {
			t.Errorf("test: %v", test)
		}
		h.admin("PUT", "/api/provider-credentials/"+id, `{"is_active": false}`, 200)
		if c := h.State.Snapshot().Credential("o", "openai"); c == nil || c.Name != "default" {
			t.Errorf("an inactive credential must not be used: %+v", c)
		}
	})
}

func TestProviders(t *testing.T) {
	h := newHarness(t, storetest.OpenSQLite(t))
	all := h.admin("GET", "/api/providers", "", 200)
	byName := map[string]map[string]any{}
	for _, p := range all["providers"].([]any) {
		p := p.(map[string]any)
		byName[p["provider"].(string)] = p
	}
	for _, name := range []string{"openai", "anthropic", "gemini", "bedrock", "azure", "mistral", "groq", "mock", "openai_compatible"} {
		if byName[name] == nil {
			t.Errorf("provider %s missing", name)
		}
	}
	if byName["azure"]["open"] != true || byName["openai"]["open"] != false {
		t.Error("open flags wrong")
	}
	found := false
	for _, m := range byName["openai"]["models"].([]any) {
		m := m.(map[string]any)
		if m["litellm_model"] == "openai/gpt-4o" {
			found = true
			if m["input_per_million"] == nil || m["context_window"].(float64) <= 0 {
				t.Errorf("gpt-4o entry incomplete: %v", m)
			}
		}
	}
	if !found {
		t.Error("openai/gpt-4o not listed")
	}
	for _, m := range byName["mock"]["models"].([]any) {
		if m.(map[string]any)["input_per_million"] != "0.00" {
			t.Errorf("mock models must carry an explicit zero price: %v", m)
		}
	}
	one := h.admin("GET", "/api/providers?provider=anthropic", "", 200)
	if len(one["providers"].([]any)) != 1 {
		t.Errorf("filter: %v", one)
	}
	h.admin("GET", "/api/providers?provider=acme", "", 404)
}
