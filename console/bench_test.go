package console_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"testing"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/bench/seed"
	"github.com/gatehouse-llm/gatehouse/sqlstore/storetest"
)

// BenchmarkConsolePages renders the console's heaviest pages against a
// seeded fleet (100k teams, 1M keys, 10M calls: see bench/seed and the
// README). Seeding takes a quarter of an hour, so the benchmark runs only
// when GATEHOUSE_CONSOLE_BENCH_URL names an already seeded database
// (postgres://… or a SQLite file path; GATEHOUSE_CONSOLE_BENCH_ENGINE is
// "postgres" or "sqlite", default postgres):
//
//	go run ./bench/seed/cmd/seed -database-url postgres://…/console_bench -teams 100000 -keys-per-team 10 \
//		-jobs 1000000 -calls 10000000 -ledger 1000000 -audit 1000000 -hot 10
//	GATEHOUSE_CONSOLE_BENCH_URL=postgres://…/console_bench go test -run '^$' -bench ConsolePages -benchtime 20x ./console
func BenchmarkConsolePages(b *testing.B) {
	dsn := os.Getenv("GATEHOUSE_CONSOLE_BENCH_URL")
	if dsn == "" {
		b.Skip("set GATEHOUSE_CONSOLE_BENCH_URL to a seeded database (see the doc comment)")
	}
	engine := os.Getenv("GATEHOUSE_CONSOLE_BENCH_ENGINE")
	if engine == "" {
		engine = "postgres"
	}
	db, err := storetest.Open(context.Background(), engine, dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	s := newSiteOn(b, db)
	c := newClient(b, s.URL)
	if resp := c.signIn(url.Values{"master_key": {s.Master}}); resp.StatusCode != http.StatusSeeOther {
		b.Fatalf("master-key sign-in: %d", resp.StatusCode)
	}
	hot, plain := seed.TeamID(seed.HotTeam), seed.TeamID(54321)
	job := ""
	if jobs, _, err := db.ListJobs(context.Background(), jobFilter(hot)); err == nil && len(jobs) > 0 {
		job = jobs[0].ID
	}
	deep := ""
	if teams, _, err := db.ListTeams(context.Background(), teamFilter(99_000)); err == nil && len(teams) > 0 {
		deep = teams[0].ID
	}
	pages := []struct{ name, path string }{
		{"overview", "/admin/"},
		{"aliases", "/admin/aliases"},
		{"teams", "/admin/teams"},
		{"teams_deep", "/admin/teams?after=" + cursorOf(deep)},
		{"team_hot_keys_ledger", "/admin/teams/" + hot},
		{"team_plain", "/admin/teams/" + plain},
		{"jobs_hot", "/admin/teams/" + hot + "/jobs"},
		{"jobs_hot_filtered", "/admin/teams/" + hot + "/jobs?status=completed&job_type=chat"},
		{"job_detail", "/admin/teams/" + hot + "/jobs/" + job},
		{"usage_hot_30d", "/admin/usage?team=" + hot},
		{"usage_plain_30d", "/admin/usage?team=" + plain},
		{"usage_org_of_hot_team_30d", "/admin/usage?org=" + seed.OrgID(0)},
		{"usage_fleet", "/admin/usage"},
		{"audit", "/admin/audit"},
	}
	for _, p := range pages {
		b.Run(p.name, func(b *testing.B) {
			for b.Loop() {
				resp, _ := c.get(p.path)
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("%s: %d", p.path, resp.StatusCode)
				}
			}
		})
	}
}

func jobFilter(team string) gatehouse.JobFilter {
	return gatehouse.JobFilter{TeamID: team, Page: gatehouse.Page{Limit: 1}}
}

// teamFilter is the page starting at team i (by id).
func teamFilter(i int) gatehouse.TeamFilter {
	return gatehouse.TeamFilter{Page: gatehouse.Page{Limit: 1, After: gatehouse.Cursor{ID: seed.TeamID(i - 1)}.String()}}
}

func cursorOf(id string) string { return url.QueryEscape(gatehouse.Cursor{ID: id}.String()) }
