package http

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/sqlstore"
	"github.com/gatehouse-llm/gatehouse/sqlstore/storetest"
)

// seedEdges creates mock aliases echo (chat) and emb (embeddings) in group
// g, organization o, team t (1000 credits) and team u, and returns their
// keys.
func seedEdges(t testing.TB, h *harness) (keyT, keyU string) {
	t.Helper()
	h.admin("POST", "/api/model-aliases/create", `{"alias": "echo", "litellm_model": "mock/echo"}`, http.StatusCreated)
	h.admin("POST", "/api/model-aliases/create", `{"alias": "emb", "litellm_model": "mock/embed"}`, http.StatusCreated)
	h.admin("POST", "/api/model-access-groups/create", `{"group_name": "g", "model_aliases": ["echo", "emb"]}`, http.StatusCreated)
	h.admin("POST", "/api/organizations/create", `{"organization_id": "o", "name": "O"}`, http.StatusCreated)
	keyT = h.admin("POST", "/api/teams/create", `{"organization_id": "o", "team_id": "t", "access_groups": ["g"], "credits_allocated": 1000}`, http.StatusCreated)["virtual_key"].(string)
	keyU = h.admin("POST", "/api/teams/create", `{"organization_id": "o", "team_id": "u", "access_groups": ["g"], "credits_allocated": 10}`, http.StatusCreated)["virtual_key"].(string)
	return keyT, keyU
}

