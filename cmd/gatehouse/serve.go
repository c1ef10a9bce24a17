package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/catalog"
	"github.com/gatehouse-llm/gatehouse/gateway"
	ghttp "github.com/gatehouse-llm/gatehouse/http"
	"github.com/gatehouse-llm/gatehouse/lease"
	"github.com/gatehouse-llm/gatehouse/litellm"
	"github.com/gatehouse-llm/gatehouse/ratelimit"
	"github.com/gatehouse-llm/gatehouse/secret"
	"github.com/gatehouse-llm/gatehouse/sqlstore"
	"github.com/gatehouse-llm/gatehouse/state"
	"github.com/gatehouse-llm/gatehouse/webhook"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
)

// runServe implements `gatehouse serve`.
func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg, err := loadConfig(fs, args, getenv)
	if err != nil {
		return err
	}
	logger := newLogger(cfg, stderr)

	db, err := openDB(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := prepareSchema(ctx, cfg, db, logger); err != nil {
		return err
	}
	if err := bootstrapMasterKey(ctx, cfg, db, logger, stderr); err != nil {
		return err
	}
	masterHash, _, err := db.Setting(ctx, sqlstore.SettingMasterKeyHash)
	if err != nil {
		return err
	}
	if db.Sealer, err = loadSealer(ctx, cfg, db, logger); err != nil {
		return err
	}
	models := catalog.Default()
	db.Models = models
	if cfg.LiteLLMConfig != "" {
		lc, err := litellm.Load(cfg.LiteLLMConfig, getenv)
		if err != nil {
			return err
		}
		if _, err := litellm.Import(ctx, db, models, lc, litellm.Options{Logger: logger}); err != nil {
			return fmt.Errorf("import %s: %w", cfg.LiteLLMConfig, err)
		}
	}

	// This process's identity among the replicas: it owns the single-call
	// jobs it opens, and its heartbeat tells the others it is alive. The
	// first heartbeat is written before anything is served.
	db.Instance = uuid.Must(uuid.NewV7()).String()
	if err := db.Heartbeat(ctx, db.Instance); err != nil {
		return err
	}
	logger.Info("registered instance", "instance", db.Instance, "expiry", cfg.InstanceExpiry)

	// Keys load in the background (looked up in the database until they
	// have), so a replica serves within a second at any fleet size.
	st, err := state.Start(ctx, db, logger, nil)
	if err != nil {
		return fmt.Errorf("load control plane: %w", err)
	}
	// Background work (state polling, key-use flushes, the job sweeper,
	// auto-refills) outlives the server's drain and is stopped and waited
	// for before the database closes: pending writes are flushed after
	// the last request, and no write is cut off mid-transaction.
	var background sync.WaitGroup
	backgroundCtx, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	defer func() { stopBackground(); background.Wait() }()
	background.Go(func() { st.Run(backgroundCtx) })
	background.Go(func() { db.RunInstance(backgroundCtx, cfg.InstanceExpiry, logger) })
	keyUse := sqlstore.NewKeyUse(db, logger)
	background.Go(func() { keyUse.Run(backgroundCtx) })

	obs, err := startTelemetry(ctx, cfg, getenv, logger)
	if err != nil {
		return err
	}
	defer obs.shutdown()

	registry := gateway.DefaultRegistry()
	endpoints := gateway.NewEndpoints(getenv, gateway.Timeouts{Connect: gateway.DefaultTimeouts.Connect,
		FirstByte: cfg.UpstreamFirstByteTimeout, Idle: cfg.UpstreamIdleTimeout, MaxBody: cfg.UpstreamMaxBody})
	limiter, closeLimiter, err := newLimiter(cfg, logger)
	if err != nil {
		return err
	}
	defer closeLimiter()
	// Deployments' rpm/tpm limits share the teams' limiter (Redis when
	// configured), so they hold across replicas.
	gw := gateway.New(registry, endpoints, st, gateway.Options{Logger: logger, TotalTimeout: cfg.UpstreamTimeout, Limiter: limiter,
		Observer: obs.gatewayObserver(), Tracer: obs.tracer})
	recorder := sqlstore.NewRecorder(db, logger)
	defer recorder.Close() // after the server has drained: every in-flight call is recorded
	meter := &gateway.Meter{Gateway: gw, Store: db, Recorder: obs.recorder(recorder), Catalog: models, StoreBodies: cfg.StoreBodies,
		Limits: &gateway.RateLimits{Limiter: limiter, Logger: logger}, ReserveOutputTokens: cfg.ReserveOutputTokens}
	if cfg.ReserveOutputTokens == 0 {
		meter.ReserveOutputTokens = -1 // configured: reserve the maximal answer
	}
	obs.watch(db, recorder, st, limiter, gw)
	if cfg.MetricsAddr != "" {
		background.Go(func() {
			if err := serveMetrics(backgroundCtx, cfg.MetricsAddr, obs.metrics.Handler(cfg.MetricsToken), logger); err != nil {
				logger.Error("metrics not served", "addr", cfg.MetricsAddr, "err", err)
			}
		})
	}
	background.Go(func() { sweepJobs(backgroundCtx, db, cfg, logger, obs.jobsExpired) })
	// Single-call jobs are admitted from memory against credit leases,
	// used only while this instance's heartbeat is well within the expiry
	// after which the others would return its leases.
	meter.Leases = lease.NewManager(db, func() bool { return db.HeartbeatAge() < cfg.InstanceExpiry/2 }, logger)
	background.Go(func() { meter.Leases.Run(backgroundCtx) })
	background.Go(func() {
		db.RunRefillsEvery(backgroundCtx, time.Minute, func(err error) { logger.Warn("auto-refill failed", "err", err) })
	})

	if cfg.WebhookDeliver {
		// Every replica delivers; claims in the database keep each
		// delivery to one of them at a time.
		hooks := webhook.NewWorker(db, webhook.Options{ID: db.Instance, Logger: logger,
			Client:  webhook.NewClient(cfg.WebhookAllowPrivate, cfg.WebhookTimeout),
			Timeout: cfg.WebhookTimeout, RetryBase: cfg.WebhookRetryBase, RetryFor: cfg.WebhookRetryWindow,
			Retention: cfg.WebhookRetention})
		background.Go(func() { hooks.Run(backgroundCtx) })
	}

	handler := ghttp.NewServer(ghttp.Deps{
		Logger:            logger,
		Readiness:         db,
		Version:           gatehouse.Version,
		Store:             db,
		State:             st,
		MasterKeyHash:     masterHash,
		Catalog:           models,
		SupportedProvider: registry.Supports,
		TestCredential:    gateway.Tester(registry, endpoints),
		KeyUse:            keyUse,
		Jobs:              obs.jobs(db),
		Meter:             meter,
		Observer:          obs.httpObserver(),
		Tracer:            obs.tracer,
		Metrics:           obs.mainPortMetrics(cfg),
		Pprof:             cfg.Pprof,
	})
	return listenAndServe(ctx, cfg, handler, logger)
}

