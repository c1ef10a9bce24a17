package http

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse-llm/gatehouse/sqlstore"
	"github.com/gatehouse-llm/gatehouse/sqlstore/storetest"
)

// These tests replay ../shared/seed/model-aliases.md: every curl example,
// as written, with only an admin header added.

func TestSeedAliasLifecycle(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		h := newHarness(t, db)
		created := h.admin("POST", "/api/model-aliases/create", `{
			"alias": "gpt-4",
			"litellm_model": "openai/gpt-4",
			"description": "OpenAI GPT-4 - Most capable model",
			"active": true
		}`, http.StatusCreated)
		for k, want := range map[string]any{"alias": "gpt-4", "litellm_model": "openai/gpt-4", "description": "OpenAI GPT-4 - Most capable model", "active": true} {
			if created[k] != want {
				t.Errorf("create response %s = %v, want %v", k, created[k], want)
			}
		}
		if ts, _ := created["created_at"].(string); !strings.HasSuffix(ts, "Z") {
			t.Errorf("created_at = %v, want an RFC 3339 UTC time", created["created_at"])
		}

		// Creating it again is a conflict that points to the update route.
		dup := h.do("POST", "/api/model-aliases/create", h.Master, `{"alias": "gpt-4", "litellm_model": "openai/gpt-4"}`)
		if e := errorOf(t, dup); dup.Status != http.StatusConflict || !strings.Contains(e["message"].(string), "PUT /api/model-aliases/gpt-4") {
			t.Fatalf("duplicate: %d %s", dup.Status, dup.Raw)
		}

		h.admin("POST", "/api/model-aliases/create", `{"alias": "claude-3-opus", "litellm_model": "anthropic/claude-3-opus-20240229", "description": "Claude 3 Opus"}`, http.StatusCreated)
		listed := h.admin("GET", "/api/model-aliases", "", http.StatusOK)
		aliases := listed["aliases"].([]any)
		if len(aliases) != 2 {
			t.Fatalf("list: %v", listed)
		}
		for _, a := range aliases {
			a := a.(map[string]any)
			if _, ok := a["usage_count"]; !ok || a["active"] != true {
				t.Errorf("list entry lacks usage_count or active: %v", a)
			}
		}

		h.admin("POST", "/api/model-access-groups/create", `{"group_name": "gpt-models", "description": "GPT", "model_aliases": ["gpt-4"]}`, http.StatusCreated)
		h.admin("POST", "/api/model-access-groups/create", `{"group_name": "premium-models", "model_aliases": ["gpt-4", "claude-3-opus"]}`, http.StatusCreated)
		h.admin("POST", "/api/organizations/create", `{"organization_id": "org_a", "name": "A"}`, http.StatusCreated)
		h.admin("POST", "/api/teams/create", `{"organization_id": "org_a", "team_id": "t1", "access_groups": ["gpt-models"]}`, http.StatusCreated)
		h.admin("POST", "/api/teams/create", `{"organization_id": "org_a", "team_id": "t2", "access_groups": ["premium-models", "gpt-models"]}`, http.StatusCreated)

		detail := h.admin("GET", "/api/model-aliases/gpt-4", "", http.StatusOK)
		if g := detail["access_groups"].([]any); len(g) != 2 || g[0] != "gpt-models" || g[1] != "premium-models" {
			t.Errorf("access_groups = %v", detail["access_groups"])
		}
		if detail["teams_with_access"] != float64(2) {
			t.Errorf("teams_with_access = %v, want 2 distinct teams", detail["teams_with_access"])
		}
		stats, ok := detail["usage_stats"].(map[string]any)
		if !ok {
			t.Fatalf("usage_stats missing: %v", detail)
		}
		for _, k := range []string{"total_calls", "total_cost_usd", "avg_tokens_per_call"} {
			if _, ok := stats[k]; !ok {
				t.Errorf("usage_stats lacks %s", k)
			}
		}

		updated := h.admin("PUT", "/api/model-aliases/gpt-4", `{
			"description": "OpenAI GPT-4 - Most capable model (updated)",
			"active": true
		}`, http.StatusOK)
		if updated["description"] != "OpenAI GPT-4 - Most capable model (updated)" || updated["litellm_model"] != "openai/gpt-4" {
			t.Errorf("partial update: %v", updated)
		}
		h.admin("PUT", "/api/model-aliases/gpt-4", `{"litellm_model": "openai/gpt-4-turbo"}`, http.StatusOK)
		if d := h.admin("GET", "/api/model-aliases/gpt-4", "", http.StatusOK); d["litellm_model"] != "openai/gpt-4-turbo" {
			t.Errorf("after update litellm_model = %v", d["litellm_model"])
		}

		if d := h.admin("POST", "/api/model-aliases/gpt-4/disable", "", http.StatusOK); d["active"] != false {
			t.Errorf("disable: %v", d)
		}
		if d := h.admin("POST", "/api/model-aliases/gpt-4/enable", "", http.StatusOK); d["active"] != true {
			t.Errorf("enable: %v", d)
		}
		if d := h.admin("PUT", "/api/model-aliases/gpt-4", `{"active": false}`, http.StatusOK); d["active"] != false {
			t.Errorf("PUT active:false: %v", d)
		}

		// Deleting removes it from every access group.
		h.admin("DELETE", "/api/model-aliases/gpt-4", "", http.StatusOK)
		h.admin("GET", "/api/model-aliases/gpt-4", "", http.StatusNotFound)
		if g := h.admin("GET", "/api/model-access-groups/premium-models", "", http.StatusOK); !slices.Equal(toStrings(g["model_aliases"]), []string{"claude-3-opus"}) {
			t.Errorf("premium-models after delete: %v", g["model_aliases"])
		}
		if g := h.admin("GET", "/api/model-access-groups/gpt-models", "", http.StatusOK); len(toStrings(g["model_aliases"])) != 0 {
			t.Errorf("gpt-models after delete: %v", g["model_aliases"])
		}
	})
}

