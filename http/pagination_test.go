package http

import (
	"context"
	"fmt"
	"net/url"
	"testing"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/bench/seed"
	"github.com/gatehouse-llm/gatehouse/sqlstore/storetest"
)

// Every keyset list walks to its end through next_after, page by page,
// and meets each item once; cursor pages carry no total; deep offsets and
// bad cursors are 400s naming the field.
func TestKeysetListsOverHTTP(t *testing.T) {
	db := storetest.OpenSQLite(t)
	f, err := seed.Fleet(context.Background(), db, seed.Size{Teams: 3, KeysPerTeam: 12, Jobs: 60, Calls: 900, Ledger: 40, Audit: 45, HotTeamPercent: 50})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, db)
	teamKey := seed.KeySecret(seed.HotTeam, 0)
	hot := seed.TeamID(seed.HotTeam)
	jobID, calls, _ := f.TeamJob(seed.HotTeam, 0)
	for _, tt := range []struct {
		path, token, key string
		want             int
	}{
		{"/api/teams/" + hot + "/jobs", teamKey, "jobs", f.TeamJobs(seed.HotTeam)},
		{"/api/credits/teams/" + hot + "/transactions", teamKey, "transactions", f.TeamLedger(seed.HotTeam)},
		{"/api/teams/" + hot + "/keys", h.Master, "keys", 12},
		{"/api/teams", h.Master, "teams", 3},
		{"/api/organizations/" + seed.OrgID(0) + "/teams", h.Master, "teams", 3},
		{"/api/audit-log?resource_type=team", h.Master, "entries", 45},
		{"/api/jobs/" + jobID + "/costs", teamKey, "calls", calls},
	} {
		t.Run(tt.path, func(t *testing.T) {
			seen := map[string]bool{}
			sep := "?"
			if u, _ := url.Parse(tt.path); u.RawQuery != "" {
				sep = "&"
			}
			next := ""
			for pages := 0; ; pages++ {
				path := tt.path + sep + "limit=2"
				if next != "" {
					path += "&after=" + url.QueryEscape(next)
				}
				r := h.do("GET", path, tt.token, "")
				if r.Status != 200 {
					t.Fatalf("%s: %d %s", path, r.Status, r.Raw)
				}
				items, _ := r.Body[tt.key].([]any)
				for _, it := range items {
					m := it.(map[string]any)
					id := fmt.Sprint(m["job_id"], m["transaction_id"], m["key_id"], m["team_id"], m["audit_id"], m["call_id"])
					if seen[id] {
						t.Fatalf("%s: %s listed twice", path, id)
					}
					seen[id] = true
				}
				if _, counted := r.Body["total"]; counted == (next != "") && tt.key != "calls" {
					t.Errorf("%s: total present=%v on a cursor page=%v", path, counted, next != "")
				}
				n, _ := r.Body["next_after"].(string)
				if n == "" || pages > tt.want {
					break
				}
				next = n
			}
			if len(seen) != tt.want {
				t.Errorf("walked %d items, want %d", len(seen), tt.want)
			}
		})
	}
	for path, field := range map[string]string{
		fmt.Sprintf("/api/audit-log?offset=%d", gatehouse.MaxOffset+1):         "offset",
		"/api/audit-log?after=garbage":                                         "after",
		"/api/teams?after=" + gatehouse.Cursor{ID: "x"}.String() + "&offset=2": "offset",
		"/api/audit-log?after=" + gatehouse.Cursor{ID: "x"}.String():           "after", // an id cursor on a time-ordered list
	} {
		r := h.do("GET", path, h.Master, "")
		if e := errorOf(t, r); r.Status != 400 || e["field"] != field {
			t.Errorf("%s: %d %s, want 400 on field %s", path, r.Status, r.Raw, field)
		}
	}
}
