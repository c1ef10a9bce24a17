// Package state holds the control plane in memory for the request path:
// authenticating a virtual key, resolving an alias and checking a team's
// access are memory lookups, never database round trips.
//
// It is kept fresh by the change feed (see sqlstore's change()): every
// control-plane change records the entities it touched, in its own
// transaction, under a new version. A replica asks for the entries after
// the version it has applied (at once when PostgreSQL notifies it of a
// change, and every PollInterval regardless) and reloads just those
// entities by id, so a change costs each replica O(the change), not O(the
// fleet). The replica that made a change applies it before answering
// (Refresh), so its callers read their writes. A replica that finds the
// entries it needs pruned loads everything again; one that starts loads
// the small part of the control plane at once and teams and keys in the
// background (Start).
package state

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse-llm/gatehouse"
)

// PollInterval is how often replicas look for changes made elsewhere: a
// version read, cheap enough to run ten times a second. While PostgreSQL
// notifications arrive (ListenPollInterval) polling only covers a lost
// connection.
const (
	PollInterval       = 100 * time.Millisecond
	ListenPollInterval = time.Second
)

// maxCatchUp is the most feed entries a replica applies one by one; when
// further behind, loading everything is about as cheap.
const maxCatchUp = 20_000

// Loader reads the control plane; sqlstore.DB implements it.
type Loader interface {
	// LoadControlPlane streams everything the request path needs, as of
	// the version it returns.
	LoadControlPlane(ctx context.Context, sink gatehouse.StateSink) (version int64, err error)
	// LoadTeams and LoadKeys stream every team and every usable key,
	// reading parts slices at once; put must be safe for concurrent use.
	LoadTeams(ctx context.Context, parts int, put func(*gatehouse.Team)) error
	LoadKeys(ctx context.Context, parts int, put func(*gatehouse.Key)) error
	// ChangesSince returns the feed after a version (see sqlstore).
	ChangesSince(ctx context.Context, after int64, limit int) (changes []gatehouse.Change, version int64, complete bool, err error)
	FindOrganization(ctx context.Context, id string) (*gatehouse.Organization, error)
	FindTeam(ctx context.Context, id string) (*gatehouse.Team, error)
	FindKeyByHash(ctx context.Context, hash string) (*gatehouse.Key, error)
	FindAlias(ctx context.Context, name string) (*gatehouse.Alias, error)
	FindAccessGroup(ctx context.Context, name string) (*gatehouse.AccessGroup, error)
	FindCredential(ctx context.Context, id string) (*gatehouse.Credential, error)
}

// Listener is implemented by loaders that can announce changes as they
// commit (PostgreSQL LISTEN/NOTIFY), cutting propagation below the poll
// interval. ListenForChanges returns errors.ErrUnsupported when the
// database cannot.
type Listener interface {
	ListenForChanges(ctx context.Context, listening, notify func()) error
}

// State is the in-memory control plane plus the machinery that keeps it
// fresh.
type State struct {
	loader Loader
	logger *slog.Logger

	mu  sync.RWMutex // guards idx and everything in it
	idx *index

	syncMu sync.Mutex // one catch-up at a time
	wake   chan struct{}
	stats  struct {
		reloads, applied, fallbacks atomic.Int64
		// applies counts catch-ups that applied entities; applyNanos and
		// reloadNanos sum how long catch-ups and full loads took.
		applies, applyNanos, reloadNanos atomic.Int64
	}

	// warm is false while Start's background load of the teams and keys
	// runs; a key or team not found in memory meanwhile is looked up in
	// the database, and those the feed changes meanwhile are noted in
	// dirtyKeys and dirtyTeams so the load does not put back an older
	// copy. All are guarded by mu.
	warm       atomic.Bool
	dirtyKeys  map[[32]byte]struct{}
	dirtyTeams map[string]struct{}
	warmedIn   time.Duration

	listening atomic.Bool // notifications are arriving
}

// Stats counts a State's work since it started: full loads, entities
// applied from the feed, and keys looked up in the database while the
// keys were still loading.
type Stats struct {
	FullLoads, EntitiesApplied, KeyFallbacks int64
	Version                                  int64
	// Applies counts catch-ups with the feed that applied something, and
	// ApplyTime sums how long they took (feed read included); ReloadTime
	// sums how long the FullLoads took. For metrics: their rates give the
	// mean time per change and per load.
	Applies               int64
	ApplyTime, ReloadTime time.Duration
	// Warm reports whether every team and key is in memory, and WarmedIn
	// how long loading them took (Start).
	Warm     bool
	WarmedIn time.Duration
	// Listening reports whether change notifications are arriving.
	Listening bool
}

