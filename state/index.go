package state

import (
	"cmp"
	"slices"

	"github.com/gatehouse-llm/gatehouse"
)

// index is the control plane as the request path reads it. Every change
// to it is O(the entity changed): nothing derived from many entities is
// materialised (a team's aliases are worked out from its groups on
// lookup), so changing a group or an alias touches one entry, never the
// fleet.
type index struct {
	version int64
	orgs    map[string]*gatehouse.Organization
	// teams maps a team id to its slot; slots hold the team's current
	// value (nil once deleted). Keys refer to a slot, never reused, so a
	// team deleted and created again under the same id does not revive
	// keys of the old one.
	teams     map[string]uint32
	teamSlots []*gatehouse.Team
	aliases   map[string]*gatehouse.Alias
	groups    map[string]*group
	creds     map[credKey][]*gatehouse.Credential // active, oldest first
	credScope map[string]credKey                  // credential id → where it is listed
	keys      keyIndex
}

// group is an access group: whether it grants anything, and its aliases.
type group struct {
	name    string
	active  bool
	aliases []string // sorted
}

func (g *group) has(alias string) bool {
	_, ok := slices.BinarySearch(g.aliases, alias)
	return ok
}

type credKey struct{ org, provider string }

func newIndex() *index {
	return &index{
		orgs:      map[string]*gatehouse.Organization{},
		teams:     map[string]uint32{},
		aliases:   map[string]*gatehouse.Alias{},
		groups:    map[string]*group{},
		creds:     map[credKey][]*gatehouse.Credential{},
		credScope: map[string]credKey{},
	}
}

// The StateSink methods fill the index during a full load; the same
// methods apply one reloaded entity.

// PutOrganization stores an organization.
func (x *index) PutOrganization(o *gatehouse.Organization) {
	c := &gatehouse.Organization{ID: o.ID, Name: o.Name, Status: intern(o.Status)}
	x.orgs[c.ID] = c
}

// PutAlias stores an alias.
func (x *index) PutAlias(a *gatehouse.Alias) {
	c := *a
	if len(c.Deployments) == 0 && c.LiteLLMModel != "" {
		// Built by hand (tests, NewStatic): one deployment, its model.
		c.Deployments = []gatehouse.Deployment{{ID: c.LiteLLMModel, LiteLLMModel: c.LiteLLMModel, Weight: 1}}
	}
	x.aliases[c.Alias] = &c
}

// PutAccessGroup stores a group.
func (x *index) PutAccessGroup(g *gatehouse.AccessGroup) {
	aliases := slices.Clone(g.ModelAliases)
	slices.Sort(aliases)
	x.groups[g.Name] = &group{name: g.Name, active: g.Active, aliases: slices.Compact(aliases)}
}

