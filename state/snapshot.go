package state

import (
	"slices"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/secret"
)

// Snapshot is an immutable view of the control plane with the indexes the
// request path needs.
type Snapshot struct {
	Version int64

	keys        map[string]*gatehouse.Key // by hash
	teams       map[string]*gatehouse.Team
	orgs        map[string]*gatehouse.Organization
	aliases     map[string]*gatehouse.Alias
	teamAliases map[string][]string // team → aliases granted by its active groups, sorted
	creds       map[credKey]*gatehouse.Credential
}

type credKey struct{ org, provider string }

// Build indexes the data.
func Build(d *gatehouse.StateData) *Snapshot {
	s := &Snapshot{
		Version:     d.Version,
		keys:        make(map[string]*gatehouse.Key, len(d.Keys)),
		teams:       make(map[string]*gatehouse.Team, len(d.Teams)),
		orgs:        make(map[string]*gatehouse.Organization, len(d.Organizations)),
		aliases:     make(map[string]*gatehouse.Alias, len(d.Aliases)),
		teamAliases: make(map[string][]string, len(d.Teams)),
		creds:       make(map[credKey]*gatehouse.Credential, len(d.Credentials)),
	}
	for _, k := range d.Keys {
		s.keys[k.Hash] = k
	}
	for _, o := range d.Organizations {
		s.orgs[o.ID] = o
	}
	for _, a := range d.Aliases {
		s.aliases[a.Alias] = a
	}
	groups := make(map[string]*gatehouse.AccessGroup, len(d.AccessGroups))
	for _, g := range d.AccessGroups {
		groups[g.Name] = g
	}
	for _, t := range d.Teams {
		s.teams[t.ID] = t
		var granted []string
		for _, gn := range t.AccessGroups {
			if g := groups[gn]; g != nil && g.Active {
				granted = append(granted, g.ModelAliases...)
			}
		}
		slices.Sort(granted)
		s.teamAliases[t.ID] = slices.Compact(granted)
	}
	// Credentials arrive oldest first: the first active one per scope and
	// provider wins, so adding a second credential never silently
	// replaces the one in use.
	for _, c := range d.Credentials {
		k := credKey{c.OrganizationID, c.Provider}
		if _, ok := s.creds[k]; !ok {
			s.creds[k] = c
		}
	}
	return s
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
func (s *Snapshot) Authenticate(presented string, now time.Time) (*Caller, error) {
	if presented == "" {
		return nil, gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "Missing API key: send it as `Authorization: Bearer <key>`.")
	}
	k := s.keys[secret.HashToken(presented)]
	if k == nil || k.RevokedAt != nil {
		return nil, gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "Invalid API key.")
	}
	if k.ExpiresAt != nil && !now.Before(*k.ExpiresAt) {
		return nil, gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "API key expired at %s.", k.ExpiresAt.Format(time.RFC3339))
	}
	t := s.teams[k.TeamID]
	if t == nil {
		return nil, gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "Invalid API key.")
	}
	o := s.orgs[t.OrganizationID]
	if o == nil || o.Status != gatehouse.StatusActive {
		return nil, gatehouse.Errorf(gatehouse.EFORBIDDEN, "Organization %q is suspended; contact your provider.", t.OrganizationID)
	}
	if t.Status != gatehouse.StatusActive {
		return nil, gatehouse.Errorf(gatehouse.EFORBIDDEN, "Team %q is %s; contact your provider.", t.ID, t.Status)
	}
	return &Caller{Key: k, Team: t, Org: o}, nil
}

// Authorize checks that the caller's team may use the alias it named and
// returns it. Access is decided on the alias name, never on the provider
// model behind it, so two aliases for one model are granted separately.
func (s *Snapshot) Authorize(c *Caller, alias string) (*gatehouse.Alias, error) {
	a := s.aliases[alias]
	if a == nil {
		return nil, &gatehouse.Error{Code: gatehouse.ENOTFOUND, Field: "model", Message: "Model \"" + alias + "\" does not exist."}
	}
	if !s.TeamMay(c.Team.ID, alias) {
		return nil, &gatehouse.Error{Code: gatehouse.EFORBIDDEN, Field: "model", Message: "Team \"" + c.Team.ID + "\" has no access to model \"" + alias + "\"."}
	}
	if !a.Active {
		return nil, &gatehouse.Error{Code: gatehouse.EFORBIDDEN, Field: "model", Message: "Model \"" + alias + "\" is disabled."}
	}
	return a, nil
}

// TeamMay reports whether a team's active access groups grant the alias.
func (s *Snapshot) TeamMay(teamID, alias string) bool {
	_, ok := slices.BinarySearch(s.teamAliases[teamID], alias)
	return ok
}

// CallableAliases lists the active aliases a team may call, sorted.
func (s *Snapshot) CallableAliases(teamID string) []*gatehouse.Alias {
	var out []*gatehouse.Alias
	for _, name := range s.teamAliases[teamID] {
		if a := s.aliases[name]; a != nil && a.Active {
			out = append(out, a)
		}
	}
	return out
}

// AllowedAliasNames lists the aliases a team's groups grant, active or not.
func (s *Snapshot) AllowedAliasNames(teamID string) []string {
	return slices.Clone(s.teamAliases[teamID])
}

// Alias returns an alias by name.
func (s *Snapshot) Alias(name string) *gatehouse.Alias { return s.aliases[name] }

// Credential returns the credential for a provider: the organization's own
// if it has one, else the operator-wide default, else nil (the caller then
// falls back to the environment).
func (s *Snapshot) Credential(orgID, providerName string) *gatehouse.Credential {
	if c := s.creds[credKey{orgID, providerName}]; c != nil {
		return c
	}
	return s.creds[credKey{"", providerName}]
}
