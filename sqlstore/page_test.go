package sqlstore_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/bench/seed"
	"github.com/gatehouse-llm/gatehouse/sqlstore"
	"github.com/gatehouse-llm/gatehouse/sqlstore/storetest"
)

// Walking a list with ?after= cursors yields exactly what offset pages do, in the same order, for every keyset list; deep offsets,
// malformed cursors and cursors mixed with offsets are refused; totals
// stop counting at CountCap.
func TestConformanceKeysetPagination(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		if _, err := seed.Fleet(ctx, db, seed.Size{Teams: 4, KeysPerTeam: 23, Jobs: 300, Calls: 1200, Ledger: 200, Audit: 10_050,
			HotTeamPercent: 50}); err != nil {
			t.Fatal(err)
		}
		hot := seed.TeamID(seed.HotTeam)
		type lister func(p gatehouse.Page) (ids []string, next gatehouse.Cursor, total int, err error)
		lists := map[string]lister{
			"jobs": func(p gatehouse.Page) ([]string, gatehouse.Cursor, int, error) {
				js, total, err := db.ListJobs(ctx, gatehouse.JobFilter{TeamID: hot, Page: p})
				return ids(js, func(j *gatehouse.Job) (string, gatehouse.Cursor) {
					return j.ID, gatehouse.Cursor{Time: j.CreatedAt, ID: j.ID}
				}, total, err)
			},
			"jobs of one type": func(p gatehouse.Page) ([]string, gatehouse.Cursor, int, error) {
				js, total, err := db.ListJobs(ctx, gatehouse.JobFilter{TeamID: hot, JobType: "summarize", Page: p})
				return ids(js, func(j *gatehouse.Job) (string, gatehouse.Cursor) {
					return j.ID, gatehouse.Cursor{Time: j.CreatedAt, ID: j.ID}
				}, total, err)
			},
			"ledger": func(p gatehouse.Page) ([]string, gatehouse.Cursor, int, error) {
				es, total, err := db.ListLedger(ctx, hot, p)
				return ids(es, func(e *gatehouse.LedgerEntry) (string, gatehouse.Cursor) {
					return e.ID, gatehouse.Cursor{Time: e.CreatedAt, ID: e.ID}
				}, total, err)
			},
			"audit": func(p gatehouse.Page) ([]string, gatehouse.Cursor, int, error) {
				es, total, err := db.ListAudit(ctx, gatehouse.AuditFilter{ResourceType: "team", Action: "key.create", Page: p})
				return ids(es, func(e *gatehouse.AuditEntry) (string, gatehouse.Cursor) {
					return e.ID, gatehouse.Cursor{Time: e.CreatedAt, ID: e.ID}
				}, total, err)
			},
			"keys": func(p gatehouse.Page) ([]string, gatehouse.Cursor, int, error) {
				ks, total, err := db.ListKeys(ctx, hot, p)
				return ids(ks, func(k *gatehouse.Key) (string, gatehouse.Cursor) {
					return k.ID, gatehouse.Cursor{Time: k.CreatedAt, ID: k.ID}
				}, total, err)
			},
			"teams": func(p gatehouse.Page) ([]string, gatehouse.Cursor, int, error) {
				ts, total, err := db.ListTeams(ctx, gatehouse.TeamFilter{Page: p})
				return ids(ts, func(t *gatehouse.Team) (string, gatehouse.Cursor) { return t.ID, gatehouse.Cursor{ID: t.ID} }, total, err)
			},
			"calls of a job": func(p gatehouse.Page) ([]string, gatehouse.Cursor, int, error) {
				jobs, _, err := db.ListJobs(ctx, gatehouse.JobFilter{TeamID: hot, Page: gatehouse.Page{Limit: 1}})
				if err != nil {
					return nil, gatehouse.Cursor{}, 0, err
				}
				cs, err := db.JobCalls(ctx, hot, jobs[0].ID, p)
				return ids(cs, func(c *gatehouse.Call) (string, gatehouse.Cursor) {
					return c.ID, gatehouse.Cursor{Time: c.CreatedAt, ID: c.ID}
				}, -1, err)
			},
		}
		for name, list := range lists {
			var all []string
			for off := 0; ; off += gatehouse.MaxPageLimit {
				page, _, _, err := list(gatehouse.Page{Limit: gatehouse.MaxPageLimit, Offset: off})
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				all = append(all, page...)
				if len(page) < gatehouse.MaxPageLimit {
					break
				}
			}
			if len(all) < 3 {
				t.Fatalf("%s: only %d items; the walk proves nothing", name, len(all))
			}
			var walked []string
			p := gatehouse.Page{Limit: 2 + len(all)/5}
			for pages := 0; ; pages++ {
				page, next, total, err := list(p)
				if err != nil {
					t.Fatalf("%s page %d: %v", name, pages, err)
				}
				if p.After != "" && total != -1 {
					t.Errorf("%s: a cursor page counted its total (%d)", name, total)
				}
				walked = append(walked, page...)
				if len(page) < p.Limit || pages > len(all) {
					break
				}
				p.After = next.String()
			}
			if !slices.Equal(walked, all) {
				t.Errorf("%s: the cursor walk gave %d items, the offset page %d (or another order)", name, len(walked), len(all))
			}
		}
		if _, _, err := db.ListLedger(ctx, hot, gatehouse.Page{Offset: gatehouse.MaxOffset + 1}); gatehouse.ErrorCode(err) != gatehouse.EINVALID {
			t.Errorf("an offset beyond MaxOffset: %v", err)
		}
		for _, after := range []string{"not-a-cursor", gatehouse.Cursor{ID: "x"}.String()} {
			if _, _, err := db.ListJobs(ctx, gatehouse.JobFilter{TeamID: hot, Page: gatehouse.Page{After: after}}); gatehouse.ErrorCode(err) != gatehouse.EINVALID {
				t.Errorf("cursor %q: %v", after, err)
			}
		}
		if _, _, err := db.ListTeams(ctx, gatehouse.TeamFilter{Page: gatehouse.Page{Offset: 1, After: gatehouse.Cursor{ID: "x"}.String()}}); gatehouse.ErrorCode(err) != gatehouse.EINVALID {
			t.Errorf("offset with a cursor: %v", err)
		}
		if _, total, err := db.ListAudit(ctx, gatehouse.AuditFilter{Page: gatehouse.Page{Limit: 1}}); err != nil || total != gatehouse.CountCap+1 {
			t.Errorf("audit total %d (%v), want the cap %d+1", total, err, gatehouse.CountCap)
		}
	})
}

// ids lists the ids of a page and the cursor of its last item.
func ids[T any](items []T, key func(T) (string, gatehouse.Cursor), total int, err error) ([]string, gatehouse.Cursor, int, error) {
	var out []string
	var last gatehouse.Cursor
	for _, it := range items {
		id, c := key(it)
		out = append(out, id)
		last = c
	}
	if err != nil {
		return nil, last, total, fmt.Errorf("list: %w", err)
	}
	return out, last, total, nil
}