// PutCredential stores an active credential; an inactive one is removed.
func (x *index) PutCredential(c *gatehouse.Credential) {
	x.removeCredential(c.ID)
	if !c.Active {
		return
	}
	cp := *c
	k := credKey{c.OrganizationID, c.Provider}
	list := x.creds[k]
	i, _ := slices.BinarySearchFunc(list, &cp, func(a, b *gatehouse.Credential) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	x.creds[k] = slices.Insert(list, i, &cp)
	x.credScope[c.ID] = k
}

func (x *index) removeCredential(id string) {
	k, ok := x.credScope[id]
	if !ok {
		return
	}
	delete(x.credScope, id)
	list := slices.DeleteFunc(x.creds[k], func(c *gatehouse.Credential) bool { return c.ID == id })
	if len(list) == 0 {
		delete(x.creds, k)
	} else {
		x.creds[k] = list
	}
}

// PutTeam stores the fields of a team the request path reads: identity,
// status, money settings, rate limits and groups. Strings shared by many
// teams (status, budget mode, organization and group names) are shared in
// memory too.
func (x *index) PutTeam(t *gatehouse.Team) {
	c := x.lean(t)
	if slot, ok := x.teams[t.ID]; ok {
		x.teamSlots[slot] = c
		return
	}
	x.teams[t.ID] = uint32(len(x.teamSlots))
	x.teamSlots = append(x.teamSlots, c)
}

// lean copies what the request path reads of a team.
func (x *index) lean(t *gatehouse.Team) *gatehouse.Team {
	c := &gatehouse.Team{ID: t.ID, OrganizationID: t.OrganizationID, Status: intern(t.Status), BudgetMode: intern(t.BudgetMode),
		CreditsAllocated: t.CreditsAllocated, CreditsBalance: t.CreditsBalance, CreditsHeld: t.CreditsHeld,
		CreditsRemaining: t.CreditsRemaining, CreditsPerDollar: t.CreditsPerDollar, TokensPerCredit: t.TokensPerCredit,
		MarkupBP: t.MarkupBP, RateLimits: t.RateLimits}
	if o := x.orgs[t.OrganizationID]; o != nil {
		c.OrganizationID = o.ID
	}
	if len(t.AccessGroups) > 0 {
		c.AccessGroups = make([]string, len(t.AccessGroups))
		for i, g := range t.AccessGroups {
			if gr := x.groups[g]; gr != nil {
				g = gr.name
			}
			c.AccessGroups[i] = g
		}
	}
	return c
}

// removeTeam forgets a team. Its slot stays empty for good, so keys that
// still point at it authenticate nothing.
func (x *index) removeTeam(id string) {
	if slot, ok := x.teams[id]; ok {
		x.teamSlots[slot] = nil
		delete(x.teams, id)
	}
}

// PutKey stores a usable key; a revoked one, or one whose team is unknown,
// is removed.
func (x *index) PutKey(k *gatehouse.Key) {
	h, ok := parseHash(k.Hash)
	if !ok {
		return
	}
	slot, ok := x.teams[k.TeamID]
	if !ok || k.RevokedAt != nil {
		x.keys.remove(h)
		return
	}
	x.keys.put(h, k.ID, slot, k.ExpiresAt, k.RateLimits)
}

// team returns the team in a slot (nil once deleted).
func (x *index) team(slot uint32) *gatehouse.Team {
	if int(slot) >= len(x.teamSlots) {
		return nil
	}
	return x.teamSlots[slot]
}

// intern returns the shared copy of the few strings every team repeats.
func intern(s string) string {
	switch s {
	case gatehouse.StatusActive:
		return gatehouse.StatusActive
	case gatehouse.StatusSuspended:
		return gatehouse.StatusSuspended
	case gatehouse.StatusPaused:
		return gatehouse.StatusPaused
	case gatehouse.BudgetJobBased:
		return gatehouse.BudgetJobBased
	case gatehouse.BudgetConsumptionUSD:
		return gatehouse.BudgetConsumptionUSD
	case gatehouse.BudgetConsumptionTokens:
		return gatehouse.BudgetConsumptionTokens
	}
	return s
}

// load fills a fresh index from StateData (tests and NewStatic).
func load(d *gatehouse.StateData) *index {
	x := newIndex()
	x.version = d.Version
	for _, o := range d.Organizations {
		x.PutOrganization(o)
	}
	for _, a := range d.Aliases {
		x.PutAlias(a)
	}
	for _, g := range d.AccessGroups {
		x.PutAccessGroup(g)
	}
	// StateData lists the active credentials oldest first.
	for _, c := range d.Credentials {
		cp := *c
		k := credKey{c.OrganizationID, c.Provider}
		x.creds[k] = append(x.creds[k], &cp)
		x.credScope[c.ID] = k
	}
	for _, t := range d.Teams {
		x.PutTeam(t)
	}
	for _, k := range d.Keys {
		x.PutKey(k)
	}
	return x
}

// sortFetched orders reloaded entities so that what others refer to is
// applied first, keeping feed order within a kind.
func sortFetched(f []fetched) {
	slices.SortStableFunc(f, func(a, b fetched) int { return cmp.Compare(a.order, b.order) })
}