// prepareSchema migrates when configured to, and otherwise refuses to
// start on a schema this binary does not match: older (run `migrate up`)
// or newer (a newer release migrated it).
func prepareSchema(ctx context.Context, cfg Config, db *sqlstore.DB, logger *slog.Logger) error {
	if cfg.autoMigrate() {
		applied, err := db.Migrate(ctx, nil)
		for _, m := range applied {
			logger.Info("applied migration", "version", m.Version, "name", m.Name)
		}
		if err != nil {
			return err
		}
	}
	return db.CheckSchema(ctx)
}

// bootstrapMasterKey makes sure an operator root secret exists. A key
// given in the configuration wins and its hash is stored; otherwise the
// stored hash is kept; on the very first start one is generated and
// printed once. Only hashes are ever stored.
func bootstrapMasterKey(ctx context.Context, cfg Config, db *sqlstore.DB, logger *slog.Logger, stderr io.Writer) error {
	if cfg.MasterKey != "" {
		if len(cfg.MasterKey) < 32 {
			return errors.New("GATEHOUSE_MASTER_KEY must be at least 32 characters; generate one with `openssl rand -hex 32`")
		}
		return db.PutSetting(ctx, sqlstore.SettingMasterKeyHash, secret.HashToken(cfg.MasterKey))
	}
	key := secret.NewToken(secret.PrefixMasterKey)
	_, inserted, err := db.PutSettingIfAbsent(ctx, sqlstore.SettingMasterKeyHash, secret.HashToken(key))
	if err != nil {
		return err
	}
	if inserted {
		fmt.Fprintf(stderr, "\n  Generated a master key (shown only this once; only its hash is stored):\n\n    %s\n\n"+
			"  Use it as `Authorization: Bearer <key>` or `X-Admin-Key: <key>` on /api management routes.\n\n", key)
		logger.Warn("generated a new master key and printed it to stderr; store it safely")
	}
	return nil
}