// New loads the whole control plane, keys included, before it returns.
func New(ctx context.Context, loader Loader, logger *slog.Logger) (*State, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &State{loader: loader, logger: logger, idx: newIndex(), wake: make(chan struct{}, 1)}
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	if err := s.reloadLocked(ctx); err != nil {
		return nil, err
	}
	s.warm.Store(true)
	return s, nil
}

// Start loads organizations, aliases, access groups and credentials and
// returns, loading teams and keys in the background: a replica serves
// within a second of starting, however large the fleet. Until they are
// all in memory, a key (and its team) not found there is looked up in the
// database, one indexed read each, so every key works from the first
// request; afterwards no request reads the database to authenticate. done,
// when not nil, receives the outcome of the background load.
func Start(ctx context.Context, loader Loader, logger *slog.Logger, done func(error)) (*State, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &State{loader: loader, logger: logger, idx: newIndex(), wake: make(chan struct{}, 1),
		dirtyKeys: map[[32]byte]struct{}{}, dirtyTeams: map[string]struct{}{}}
	start := time.Now()
	s.syncMu.Lock()
	version, err := loader.LoadControlPlane(ctx, s.idx)
	s.syncMu.Unlock()
	if err != nil {
		return nil, err
	}
	s.idx.version = version
	s.stats.reloads.Add(1)
	s.stats.reloadNanos.Add(int64(time.Since(start)))
	s.logger.Info("state: loaded organizations, aliases, groups and credentials; loading teams and keys in the background",
		"version", version, "took", time.Since(start).Round(time.Millisecond))
	go func() {
		err := s.warmUp(ctx)
		if err != nil && ctx.Err() == nil {
			s.logger.Error("state: loading teams and keys failed; looking them up in the database until a reload succeeds", "err", err)
		}
		if done != nil {
			done(err)
		}
	}()
	return s, nil
}

// warmUp loads every team, then every key, into the live index, skipping
// those the feed changed meanwhile (its copies are newer), then marks the
// state warm.
func (s *State) warmUp(ctx context.Context) error {
	start := time.Now()
	s.mu.RLock()
	into := s.idx // a full reload meanwhile replaces it, teams and keys included
	s.mu.RUnlock()
	err := loadBatched(func(put func(*gatehouse.Team)) error { return s.loader.LoadTeams(ctx, loadParts, put) },
		func(ts []gatehouse.Team) {
			s.mu.Lock()
			defer s.mu.Unlock()
			for i := range ts {
				if _, changed := s.dirtyTeams[ts[i].ID]; !changed && s.idx == into {
					s.idx.PutTeam(&ts[i])
				}
			}
		})
	if err != nil {
		return err
	}
	err = loadBatched(func(put func(*gatehouse.Key)) error { return s.loader.LoadKeys(ctx, loadParts, put) },
		func(ks []gatehouse.Key) {
			s.mu.Lock()
			defer s.mu.Unlock()
			for i := range ks {
				h, ok := parseHash(ks[i].Hash)
				if _, changed := s.dirtyKeys[h]; ok && !changed && s.idx == into {
					s.idx.PutKey(&ks[i])
				}
			}
		})
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.dirtyKeys, s.dirtyTeams = nil, nil
	s.warmedIn = time.Since(start)
	teams, keys := len(s.idx.teams), s.idx.keys.live
	s.mu.Unlock()
	s.warm.Store(true)
	s.logger.Info("state: teams and keys loaded", "teams", teams, "keys", keys, "took", s.warmedIn.Round(time.Millisecond))
	return nil
}

// loadBatched runs a parallel load whose put is called from several
// goroutines, gathering what it is given into batches of a thousand that
// apply takes one at a time: the index's write lock is then held for
// microseconds at a time, never for the whole load.
func loadBatched[T any](load func(put func(*T)) error, apply func([]T)) error {
	var mu sync.Mutex
	var all []*[]T
	pool := sync.Pool{New: func() any {
		b := make([]T, 0, 1024)
		mu.Lock()
		all = append(all, &b)
		mu.Unlock()
		return &b
	}}
	err := load(func(v *T) {
		b := pool.Get().(*[]T)
		*b = append(*b, *v)
		if len(*b) == cap(*b) {
			apply(*b)
			*b = (*b)[:0]
		}
		pool.Put(b)
	})
	mu.Lock()
	defer mu.Unlock()
	for _, b := range all {
		apply(*b)
		*b = (*b)[:0]
	}
	return err
}

