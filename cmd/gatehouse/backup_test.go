package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/sqlite"
)

// runCommand runs one gatehouse command in-process and returns its error
// and output.
func runCommand(env map[string]string, args ...string) (error, string) {
	var out strings.Builder
	w := &syncWriter{w: &out}
	err := run(context.Background(), args, func(k string) string { return env[k] }, w, w)
	return err, out.String()
}

// A backup taken while calls are served restores, through every check,
// into a database whose ledger sums to every team's balance and holds;
// a server started on it serves, and releases the credits the calls in
// flight at backup time held once their dead instance has expired.
// Restore refuses while a server runs, without the right encryption key,
// and on a damaged copy, and changes nothing then.
func TestBackupUnderLoadRestores(t *testing.T) {
	dir := t.TempDir()
	env := []string{"GATEHOUSE_MASTER_KEY=" + testMasterKey, "GATEHOUSE_INSTANCE_EXPIRY=2s"}
	p := startProcess(t, dir, env)
	key := setupMockTeam(t, p.URL, "consumption_tokens", 1_000_000)
	l := startLoad([]string{p.URL}, key, "back me up [mock:latency=2ms]", 8)
	slow := startLoad([]string{p.URL}, key, "in flight [mock:latency=30s]", 2)
	eventually(t, "load is served and calls in flight hold credits", 30*time.Second, func() bool {
		_, held := funds(t, p.URL, "t")
		served := 0
		for _, a := range l.snapshot() {
			if a.status == 200 {
				served++
			}
		}
		return served >= 50 && held > 0
	})
	dataDir := filepath.Join(dir, "gatehouse-data")
	backup := filepath.Join(t.TempDir(), "gatehouse-backup.db")
	cmdEnv := map[string]string{"GATEHOUSE_DATA_DIR": dataDir, "GATEHOUSE_LOG_LEVEL": "warn"}
	err, out := runCommand(cmdEnv, "backup", backup)
	if err != nil {
		t.Fatalf("backup under load: %v\n%s", err, out)
	}
	if !strings.Contains(out, "integrity ok") || !strings.Contains(out, "encryption.key") {
		t.Errorf("backup output: %s", out)
	}
	afterBackup := 0
	for _, a := range l.snapshot() {
		if a.status == 200 {
			afterBackup++
		}
	}
	if info, err := os.Stat(backup); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("backup file: %v %v, want mode 0600", info, err)
	}
	if err, _ := runCommand(cmdEnv, "backup", backup); err == nil {
		t.Error("a second backup overwrote the first")
	}

	// Restore into a new data directory on another "machine".
	restoreDir := t.TempDir()
	restoreEnv := map[string]string{"GATEHOUSE_DATA_DIR": filepath.Join(restoreDir, "gatehouse-data"), "GATEHOUSE_LOG_LEVEL": "warn"}
	if err, out := runCommand(restoreEnv, "restore", backup); err == nil || !strings.Contains(err.Error(), "encryption") {
		t.Errorf("restore without the encryption key: %v %s", err, out)
	}
	os.MkdirAll(filepath.Join(restoreDir, "gatehouse-data"), 0o700)
	wrongKey := filepath.Join(restoreDir, "gatehouse-data", "encryption.key")
	os.WriteFile(wrongKey, []byte(strings.Repeat("ab", 32)+"\n"), 0o600)
	if err, _ := runCommand(restoreEnv, "restore", backup); err == nil || !strings.Contains(err.Error(), "not the one") {
		t.Errorf("restore with another encryption key: %v", err)
	}
	keyBytes, err := os.ReadFile(filepath.Join(dataDir, "encryption.key"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(wrongKey, keyBytes, 0o600)

	// A damaged copy is refused.
	raw, _ := os.ReadFile(backup)
	damaged := filepath.Join(t.TempDir(), "damaged.db")
	bad := append([]byte(nil), raw...)
	for i := len(bad) / 2; i < len(bad)/2+8192 && i < len(bad); i++ {
		bad[i] = 0x5a
	}
	os.WriteFile(damaged, bad, 0o600)
	if err, _ := runCommand(restoreEnv, "restore", damaged); err == nil {
		t.Error("a damaged backup was restored")
	}
	// Restoring over the running server's own database is refused.
	if err, _ := runCommand(cmdEnv, "restore", backup); err == nil || !strings.Contains(err.Error(), "stop every server") {
		t.Errorf("restore under a running server: %v", err)
	}
	if _, err := os.Stat(filepath.Join(restoreDir, "gatehouse-data", "gatehouse.db")); err == nil {
		t.Fatal("a refused restore left a database behind")
	}

	if err, out := runCommand(restoreEnv, "restore", backup); err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	p.cmd.Process.Signal(syscall.SIGKILL) // ends the slow calls too
	_ = p.wait(t, 10*time.Second)
	l.halt()
	slow.halt()

	db, err := sqlite.Open(context.Background(), filepath.Join(restoreDir, "gatehouse-data", "gatehouse.db"))
	db = openChecked(t, db, err)
	teams, err := db.UnbalancedTeams(context.Background())
	if err != nil || len(teams) != 0 {
		t.Fatalf("unbalanced teams after restore: %v %v", teams, err)
	}
	team, err := db.FindTeam(context.Background(), "t")
	if err != nil {
		t.Fatal(err)
	}
	if team.CreditsHeld == 0 {
		t.Error("the backup holds no credits of calls in flight; it was not taken under load")
	}
	jobs, total, err := db.ListJobs(context.Background(), gatehouse.JobFilter{TeamID: "t", Status: gatehouse.JobCompleted, Page: gatehouse.Page{Limit: 1}})
	if err != nil || len(jobs) == 0 || total < 50 {
		t.Errorf("%d completed jobs in the backup (%v); the load had %d answered when it was taken", total, err, afterBackup)
	}

	// A server on the restored database serves, and frees what the calls
	// in flight at backup time held.
	r := startProcess(t, restoreDir, env)
	if a := oneCall(r.URL, key, "after restore", false); a.status != 200 {
		t.Errorf("call on the restored server: %+v", a)
	}
	eventually(t, "credits held by calls in flight at backup time are released", 60*time.Second, func() bool {
		_, held := funds(t, r.URL, "t")
		return held == 0
	})
	db2, err := sqlite.Open(context.Background(), filepath.Join(restoreDir, "gatehouse-data", "gatehouse.db"))
	assertBooks(t, openChecked(t, db2, err), "t", 0)
	t.Logf("backup of %d bytes taken with %d calls answered; restored with %d completed jobs", len(raw), afterBackup, total)
}
