package webhook

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/gatehouse-llm/gatehouse"
)

// Options tune a Worker; zero values take the defaults in brackets.
type Options struct {
	// ID names this worker in claims and the attempt log (the replica's
	// instance id) [a random one is not made: it is required].
	ID string
	// Client sends the requests [NewClient(false, Timeout)].
	Client *http.Client
	// Timeout bounds one attempt, connection to last byte [10s]. A claim
	// lasts twice as long plus two seconds, so a delivery in flight is
	// never taken over by another replica.
	Timeout time.Duration
	// RetryBase is the wait after the first failed attempt, doubled after
	// each further one [5s], up to RetryMax [2h] between attempts, for
	// RetryFor after the delivery was created or replayed [24h]; then the
	// delivery is marked failed (it can still be replayed).
	RetryBase, RetryMax, RetryFor time.Duration
	// Poll is how often the outbox is checked when idle [1s]; Wake
	// checks at once.
	Poll time.Duration
	// Batch is how many deliveries one claim takes [32]; Parallel how
	// many of them are sent at once [8].
	Batch, Parallel int
	// KeyScanEvery is how often keys about to expire are looked for [10m].
	KeyScanEvery time.Duration
	// Retention is how long finished deliveries stay in the log [720h];
	// they are pruned hourly.
	Retention time.Duration
	Logger    *slog.Logger
	// Now is the clock [time.Now].
	Now func() time.Time
}