// manyKeys closes prefix with n distinct keys and the braces it opened.
func manyKeys(prefix string, n int) string {
	var b strings.Builder
	b.WriteString(prefix)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"k%d": %d`, i, i)
	}
	b.WriteString("}}")
	return b.String()
}

// edgeCase is one request the API used to answer badly, and what it must
// answer now.
type edgeCase struct {
	name, method, path, body string
	key                      string // "master" (default) or "team"
	status                   int
	code, field              string
	contains                 []string // the message must contain each
	excludes                 []string // and none of these
}

// Defect 9 of issue 9, management and job API: each of these answered a
// 500, a wrong field, a leaked Go layout or a silently accepted value.
func TestAPIRoughEdges(t *testing.T) {
	tests := []edgeCase{
		{name: "credit add beyond the range", method: "POST", path: "/api/credits/teams/t/add", body: `{"credits": 9000000000000, "reason": "x"}`,
			status: 400, code: "invalid_request", field: "credits", contains: []string{"1000000000000"}, excludes: []string{"decimal places"}},
		{name: "credit add far beyond int64", method: "POST", path: "/api/credits/teams/t/add", body: `{"credits": 99999999999999999999999, "reason": "x"}`,
			status: 400, code: "invalid_request", field: "credits", contains: []string{"1000000000000"}, excludes: []string{"decimal places"}},
		{name: "credit add with a huge exponent", method: "POST", path: "/api/credits/teams/t/add", body: `{"credits": 1e999999999, "reason": "x"}`,
			status: 400, code: "invalid_request", field: "credits", contains: []string{"1000000000000"}},
		{name: "credits finer than a micro-credit", method: "POST", path: "/api/credits/teams/t/add", body: `{"credits": 1.0000001}`,
			status: 400, code: "invalid_request", field: "credits", contains: []string{"6 decimal places"}},
		{name: "negative payment", method: "POST", path: "/api/credits/teams/t/replenish", body: `{"credits": 1, "payment_type": "one_time", "payment_amount_usd": -5}`,
			status: 400, code: "invalid_request", field: "payment_amount_usd", contains: []string{"payment_amount_usd", "negative"}, excludes: []string{"pricing"}},
		{name: "payment beyond the range", method: "POST", path: "/api/credits/teams/t/replenish", body: `{"credits": 1, "payment_type": "one_time", "payment_amount_usd": "1e20"}`,
			status: 400, code: "invalid_request", field: "payment_amount_usd", contains: []string{"1000000000.00"}},
		{name: "expires_at in words", method: "POST", path: "/api/teams/t/keys", body: `{"expires_at": "tomorrow"}`,
			status: 400, code: "invalid_request", field: "expires_at", contains: []string{"RFC 3339", "2026-12-31T23:59:59Z", `"tomorrow"`}, excludes: []string{"2006-01-02", "Z07:00"}},
		{name: "expires_at a number", method: "POST", path: "/api/teams/t/keys", body: `{"expires_at": 1767225599}`,
			status: 400, code: "invalid_request", field: "expires_at", contains: []string{"RFC 3339"}},
		{name: "credits_allocated as a string", method: "POST", path: "/api/teams/create", body: `{"organization_id": "o", "team_id": "t2", "credits_allocated": "1000"}`,
			status: 400, code: "invalid_request", field: "credits_allocated", contains: []string{"not a string"}},
		{name: "credits as a string", method: "POST", path: "/api/credits/teams/t/add", body: `{"credits": "5"}`,
			status: 400, code: "invalid_request", field: "credits", contains: []string{"not a string"}},
		{name: "refill_amount as a string", method: "POST", path: "/api/credits/teams/t/configure-auto-refill", body: `{"enabled": true, "refill_amount": "50", "refill_period": "monthly"}`,
			status: 400, code: "invalid_request", field: "refill_amount", contains: []string{"not a string"}},
		{name: "credits_per_dollar as a string", method: "PATCH", path: "/api/credits/teams/t/conversion-rates", body: `{"credits_per_dollar": "20"}`,
			status: 400, code: "invalid_request", field: "credits_per_dollar", contains: []string{"not a string"}},
		{name: "markup as a string", method: "PATCH", path: "/api/credits/teams/t/markup", body: `{"cost_markup_percentage": "12.5"}`,
			status: 400, code: "invalid_request", field: "cost_markup_percentage", contains: []string{"not a string"}},
		{name: "tokens_per_credit as a string", method: "PATCH", path: "/api/credits/teams/t/conversion-rates", body: `{"tokens_per_credit": "500"}`,
			status: 400, code: "invalid_request", field: "tokens_per_credit"},
		{name: "grace period as a string", method: "POST", path: "/api/teams/t/keys/{key}/rotate", body: `{"grace_period_seconds": "60"}`,
			status: 400, code: "invalid_request", field: "grace_period_seconds"},
		{name: "grace period that would wrap around", method: "POST", path: "/api/teams/t/keys/{key}/rotate", body: `{"grace_period_seconds": 18446744074}`,
			status: 400, code: "invalid_request", field: "grace_period_seconds", contains: []string{"30 days"}},
		{name: "duplicate key", method: "POST", path: "/api/organizations/create", body: `{"organization_id": "o3", "name": "A", "name": "B"}`,
			status: 400, code: "invalid_request", field: "name", contains: []string{"more than once"}},
		{name: "duplicate credits", method: "POST", path: "/api/credits/teams/t/add", body: `{"credits": 1, "reason": "x", "credits": 1000000}`,
			status: 400, code: "invalid_request", field: "credits", contains: []string{"more than once"}},
		{name: "duplicate written with an escape", method: "POST", path: "/api/credits/teams/t/add", body: `{"credits": 1, "reason": "x", "cr\u0065dits": 1000000}`,
			status: 400, code: "invalid_request", field: "credits", contains: []string{"more than once"}},
		{name: "duplicate in a nested object", method: "POST", path: "/api/teams/create", body: `{"organization_id": "o", "team_id": "t3", "rate_limits": {"concurrent": 1, "concurrent": 0}}`,
			status: 400, code: "invalid_request", field: "rate_limits.concurrent", contains: []string{"more than once"}},
		{name: "duplicate in metadata", method: "POST", path: "/api/organizations/create", body: `{"organization_id": "o4", "name": "A", "metadata": {"tier": "gold", "tier": "free"}}`,
			status: 400, code: "invalid_request", field: "metadata.tier"},
		{name: "duplicate in pricing", method: "POST", path: "/api/model-aliases/create", body: `{"alias": "p", "litellm_model": "openai/gpt-99", "pricing": {"input_per_million": "1", "input_per_million": "0", "output_per_million": "1"}}`,
			status: 400, code: "invalid_request", field: "pricing.input_per_million", contains: []string{"more than once"}},
		{name: "duplicate in a rates body", method: "PATCH", path: "/api/credits/teams/t/markup", body: `{"cost_markup_percentage": 1, "cost_markup_percentage": 500}`,
			status: 400, code: "invalid_request", field: "cost_markup_percentage"},
		{name: "duplicate in access groups", method: "PUT", path: "/api/teams/t/access-groups", body: `{"access_groups": ["g"], "access_groups": []}`,
			status: 400, code: "invalid_request", field: "access_groups"},
		{name: "field in the wrong case", method: "POST", path: "/api/credits/teams/t/add", body: `{"credits": 1, "CREDITS": 1000000}`,
			status: 400, code: "invalid_request", field: "CREDITS", contains: []string{"case-sensitive", `"credits"`}},
		{name: "unknown nested field named by path", method: "POST", path: "/api/teams/create", body: `{"organization_id": "o", "team_id": "t5", "rate_limits": {"concurent": 1}}`,
			status: 400, code: "invalid_request", field: "rate_limits.concurent"},
		{name: "trailing garbage", method: "POST", path: "/api/organizations/create", body: `{"organization_id": "o6", "name": "A"}]`,
			status: 400, code: "invalid_request"},
		{name: "too many values", method: "POST", path: "/api/organizations/create", body: manyKeys(`{"organization_id": "o8", "name": "A", "metadata": {`, 20_000),
			status: 400, code: "invalid_request", contains: []string{"10000 JSON values"}},
		{name: "duplicate job field", key: "team", method: "POST", path: "/api/jobs/create", body: `{"job_type": "a", "job_type": "b"}`,
			status: 400, code: "invalid_request", field: "job_type"},
		{name: "duplicate call field", key: "team", method: "POST", path: "/api/jobs/create-and-call", body: `{"model": "echo", "messages": [{"role": "user", "content": "hi"}], "model": "other"}`,
			status: 400, code: "invalid_request", field: "model"},
		{name: "duplicate inside a message", key: "team", method: "POST", path: "/api/jobs/create-and-call", body: `{"model": "echo", "messages": [{"role": "user", "content": "hi", "role": "system"}]}`,
			status: 400, code: "invalid_request", field: "messages[0].role"},
		{name: "job field of the wrong type", key: "team", method: "POST", path: "/api/jobs/create-and-call", body: `{"model": "echo", "messages": [{"role": "user", "content": "hi"}], "team_id": 5}`,
			status: 400, code: "invalid_request", field: "team_id"},
	}
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		h := newHarness(t, db)
		keyT, _ := seedEdges(t, h)
		keyID := h.admin("GET", "/api/teams/t/keys", "", 200)["keys"].([]any)[0].(map[string]any)["key_id"].(string)
		for _, tt := range tests {
			t.Run(strings.ReplaceAll(tt.name, " ", "_"), func(t *testing.T) {
				token := h.Master
				if tt.key == "team" {
					token = keyT
				}
				before, _ := db.StateVersion(context.Background())
				balanceBefore := h.admin("GET", "/api/credits/teams/t/balance", "", 200)["credits_balance"]
				r := h.do(tt.method, strings.ReplaceAll(tt.path, "{key}", keyID), token, tt.body)
				e := errorOf(t, r)
				if r.Status != tt.status || e["code"] != tt.code {
					t.Fatalf("status %d code %v, want %d %s: %s", r.Status, e["code"], tt.status, tt.code, r.Raw)
				}
				if tt.field != "" && e["field"] != tt.field {
					t.Errorf("field = %v, want %q: %s", e["field"], tt.field, r.Raw)
				}
				msg, _ := e["message"].(string)
				for _, s := range tt.contains {
					if !strings.Contains(msg, s) {
						t.Errorf("message %q does not say %q", msg, s)
					}
				}
				for _, s := range tt.excludes {
					if strings.Contains(msg, s) {
						t.Errorf("message %q says %q", msg, s)
					}
				}
				after, _ := db.StateVersion(context.Background())
				if after != before || h.admin("GET", "/api/credits/teams/t/balance", "", 200)["credits_balance"] != balanceBefore {
					t.Errorf("a refused request changed something")
				}
			})
		}
	})
}

// The limit on a team's balance is enforced where the sum is made: two
// grants each within the range, together beyond it, get a 400 naming the
// limit, on both engines (the second used to overflow the integer column:
// a 500).
func TestCreditCeiling(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		h := newHarness(t, db)
		seedEdges(t, h)
		h.admin("POST", "/api/credits/teams/t/add", `{"credits": 600000000000, "reason": "big"}`, 200)
		r := h.do("POST", "/api/credits/teams/t/add", h.Master, `{"credits": 600000000000, "reason": "bigger"}`)
		e := errorOf(t, r)
		if r.Status != 400 || e["field"] != "credits" || !strings.Contains(e["message"].(string), "1000000000000") {
			t.Fatalf("second grant: %d %s", r.Status, r.Raw)
		}
		bal := h.admin("GET", "/api/credits/teams/t/balance", "", 200)
		if bal["credits_balance"] != float64(600000001000) {
			t.Errorf("balance %v, want 600000001000", bal["credits_balance"])
		}
		// Exact decimals in exponent form are amounts like any other.
		h.admin("POST", "/api/credits/teams/t/add", `{"credits": 1.5e3, "reason": "exp"}`, 200)
		h.admin("POST", "/api/credits/teams/t/adjust", `{"credits": -25e-1, "reason": "exp"}`, 200)
		if bal := h.admin("GET", "/api/credits/teams/t/balance", "", 200); bal["credits_balance"] != 600000002497.5 {
			t.Errorf("balance %v, want 600000002497.5", bal["credits_balance"])
		}
	})
}

// Keys that differ only in case are different keys of a map: metadata
// keeps both.
func TestMetadataKeysAreCaseSensitive(t *testing.T) {
	h := newHarness(t, storetest.OpenSQLite(t))
	org := h.admin("POST", "/api/organizations/create", `{"organization_id": "o", "name": "O", "metadata": {"tier": 1, "Tier": 2}}`, 201)
	if m := org["metadata"].(map[string]any); m["tier"] != float64(1) || m["Tier"] != float64(2) {
		t.Errorf("metadata %v", m)
	}
}

// The OpenAI and Anthropic surfaces: a repeated key is refused in each
// SDK's error format, naming it; an unknown X-Gatehouse-Job-Id is a job
// not found, not a model not found.
func TestV1RoughEdges(t *testing.T) {
	h := newHarness(t, storetest.OpenSQLite(t))
	keyT, _ := seedEdges(t, h)
	tests := []struct {
		name, path, job, body string
		status                int
		// errType is error.type; code, param the OpenAI error's code and
		// param ("" for null, "-" not checked).
		errType, code, param string
		contains             string
	}{
		{"chat duplicate model", "/v1/chat/completions", "", `{"model": "echo", "model": "gpt-4", "messages": [{"role": "user", "content": "hi"}]}`,
			400, "invalid_request_error", "-", "model", "more than once"},
		{"chat duplicate in a message", "/v1/chat/completions", "", `{"model": "echo", "messages": [{"role": "user", "content": "a", "content": "b"}]}`,
			400, "invalid_request_error", "-", "messages[0].content", "more than once"},
		{"embeddings duplicate input", "/v1/embeddings", "", `{"model": "emb", "input": "a", "input": "b"}`,
			400, "invalid_request_error", "-", "input", "more than once"},
		{"messages duplicate max_tokens", "/v1/messages", "", `{"model": "echo", "max_tokens": 1, "max_tokens": 100000, "messages": [{"role": "user", "content": "hi"}]}`,
			400, "invalid_request_error", "-", "-", "max_tokens"},
		{"chat unknown job", "/v1/chat/completions", "job-that-is-not", `{"model": "echo", "messages": [{"role": "user", "content": "hi"}]}`,
			404, "not_found_error", "job_not_found", "", "job-that-is-not"},
		{"embeddings unknown job", "/v1/embeddings", "job-that-is-not", `{"model": "emb", "input": "hi"}`,
			404, "not_found_error", "job_not_found", "", "job-that-is-not"},
		{"messages unknown job", "/v1/messages", "job-that-is-not", `{"model": "echo", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}`,
			404, "not_found_error", "-", "-", "job-that-is-not"},
		{"chat unknown model stays model_not_found", "/v1/chat/completions", "job-that-is-not", `{"model": "nope", "messages": [{"role": "user", "content": "hi"}]}`,
			404, "not_found_error", "model_not_found", "model", "nope"},
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(tt.name, " ", "_"), func(t *testing.T) {
			req, _ := http.NewRequest("POST", h.Server.URL+tt.path, strings.NewReader(tt.body))
			req.Header.Set("Authorization", "Bearer "+keyT)
			if tt.job != "" {
				req.Header.Set("X-Gatehouse-Job-Id", tt.job)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var body struct {
				Type  string `json:"type"`
				Error struct {
					Type    string  `json:"type"`
					Message string  `json:"message"`
					Code    *string `json:"code"`
					Param   *string `json:"param"`
				} `json:"error"`
			}
			if err := json.Unmarshal(raw, &body); err != nil || resp.StatusCode != tt.status || body.Error.Type != tt.errType {
				t.Fatalf("status %d, body %s; want %d %s", resp.StatusCode, raw, tt.status, tt.errType)
			}
			deref := func(p *string) string {
				if p == nil {
					return ""
				}
				return *p
			}
			if tt.code != "-" && deref(body.Error.Code) != tt.code {
				t.Errorf("code %q, want %q: %s", deref(body.Error.Code), tt.code, raw)
			}
			if tt.param != "-" && deref(body.Error.Param) != tt.param {
				t.Errorf("param %q, want %q: %s", deref(body.Error.Param), tt.param, raw)
			}
			if !strings.Contains(body.Error.Message, tt.contains) {
				t.Errorf("message %q does not say %q", body.Error.Message, tt.contains)
			}
		})
	}
}

// No error quotes a client's input back whole: a 10 kB value comes back
// as at most gatehouse.MaxEcho characters and an ellipsis (or not at
// all), in the message and in the field, on every surface.
func TestErrorsDoNotEchoHugeInput(t *testing.T) {
	h := newHarness(t, storetest.OpenSQLite(t))
	keyT, _ := seedEdges(t, h)
	huge := strings.Repeat("x", 10_000)
	spaced := strings.Repeat("word ", 2_000)
	number := "1" + strings.Repeat("0", 10_000)
	tests := []struct {
		name, method, path, key, body string
	}{
		{"invalid organization id", "POST", "/api/organizations/create", "", `{"organization_id": "` + huge + `", "name": "x"}`},
		{"unknown field", "POST", "/api/organizations/create", "", `{"` + huge + `": 1}`},
		{"duplicate long key", "POST", "/api/organizations/create", "", `{"metadata": {"` + huge + `": 1, "` + huge + `": 2}}`},
		{"unknown alias in a group", "POST", "/api/model-access-groups/create", "", `{"group_name": "g2", "model_aliases": ["` + huge + `"]}`},
		{"unknown alias with spaces", "POST", "/api/model-access-groups/create", "", `{"group_name": "g2", "model_aliases": ["` + spaced + `"]}`},
		{"bad budget mode", "POST", "/api/teams/create", "", `{"organization_id": "o", "team_id": "t9", "budget_mode": "` + huge + `"}`},
		{"bad time", "POST", "/api/teams/t/keys", "", `{"expires_at": "` + huge + `"}`},
		{"rename alias", "PUT", "/api/model-aliases/echo", "", `{"alias": "` + huge + `"}`},
		{"huge number", "POST", "/api/credits/teams/t/add", "", `{"credits": ` + number + `}`},
		{"unknown job path", "GET", "/api/jobs/" + huge, "team", ""},
		{"unknown route", "GET", "/api/" + huge, "", ""},
		{"v1 unknown model", "POST", "/v1/chat/completions", "team", `{"model": "` + huge + `", "messages": [{"role": "user", "content": "hi"}]}`},
		{"v1 bad role", "POST", "/v1/chat/completions", "team", `{"model": "echo", "messages": [{"role": "` + huge + `", "content": "hi"}]}`},
		{"v1 messages unknown model", "POST", "/v1/messages", "team", `{"model": "` + huge + `", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}`},
		{"v1 messages bad role", "POST", "/v1/messages", "team", `{"model": "echo", "max_tokens": 5, "messages": [{"role": "` + huge + `", "content": "hi"}]}`},
		{"v1 embeddings unknown model", "POST", "/v1/embeddings", "team", `{"model": "` + huge + `", "input": "hi"}`},
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(tt.name, " ", "_"), func(t *testing.T) {
			token := h.Master
			if tt.key == "team" {
				token = keyT
			}
			r := h.do(tt.method, tt.path, token, tt.body)
			if r.Status < 400 || r.Status >= 500 {
				t.Fatalf("status %d: %.300s", r.Status, r.Raw)
			}
			if len(r.Raw) > 1500 {
				t.Errorf("a %d-byte answer to a 10 kB input: %.400s…", len(r.Raw), r.Raw)
			}
			for _, v := range []string{huge, spaced, number} {
				if strings.Contains(r.Raw, v[:gatehouse.MaxEcho+1]) {
					t.Errorf("more than %d characters of the input echoed: %.400s", gatehouse.MaxEcho, r.Raw)
				}
			}
			if strings.Contains(r.Raw, "xxxx") && !strings.Contains(r.Raw, "…") {
				t.Errorf("no ellipsis marks the cut: %s", r.Raw)
			}
		})
	}
}

// Admins read any team's jobs (support looks jobs up by id); a team key
// still sees only its own.
func TestAdminsReadJobs(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		h := newHarness(t, db)
		keyT, keyU := seedEdges(t, h)
		job := h.do("POST", "/api/jobs/create", keyT, `{"job_type": "support"}`).Body["job_id"].(string)
		h.do("POST", "/api/jobs/"+job+"/llm-call", keyT, `{"model": "echo", "messages": [{"role": "user", "content": "hi"}]}`)
		viewer := h.admin("POST", "/api/admin-users", `{"email": "v@example.com", "password": "a long enough password", "role": "viewer"}`, 201)
		_ = viewer
		sess := h.do("POST", "/api/admin-users/login", "", `{"email": "v@example.com", "password": "a long enough password"}`).Body["access_token"].(string)
		for _, who := range []struct{ name, token string }{{"master", h.Master}, {"viewer", sess}, {"own key", keyT}} {
			if r := h.do("GET", "/api/jobs/"+job, who.token, ""); r.Status != 200 || r.Body["team_id"] != "t" {
				t.Errorf("%s GET job: %d %s", who.name, r.Status, r.Raw)
			}
			if r := h.do("GET", "/api/jobs/"+job+"/costs", who.token, ""); r.Status != 200 || len(r.Body["calls"].([]any)) != 1 {
				t.Errorf("%s GET costs: %d %s", who.name, r.Status, r.Raw)
			}
			if r := h.do("GET", "/api/teams/t/jobs", who.token, ""); r.Status != 200 || r.Body["total"] != float64(1) {
				t.Errorf("%s GET team jobs: %d %s", who.name, r.Status, r.Raw)
			}
		}
		if r := h.do("GET", "/api/jobs/"+job, keyU, ""); r.Status != 404 {
			t.Errorf("another team's key read the job: %d %s", r.Status, r.Raw)
		}
		if r := h.do("GET", "/api/jobs/"+job+"/costs", keyU, ""); r.Status != 404 {
			t.Errorf("another team's key read the costs: %d %s", r.Status, r.Raw)
		}
		if r := h.do("GET", "/api/teams/t/jobs", keyU, ""); r.Status != 403 {
			t.Errorf("another team's key listed the jobs: %d %s", r.Status, r.Raw)
		}
		if r := h.do("GET", "/api/teams/nope/jobs", h.Master, ""); r.Status != 404 {
			t.Errorf("unknown team: %d %s", r.Status, r.Raw)
		}
		if r := h.do("GET", "/api/jobs/nope", h.Master, ""); r.Status != 404 {
			t.Errorf("unknown job: %d %s", r.Status, r.Raw)
		}
	})
}

// syncBuffer is a log destination safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) lines() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, l := range bytes.Split(s.b.Bytes(), []byte("\n")) {
		var m map[string]any
		if json.Unmarshal(l, &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

// A client that goes away mid-call is not a server error: no ERROR line,
// and the request is logged with status 499, on the job API and on /v1.
func TestClientDisconnectIsNotAServerError(t *testing.T) {
	var logs syncBuffer
	h := newLoggedHarness(t, storetest.OpenSQLite(t), slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	keyT, _ := seedEdges(t, h)
	slow := `{"model": "echo", "messages": [{"role": "user", "content": "hi [mock:latency=30s]"}]}`
	for _, path := range []string{"/api/jobs/create-and-call", "/v1/chat/completions", "/v1/messages"} {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		body := slow
		if path == "/v1/messages" {
			body = `{"model": "echo", "max_tokens": 10, "messages": [{"role": "user", "content": "hi [mock:latency=30s]"}]}`
		}
		req, _ := http.NewRequestWithContext(ctx, "POST", h.Server.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+keyT)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			t.Fatalf("%s answered %d before the client gave up", path, resp.StatusCode)
		}
		cancel()
		route := "POST " + path
		deadline := time.Now().Add(30 * time.Second)
		var line map[string]any
		for line == nil && time.Now().Before(deadline) {
			for _, l := range logs.lines() {
				if l["msg"] == "request" && l["route"] == route {
					line = l
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
		if line == nil {
			t.Fatalf("%s: no request line logged", path)
		}
		if line["status"] != float64(499) || line["client_closed"] != true {
			t.Errorf("%s logged as %v", path, line)
		}
	}
	for _, l := range logs.lines() {
		if l["level"] == "ERROR" {
			t.Errorf("a client disconnect was logged as an error: %v", l)
		}
	}
}
