package state_test

import (
	"context"
	"crypto/rand"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/secret"
	"github.com/gatehouse-llm/gatehouse/sqlstore"
	"github.com/gatehouse-llm/gatehouse/sqlstore/storetest"
	"github.com/gatehouse-llm/gatehouse/state"
)

func withSealer(t testing.TB, db *sqlstore.DB) *sqlstore.DB {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	s, err := secret.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	db.Sealer = s
	return db
}

// world drives random control-plane changes through the store and
// remembers every name and key it ever made, so replicas can be compared
// on all of them, the deleted included.
type world struct {
	t       *testing.T
	db      *sqlstore.DB
	rng     *mrand.Rand
	orgs    []string
	teams   []string
	aliases []string
	groups  []string
	creds   []string
	keys    map[string]*gatehouse.Key // secret → key as issued
	secrets []string                  // in the order issued, so picks repeat run to run
}

func (w *world) pick(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return s[w.rng.IntN(len(s))]
}

func (w *world) some(s []string) []string {
	var out []string
	for _, v := range s {
		if w.rng.IntN(3) == 0 {
			out = append(out, v)
		}
	}
	return out
}

func (w *world) issued(nk *gatehouse.NewKey, err error) {
	if err == nil {
		w.keys[nk.Secret] = nk.Key
		w.secrets = append(w.secrets, nk.Secret)
	}
}

func (w *world) keyOf() (string, *gatehouse.Key) {
	if len(w.secrets) == 0 {
		return "", nil
	}
	s := w.secrets[w.rng.IntN(len(w.secrets))]
	return s, w.keys[s]
}