func (o *Options) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.Timeout, 10*time.Second)
	def(&o.RetryBase, 5*time.Second)
	def(&o.RetryMax, 2*time.Hour)
	def(&o.RetryFor, 24*time.Hour)
	def(&o.Poll, time.Second)
	def(&o.KeyScanEvery, 10*time.Minute)
	def(&o.Retention, 720*time.Hour)
	if o.Batch <= 0 {
		o.Batch = 32
	}
	if o.Parallel <= 0 {
		o.Parallel = 8
	}
	if o.Client == nil {
		o.Client = NewClient(false, o.Timeout)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Worker delivers the outbox's due deliveries. Every replica runs one;
// claims in storage keep them from sending the same delivery twice.
type Worker struct {
	store gatehouse.WebhookOutbox
	opts  Options
	wake  chan struct{}
}

// NewWorker returns a worker over store.
func NewWorker(store gatehouse.WebhookOutbox, opts Options) *Worker {
	if opts.ID == "" {
		panic("webhook: Options.ID is required")
	}
	opts.defaults()
	return &Worker{store: store, opts: opts, wake: make(chan struct{}, 1)}
}

// Lease is how long a claim lasts.
func (w *Worker) Lease() time.Duration { return 2*w.opts.Timeout + 2*time.Second }

// Wake makes the worker look at the outbox now instead of at its next
// poll.
func (w *Worker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends. A delivery in flight when ctx ends is
// finished (bounded by Timeout) so its outcome is recorded.
func (w *Worker) Run(ctx context.Context) {
	poll := time.NewTicker(w.opts.Poll)
	defer poll.Stop()
	nextScan, nextPrune := time.Time{}, time.Time{}
	for {
		now := w.opts.Now()
		if !now.Before(nextScan) {
			nextScan = now.Add(w.opts.KeyScanEvery)
			if n, err := w.store.ScanExpiringKeys(ctx, gatehouse.KeyExpiringAhead); err != nil && ctx.Err() == nil {
				w.opts.Logger.Warn("scanning for expiring keys failed", "err", err)
			} else if n > 0 {
				w.opts.Logger.Info("keys expiring within 7 days announced", "count", n)
			}
		}
		if !now.Before(nextPrune) {
			nextPrune = now.Add(time.Hour)
			w.prune(ctx, now)
		}
		n, err := w.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			w.opts.Logger.Warn("webhook delivery failed", "err", err)
		}
		if n == w.opts.Batch && err == nil {
			continue // more may be due
		}
		select {
		case <-ctx.Done():
			return
		case <-poll.C:
		case <-w.wake:
		}
	}
}

// prune removes finished deliveries older than Retention, a thousand
// per transaction so no lock is held for long.
func (w *Worker) prune(ctx context.Context, now time.Time) {
	total := 0
	for ctx.Err() == nil {
		n, err := w.store.PruneWebhookLog(ctx, now.Add(-w.opts.Retention), 1000)
		total += n
		if err != nil {
			if ctx.Err() == nil {
				w.opts.Logger.Warn("pruning the webhook delivery log failed", "err", err)
			}
			return
		}
		if n < 1000 {
			break
		}
	}
	if total > 0 {
		w.opts.Logger.Info("pruned the webhook delivery log", "deliveries", total, "older_than", w.opts.Retention)
	}
}

// RunOnce claims one batch of due deliveries, sends them and records the
// outcomes; it returns how many it claimed.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	claimed, err := w.store.ClaimWebhookDeliveries(ctx, w.opts.ID, w.opts.Batch, w.Lease())
	if err != nil || len(claimed) == 0 {
		return 0, err
	}
	// Outcomes are recorded even when ctx ends mid-batch: the sends are
	// bounded by Timeout, and an unrecorded success would be sent again.
	finishCtx := context.WithoutCancel(ctx)
	sem := make(chan struct{}, w.opts.Parallel)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs error
	for _, d := range claimed {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			r := w.send(finishCtx, d)
			if err := w.store.FinishWebhookDelivery(finishCtx, w.opts.ID, d, r); err != nil {
				mu.Lock()
				errs = errors.Join(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return len(claimed), errs
}

// send makes one attempt and decides what follows it.
func (w *Worker) send(ctx context.Context, d *gatehouse.ClaimedDelivery) gatehouse.DeliveryResult {
	start := w.opts.Now()
	r := gatehouse.DeliveryResult{}
	r.StatusCode, r.Error = w.post(ctx, d, start)
	r.Duration = w.opts.Now().Sub(start)
	r.Delivered = r.StatusCode >= 200 && r.StatusCode < 300
	if !r.Delivered {
		r.RetryAt = w.retryAt(d, w.opts.Now())
	}
	return r
}

// retryAt is when the next attempt of d is due after a failure now, or
// zero when the retry window has passed: exponential backoff from
// RetryBase, capped at RetryMax, with up to 10% jitter so deliveries
// that failed together do not return together.
func (w *Worker) retryAt(d *gatehouse.ClaimedDelivery, now time.Time) time.Time {
	delay := w.opts.RetryBase
	for i := 1; i < d.Attempts+1 && delay < w.opts.RetryMax; i++ { // d.Attempts: attempts before this one
		delay *= 2
	}
	delay = min(delay, w.opts.RetryMax)
	delay += time.Duration(rand.Int64N(int64(delay)/10 + 1))
	at := now.Add(delay)
	if at.After(d.RetryFrom.Add(w.opts.RetryFor)) {
		return time.Time{}
	}
	return at
}

// post sends the delivery's body, signed, and returns the status code
// (0 when there was no answer) and an error text.
func (w *Worker) post(ctx context.Context, d *gatehouse.ClaimedDelivery, at time.Time) (int, string) {
	body := []byte(d.Payload)
	headers, err := Headers(d.Secret, d.EventID, at, body)
	if err != nil {
		return 0, "signing: " + err.Error()
	}
	ctx, cancel := context.WithTimeout(ctx, w.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Gatehouse-Webhooks/"+gatehouse.Version)
	resp, err := w.opts.Client.Do(req)
	if err != nil {
		msg := err.Error()
		if errors.Is(err, ErrPrivateAddress) {
			msg = ErrPrivateAddress.Error() + " (" + d.URL + ")"
		}
		return 0, msg
	}
	defer resp.Body.Close()
	// Read a little so the connection can be reused; the answer's body
	// is not kept.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		return resp.StatusCode, "receiver answered " + resp.Status
	}
	return resp.StatusCode, ""
}
