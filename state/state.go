// Package state holds the control plane in memory for the request path:
// authenticating a virtual key, resolving an alias and checking a team's
// access are map lookups, never database round trips.
//
// Every control-plane change bumps a version row in the same transaction.
// Each replica polls that version (one indexed read, every PollInterval) and
// reloads its snapshot when it moves, so a change made through any replica
// is visible on all of them within PollInterval plus one reload. The
// replica that made a change reloads at once (Refresh), so its own callers
// read their writes.
package state

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse-llm/gatehouse"
)

// PollInterval is how often replicas look for changes made elsewhere.
const PollInterval = 250 * time.Millisecond

// Loader reads the control plane; sqlstore.DB implements it.
type Loader interface {
	StateVersion(ctx context.Context) (int64, error)
	LoadState(ctx context.Context) (*gatehouse.StateData, error)
}

// State is the current snapshot plus the machinery that keeps it fresh.
type State struct {
	loader Loader
	logger *slog.Logger
	cur    atomic.Pointer[Snapshot]
	mu     sync.Mutex // serialises reloads
}

// New loads the first snapshot.
func New(ctx context.Context, loader Loader, logger *slog.Logger) (*State, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &State{loader: loader, logger: logger}
	if err := s.Refresh(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// NewStatic serves a fixed snapshot, for tests of code that reads state.
func NewStatic(d *gatehouse.StateData) *State {
	s := &State{logger: slog.New(slog.DiscardHandler)}
	s.cur.Store(Build(d))
	return s
}

// Snapshot returns the current snapshot. It never blocks and is safe to
// keep for the duration of one request.
func (s *State) Snapshot() *Snapshot { return s.cur.Load() }

// Refresh reloads the snapshot now.
func (s *State) Refresh(ctx context.Context) error {
	if s.loader == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.loader.LoadState(ctx)
	if err != nil {
		return err
	}
	if old := s.cur.Load(); old != nil && old.Version > d.Version {
		return nil // a concurrent refresh already installed something newer
	}
	s.cur.Store(Build(d))
	return nil
}

// Run polls for changes until ctx ends.
func (s *State) Run(ctx context.Context) {
	t := time.NewTicker(PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		v, err := s.loader.StateVersion(ctx)
		if err != nil {
			if ctx.Err() == nil {
				s.logger.Warn("state: cannot read version; serving the last snapshot", "err", err)
			}
			continue
		}
		if v != s.Snapshot().Version {
			if err := s.Refresh(ctx); err != nil && ctx.Err() == nil {
				s.logger.Warn("state: reload failed; serving the last snapshot", "err", err)
			}
		}
	}
}