// step makes one random change; refused changes (conflicts, unknown
// names) are part of the game and change nothing.
func (w *world) step(ctx context.Context, i int) (string, bool) {
	db := w.db
	b := func(p float64) bool { return w.rng.Float64() < p }
	switch op := w.rng.IntN(19); op {
	case 0:
		id := fmt.Sprintf("o%d", i)
		err := db.CreateOrganization(ctx, &gatehouse.Organization{ID: id, Name: id})
		if err == nil {
			w.orgs = append(w.orgs, id)
		}
		return "org.create", err == nil
	case 1:
		status := gatehouse.StatusSuspended
		if b(0.6) {
			status = gatehouse.StatusActive
		}
		_, err := db.SetOrganizationStatus(ctx, w.pick(w.orgs), status)
		return "org.status", err == nil
	case 2:
		err := db.DeleteOrganization(ctx, w.pick(w.orgs))
		return "org.delete", err == nil
	case 3:
		id := fmt.Sprintf("a%d", i)
		a := &gatehouse.Alias{Alias: id, LiteLLMModel: "mock/echo", Active: b(0.8), Fallbacks: w.some(w.aliases)}
		err := db.CreateAlias(ctx, a)
		if err == nil {
			w.aliases = append(w.aliases, id)
		}
		return "alias.create", err == nil
	case 4:
		active := b(0.5)
		model := "mock/" + w.pick([]string{"echo", "fixed"})
		upd := gatehouse.AliasUpdate{Active: &active, LiteLLMModel: &model}
		if i%2 == 0 { // several deployments and a strategy instead (not drawn: the walk's draws stay as they were)
			var deps []gatehouse.Deployment
			for j := range 1 + i%3 {
				deps = append(deps, gatehouse.Deployment{ID: fmt.Sprintf("d%d", j), LiteLLMModel: []string{"mock/echo", "mock/fixed"}[j%2],
					Weight: 1 + j, Order: j % 2, RPM: int64(10 * j)})
			}
			strategy := gatehouse.RoutingStrategies[i%len(gatehouse.RoutingStrategies)]
			upd = gatehouse.AliasUpdate{Active: &active, Deployments: &deps, RoutingStrategy: &strategy}
		}
		_, err := db.UpdateAlias(ctx, w.pick(w.aliases), upd)
		return "alias.update", err == nil
	case 5:
		err := db.DeleteAlias(ctx, w.pick(w.aliases))
		return "alias.delete", err == nil
	case 6:
		id := fmt.Sprintf("g%d", i)
		err := db.CreateAccessGroup(ctx, &gatehouse.AccessGroup{Name: id, ModelAliases: w.some(w.aliases)})
		if err == nil {
			w.groups = append(w.groups, id)
		}
		return "group.create", err == nil
	case 7:
		_, err := db.AddGroupAliases(ctx, w.pick(w.groups), []string{w.pick(w.aliases)})
		return "group.add", err == nil
	case 8:
		_, err := db.RemoveGroupAliases(ctx, w.pick(w.groups), []string{w.pick(w.aliases)})
		return "group.remove", err == nil
	case 9:
		active := b(0.6)
		_, err := db.UpdateAccessGroup(ctx, w.pick(w.groups), nil, &active)
		return "group.active", err == nil
	case 10:
		err := db.DeleteAccessGroup(ctx, w.pick(w.groups))
		return "group.delete", err == nil
	case 11:
		id := fmt.Sprintf("t%d", i)
		nk, err := db.CreateTeam(ctx, &gatehouse.Team{ID: id, OrganizationID: w.pick(w.orgs), AccessGroups: w.some(w.groups)})
		if err == nil {
			w.teams = append(w.teams, id)
		}
		w.issued(nk, err)
		return "team.create", err == nil
	case 12:
		groups := w.some(w.groups)
		_, err := db.UpdateTeam(ctx, w.pick(w.teams), gatehouse.TeamUpdate{AccessGroups: &groups})
		return "team.groups", err == nil
	case 13:
		_, err := db.SetTeamStatus(ctx, w.pick(w.teams), w.pick([]string{gatehouse.StatusActive, gatehouse.StatusActive, gatehouse.StatusPaused, gatehouse.StatusSuspended}))
		return "team.status", err == nil
	case 14:
		if b(0.3) {
			err := db.DeleteTeam(ctx, w.pick(w.teams))
			return "team.delete", err == nil
		}
		mode := w.pick([]string{gatehouse.BudgetJobBased, gatehouse.BudgetConsumptionUSD})
		markup := int64(w.rng.IntN(5000))
		_, err := db.SetTeamRates(ctx, w.pick(w.teams), gatehouse.TeamRates{BudgetMode: &mode, MarkupBP: &markup})
		return "team.rates", err == nil
	case 15:
		var exp *time.Time
		if b(0.3) {
			e := time.Now().Add(time.Duration(w.rng.IntN(3)+1) * time.Hour)
			exp = &e
		}
		nk, err := db.CreateKey(ctx, w.pick(w.teams), "k", exp, gatehouse.RateLimits{RequestsPerMinute: int64(w.rng.IntN(2) * 60)})
		w.issued(nk, err)
		return "key.create", err == nil
	case 16:
		_, k := w.keyOf()
		if k == nil {
			return "key.rotate", false
		}
		if b(0.5) {
			_, err := db.RevokeKey(ctx, k.TeamID, k.ID)
			return "key.revoke", err == nil
		}
		nk, err := db.RotateKey(ctx, k.TeamID, k.ID, time.Duration(w.rng.IntN(2))*time.Hour)
		w.issued(nk, err)
		return "key.rotate", err == nil
	case 17:
		org := ""
		if b(0.6) {
			org = w.pick(w.orgs)
		}
		c := &gatehouse.Credential{OrganizationID: org, Provider: w.pick([]string{"openai", "anthropic"}), Name: fmt.Sprintf("c%d", i), APIKey: fmt.Sprintf("sk-%d-xxxxxxxx", i)}
		err := db.CreateCredential(ctx, c)
		if err == nil {
			w.creds = append(w.creds, c.ID)
		}
		return "credential.create", err == nil
	default:
		id := w.pick(w.creds)
		if b(0.3) {
			err := db.DeleteCredential(ctx, id)
			return "credential.delete", err == nil
		}
		active := b(0.6)
		key := fmt.Sprintf("sk-rotated-%d-yyyyyyyy", i)
		_, err := db.UpdateCredential(ctx, id, gatehouse.CredentialUpdate{Active: &active, APIKey: &key})
		return "credential.update", err == nil
	}
}

