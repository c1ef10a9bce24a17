package state

import (
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
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

// The compact key index behaves like a map under any sequence of puts
// and removes, through growth and backward-shift deletion; a deliberately
// tiny hash space forces long probe chains.
func TestKeyIndexMatchesMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var x keyIndex
	model := map[[32]byte]string{}
	hashOf := func(i int) [32]byte {
		h := sha256.Sum256([]byte{byte(i), byte(i >> 8)})
		h[0], h[1], h[2] = byte(i%7), 0, 0 // few distinct home slots: collisions everywhere
		return h
	}
	for step := range 40_000 {
		i := rng.IntN(3000)
		h := hashOf(i)
		if rng.IntN(3) == 0 {
			x.remove(h)
			delete(model, h)
		} else {
			id := "0190a0b0-0000-7000-8000-" + hex.EncodeToString([]byte{0, 0, 0, byte(step >> 16), byte(step >> 8), byte(step)})
			if step%11 == 0 {
				id = "legacy-" + id // not a UUID: kept in the side map
			}
			x.put(h, id, uint32(i), nil, gatehouse.RateLimits{RequestsPerMinute: int64(step % 3)})
			model[h] = id
		}
		if step%997 == 0 || step == 39_999 {
			if x.live != len(model) {
				t.Fatalf("step %d: %d live keys, model has %d", step, x.live, len(model))
			}
			for j := range 3000 {
				h := hashOf(j)
				r := x.lookup(&h)
				want, ok := model[h]
				if (r != nil) != ok {
					t.Fatalf("step %d: key %d present=%v, want %v", step, j, r != nil, ok)
				}
				if ok {
					if k := x.key(r, "t"); k.ID != want {
						t.Fatalf("step %d: key %d id %q, want %q", step, j, k.ID, want)
					}
				}
			}
		}
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
