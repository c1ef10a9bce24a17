package main

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/postgres"
	"github.com/gatehouse-llm/gatehouse/sqlite"
	"github.com/gatehouse-llm/gatehouse/sqlstore"
	"github.com/gatehouse-llm/gatehouse/sqlstore/storetest"
)

// engine is one database a process test runs gatehouse on: the
// environment every process on it gets, the directory they start in (where
// SQLite keeps its file), and a way for the test to open the same
// database to check the books.
type engine struct {
	name string
	dir  string
	env  []string
	open func(t *testing.T) *sqlstore.DB
}

// forEachEngine runs fn as a subtest on SQLite and, when configured, on a
// fresh PostgreSQL database. extra is added to every process's
// environment.
func forEachEngine(t *testing.T, extra []string, fn func(t *testing.T, e engine)) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			e := engine{name: b.Name, dir: t.TempDir(), env: append([]string{"GATEHOUSE_MASTER_KEY=" + testMasterKey}, extra...)}
			if b.Name == "postgres" {
				url := storetest.PostgresURL(t)
				e.env = append(e.env, "GATEHOUSE_DATABASE_URL="+url, "GATEHOUSE_ENCRYPTION_KEY="+strings.Repeat("9a", 32),
					"GATEHOUSE_AUTO_MIGRATE=true")
				e.open = func(t *testing.T) *sqlstore.DB {
					db, err := postgres.Open(context.Background(), url)
					return openChecked(t, db, err)
				}
			} else {
				path := filepath.Join(e.dir, "gatehouse-data", "gatehouse.db")
				e.open = func(t *testing.T) *sqlstore.DB {
					db, err := sqlite.Open(context.Background(), path)
					return openChecked(t, db, err)
				}
			}
			fn(t, e)
		})
	}
}

func openChecked(t *testing.T, db *sqlstore.DB, err error) *sqlstore.DB {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// assertBooks checks the money invariants of a team straight from the
// database: its ledger sums to its balance and its holds, nothing is held
// any more (wantHeld), and the balance never went below zero.
func assertBooks(t *testing.T, db *sqlstore.DB, teamID string, wantHeld gatehouse.Credits) *gatehouse.Team {
	t.Helper()
	ctx := context.Background()
	team, err := db.FindTeam(ctx, teamID)
	if err != nil {
		t.Fatal(err)
	}
	bal, held, err := db.LedgerTotals(ctx, teamID)
	if err != nil {
		t.Fatal(err)
	}
	if bal != team.CreditsBalance || held != team.CreditsHeld {
		t.Errorf("ledger sums to balance %s held %s; the team says %s / %s", bal, held, team.CreditsBalance, team.CreditsHeld)
	}
	// Credit leases are holds too: credits a running replica has set
	// aside to admit single-call jobs from memory, each counted in
	// credit_leases. Everything held beyond them is work in progress.
	leased, err := db.LeasedCredits(ctx, teamID)
	if err != nil {
		t.Fatal(err)
	}
	if team.CreditsHeld != wantHeld+leased {
		t.Errorf("team %s holds %s credits (%s of them in credit leases), want %s besides the leases", teamID, team.CreditsHeld, leased, wantHeld)
	}
	if team.CreditsBalance < 0 || team.CreditsHeld > team.CreditsBalance {
		t.Errorf("overspent: balance %s, held %s", team.CreditsBalance, team.CreditsHeld)
	}
	for offset := 0; ; offset += 500 {
		entries, total, err := db.ListLedger(ctx, teamID, gatehouse.Page{Limit: 500, Offset: offset})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.BalanceAfter < 0 || e.HeldAfter < 0 || e.HeldAfter > e.BalanceAfter {
				t.Errorf("ledger entry %s left balance %s held %s", e.ID, e.BalanceAfter, e.HeldAfter)
			}
		}
		if offset+500 >= total {
			return team
		}
	}
}

// eventually polls cond every 50ms until it holds, failing the test after
// limit. Deadlines are generous: these tests run on loaded 2-core machines.
func eventually(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// funds reads a team's balance and held credits through the API (as the
// master key), exactly.
func funds(t *testing.T, url, teamID string) (balance, held gatehouse.Credits) {
	t.Helper()
	req, _ := http.NewRequest("GET", url+"/api/credits/teams/"+teamID+"/balance", nil)
	req.Header.Set("Authorization", "Bearer "+testMasterKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var b struct {
		Balance gatehouse.Credits `json:"credits_balance"`
		Held    gatehouse.Credits `json:"credits_held"`
	}
	if err := jsonDecode(resp, &b); err != nil || resp.StatusCode != 200 {
		t.Fatalf("balance of %s: %d %v", teamID, resp.StatusCode, err)
	}
	return b.Balance, b.Held
}
