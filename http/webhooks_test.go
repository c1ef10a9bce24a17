package http

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse-llm/gatehouse/sqlstore"
	"github.com/gatehouse-llm/gatehouse/sqlstore/storetest"
)

// The webhook management API: an endpoint's secret is answered when it is
// created or rotated and never again; bad input is a 400 naming the field
// and changes nothing; every write is in the audit log; the delivery log
// lists what events made and replays a delivery.
func TestWebhookManagement(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		h := newHarness(t, db)
		h.admin("POST", "/api/organizations/create", `{"organization_id": "o", "name": "O"}`, http.StatusCreated)
		h.admin("POST", "/api/teams/create", `{"organization_id": "o", "team_id": "t"}`, http.StatusCreated)

		for _, c := range []struct{ body, field string }{
			{`{"url": "ftp://example.com", "event_types": ["*"]}`, "url"},
			{`{"url": "https://user:pw@example.com", "event_types": ["*"]}`, "url"},
			{`{"url": "https://example.com"}`, "event_types"},
			{`{"url": "https://example.com", "event_types": ["job.done"]}`, "event_types"},
			{`{"url": "https://example.com", "event_types": ["*"], "secret": "plain"}`, "secret"},
			{`{"url": "https://example.com", "event_types": ["*"], "secret": "whsec_c2hvcnQ="}`, "secret"},
			{`{"url": "https://example.com", "event_types": ["*"], "credits_low_threshold": -1}`, "credits_low_threshold"},
			{`{"url": "https://example.com", "event_types": ["*"], "credits_low_threshold": "5"}`, "credits_low_threshold"},
			{`{"url": "https://example.com", "event_types": ["*"], "team_id": "nope"}`, ""},
			{`{"url": "https://example.com", "event_types": ["*"], "urll": "x"}`, "urll"},
		} {
			r := h.do("POST", "/api/webhooks/create", h.Master, c.body)
			e := errorOf(t, r)
			if c.field == "" {
				if r.Status != http.StatusNotFound {
					t.Errorf("%s: %d %s, want 404 for the unknown team", c.body, r.Status, r.Raw)
				}
				continue
			}
			if r.Status != http.StatusBadRequest || e["field"] != c.field {
				t.Errorf("%s: %d %s, want 400 naming %s", c.body, r.Status, r.Raw, c.field)
			}
		}
		if list := h.admin("GET", "/api/webhooks", "", http.StatusOK); list["total"].(float64) != 0 {
			t.Fatalf("refused creations stored something: %v", list)
		}

		ep := h.admin("POST", "/api/webhooks/create", `{"url": "https://example.com/hook", "event_types": ["credits.refilled", "job.completed"], "team_id": "t", "credits_low_threshold": 2.5}`, http.StatusCreated)
		id := ep["endpoint_id"].(string)
		sec, _ := ep["secret"].(string)
		if !strings.HasPrefix(sec, "whsec_") || ep["credits_low_threshold"].(float64) != 2.5 || ep["is_active"] != true {
			t.Fatalf("created: %v", ep)
		}
		got := h.admin("GET", "/api/webhooks/"+id, "", http.StatusOK)
		if _, shown := got["secret"]; shown {
			t.Errorf("GET shows the secret: %v", got)
		}
		upd := h.admin("PUT", "/api/webhooks/"+id, `{"is_active": false, "description": "paused"}`, http.StatusOK)
		if upd["is_active"] != false || upd["description"] != "paused" || upd["url"] != "https://example.com/hook" {
			t.Errorf("updated: %v", upd)
		}
		if r := h.do("PUT", "/api/webhooks/"+id, h.Master, `{"secret": "whsec_x"}`); r.Status != 400 {
			t.Errorf("a secret through PUT: %d", r.Status)
		}
		rot := h.admin("POST", "/api/webhooks/"+id+"/rotate-secret", "", http.StatusOK)
		if s2, _ := rot["secret"].(string); !strings.HasPrefix(s2, "whsec_") || s2 == sec {
			t.Errorf("rotated secret %q (was %q)", s2, sec)
		}
		h.admin("PUT", "/api/webhooks/"+id, `{"is_active": true}`, http.StatusOK)
		ping := h.admin("POST", "/api/webhooks/"+id+"/test", "", http.StatusAccepted)
		if ping["event_type"] != "webhook.test" || ping["status"] != "pending" || ping["endpoint_id"] != id {
			t.Errorf("test delivery: %v", ping)
		}
		h.admin("DELETE", "/api/webhook-deliveries/"+ping["delivery_id"].(string), "", http.StatusMethodNotAllowed)

		// An event: credits added to the endpoint's team.
		h.admin("POST", "/api/credits/teams/t/add", `{"credits": 5}`, http.StatusOK)
		ds := h.admin("GET", "/api/webhook-deliveries?endpoint_id="+id+"&event_type=credits.refilled", "", http.StatusOK)
		items := ds["deliveries"].([]any)
		if len(items) != 1 {
			t.Fatalf("deliveries: %v", ds)
		}
		d := items[0].(map[string]any)
		if d["event_type"] != "credits.refilled" || d["status"] != "pending" || !strings.Contains(d["payload"].(string), `"type":"credits.refilled"`) {
			t.Errorf("delivery %v", d)
		}
		did := d["delivery_id"].(string)
		one := h.admin("GET", "/api/webhook-deliveries/"+did, "", http.StatusOK)
		if one["delivery_id"] != did {
			t.Errorf("get delivery: %v", one)
		}
		h.admin("POST", "/api/webhook-deliveries/"+did+"/replay", "", http.StatusAccepted)
		if r := h.do("GET", "/api/webhook-deliveries?status=lost", h.Master, ""); r.Status != 400 {
			t.Errorf("unknown status filter: %d", r.Status)
		}
		if r := h.do("GET", "/api/webhook-deliveries/nope", h.Master, ""); r.Status != 404 {
			t.Errorf("unknown delivery: %d", r.Status)
		}
		h.admin("DELETE", "/api/webhooks/"+id, "", http.StatusOK)
		if r := h.do("GET", "/api/webhooks/"+id, h.Master, ""); r.Status != 404 {
			t.Errorf("deleted endpoint: %d", r.Status)
		}
		if d := h.admin("GET", "/api/webhook-deliveries/"+did, "", http.StatusOK); d["status"] != "failed" || d["last_error"] != "endpoint deleted" {
			t.Errorf("a deleted endpoint's pending delivery: %v", d)
		}

		audit := h.admin("GET", "/api/audit-log?resource_type=webhook_endpoint&limit=50", "", http.StatusOK)
		actions := map[string]int{}
		for _, e := range audit["entries"].([]any) {
			actions[e.(map[string]any)["action"].(string)]++
		}
		for _, a := range []string{"webhook.create", "webhook.update", "webhook.rotate_secret", "webhook.test", "webhook.delete"} {
			if actions[a] == 0 {
				t.Errorf("no %s in the audit log (%v)", a, actions)
			}
		}
		if r := h.admin("GET", "/api/audit-log?action=webhook.replay", "", http.StatusOK); len(r["entries"].([]any)) != 1 {
			t.Errorf("replay audit: %v", r)
		}
	})
}