// observe renders everything the request path can ask a replica about
// every name the world ever used.
func (w *world) observe(s *state.Snapshot) string {
	var b strings.Builder
	now := time.Now()
	secrets := make([]string, 0, len(w.keys))
	for sec := range w.keys {
		secrets = append(secrets, sec)
	}
	slices.Sort(secrets)
	for _, sec := range secrets {
		c, err := s.Authenticate(sec, now)
		if err != nil {
			fmt.Fprintf(&b, "key %s: %s\n", w.keys[sec].ID, gatehouse.ErrorCode(err))
			continue
		}
		exp := ""
		if c.Key.ExpiresAt != nil {
			exp = c.Key.ExpiresAt.UTC().Format(time.RFC3339Nano)
		}
		fmt.Fprintf(&b, "key %s: team %s org %s key %s limits %v exp %s mode %s markup %d\n", w.keys[sec].ID, c.Team.ID,
			c.Org.ID, c.Key.ID, c.Key.RateLimits, exp, c.Team.BudgetMode, c.Team.MarkupBP)
		for _, a := range w.aliases {
			_, err := s.Authorize(c, a)
			fmt.Fprintf(&b, "  %s: %q\n", a, gatehouse.ErrorCode(err))
		}
	}
	fmt.Fprintf(&b, "keys held: %d\n", state.KeyCount(s))
	for _, o := range w.orgs {
		if x := state.OrgOf(s, o); x != nil {
			fmt.Fprintf(&b, "org %s: %s\n", o, x.Status)
		}
	}
	for _, t := range w.teams {
		if x := state.TeamOf(s, t); x != nil {
			fmt.Fprintf(&b, "team %s: org %s %s %s markup %d groups %v\n", t, x.OrganizationID, x.Status, x.BudgetMode, x.MarkupBP, x.AccessGroups)
		}
		var names []string
		for _, a := range s.CallableAliases(t) {
			names = append(names, a.Alias)
		}
		fmt.Fprintf(&b, "team %s callable %v allowed %v\n", t, names, s.AllowedAliasNames(t))
	}
	for _, a := range w.aliases {
		if x := s.Alias(a); x != nil {
			fmt.Fprintf(&b, "alias %s: %s %v %v %s", a, x.LiteLLMModel, x.Active, x.Fallbacks, x.RoutingStrategy)
			for _, d := range x.Deployments {
				fmt.Fprintf(&b, " [%s %s w%d o%d rpm%d]", d.ID, d.LiteLLMModel, d.Weight, d.Order, d.RPM)
			}
			fmt.Fprintln(&b)
		}
	}
	for _, o := range append([]string{""}, w.orgs...) {
		for _, p := range []string{"openai", "anthropic"} {
			if c := s.Credential(o, p); c != nil {
				fmt.Fprintf(&b, "credential %s/%s: %s %s\n", o, p, c.ID, c.APIKey)
			}
		}
	}
	return b.String()
}