// The seed's "Setup" blocks and "Adding New Models", each on a fresh
// Gatehouse.
func TestSeedSetups(t *testing.T) {
	blocks := map[string][][2]string{
		"openai only": {
			{"/api/model-aliases/create", `{"alias": "gpt-4", "litellm_model": "openai/gpt-4", "description": "Most capable GPT-4 model"}`},
			{"/api/model-aliases/create", `{"alias": "gpt-4-turbo", "litellm_model": "openai/gpt-4-turbo", "description": "Faster and cheaper GPT-4"}`},
			{"/api/model-aliases/create", `{"alias": "gpt-3.5-turbo", "litellm_model": "openai/gpt-3.5-turbo", "description": "Fast and efficient for most tasks"}`},
		},
		"multi-provider": {
			{"/api/model-aliases/create", `{"alias": "gpt-4", "litellm_model": "openai/gpt-4", "description": "OpenAI GPT-4"}`},
			{"/api/model-aliases/create", `{"alias": "claude-3-opus", "litellm_model": "anthropic/claude-3-opus-20240229", "description": "Claude 3 Opus - Most capable Claude model"}`},
			{"/api/model-aliases/create", `{"alias": "gemini-pro", "litellm_model": "gemini/gemini-pro", "description": "Google Gemini Pro"}`},
		},
		"tiered": {
			{"/api/model-aliases/create", `{"alias": "basic", "litellm_model": "openai/gpt-3.5-turbo", "description": "Fast, cost-effective model"}`},
			{"/api/model-aliases/create", `{"alias": "pro", "litellm_model": "openai/gpt-4-turbo", "description": "Balanced performance and cost"}`},
			{"/api/model-aliases/create", `{"alias": "enterprise", "litellm_model": "openai/gpt-4", "description": "Most capable model"}`},
		},
		"naming strategies": {
			{"/api/model-aliases/create", `{"alias": "openai-gpt4", "litellm_model": "openai/gpt-4"}`},
			{"/api/model-aliases/create", `{"alias": "openai-gpt35", "litellm_model": "openai/gpt-3.5-turbo"}`},
			{"/api/model-aliases/create", `{"alias": "claude-opus", "litellm_model": "anthropic/claude-3-opus-20240229"}`},
			{"/api/model-aliases/create", `{"alias": "claude-sonnet", "litellm_model": "anthropic/claude-3-sonnet-20240229"}`},
			{"/api/model-aliases/create", `{"alias": "claude-haiku", "litellm_model": "anthropic/claude-3-haiku-20240307"}`},
			{"/api/model-aliases/create", `{"alias": "claude-35", "litellm_model": "anthropic/claude-3-5-sonnet-20240620"}`},
			{"/api/model-aliases/create", `{"alias": "balanced", "litellm_model": "openai/gpt-4-turbo"}`},
			{"/api/model-aliases/create", `{"alias": "vision", "litellm_model": "openai/gpt-4-vision-preview"}`},
			{"/api/model-aliases/create", `{"alias": "bedrock-opus", "litellm_model": "bedrock/anthropic.claude-3-opus-20240229-v1:0"}`},
			{"/api/model-aliases/create", `{"alias": "bedrock-sonnet", "litellm_model": "bedrock/anthropic.claude-3-sonnet-20240229-v1:0"}`},
			{"/api/model-aliases/create", `{"alias": "llama3-70b", "litellm_model": "bedrock/meta.llama3-70b-instruct-v1:0"}`},
		},
		"adding new models": {
			{"/api/model-aliases/create", `{"alias": "gpt-4", "litellm_model": "openai/gpt-4"}`},
			{"/api/model-access-groups/create", `{"group_name": "gpt-models", "description": "GPT models", "model_aliases": ["gpt-4"]}`},
			{"/api/model-aliases/create", `{"alias": "gpt-4o", "litellm_model": "openai/gpt-4o", "description": "GPT-4 Omni - Latest OpenAI model"}`},
			{"/api/model-access-groups/gpt-models/add-models", `{"model_aliases": ["gpt-4o"]}`},
		},
	}
	for _, b := range storetest.Backends(t) {
		for name, steps := range blocks {
			t.Run(b.Name+"/"+strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
				h := newHarness(t, b.Open(t))
				for _, s := range steps {
					r := h.do("POST", s[0], h.Master, s[1])
					if r.Status != http.StatusCreated && r.Status != http.StatusOK {
						t.Fatalf("POST %s %s: %d %s", s[0], s[1], r.Status, r.Raw)
					}
				}
			})
		}
	}
}

