package state

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"time"

	"github.com/gatehouse-llm/gatehouse"
)

// Snapshot is the request path's read view of the control plane. Each
// method reads the latest applied state under a read lock and returns
// values that never change afterwards (an update replaces an entity, it
// never edits one in place), so what a request got stays consistent for
// it while changes keep arriving.
type Snapshot struct{ s *State }

// Build indexes the data into a static view (tests).
func Build(d *gatehouse.StateData) *Snapshot { return NewStatic(d).Snapshot() }

// Version is the control-plane version the view reflects.
func (v *Snapshot) Version() int64 {
	v.s.mu.RLock()
	defer v.s.mu.RUnlock()
	return v.s.idx.version
}

// Caller is an authenticated team key.
type Caller struct {
	Key  *gatehouse.Key
	Team *gatehouse.Team
	Org  *gatehouse.Organization
}

// Authenticate resolves a virtual key presented by a client. It refuses
// unknown, revoked and expired keys (401) and keys of teams or
// organizations that are not active (403, saying why).
func (v *Snapshot) Authenticate(presented string, now time.Time) (*Caller, error) {
	if presented == "" {
		return nil, gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "Missing API key: send it as `Authorization: Bearer <key>`.")
	}
	h := sha256.Sum256([]byte(presented))
	// The caller and its key are one allocation: the key is materialised
	// from its compact record on every request.
	found := &struct {
		Caller
		key gatehouse.Key
	}{}
	v.s.mu.RLock()
	x := v.s.idx
	r := x.keys.lookup(&h)
	var (
		k *gatehouse.Key
		t *gatehouse.Team
		o *gatehouse.Organization
	)
	if r != nil {
		if t = x.team(r.team); t != nil {
			x.keys.fill(&found.key, r, t.ID)
			k = &found.key
			o = x.orgs[t.OrganizationID]
		}
	}
	v.s.mu.RUnlock()
	if r == nil && !v.s.warm.Load() {
		k, t, o = v.s.keyFromDatabase(h)
	}
	if k == nil {
		return nil, gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "Invalid API key.")
	}
	if k.ExpiresAt != nil && !now.Before(*k.ExpiresAt) {
		return nil, gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "API key expired at %s.", k.ExpiresAt.Format(time.RFC3339))
	}
	if o == nil || o.Status != gatehouse.StatusActive {
		return nil, gatehouse.Errorf(gatehouse.EFORBIDDEN, "Organization %q is suspended; contact your provider.", t.OrganizationID)
	}
	if t.Status != gatehouse.StatusActive {
		return nil, gatehouse.Errorf(gatehouse.EFORBIDDEN, "Team %q is %s; contact your provider.", t.ID, t.Status)
	}
	found.Caller = Caller{Key: k, Team: t, Org: o}
	return &found.Caller, nil
}

// keyFallbackTimeout bounds a key lookup in the database while keys load.
const keyFallbackTimeout = 5 * time.Second

