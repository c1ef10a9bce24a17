package sqlstore

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse-llm/gatehouse"
)

// Recorder writes call records with group commit: calls that arrive while
// a commit is in progress share the next transaction, so recording stays
// cheap under load
// while every call is durable before its client hears back. A handler
// calls Record and answers its client only when it returns: a response
// the client received is always in the records, crash or not.
type Recorder struct {
	db       *DB
	logger   *slog.Logger
	in       chan pendingCall
	maxBatch int
	wg       sync.WaitGroup
	stop     chan struct{}
	once     sync.Once

	calls, batches atomic.Int64
	// running counts calls announced with Expect that have not reached
	// Record yet; lastCommit is how long the last commit took (ns).
	running, lastCommit atomic.Int64
}

// maxLinger bounds how long a batch waits for calls still running.
const maxLinger = 2 * time.Millisecond

// Expect announces a call that will be recorded: while such calls are
// running, a batch waits for them a moment (as long as the last commit
// took, at most maxLinger) before it commits, so that under load one
// commit carries many calls instead of each call paying for its own. A
// gateway with nothing else running commits at once. The returned func
// must be called once, when the call is handed to Record (or never will
// be).
func (r *Recorder) Expect() (arrived func()) {
	r.running.Add(1)
	var once sync.Once
	return func() { once.Do(func() { r.running.Add(-1) }) }
}

// RecorderStats counts a recorder's work since it started: how many calls
// it recorded in how many transactions.
type RecorderStats struct {
	Calls, Batches int64
	// Queued is how many finished calls wait for the next transaction.
	Queued int64
}

// Stats reports the recorder's counts; Calls/Batches is the average batch.
func (r *Recorder) Stats() RecorderStats {
	return RecorderStats{Calls: r.calls.Load(), Batches: r.batches.Load(), Queued: int64(len(r.in))}
}

type pendingCall struct {
	outcome gatehouse.CallOutcome
	done    chan recorded
}

type recorded struct {
	settlement gatehouse.Settlement
	err        error
}

// NewRecorder starts a recorder; Close drains and stops it.
func NewRecorder(db *DB, logger *slog.Logger) *Recorder {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	r := &Recorder{db: db, logger: logger, in: make(chan pendingCall, 1024), maxBatch: 128, stop: make(chan struct{})}
	r.wg.Add(1)
	go r.run()
	return r
}

// Record durably records one finished call and settles its credits. It
// returns once the record is committed (or failed); a cancelled ctx does
// not withdraw a record already handed over.
func (r *Recorder) Record(ctx context.Context, o gatehouse.CallOutcome) (gatehouse.Settlement, error) {
	p := pendingCall{outcome: o, done: make(chan recorded, 1)}
	select {
	case r.in <- p:
	case <-r.stop:
		// Shutting down: write it directly rather than lose it.
		return r.recordOne(context.WithoutCancel(ctx), o)
	}
	res := <-p.done
	return res.settlement, res.err
}

// recordOne records a call in a transaction of its own.
func (r *Recorder) recordOne(ctx context.Context, o gatehouse.CallOutcome) (gatehouse.Settlement, error) {
	s, err := r.db.RecordCalls(ctx, []gatehouse.CallOutcome{o})
	if err != nil {
		return gatehouse.Settlement{}, err
	}
	return s[0], nil
}

// Close writes what is queued and stops.
func (r *Recorder) Close() {
	r.once.Do(func() { close(r.stop) })
	r.wg.Wait()
}

func (r *Recorder) run() {
	defer r.wg.Done()
	for {
		var first pendingCall
		select {
		case first = <-r.in:
		case <-r.stop:
			r.drain()
			return
		}
		// No timer: a lone call commits at once. Calls that arrive while a
		// commit is running queue in the channel and form the next batch,
		// so batches grow with load and an idle gateway adds no wait.
		batch := []pendingCall{first}
	collect:
		for len(batch) < r.maxBatch {
			select {
			case p := <-r.in:
				batch = append(batch, p)
			default:
				break collect
			}
		}
		if r.running.Load() > 0 && len(batch) < r.maxBatch {
			batch = r.linger(batch)
		}
		start := time.Now()
		r.commit(batch)
		r.lastCommit.Store(int64(time.Since(start)))
	}
}

// linger waits for calls still running to join the batch, as long as
// the last commit took (at most maxLinger): under load that is about
// when they come, and the commit they share costs about what one call's
// would.
func (r *Recorder) linger(batch []pendingCall) []pendingCall {
	wait := min(time.Duration(r.lastCommit.Load()), maxLinger)
	if wait <= 0 {
		return batch
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	for len(batch) < r.maxBatch && r.running.Load() > 0 {
		select {
		case p := <-r.in:
			batch = append(batch, p)
		case <-t.C:
			return batch
		case <-r.stop:
			return batch
		}
	}
	return batch
}

// drain commits whatever is still queued at shutdown.
func (r *Recorder) drain() {
	for {
		select {
		case p := <-r.in:
			r.commit([]pendingCall{p})
		default:
			return
		}
	}
}

// commit writes a batch in one transaction; if that fails, each call is
// retried alone so one bad record cannot sink the others.
func (r *Recorder) commit(batch []pendingCall) {
	ctx := context.Background()
	outcomes := make([]gatehouse.CallOutcome, len(batch))
	for i, p := range batch {
		outcomes[i] = p.outcome
	}
	settled, err := r.db.RecordCalls(ctx, outcomes)
	r.batches.Add(1)
	r.calls.Add(int64(len(batch)))
	if err == nil {
		for i, p := range batch {
			p.done <- recorded{settlement: settled[i]}
		}
		return
	}
	if len(batch) > 1 {
		r.logger.Warn("batched call recording failed; recording one by one", "calls", len(batch), "err", err)
	}
	for _, p := range batch {
		s, err := r.recordOne(ctx, p.outcome)
		p.done <- recorded{settlement: s, err: err}
	}
}