// Whatever the order of changes, a replica that applies the change feed
// ends up exactly where a fresh full load does, for every key, team,
// alias, group and credential: the writer catching up after each change
// (read your writes), a second replica catching up at random moments, and
// a third on its own database handle (its own pool, like another
// process).
func TestReplicasConvergeOnRandomChanges(t *testing.T) {
	for _, be := range storetest.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			url := be.URL(t)
			db := withSealer(t, openURL(t, be.Name, url))
			other := openURL(t, be.Name, url)
			other.Sealer = db.Sealer
			ctx := context.Background()
			writer, err := state.New(ctx, db, nil)
			if err != nil {
				t.Fatal(err)
			}
			lagging, err := state.New(ctx, other, nil)
			if err != nil {
				t.Fatal(err)
			}
			succeeded := map[string]int{}
			for seed := range uint64(4) {
				w := &world{t: t, db: db, rng: mrand.New(mrand.NewPCG(seed, 99)), keys: map[string]*gatehouse.Key{}}
				var ops []string
				for i := range 250 {
					op, ok := w.step(ctx, int(seed)*1000+i)
					ops = append(ops, op)
					if ok {
						succeeded[op]++
					}
					if err := writer.Refresh(ctx); err != nil {
						t.Fatal(err)
					}
					if w.rng.IntN(7) == 0 {
						if err := lagging.Refresh(ctx); err != nil {
							t.Fatal(err)
						}
					}
					if i%25 != 24 {
						continue
					}
					if err := lagging.Refresh(ctx); err != nil {
						t.Fatal(err)
					}
					fresh, err := state.New(ctx, db, nil)
					if err != nil {
						t.Fatal(err)
					}
					want := w.observe(fresh.Snapshot())
					for name, s := range map[string]*state.State{"writer": writer, "lagging replica": lagging} {
						if got := w.observe(s.Snapshot()); got != want {
							t.Fatalf("seed %d after %v: %s differs from a full load:\n%s", seed, ops, name, diff(got, want))
						}
					}
				}
			}
			// Every kind of change must have happened, or the comparison
			// proved less than it claims.
			for _, op := range []string{"org.create", "org.status", "org.delete", "alias.create", "alias.update", "alias.delete",
				"group.create", "group.add", "group.remove", "group.active", "group.delete", "team.create", "team.groups",
				"team.status", "team.delete", "team.rates", "key.create", "key.revoke", "key.rotate", "credential.create",
				"credential.update", "credential.delete"} {
				if succeeded[op] < 3 {
					t.Errorf("%s succeeded %d times; the random walk must exercise it more", op, succeeded[op])
				}
			}
			if n := writer.Stats().FullLoads; n != 1 {
				t.Errorf("the writer loaded everything %d times; the feed should have sufficed after the first", n)
			}
		})
	}
}

