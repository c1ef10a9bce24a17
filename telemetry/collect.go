package telemetry

import (
	"database/sql"

	"github.com/gatehouse-llm/gatehouse/gateway"
	"github.com/gatehouse-llm/gatehouse/ratelimit"
	"github.com/gatehouse-llm/gatehouse/state"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// The Watch methods register collectors that read a part's own counters
// when Prometheus scrapes, so the part pays nothing between scrapes.

// WatchDB exports a connection pool's statistics (go_sql_* with
// db_name=name: open, in use and idle connections, waits and their
// duration, closes by cause).
func (m *Metrics) WatchDB(name string, db *sql.DB) {
	m.reg.MustRegister(collectors.NewDBStatsCollector(db, name))
}

// RecorderStats is what the call recorder reports (sqlstore.Recorder).
type RecorderStats struct {
	// Calls recorded in Batches transactions so far, and Queued waiting
	// for the next one.
	Calls, Batches, Queued int64
}

// WatchRecorder exports the call recorder's group commits: batch sizes
// as a summary (_count: transactions, _sum: calls) and its queue depth.
func (m *Metrics) WatchRecorder(stats func() RecorderStats) {
	batch := prometheus.NewDesc("gatehouse_recorder_batch_size", "Calls per recording transaction (group commit): _count transactions, _sum calls.", nil, nil)
	queue := prometheus.NewDesc("gatehouse_recorder_queue_depth", "Finished calls waiting for the next recording transaction.", nil, nil)
	m.reg.MustRegister(collectFunc{descs: []*prometheus.Desc{batch, queue}, collect: func(ch chan<- prometheus.Metric) {
		s := stats()
		ch <- prometheus.MustNewConstSummary(batch, uint64(s.Batches), float64(s.Calls), nil)
		ch <- prometheus.MustNewConstMetric(queue, prometheus.GaugeValue, float64(s.Queued))
	}})
}

// WatchState exports the in-memory control plane: the change-feed
// version applied, full loads and entities applied, how long applying
// took, and whether keys are all loaded.
func (m *Metrics) WatchState(stats func() state.Stats) {
	version := prometheus.NewDesc("gatehouse_control_plane_version", "Change-feed version of the control plane this replica applied; replicas converge on the same value.", nil, nil)
	loads := prometheus.NewDesc("gatehouse_control_plane_full_loads_total", "Times the whole control plane was (re)loaded.", nil, nil)
	applied := prometheus.NewDesc("gatehouse_control_plane_entities_applied_total", "Entities applied from the change feed.", nil, nil)
	applyDur := prometheus.NewDesc("gatehouse_control_plane_apply_seconds", "Time spent catching up with the change feed: _count catch-ups that applied something, _sum seconds.", nil, nil)
	reloadDur := prometheus.NewDesc("gatehouse_control_plane_reload_seconds", "Time spent loading the whole control plane: _count loads, _sum seconds.", nil, nil)
	warm := prometheus.NewDesc("gatehouse_control_plane_warm", "1 once every team and key is in memory.", nil, nil)
	listening := prometheus.NewDesc("gatehouse_control_plane_listening", "1 while change notifications arrive (PostgreSQL LISTEN), 0 when only polling.", nil, nil)
	m.reg.MustRegister(collectFunc{descs: []*prometheus.Desc{version, loads, applied, applyDur, reloadDur, warm, listening}, collect: func(ch chan<- prometheus.Metric) {
		s := stats()
		ch <- prometheus.MustNewConstMetric(version, prometheus.GaugeValue, float64(s.Version))
		ch <- prometheus.MustNewConstMetric(loads, prometheus.CounterValue, float64(s.FullLoads))
		ch <- prometheus.MustNewConstMetric(applied, prometheus.CounterValue, float64(s.EntitiesApplied))
		ch <- prometheus.MustNewConstSummary(applyDur, uint64(s.Applies), s.ApplyTime.Seconds(), nil)
		ch <- prometheus.MustNewConstSummary(reloadDur, uint64(s.FullLoads), s.ReloadTime.Seconds(), nil)
		ch <- prometheus.MustNewConstMetric(warm, prometheus.GaugeValue, boolValue(s.Warm))
		ch <- prometheus.MustNewConstMetric(listening, prometheus.GaugeValue, boolValue(s.Listening))
	}})
}

// WatchLimiter exports a shared rate limiter's health: whether it is
// degraded to per-replica limits, and how often that happened.
func (m *Metrics) WatchLimiter(stats func() ratelimit.DegradationStats) {
	degraded := prometheus.NewDesc("gatehouse_ratelimit_degraded", "1 while the shared (Redis) rate limiter is unreachable and limits are enforced per replica.", nil, nil)
	fallbacks := prometheus.NewDesc("gatehouse_ratelimit_local_fallbacks_total", "Admissions decided by the per-replica limiter because the shared one was unreachable.", nil, nil)
	outages := prometheus.NewDesc("gatehouse_ratelimit_outages_total", "Times the shared rate limiter became unreachable.", nil, nil)
	m.reg.MustRegister(collectFunc{descs: []*prometheus.Desc{degraded, fallbacks, outages}, collect: func(ch chan<- prometheus.Metric) {
		s := stats()
		ch <- prometheus.MustNewConstMetric(degraded, prometheus.GaugeValue, boolValue(s.Degraded))
		ch <- prometheus.MustNewConstMetric(fallbacks, prometheus.CounterValue, float64(s.Fallbacks))
		ch <- prometheus.MustNewConstMetric(outages, prometheus.CounterValue, float64(s.Outages))
	}})
}

// WatchBreakers exports the circuit breakers that are not closed: each
// shared one by deployment and credential (1 open, 0.5 half-open), and
// the number of teams' own breakers open.
func (m *Metrics) WatchBreakers(list func() []gateway.BreakerState) {
	shared := prometheus.NewDesc("gatehouse_upstream_breaker_state", "Shared circuit breakers not closed: 1 open (the deployment is skipped), 0.5 half-open (a trial request decides). Closed breakers have no series.", []string{"deployment", "credential"}, nil)
	teams := prometheus.NewDesc("gatehouse_upstream_team_breakers_open", "Teams' own circuit breakers open or half-open (each affects one team on one deployment).", nil, nil)
	m.reg.MustRegister(collectFunc{descs: []*prometheus.Desc{shared, teams}, collect: func(ch chan<- prometheus.Metric) {
		own := 0
		for _, b := range list() {
			if b.Team != "" {
				own++
				continue
			}
			v := 1.0
			if b.HalfOpen {
				v = 0.5
			}
			ch <- prometheus.MustNewConstMetric(shared, prometheus.GaugeValue, v, b.Deployment, b.Credential)
		}
		ch <- prometheus.MustNewConstMetric(teams, prometheus.GaugeValue, float64(own))
	}})
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// collectFunc is a collector whose metrics are computed at scrape time.
type collectFunc struct {
	descs   []*prometheus.Desc
	collect func(chan<- prometheus.Metric)
}

func (c collectFunc) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

func (c collectFunc) Collect(ch chan<- prometheus.Metric) { c.collect(ch) }
