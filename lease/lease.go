// Package lease admits single-call jobs from memory against credit
// leases, so that such a job costs one durable write (the group-committed
// transaction that records its call) instead of three.
//
// A lease is a part of one team's credits that this process has set aside
// in the database: a hold in the ledger, like a job's, counted in the
// credit_leases table under this process's instance id. Admitting a job or
// a call's reservation takes from the lease in memory; recording the call
// charges what it cost out of the lease in the same transaction as the
// record. When the lease runs short it is extended by one transaction,
// sized by how fast the team spends (it doubles while extensions come
// less than a second apart) and bounded by the store to a share of the
// team's free credits, so a team with little left gets small leases and
// one replica cannot starve another; the last credits are leased one
// admission at a time, which is how calls were admitted before leases.
//
// The invariants are the database's, not this package's: a lease can only
// be granted from free credits (balance - held), a charge can only be
// taken from what the lease row still holds, and anything a lease cannot
// pay is charged from free credits or recorded as uncollected, never
// driving a balance below zero. A lease idle for IdleReturn is returned;
// a process that stops returns its leases; one that dies has them
// returned by the others once its heartbeat has expired. Because the
// others may judge it dead, a process admits against its leases only
// while its own heartbeat is fresh (Fresh), and forgets them otherwise.
package lease

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/gatehouse-llm/gatehouse"
)

// Store is what leases need from storage (sqlstore.DB).
type Store interface {
	// AcquireLease sets up to want of a team's free credits aside for
	// this process's lease, at least need (plus whole units beyond it),
	// or refuses with gatehouse.CreditsRefusal's error; it reports what
	// it granted.
	AcquireLease(ctx context.Context, teamID string, want, need, unit gatehouse.Credits) (gatehouse.Credits, error)
	// ReturnLease gives back amount of what this process's lease on a
	// team holds (all of it when amount is zero or more than it holds).
	ReturnLease(ctx context.Context, teamID string, amount gatehouse.Credits) (gatehouse.Credits, error)
}

// Defaults.
const (
	// DefaultIdleReturn is how long a lease may go unused before it is
	// returned to its team.
	DefaultIdleReturn = 5 * time.Second
	// firstChunk is a new lease's size in admissions of the size that
	// asked for it.
	firstChunk = 8
	// maxChunk bounds a lease extension (the store bounds it further to
	// a share of the team's free credits).
	maxChunk = gatehouse.Credits(1 << 50)
)

// Manager holds this process's leases, one per team it serves.
type Manager struct {
	store Store
	// fresh reports whether this process's heartbeat is recent enough for
	// its leases to be its own; nil means always.
	fresh  func() bool
	logger *slog.Logger
	// IdleReturn is how long an unused lease is kept (DefaultIdleReturn
	// when zero).
	IdleReturn time.Duration

	mu    sync.Mutex
	teams map[string]*lease
}

// NewManager returns a Manager over store. fresh, when not nil, must
// report false once the process's heartbeat may have expired in the
// others' eyes.
func NewManager(store Store, fresh func() bool, logger *slog.Logger) *Manager {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Manager{store: store, fresh: fresh, logger: logger, teams: map[string]*lease{}}
}

// lease is one team's lease as this process sees it.
type lease struct {
	team string

	mu sync.Mutex
	// held is what the lease holds in the database, as far as this
	// process has committed; committed is what admitted work has taken
	// from it (reservations of calls in flight, charges being recorded).
	held, committed gatehouse.Credits
	chunk           gatehouse.Credits
	lastGrow        time.Time
	lastUse         time.Time
	growing         chan struct{} // non-nil while an extension runs
	dead            bool          // forgotten: admit against a new one
}

// Ticket is one admission against a lease: the credits set aside for a
// single-call job until its call is recorded.
type Ticket struct {
	l        *lease
	reserved gatehouse.Credits
	settling gatehouse.Credits
}

// errStale refuses admissions while this process cannot be sure its
// leases are still its own.
var errStale = gatehouse.Errorf(gatehouse.EUNAVAILABLE, "This gateway cannot reach its database; retry shortly.")