// keyFromDatabase looks a key up in the database, for the seconds after a
// start while keys still load: the key as stored now, with its team
// (from memory once loaded) and organization (loaded before the replica
// serves).
func (s *State) keyFromDatabase(h [32]byte) (*gatehouse.Key, *gatehouse.Team, *gatehouse.Organization) {
	s.stats.fallbacks.Add(1)
	ctx, cancel := context.WithTimeout(context.Background(), keyFallbackTimeout)
	defer cancel()
	k, err := s.loader.FindKeyByHash(ctx, hex.EncodeToString(h[:]))
	if err != nil {
		if !gone(err) {
			s.logger.Warn("state: key lookup in the database failed", "err", err)
		}
		return nil, nil, nil
	}
	if k.RevokedAt != nil {
		return nil, nil, nil
	}
	t := s.team(k.TeamID)
	if t == nil {
		return nil, nil, nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	lean := &gatehouse.Key{ID: k.ID, TeamID: t.ID, RateLimits: k.RateLimits, ExpiresAt: k.ExpiresAt}
	return lean, t, s.idx.orgs[t.OrganizationID]
}

// team returns a team from memory or, while teams still load, from the
// database (nil when there is none).
func (s *State) team(id string) *gatehouse.Team {
	s.mu.RLock()
	if slot, ok := s.idx.teams[id]; ok {
		t := s.idx.teamSlots[slot]
		s.mu.RUnlock()
		return t
	}
	s.mu.RUnlock()
	if s.warm.Load() {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), keyFallbackTimeout)
	defer cancel()
	t, err := s.loader.FindTeam(ctx, id)
	if err != nil {
		if !gone(err) {
			s.logger.Warn("state: team lookup in the database failed", "err", err)
		}
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.idx.lean(t)
}

// Authorize checks that the caller's team may use the alias it named and
// returns it. Access is decided on the alias name, never on the provider
// model behind it, so two aliases for one model are granted separately.
func (v *Snapshot) Authorize(c *Caller, alias string) (*gatehouse.Alias, error) {
	v.s.mu.RLock()
	a := v.s.idx.aliases[alias]
	may := v.s.idx.teamMay(c.Team, alias)
	v.s.mu.RUnlock()
	if a == nil {
		return nil, &gatehouse.Error{Code: gatehouse.ENOTFOUND, Field: "model", Message: "Model \"" + alias + "\" does not exist."}
	}
	if !may {
		return nil, &gatehouse.Error{Code: gatehouse.EFORBIDDEN, Field: "model", Message: "Team \"" + c.Team.ID + "\" has no access to model \"" + alias + "\"."}
	}
	if !a.Active {
		return nil, &gatehouse.Error{Code: gatehouse.EFORBIDDEN, Field: "model", Message: "Model \"" + alias + "\" is disabled."}
	}
	return a, nil
}

// teamMay reports whether one of the team's active groups grants the
// alias: a few lookups, worked out on each request rather than kept per
// team, so a group or alias change never has to revisit the teams.
func (x *index) teamMay(t *gatehouse.Team, alias string) bool {
	if t == nil {
		return false
	}
	for _, name := range t.AccessGroups {
		if g := x.groups[name]; g != nil && g.active && g.has(alias) {
			return true
		}
	}
	return false
}

// grantedNames lists the aliases a team's active groups grant, sorted.
func (x *index) grantedNames(t *gatehouse.Team) []string {
	if t == nil {
		return nil
	}
	var out []string
	for _, name := range t.AccessGroups {
		if g := x.groups[name]; g != nil && g.active {
			out = append(out, g.aliases...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TeamMay reports whether a team's active access groups grant the alias.
func (v *Snapshot) TeamMay(teamID, alias string) bool {
	t := v.s.team(teamID)
	v.s.mu.RLock()
	defer v.s.mu.RUnlock()
	return v.s.idx.teamMay(t, alias)
}

// CallableAliases lists the active aliases a team may call, sorted.
func (v *Snapshot) CallableAliases(teamID string) []*gatehouse.Alias {
	t := v.s.team(teamID)
	v.s.mu.RLock()
	defer v.s.mu.RUnlock()
	var out []*gatehouse.Alias
	for _, name := range v.s.idx.grantedNames(t) {
		if a := v.s.idx.aliases[name]; a != nil && a.Active {
			out = append(out, a)
		}
	}
	return out
}

// AllowedAliasNames lists the aliases a team's groups grant, active or not.
func (v *Snapshot) AllowedAliasNames(teamID string) []string {
	t := v.s.team(teamID)
	v.s.mu.RLock()
	defer v.s.mu.RUnlock()
	return v.s.idx.grantedNames(t)
}

// Alias returns an alias by name.
func (v *Snapshot) Alias(name string) *gatehouse.Alias {
	v.s.mu.RLock()
	defer v.s.mu.RUnlock()
	return v.s.idx.aliases[name]
}

// Credential returns the credential for a provider: the organization's own
// if it has one, else the operator-wide default, else nil (the caller then
// falls back to the environment). With several active credentials in one
// scope the oldest is used, so adding a second never silently replaces
// the one in use.
func (v *Snapshot) Credential(orgID, providerName string) *gatehouse.Credential {
	v.s.mu.RLock()
	defer v.s.mu.RUnlock()
	if l := v.s.idx.creds[credKey{orgID, providerName}]; len(l) > 0 {
		return l[0]
	}
	if l := v.s.idx.creds[credKey{"", providerName}]; len(l) > 0 {
		return l[0]
	}
	return nil
}

// CredentialByID returns an active credential by id, or nil: a deployment
// that pins a credential names it.
func (v *Snapshot) CredentialByID(id string) *gatehouse.Credential {
	v.s.mu.RLock()
	defer v.s.mu.RUnlock()
	k, ok := v.s.idx.credScope[id]
	if !ok {
		return nil
	}
	for _, c := range v.s.idx.creds[k] {
		if c.ID == id {
			return c
		}
	}
	return nil
}
