package seed_test

import (
	"context"
	"os"
	"runtime/pprof"
	"syscall"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse/bench/seed"
	"github.com/gatehouse-llm/gatehouse/sqlstore/storetest"
)

func cpu() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestProfileSeed(t *testing.T) {
	db := storetest.OpenSQLite(t)
	if os.Getenv("PG") != "" {
		db = storetest.OpenPostgres(t)
	}
	f, _ := os.Create("/tmp/scale/seed.prof")
	pprof.StartCPUProfile(f)
	c0 := cpu()
	s, err := seed.Fleet(context.Background(), db, seed.Size{Teams: 2000, KeysPerTeam: 10, Jobs: 20000, Calls: 200000, Ledger: 20000, Audit: 20000, HotTeamPercent: 10})
	pprof.StopCPUProfile()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("cpu %v", cpu()-c0)
	for _, tm := range s.Took {
		t.Logf("%s %d %v", tm.What, tm.Rows, tm.Took)
	}
}