// Admit sets need credits of team aside for a single-call job, from the
// lease, extending it when it runs short. A team that cannot spare need
// is refused with the store's error.
func (m *Manager) Admit(ctx context.Context, team string, need gatehouse.Credits) (*Ticket, error) {
	if m.fresh != nil && !m.fresh() {
		m.ForgetAll()
		return nil, errStale
	}
	for {
		l := m.lease(team)
		l.mu.Lock()
		if l.dead {
			l.mu.Unlock()
			continue
		}
		if l.held-l.committed >= need {
			l.committed += need
			l.lastUse = time.Now()
			l.mu.Unlock()
			return &Ticket{l: l, reserved: need}, nil
		}
		if ch := l.growing; ch != nil {
			l.mu.Unlock()
			select {
			case <-ch:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			continue
		}
		// The lease grows by what it lacks at least: what it holds unused
		// already counts among the team's held credits.
		short := need - max(l.held-l.committed, 0)
		want := max(l.nextChunk(need), short)
		ch := make(chan struct{})
		l.growing = ch
		l.mu.Unlock()

		granted, err := m.store.AcquireLease(ctx, team, want, short, need)

		l.mu.Lock()
		l.growing = nil
		close(ch)
		if err != nil {
			l.mu.Unlock()
			return nil, err
		}
		l.held += granted
		l.lastUse = time.Now()
		if l.dead {
			// Forgotten while it grew: the grant stays in the database
			// row, returned with it when idle, at shutdown or by the
			// sweeper.
			l.mu.Unlock()
			continue
		}
		l.mu.Unlock()
	}
}

// nextChunk is how much to ask for: it doubles while extensions come less
// than a second apart (the team spends fast) and starts again small after
// a quiet spell. Called with l.mu held.
func (l *lease) nextChunk(need gatehouse.Credits) gatehouse.Credits {
	now := time.Now()
	switch {
	case l.chunk == 0 || now.Sub(l.lastGrow) > 10*time.Second:
		l.chunk = need * firstChunk
	case now.Sub(l.lastGrow) < time.Second:
		l.chunk = min(l.chunk*2, maxChunk)
	}
	l.chunk = max(l.chunk, need)
	l.lastGrow = now
	return l.chunk
}

// lease returns team's live lease, making an empty one.
func (m *Manager) lease(team string) *lease {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.teams[team]
	if l == nil {
		l = &lease{team: team}
		m.teams[team] = l
	}
	return l
}

// forget drops l from the manager (it is dead from now on).
func (m *Manager) forget(l *lease) {
	m.mu.Lock()
	if m.teams[l.team] == l {
		delete(m.teams, l.team)
	}
	m.mu.Unlock()
	l.mu.Lock()
	l.dead = true
	l.mu.Unlock()
}

// ForgetAll drops every lease from memory (the database keeps them until
// they are returned at shutdown or by the sweeper): when this process's
// heartbeat is stale, the others may return its leases at any moment;
// when recording failed, the database may be down, and admitting calls
// it cannot record must stop. The next admission acquires a new lease.
// Calls in flight settle from the team's free credits if their lease is
// gone (see sqlstore).
func (m *Manager) ForgetAll() {
	m.mu.Lock()
	ls := make([]*lease, 0, len(m.teams))
	for _, l := range m.teams {
		ls = append(ls, l)
	}
	clear(m.teams)
	m.mu.Unlock()
	for _, l := range ls {
		l.mu.Lock()
		l.dead = true
		l.mu.Unlock()
	}
}

// Unused is what team's lease holds beyond what admitted work has taken:
// credits the team still has to spend, though they count as held.
func (m *Manager) Unused(team string) gatehouse.Credits {
	m.mu.Lock()
	l := m.teams[team]
	m.mu.Unlock()
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return max(l.held-l.committed, 0)
}

// Settle turns the ticket's reservation into the job's charge: it reports
// how much of charge the lease pays (all of it when the lease can), which
// the record's transaction takes from the lease row. Done must follow.
func (t *Ticket) Settle(charge gatehouse.Credits) gatehouse.Credits {
	l := t.l
	l.mu.Lock()
	defer l.mu.Unlock()
	l.committed -= t.reserved
	t.reserved = 0
	from := max(min(charge, l.held-l.committed), 0)
	l.committed += from
	t.settling = from
	return from
}

// Done ends the ticket once its call's record committed (recorded) or
// failed. lost reports that the record found the lease gone (returned or
// swept): the lease is then forgotten, and the next admission acquires a
// new one.
func (t *Ticket) Done(m *Manager, recorded, lost bool) {
	l := t.l
	l.mu.Lock()
	l.committed -= t.settling + t.reserved
	if recorded && !lost {
		l.held -= t.settling
	}
	t.settling, t.reserved = 0, 0
	l.lastUse = time.Now()
	l.mu.Unlock()
	if lost {
		m.forget(l)
	}
}

// Unused is what the ticket's lease holds beyond what admitted work has
// taken (see Manager.Unused).
func (t *Ticket) Unused() gatehouse.Credits {
	l := t.l
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.dead {
		return 0
	}
	return max(l.held-l.committed, 0)
}

// Run returns leases idle for IdleReturn, every second, until ctx is
// done. (The process returns the rest at shutdown, when it retires its
// instance.)
func (m *Manager) Run(ctx context.Context) {
	idle := m.IdleReturn
	if idle <= 0 {
		idle = DefaultIdleReturn
	}
	t := time.NewTicker(min(time.Second, idle/2))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if m.fresh != nil && !m.fresh() {
			m.ForgetAll()
			continue
		}
		m.returnIdle(ctx, idle)
	}
}

// returnIdle returns the leases nobody has used for idle.
func (m *Manager) returnIdle(ctx context.Context, idle time.Duration) {
	var due []*lease
	m.mu.Lock()
	for team, l := range m.teams {
		l.mu.Lock()
		if l.committed == 0 && l.growing == nil && time.Since(l.lastUse) > idle {
			l.dead = true
			delete(m.teams, team)
			due = append(due, l)
		}
		l.mu.Unlock()
	}
	m.mu.Unlock()
	for _, l := range due {
		l.mu.Lock()
		amount := l.held
		l.mu.Unlock()
		if amount <= 0 {
			continue
		}
		if _, err := m.store.ReturnLease(ctx, l.team, amount); err != nil && ctx.Err() == nil {
			m.logger.Warn("returning an idle credit lease failed; it is returned at shutdown or by the sweeper", "team", l.team, "err", err)
		}
	}
}