func openURL(t *testing.T, backend, url string) *sqlstore.DB {
	t.Helper()
	db, err := storetest.Open(context.Background(), backend, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	return db
}

// diff shows the first lines that differ.
func diff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range max(len(g), len(w)) {
		var a, b string
		if i < len(g) {
			a = g[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\n  replica:   %s\n  full load: %s", i, a, b)
		}
	}
	return "(equal)"
}

// gatedKeys reads the teams and keys as they are when loading starts,
// then holds them until released: the slowest possible load, delivering
// copies that went stale while it waited.
type gatedKeys struct {
	*sqlstore.DB
	release chan struct{}
}

func (g *gatedKeys) LoadTeams(ctx context.Context, parts int, put func(*gatehouse.Team)) error {
	var stale []gatehouse.Team
	if err := g.DB.LoadTeams(ctx, parts, func(t *gatehouse.Team) { stale = append(stale, *t) }); err != nil {
		return err
	}
	<-g.release
	for i := range stale {
		put(&stale[i])
	}
	return nil
}

func (g *gatedKeys) LoadKeys(ctx context.Context, parts int, put func(*gatehouse.Key)) error {
	var stale []gatehouse.Key
	if err := g.DB.LoadKeys(ctx, parts, func(k *gatehouse.Key) { stale = append(stale, *k) }); err != nil {
		return err
	}
	<-g.release
	for i := range stale {
		put(&stale[i])
	}
	return nil
}

// A replica started with Start serves every key before its teams and
// keys have loaded (looking them up in the database), and a key revoked
// or created, or a team suspended, while they load ends up right once
// they have: the load's older copies do not bring them back.
func TestStartServesKeysWhileTheyLoad(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		withSealer(t, db)
		if err := db.CreateOrganization(ctx, &gatehouse.Organization{ID: "o", Name: "O"}); err != nil {
			t.Fatal(err)
		}
		var keys []*gatehouse.NewKey
		for i := range 3 {
			nk, err := db.CreateTeam(ctx, &gatehouse.Team{ID: fmt.Sprintf("t%d", i), OrganizationID: "o"})
			if err != nil {
				t.Fatal(err)
			}
			keys = append(keys, nk)
		}
		loader := &gatedKeys{DB: db, release: make(chan struct{})}
		loaded := make(chan error, 1)
		st, err := state.Start(ctx, loader, nil, func(err error) { loaded <- err })
		if err != nil {
			t.Fatal(err)
		}
		auth := func(secret string) string {
			_, err := st.Snapshot().Authenticate(secret, time.Now())
			return gatehouse.ErrorCode(err)
		}
		if st.Stats().Warm {
			t.Fatal("warm before the keys loaded")
		}
		for _, k := range keys {
			if code := auth(k.Secret); code != "" {
				t.Fatalf("key of %s before the keys loaded: %q", k.Key.TeamID, code)
			}
		}
		if st.Stats().KeyFallbacks == 0 {
			t.Fatal("no database lookups while the keys loaded")
		}
		if _, err := db.RevokeKey(ctx, keys[0].Key.TeamID, keys[0].Key.ID); err != nil {
			t.Fatal(err)
		}
		fresh, err := db.CreateKey(ctx, "t1", "new", nil, gatehouse.RateLimits{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.SetTeamStatus(ctx, "t2", gatehouse.StatusSuspended); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateAlias(ctx, &gatehouse.Alias{Alias: "a", LiteLLMModel: "mock/echo", Active: true}); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateAccessGroup(ctx, &gatehouse.AccessGroup{Name: "g", ModelAliases: []string{"a"}}); err != nil {
			t.Fatal(err)
		}
		groups := []string{"g"}
		if _, err := db.UpdateTeam(ctx, "t1", gatehouse.TeamUpdate{AccessGroups: &groups}); err != nil {
			t.Fatal(err)
		}
		if err := st.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if code := auth(keys[0].Secret); code != gatehouse.EUNAUTHORIZED {
			t.Errorf("revoked while loading: %q", code)
		}
		if code := auth(keys[2].Secret); code != gatehouse.EFORBIDDEN {
			t.Errorf("team suspended while loading: %q", code)
		}
		may := func() string {
			c, err := st.Snapshot().Authenticate(fresh.Secret, time.Now())
			if err != nil {
				return gatehouse.ErrorCode(err)
			}
			_, err = st.Snapshot().Authorize(c, "a")
			return gatehouse.ErrorCode(err)
		}
		if code := may(); code != "" {
			t.Errorf("a group granted while loading: %q", code)
		}
		close(loader.release)
		if err := <-loaded; err != nil {
			t.Fatal(err)
		}
		before := st.Stats().KeyFallbacks
		for secret, want := range map[string]string{keys[0].Secret: gatehouse.EUNAUTHORIZED, keys[1].Secret: "",
			keys[2].Secret: gatehouse.EFORBIDDEN, fresh.Secret: "", "gh-sk-nope": gatehouse.EUNAUTHORIZED} {
			if code := auth(secret); code != want {
				t.Errorf("after loading, %s…: %q, want %q", secret[:10], code, want)
			}
		}
		if code := may(); code != "" {
			t.Errorf("after loading, the group granted meanwhile: %q", code)
		}
		if s := st.Stats(); !s.Warm || s.KeyFallbacks != before {
			t.Errorf("after loading: %+v (a warm replica must not read the database for keys)", s)
		}
	})
}

// A running replica picks up a change made through another handle on its
// own: by polling on SQLite, by notification on PostgreSQL.
func TestRunPicksUpChangesMadeElsewhere(t *testing.T) {
	for _, be := range storetest.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			url := be.URL(t)
			writer := withSealer(t, openURL(t, be.Name, url))
			reader := openURL(t, be.Name, url)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if err := writer.CreateOrganization(ctx, &gatehouse.Organization{ID: "o", Name: "O"}); err != nil {
				t.Fatal(err)
			}
			nk, err := writer.CreateTeam(ctx, &gatehouse.Team{ID: "t", OrganizationID: "o"})
			if err != nil {
				t.Fatal(err)
			}
			st, err := state.New(ctx, reader, nil)
			if err != nil {
				t.Fatal(err)
			}
			go st.Run(ctx)
			if be.Name == "postgres" {
				deadline := time.Now().Add(10 * time.Second)
				for !st.Stats().Listening && time.Now().Before(deadline) {
					time.Sleep(10 * time.Millisecond)
				}
				if !st.Stats().Listening {
					t.Fatal("not listening for PostgreSQL notifications")
				}
			}
			if _, err := writer.RevokeKey(ctx, "t", nk.Key.ID); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(10 * time.Second) // generous: the benchmark measures the real latency
			for {
				if _, err := st.Snapshot().Authenticate(nk.Secret, time.Now()); gatehouse.ErrorCode(err) == gatehouse.EUNAUTHORIZED {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the revocation never reached the running replica")
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
}

// A replica whose feed entries were pruned before it read them loads
// everything again and ends up right; one that can catch up from the feed
// applies exactly the entities the changes touched.
func TestReplicaBehindPrunedFeedReloads(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		withSealer(t, db)
		if err := db.CreateOrganization(ctx, &gatehouse.Organization{ID: "o", Name: "O"}); err != nil {
			t.Fatal(err)
		}
		nk, err := db.CreateTeam(ctx, &gatehouse.Team{ID: "t", OrganizationID: "o"})
		if err != nil {
			t.Fatal(err)
		}
		st, err := state.New(ctx, db, nil)
		if err != nil {
			t.Fatal(err)
		}
		// Caught up from the feed: a revocation reloads one key, nothing else.
		if _, err := db.RevokeKey(ctx, "t", nk.Key.ID); err != nil {
			t.Fatal(err)
		}
		before := st.Stats()
		if err := st.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if after := st.Stats(); after.EntitiesApplied-before.EntitiesApplied != 1 || after.FullLoads != before.FullLoads {
			t.Errorf("a revocation applied %d entities and %d full loads; want 1 and 0",
				after.EntitiesApplied-before.EntitiesApplied, after.FullLoads-before.FullLoads)
		}
		// A group many teams use, and an alias in it: changing either
		// reloads the group or alias, never the teams.
		if err := db.CreateAlias(ctx, &gatehouse.Alias{Alias: "a", LiteLLMModel: "mock/echo", Active: true}); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateAccessGroup(ctx, &gatehouse.AccessGroup{Name: "g", ModelAliases: []string{"a"}}); err != nil {
			t.Fatal(err)
		}
		for i := range 20 {
			if _, err := db.CreateTeam(ctx, &gatehouse.Team{ID: fmt.Sprintf("g%d", i), OrganizationID: "o", AccessGroups: []string{"g"}}); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		for _, step := range []struct {
			name   string
			change func() error
			want   int64
		}{
			{"disable the group", func() error { off := false; _, err := db.UpdateAccessGroup(ctx, "g", nil, &off); return err }, 1},
			{"enable it", func() error { on := true; _, err := db.UpdateAccessGroup(ctx, "g", nil, &on); return err }, 1},
			{"delete its alias", func() error { return db.DeleteAlias(ctx, "a") }, 2}, // the alias and the group
		} {
			before := st.Stats()
			if err := step.change(); err != nil {
				t.Fatal(err)
			}
			if err := st.Refresh(ctx); err != nil {
				t.Fatal(err)
			}
			if got := st.Stats().EntitiesApplied - before.EntitiesApplied; got != step.want {
				t.Errorf("%s: %d entities applied, want %d", step.name, got, step.want)
			}
		}
		before = st.Stats()
		// Pruned: the entries of the next change are gone.
		fresh, err := db.CreateKey(ctx, "t", "k2", nil, gatehouse.RateLimits{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.SQL().ExecContext(ctx, `DELETE FROM control_changes`); err != nil {
			t.Fatal(err)
		}
		if err := st.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if n := st.Stats().FullLoads; n != before.FullLoads+1 {
			t.Errorf("%d full loads after the feed was pruned, want %d", n, before.FullLoads+1)
		}
		if _, err := st.Snapshot().Authenticate(fresh.Secret, time.Now()); err != nil {
			t.Errorf("a key created behind a pruned feed: %v", err)
		}
	})
}