// loadParts is how many slices of the team and key tables load at once.
const loadParts = 4

// NewStatic serves fixed data, for tests of code that reads state.
func NewStatic(d *gatehouse.StateData) *State {
	s := &State{logger: slog.New(slog.DiscardHandler), idx: load(d), wake: make(chan struct{}, 1)}
	s.warm.Store(true)
	return s
}

// Snapshot returns the read view. It never blocks on a database.
func (s *State) Snapshot() *Snapshot { return &Snapshot{s: s} }

// Stats reports the work done so far.
func (s *State) Stats() Stats {
	s.mu.RLock()
	v, warmedIn := s.idx.version, s.warmedIn
	s.mu.RUnlock()
	return Stats{FullLoads: s.stats.reloads.Load(), EntitiesApplied: s.stats.applied.Load(), KeyFallbacks: s.stats.fallbacks.Load(),
		Applies: s.stats.applies.Load(), ApplyTime: time.Duration(s.stats.applyNanos.Load()), ReloadTime: time.Duration(s.stats.reloadNanos.Load()),
		Version: v, Warm: s.warm.Load(), WarmedIn: warmedIn, Listening: s.listening.Load()}
}

// Refresh applies every change committed so far: after a write returns,
// the writer calls it so the same replica enforces the write (read your
// writes). It costs one feed read plus one read per changed entity.
func (s *State) Refresh(ctx context.Context) error {
	if s.loader == nil {
		return nil
	}
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	return s.syncLocked(ctx)
}

// version is the applied version.
func (s *State) version() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.idx.version
}

// syncLocked catches up with the feed, or loads everything when the feed
// cannot say what changed.
func (s *State) syncLocked(ctx context.Context) error {
	start := time.Now()
	changes, version, complete, err := s.loader.ChangesSince(ctx, s.version(), maxCatchUp)
	if err != nil {
		return err
	}
	if !complete {
		s.logger.Info("state: change feed cannot catch up; loading the whole control plane", "from", s.version(), "to", version)
		return s.reloadLocked(ctx)
	}
	if len(changes) == 0 {
		return nil
	}
	for _, c := range changes {
		if c.Kind == gatehouse.ChangeReload {
			return s.reloadLocked(ctx)
		}
	}
	loaded, err := s.fetch(ctx, changes)
	if err != nil {
		return err
	}
	s.mu.Lock()
	for _, e := range loaded {
		e.apply(s.idx)
	}
	if s.dirtyKeys != nil { // still loading: the feed's copies are newer
		for _, c := range changes {
			switch c.Kind {
			case gatehouse.ChangeKey:
				if h, ok := parseHash(c.ID); ok {
					s.dirtyKeys[h] = struct{}{}
				}
			case gatehouse.ChangeTeam:
				s.dirtyTeams[c.ID] = struct{}{}
			}
		}
	}
	if version > s.idx.version {
		s.idx.version = version
	}
	s.mu.Unlock()
	s.stats.applied.Add(int64(len(loaded)))
	s.stats.applies.Add(1)
	s.stats.applyNanos.Add(int64(time.Since(start)))
	return nil
}

// fetched is one entity reloaded from the feed, ready to apply.
type fetched struct {
	order int
	apply func(x *index)
}

// fetch reads each entity the changes name (once each), ordered so that
// what others refer to is applied first: organizations and groups before
// teams, teams before their keys.
func (s *State) fetch(ctx context.Context, changes []gatehouse.Change) ([]fetched, error) {
	type ref struct{ kind, id string }
	seen := map[ref]bool{}
	var out []fetched
	for _, c := range changes {
		r := ref{c.Kind, c.ID}
		if seen[r] {
			continue
		}
		seen[r] = true
		f, err := s.fetchOne(ctx, c)
		if err != nil {
			return nil, fmt.Errorf("state: reload %s %q: %w", c.Kind, c.ID, err)
		}
		if f.apply != nil {
			out = append(out, f)
		}
	}
	// A stable sort keeps feed order within a kind.
	sortFetched(out)
	return out, nil
}

func gone(err error) bool { return gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND }

func (s *State) fetchOne(ctx context.Context, c gatehouse.Change) (fetched, error) {
	id := c.ID
	switch c.Kind {
	case gatehouse.ChangeOrganization:
		o, err := s.loader.FindOrganization(ctx, id)
		if gone(err) {
			return fetched{0, func(x *index) { delete(x.orgs, id) }}, nil
		}
		return fetched{0, func(x *index) { x.PutOrganization(o) }}, err
	case gatehouse.ChangeAccessGroup:
		g, err := s.loader.FindAccessGroup(ctx, id)
		if gone(err) {
			return fetched{1, func(x *index) { delete(x.groups, id) }}, nil
		}
		return fetched{1, func(x *index) { x.PutAccessGroup(g) }}, err
	case gatehouse.ChangeAlias:
		a, err := s.loader.FindAlias(ctx, id)
		if gone(err) {
			return fetched{2, func(x *index) { delete(x.aliases, id) }}, nil
		}
		return fetched{2, func(x *index) { x.PutAlias(a) }}, err
	case gatehouse.ChangeCredential:
		cr, err := s.loader.FindCredential(ctx, id)
		if gone(err) {
			return fetched{3, func(x *index) { x.removeCredential(id) }}, nil
		}
		return fetched{3, func(x *index) { x.PutCredential(cr) }}, err
	case gatehouse.ChangeTeam:
		t, err := s.loader.FindTeam(ctx, id)
		if gone(err) {
			return fetched{4, func(x *index) { x.removeTeam(id) }}, nil
		}
		return fetched{4, func(x *index) { x.PutTeam(t) }}, err
	case gatehouse.ChangeKey:
		k, err := s.loader.FindKeyByHash(ctx, id)
		if gone(err) {
			return fetched{5, func(x *index) {
				if h, ok := parseHash(id); ok {
					x.keys.remove(h)
				}
			}}, nil
		}
		return fetched{5, func(x *index) { x.PutKey(k) }}, err
	}
	s.logger.Warn("state: unknown kind in the change feed; ignoring it", "kind", c.Kind, "id", c.ID)
	return fetched{}, nil
}

// reloadLocked loads the whole control plane into a new index and swaps
// it in, then applies what changed while it loaded.
func (s *State) reloadLocked(ctx context.Context) error {
	start := time.Now()
	x := newIndex()
	version, err := s.loader.LoadControlPlane(ctx, x)
	if err != nil {
		return err
	}
	x.version = version
	// Teams and keys load in parallel slices, possibly a little newer
	// than version; the catch-up below re-reads whatever changed since.
	var mu sync.Mutex
	if err := s.loader.LoadTeams(ctx, loadParts, func(t *gatehouse.Team) {
		mu.Lock()
		x.PutTeam(t)
		mu.Unlock()
	}); err != nil {
		return err
	}
	if err := s.loader.LoadKeys(ctx, loadParts, func(k *gatehouse.Key) {
		mu.Lock()
		x.PutKey(k)
		mu.Unlock()
	}); err != nil {
		return err
	}
	s.mu.Lock()
	old := s.idx
	s.idx = x
	// Nothing outside the lock points into the old keys (lookups copy
	// what they return), so their memory goes back at once.
	old.keys.release()
	s.mu.Unlock()
	s.stats.reloads.Add(1)
	s.stats.reloadNanos.Add(int64(time.Since(start)))
	s.logger.Info("state: loaded the control plane", "version", version, "teams", len(x.teams), "keys", x.keys.live,
		"took", time.Since(start).Round(time.Millisecond))
	changes, _, complete, err := s.loader.ChangesSince(ctx, version, maxCatchUp)
	if err != nil || !complete || len(changes) == 0 {
		return err // an incomplete feed right after a load is caught up on the next poll
	}
	return s.syncLocked(ctx)
}

// Run keeps the state fresh until ctx ends: it polls every PollInterval
// and, where the loader can announce changes, catches up as each one
// commits.
func (s *State) Run(ctx context.Context) {
	if l, ok := s.loader.(Listener); ok {
		go s.listen(ctx, l)
	}
	t := time.NewTicker(PollInterval)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if s.listening.Load() && time.Since(last) < ListenPollInterval {
				continue
			}
		case <-s.wake:
		}
		last = time.Now()
		if err := s.Refresh(ctx); err != nil && ctx.Err() == nil {
			s.logger.Warn("state: catching up with the change feed failed; serving what is loaded", "err", err)
		}
	}
}

// listen turns change notifications into wake-ups, reconnecting after a
// failure; polling covers the gaps.
func (s *State) listen(ctx context.Context, l Listener) {
	for ctx.Err() == nil {
		err := l.ListenForChanges(ctx, func() { s.listening.Store(true); s.poke() }, s.poke)
		s.listening.Store(false)
		if errors.Is(err, errors.ErrUnsupported) {
			return
		}
		if ctx.Err() != nil {
			return
		}
		s.logger.Warn("state: change notifications interrupted; polling meanwhile", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// poke wakes Run without blocking.
func (s *State) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}