// "Complete Client Onboarding Example", then the client's view of it.
func TestSeedClientOnboarding(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		h := newHarness(t, db)
		h.admin("POST", "/api/model-aliases/create", `{
			"alias": "gpt-4",
			"litellm_model": "openai/gpt-4",
			"description": "GPT-4 for complex tasks"
		}`, http.StatusCreated)
		h.admin("POST", "/api/model-aliases/create", `{
			"alias": "gpt-3.5-turbo",
			"litellm_model": "openai/gpt-3.5-turbo",
			"description": "Fast model for simple tasks"
		}`, http.StatusCreated)
		group := h.admin("POST", "/api/model-access-groups/create", `{
			"group_name": "starter-models",
			"description": "Models for starter plan",
			"model_aliases": ["gpt-3.5-turbo"]
		}`, http.StatusCreated)
		if !slices.Equal(toStrings(group["model_aliases"]), []string{"gpt-3.5-turbo"}) {
			t.Errorf("group: %v", group)
		}
		org := h.admin("POST", "/api/organizations/create", `{
			"organization_id": "org_newclient",
			"name": "New Client Inc"
		}`, http.StatusCreated)
		if org["organization_id"] != "org_newclient" || org["status"] != "active" {
			t.Errorf("org: %v", org)
		}
		team := h.admin("POST", "/api/teams/create", `{
			"organization_id": "org_newclient",
			"team_id": "newclient-prod",
			"team_alias": "Production",
			"access_groups": ["starter-models"],
			"credits_allocated": 1000
		}`, http.StatusCreated)
		key, _ := team["virtual_key"].(string)
		if !strings.HasPrefix(key, "gh-sk-") || len(key) < 40 {
			t.Fatalf("team create must return the virtual key once: %v", team)
		}
		if team["credits_allocated"] != float64(1000) || team["credits_remaining"] != float64(1000) || team["budget_mode"] != "job_based" {
			t.Errorf("team credits: %v", team)
		}
		if !slices.Equal(toStrings(team["allowed_model_aliases"]), []string{"gpt-3.5-turbo"}) {
			t.Errorf("allowed_model_aliases = %v", team["allowed_model_aliases"])
		}
		// The key is never shown again.
		got := h.admin("GET", "/api/teams/newclient-prod", "", http.StatusOK)
		if _, shown := got["virtual_key"]; shown || strings.Contains(h.do("GET", "/api/teams/newclient-prod/keys", h.Master, "").Raw, key) {
			t.Fatal("the virtual key must not be shown after creation")
		}

		// "5. Client can now use model aliases": exactly the granted ones.
		models := h.do("GET", "/v1/models", key, "")
		if models.Status != http.StatusOK {
			t.Fatalf("/v1/models: %d %s", models.Status, models.Raw)
		}
		data := models.Body["data"].([]any)
		if len(data) != 1 || data[0].(map[string]any)["id"] != "gpt-3.5-turbo" {
			t.Fatalf("/v1/models = %s, want only gpt-3.5-turbo", models.Raw)
		}
		if r := h.do("GET", "/v1/models/gpt-3.5-turbo", key, ""); r.Status != http.StatusOK {
			t.Errorf("granted alias: %d %s", r.Status, r.Raw)
		}
		if r := h.do("GET", "/v1/models/gpt-4", key, ""); r.Status != http.StatusForbidden {
			t.Errorf("alias outside the team's groups: %d %s, want 403", r.Status, r.Raw)
		}
		if r := h.do("GET", "/v1/models/nope", key, ""); r.Status != http.StatusNotFound {
			t.Errorf("unknown alias: %d, want 404", r.Status)
		}
	})
}

// "Switching Providers": the alias follows the new provider model at once,
// and clients keep asking for "smart".
func TestSeedSwitchingProviders(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		h := newHarness(t, db)
		h.admin("POST", "/api/model-aliases/create", `{
			"alias": "smart",
			"litellm_model": "openai/gpt-4",
			"description": "Smart model for complex tasks"
		}`, http.StatusCreated)
		h.admin("PUT", "/api/model-aliases/smart", `{
			"litellm_model": "anthropic/claude-3-opus-20240229",
			"description": "Smart model for complex tasks (now using Claude)"
		}`, http.StatusOK)
		if a := h.State.Snapshot().Alias("smart"); a == nil || a.LiteLLMModel != "anthropic/claude-3-opus-20240229" {
			t.Fatalf("in-memory alias after PUT: %+v", a)
		}
	})
}

func toStrings(v any) []string {
	out := []string{}
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}
