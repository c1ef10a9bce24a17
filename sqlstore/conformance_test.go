package sqlstore_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse-llm/gatehouse/sqlstore"
	"github.com/gatehouse-llm/gatehouse/sqlstore/storetest"
)

// The storage conformance suite: every test here runs once per backend.

func TestConformanceMigrations(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		current, known, err := db.SchemaVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if current != known || known < 1 {
			t.Fatalf("after Migrate: current=%d known=%d, want equal and >= 1", current, known)
		}
		if err := db.CheckSchema(ctx); err != nil {
			t.Fatalf("CheckSchema on a current database: %v", err)
		}
		applied, err := db.Migrate(ctx, nil)
		if err != nil || len(applied) != 0 {
			t.Fatalf("second Migrate applied %v, err %v; want nothing", applied, err)
		}
		statuses, err := db.MigrationStatuses(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range statuses {
			if !s.Applied {
				t.Errorf("migration %d %s not applied", s.Version, s.Name)
			}
		}
		if int64(len(statuses)) != known {
			t.Errorf("%d migrations listed, want %d (versions must be contiguous)", len(statuses), known)
		}
	})
}

func TestConformanceSchemaTooNew(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		_, known, _ := db.SchemaVersion(ctx)
		newer := known + 7
		if _, err := db.SQL().ExecContext(ctx,
			`INSERT INTO `+sqlstore.MigrationTable+` (version_id, is_applied) VALUES ($1, true)`, newer); err != nil {
			t.Fatal(err)
		}
		for name, err := range map[string]error{
			"CheckSchema": db.CheckSchema(ctx),
			"Migrate":     func() error { _, err := db.Migrate(ctx, nil); return err }(),
		} {
			var se *sqlstore.SchemaError
			if !errors.As(err, &se) || !se.TooNew() || se.Current != newer || se.Known != known {
				t.Fatalf("%s: got %v, want SchemaError{Current:%d Known:%d}", name, err, newer, known)
			}
			if msg := err.Error(); !strings.Contains(msg, itoa(newer)) || !strings.Contains(msg, itoa(known)) {
				t.Errorf("%s: message %q must name both versions", name, msg)
			}
		}
	})
}

func TestConformanceSettings(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		if _, ok, err := db.Setting(ctx, "x"); ok || err != nil {
			t.Fatalf("unset setting: ok=%v err=%v", ok, err)
		}
		if err := db.PutSetting(ctx, "x", "1"); err != nil {
			t.Fatal(err)
		}
		if err := db.PutSetting(ctx, "x", "2"); err != nil {
			t.Fatal(err)
		}
		if v, ok, err := db.Setting(ctx, "x"); v != "2" || !ok || err != nil {
			t.Fatalf("Setting = %q %v %v, want 2", v, ok, err)
		}
	})
}

// Replicas bootstrapping at the same moment must agree on one winner.
func TestConformancePutSettingIfAbsentRace(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		const n = 16
		var wg sync.WaitGroup
		var mu sync.Mutex
		winners, stored := 0, map[string]bool{}
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				v, inserted, err := db.PutSettingIfAbsent(ctx, "boot", itoa(int64(i)))
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				stored[v] = true
				if inserted {
					winners++
				}
			}()
		}
		wg.Wait()
		if winners != 1 || len(stored) != 1 {
			t.Fatalf("winners=%d distinct stored values=%v; want exactly one of each", winners, stored)
		}
	})
}

func itoa(v int64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			return string(b[i:])
		}
	}
}
