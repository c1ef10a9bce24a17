package state

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/secret"
)

func data(version int64, aliasActive bool) *gatehouse.StateData {
	now := time.Now()
	past := now.Add(-time.Hour)
	return &gatehouse.StateData{
		Version: version,
		Organizations: []*gatehouse.Organization{
			{ID: "o", Status: gatehouse.StatusActive}, {ID: "sus", Status: gatehouse.StatusSuspended}},
		Teams: []*gatehouse.Team{
			{ID: "t", OrganizationID: "o", Status: gatehouse.StatusActive, AccessGroups: []string{"g", "off"}},
			{ID: "paused", OrganizationID: "o", Status: gatehouse.StatusPaused},
			{ID: "orphan", OrganizationID: "sus", Status: gatehouse.StatusActive}},
		Keys: []*gatehouse.Key{
			{Hash: secret.HashToken("k-t"), TeamID: "t"},
			{Hash: secret.HashToken("k-expired"), TeamID: "t", ExpiresAt: &past},
			{Hash: secret.HashToken("k-paused"), TeamID: "paused"},
			{Hash: secret.HashToken("k-sus"), TeamID: "orphan"}},
		Aliases: []*gatehouse.Alias{{Alias: "fast", Active: aliasActive}, {Alias: "smart", Active: true}, {Alias: "hidden", Active: true}},
		AccessGroups: []*gatehouse.AccessGroup{
			{Name: "g", Active: true, ModelAliases: []string{"fast", "smart"}},
			{Name: "off", Active: false, ModelAliases: []string{"hidden"}}},
		Credentials: []*gatehouse.Credential{
			{ID: "1", OrganizationID: "", Provider: "openai", APIKey: "default-old"},
			{ID: "2", OrganizationID: "", Provider: "openai", APIKey: "default-new"},
			{ID: "3", OrganizationID: "o", Provider: "anthropic", APIKey: "org"}},
	}
}

func TestSnapshot(t *testing.T) {
	s := Build(data(1, true))
	now := time.Now()
	for key, want := range map[string]string{"k-t": "", "k-expired": gatehouse.EUNAUTHORIZED, "k-paused": gatehouse.EFORBIDDEN,
		"k-sus": gatehouse.EFORBIDDEN, "nope": gatehouse.EUNAUTHORIZED, "": gatehouse.EUNAUTHORIZED} {
		if _, err := s.Authenticate(key, now); gatehouse.ErrorCode(err) != want {
			t.Errorf("Authenticate(%q) = %v, want code %q", key, err, want)
		}
	}
	c, _ := s.Authenticate("k-t", now)
	for alias, want := range map[string]string{"fast": "", "smart": "", "hidden": gatehouse.EFORBIDDEN, "nope": gatehouse.ENOTFOUND} {
		if _, err := s.Authorize(c, alias); gatehouse.ErrorCode(err) != want {
			t.Errorf("Authorize(%q) = %v, want %q", alias, err, want)
		}
	}
	if got := s.CallableAliases("t"); len(got) != 2 || got[0].Alias != "fast" || got[1].Alias != "smart" {
		t.Errorf("CallableAliases = %v", got)
	}
	if c := s.Credential("o", "openai"); c == nil || c.APIKey != "default-old" {
		t.Errorf("the first operator default must win: %+v", c)
	}
	if c := s.Credential("o", "anthropic"); c == nil || c.APIKey != "org" {
		t.Errorf("org credential: %+v", c)
	}
	if c := s.Credential("x", "anthropic"); c != nil {
		t.Errorf("no credential expected, got %+v", c)
	}

	disabled := Build(data(2, false))
	c2, _ := disabled.Authenticate("k-t", now)
	if _, err := disabled.Authorize(c2, "fast"); gatehouse.ErrorCode(err) != gatehouse.EFORBIDDEN {
		t.Errorf("disabled alias: %v", err)
	}
}

type fakeLoader struct {
	version atomic.Int64
	loads   atomic.Int64
}

func (f *fakeLoader) StateVersion(context.Context) (int64, error) { return f.version.Load(), nil }
func (f *fakeLoader) LoadState(context.Context) (*gatehouse.StateData, error) {
	f.loads.Add(1)
	v := f.version.Load()
	return data(v, v%2 == 1), nil
}

// A version change elsewhere is picked up by polling, and an unchanged
// version causes no reload.
func TestRunReloadsOnVersionChange(t *testing.T) {
	l := &fakeLoader{}
	l.version.Store(1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := New(ctx, l, nil)
	if err != nil {
		t.Fatal(err)
	}
	go s.Run(ctx)
	time.Sleep(3 * PollInterval)
	if n := l.loads.Load(); n != 1 {
		t.Fatalf("%d loads with no change, want 1", n)
	}
	l.version.Store(2)
	deadline := time.Now().Add(5 * time.Second) // a generous bound: the replica test measures the real latency
	for s.Snapshot().Version != 2 {
		if time.Now().After(deadline) {
			t.Fatal("version change not picked up")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// BenchmarkAuthenticateAuthorize measures the per-request control-plane
// work: key lookup, team/org checks and the alias access check.
func BenchmarkAuthenticateAuthorize(b *testing.B) {
	s := Build(data(1, true))
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		c, err := s.Authenticate("k-t", now)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Authorize(c, "smart"); err != nil {
			b.Fatal(err)
		}
	}
}
