package gateway

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/ratelimit"
)

// router picks, for each attempt, which of an alias's deployments serves
// it, and keeps what the strategies need: calls in flight, a moving
// average of latency and this minute's requests and tokens, per
// deployment, in this process. The rpm/tpm limits themselves are enforced
// by a ratelimit.Limiter, which is shared across replicas through Redis
// when the gateway is configured with one.
type router struct {
	now     func() time.Time
	limiter ratelimit.Limiter
	mu      sync.Mutex
	stats   map[depKey]*depStats
}

// depKey names a deployment of an alias.
type depKey struct{ alias, id string }

// depStats is one deployment's recent behaviour on this replica.
type depStats struct {
	inFlight atomic.Int64
	mu       sync.Mutex
	latency  time.Duration // moving average; 0 until the first sample
	samples  int
	minute   int64 // Unix minute the counters below belong to
	requests int64
	tokens   int64
}

// latencyWeight is the weight of a new sample in the moving average: the
// last ten or so calls decide, so a deployment that slows down loses its
// traffic within seconds but one slow answer does not.
const latencyWeight = 0.2

func newRouter(now func() time.Time, limiter ratelimit.Limiter) *router {
	if limiter == nil {
		limiter = ratelimit.NewLocal(now)
	}
	return &router{now: now, limiter: limiter, stats: map[depKey]*depStats{}}
}

func (r *router) stat(k depKey) *depStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.stats[k]
	if s == nil {
		s = &depStats{}
		r.stats[k] = s
	}
	return s
}

// count adds a started call to this minute's counters.
func (s *depStats) count(minute, tokens int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.minute != minute {
		s.minute, s.requests, s.tokens = minute, 0, 0
	}
	s.requests++
	s.tokens += tokens
}

// observe folds a latency sample into the moving average.
func (s *depStats) observe(d time.Duration) {
	if d <= 0 {
		d = time.Microsecond
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.samples == 0 {
		s.latency = d
	} else {
		s.latency = time.Duration(float64(s.latency)*(1-latencyWeight) + float64(d)*latencyWeight)
	}
	s.samples++
}

// snapshot reads what the strategies compare.
func (s *depStats) snapshot(minute int64) (latency time.Duration, sampled bool, requests, tokens int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.minute == minute {
		requests, tokens = s.requests, s.tokens
	}
	return s.latency, s.samples > 0, requests, tokens
}

// option is a deployment that may serve the attempt being routed.
type option struct {
	dep  *gatehouse.Deployment
	stat *depStats
}

// choose applies the alias's strategy to the options of one tier.
func (r *router) choose(strategy string, opts []option) option {
	if len(opts) == 1 {
		return opts[0]
	}
	minute := r.now().Unix() / 60
	switch strategy {
	case gatehouse.RouteLeastBusy:
		return weightedAmongBest(opts, func(o option) float64 { return float64(o.stat.inFlight.Load()) })
	case gatehouse.RouteLowestLatency:
		// A deployment with no sample yet is tried first, so every
		// deployment gets measured.
		return weightedAmongBest(opts, func(o option) float64 {
			l, sampled, _, _ := o.stat.snapshot(minute)
			if !sampled {
				return -1
			}
			return float64(l)
		})
	case gatehouse.RouteUsageBased:
		// The share of its limits a deployment used this minute; without
		// limits it has all its headroom left, and ties go to the one
		// that served fewer tokens.
		return weightedAmongBest(opts, func(o option) float64 {
			_, _, req, tok := o.stat.snapshot(minute)
			share := 0.0
			if o.dep.RPM > 0 {
				share = max(share, float64(req)/float64(o.dep.RPM))
			}
			if o.dep.TPM > 0 {
				share = max(share, float64(tok)/float64(o.dep.TPM))
			}
			return share*1e12 + float64(tok)
		})
	}
	return weighted(opts)
}

// weightedAmongBest keeps the options with the lowest score and picks
// among them by weight.
func weightedAmongBest(opts []option, score func(option) float64) option {
	best := make([]option, 0, len(opts))
	var low float64
	for i, o := range opts {
		s := score(o)
		switch {
		case i == 0 || s < low:
			low, best = s, append(best[:0], o)
		case s == low:
			best = append(best, o)
		}
	}
	return weighted(best)
}

// weighted picks at random in proportion to weight.
func weighted(opts []option) option {
	total := 0
	for _, o := range opts {
		total += max(o.dep.Weight, 0)
	}
	if total == 0 {
		return opts[rand.IntN(len(opts))]
	}
	n := rand.IntN(total)
	for _, o := range opts {
		if n < o.dep.Weight {
			return o
		}
		n -= max(o.dep.Weight, 0)
	}
	return opts[len(opts)-1]
}

// admit takes a slot of the deployment's rpm/tpm limits, if it has any.
// A refusal reports when the deployment has room again.
func (r *router) admit(ctx context.Context, alias string, d *gatehouse.Deployment, est int64) (ratelimit.Permit, time.Duration, error) {
	if d.RPM == 0 && d.TPM == 0 {
		return nil, 0, nil
	}
	p, err := r.limiter.Acquire(ctx, []ratelimit.Subject{{Key: "deployment:" + alias + "/" + d.ID,
		Limits: ratelimit.Limits{RequestsPerMinute: d.RPM, TokensPerMinute: d.TPM}}}, est)
	var refused *ratelimit.Refused
	if errors.As(err, &refused) {
		return nil, refused.RetryAfter, err
	}
	return p, 0, err
}

// deploymentsBusy is the error of an alias whose every deployment is at
// its rpm/tpm limit: a retryable 429.
func deploymentsBusy(alias string, wait time.Duration) error {
	return &RateLimited{Err: gatehouse.Errorf(gatehouse.ERATELIMIT,
		"Every deployment of model %q is at its requests or tokens per minute limit; try again shortly.", alias), RetryAfter: max(wait, time.Second)}
}