// newLimiter returns the rate limiter: shared through Redis when
// configured (every replica then enforces one limit), in-process
// otherwise. A Redis that stops answering degrades the limits to per
// replica (logged, and reported by ratelimit.Degrading's Stats) instead
// of switching them off.
func newLimiter(cfg Config, logger *slog.Logger) (ratelimit.Limiter, func(), error) {
	if cfg.RedisURL == "" {
		return ratelimit.NewLocal(time.Now), func() {}, nil
	}
	opts, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, nil, fmt.Errorf("GATEHOUSE_REDIS_URL: %w", err)
	}
	// A dead Redis is noticed by the limiter's own timeout; go-redis's
	// retries would only make each call wait longer before falling back.
	opts.MaxRetries = -1
	client := redis.NewClient(opts)
	logger.Info("rate limits shared through Redis", "addr", opts.Addr)
	shared := ratelimit.NewDegrading(ratelimit.NewRedis(client, "gatehouse:", time.Now), ratelimit.NewLocal(time.Now), logger)
	return shared, func() { client.Close() }, nil
}

// sweepJobs fails jobs left open longer than job_ttl, once a minute, so
// their held credits return to their teams, and purges stored bodies past
// their retention. Every replica may run it: each job ends once.
func sweepJobs(ctx context.Context, db *sqlstore.DB, cfg Config, logger *slog.Logger, expired func(int64)) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		if n, err := db.ExpireJobs(ctx, cfg.JobTTL); err != nil && ctx.Err() == nil {
			logger.Warn("job sweeper failed", "err", err)
		} else if n > 0 {
			logger.Info("expired stale jobs", "count", n, "ttl", cfg.JobTTL)
			expired(int64(n))
		}
		if _, err := db.PurgeBodies(ctx, cfg.BodyRetention); err != nil && ctx.Err() == nil {
			logger.Warn("purging stored bodies failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// loadSealer sets up encryption of provider keys. The embedded default
// generates its key into the data directory; PostgreSQL deployments have
// several replicas that must share one key, so it must be configured. A
// fingerprint stored in the database catches a start with the wrong key
// before any credential is used.
func loadSealer(ctx context.Context, cfg Config, db *sqlstore.DB, logger *slog.Logger) (*secret.Sealer, error) {
	var key []byte
	switch {
	case cfg.EncryptionKey != "":
		k, err := secret.ParseKey(cfg.EncryptionKey)
		if err != nil {
			return nil, fmt.Errorf("GATEHOUSE_ENCRYPTION_KEY: %w", err)
		}
		key = k
	case cfg.usesPostgres():
		return nil, errors.New("GATEHOUSE_ENCRYPTION_KEY is required with PostgreSQL (every replica must use the same key); generate one with `openssl rand -hex 32`")
	default:
		path := filepath.Join(cfg.DataDir, "encryption.key")
		k, created, err := secret.LoadOrCreateKeyFile(path)
		if err != nil {
			return nil, fmt.Errorf("encryption key: %w", err)
		}
		if created {
			logger.Warn("generated an encryption key for provider credentials; back it up with the database", "path", path, "mode", "0600")
		}
		key = k
	}
	sealer, err := secret.NewSealer(key)
	if err != nil {
		return nil, err
	}
	stored, inserted, err := db.PutSettingIfAbsent(ctx, sqlstore.SettingEncryptionKeyFingerprint, sealer.Fingerprint())
	if err != nil {
		return nil, err
	}
	if !inserted && stored != sealer.Fingerprint() {
		return nil, errors.New("the encryption key does not match the one this database's provider credentials were encrypted with; start with the original GATEHOUSE_ENCRYPTION_KEY")
	}
	return sealer, nil
}

// listenAndServe serves until ctx is cancelled, then stops accepting
// connections and gives in-flight requests up to ShutdownTimeout to
// finish.
func listenAndServe(ctx context.Context, cfg Config, handler http.Handler, logger *slog.Logger) error {
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	logger.Info("listening", "addr", ln.Addr().String(), "version", gatehouse.Version)
	logger.Info("admin console", "url", consoleURL(ln.Addr()))

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}

	logger.Info("shutting down: draining in-flight requests", "timeout", cfg.ShutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		srv.Close()
		return fmt.Errorf("shutdown: in-flight requests did not finish within %s: %w", cfg.ShutdownTimeout, err)
	}
	logger.Info("shut down cleanly")
	return nil
}

// consoleURL is where an operator on this host opens the admin console:
// a wildcard listen address is shown as localhost.
func consoleURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String() + "/admin/"
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/admin/"
}
