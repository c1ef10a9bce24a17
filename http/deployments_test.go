package http

// Deployments and routing, end to end: one alias in front of several fake
// OpenAI upstreams (each deployment's api_base), called over loopback
// through /v1/chat/completions, with what is recorded read back.

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/catalog"
	"github.com/gatehouse-llm/gatehouse/gateway"
	"github.com/gatehouse-llm/gatehouse/ratelimit"
	"github.com/gatehouse-llm/gatehouse/secret"
	"github.com/gatehouse-llm/gatehouse/sqlstore"
	"github.com/gatehouse-llm/gatehouse/sqlstore/storetest"
	"github.com/redis/go-redis/v9"
)

// depUpstream is a fake OpenAI upstream counting the calls it gets. It
// answers healthily after delay, or fails every call with a 500 while
// failing is set; while hold is set it keeps each call until release.
type depUpstream struct {
	*httptest.Server
	hits    atomic.Int64
	failing atomic.Bool
	delay   time.Duration
	hold    atomic.Bool
	held    atomic.Int64
	release chan struct{}
}

func newDepUpstream(t *testing.T, delay time.Duration) *depUpstream {
	u := &depUpstream{delay: delay, release: make(chan struct{})}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		u.hits.Add(1)
		if u.hold.Load() {
			u.held.Add(1)
			select {
			case <-u.release:
			case <-r.Context().Done():
			}
		}
		time.Sleep(u.delay)
		if u.failing.Load() {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `{"error":{"message":"The model is down","type":"server_error","code":null}}`)
			return
		}
		healthy(w, strings.Contains(string(body), `"stream":true`), true)
	}))
	t.Cleanup(u.Close)
	return u
}

// deploymentWorld creates alias "multi" over the given deployments (JSON
// objects; %[n]s in them is upstream n's URL), an operator credential for
// openai, and a team of org o that may call it; it returns the team's key.
func deploymentWorld(t *testing.T, h *harness, aliasBody string, ups ...*depUpstream) string {
	t.Helper()
	args := make([]any, len(ups))
	for i, u := range ups {
		args[i] = u.URL
	}
	h.admin("POST", "/api/provider-credentials/create", `{"provider": "openai", "credential_name": "operator", "api_key": "sk-operator"}`, 201)
	h.admin("POST", "/api/model-aliases/create", fmt.Sprintf(aliasBody, args...), 201)
	h.admin("POST", "/api/model-access-groups/create", `{"group_name": "g", "model_aliases": ["multi"]}`, 201)
	h.admin("POST", "/api/organizations/create", `{"organization_id": "o", "name": "O"}`, 201)
	return h.admin("POST", "/api/teams/create", `{"organization_id": "o", "team_id": "t", "access_groups": ["g"], "credits_allocated": 100000}`, 201)["virtual_key"].(string)
}

// chatOnce makes one plain call and requires a 200.
func chatOnce(t *testing.T, h *harness, key string) response {
	t.Helper()
	r := h.do("POST", "/v1/chat/completions", key, `{"model": "multi", "messages": [{"role": "user", "content": "hi"}]}`)
	if r.Status != 200 {
		t.Fatalf("call: %d %s", r.Status, r.Raw)
	}
	return r
}

// fastRetries gives the harness a gateway whose backoff is short.
func fastRetries(h *harness, limiter ratelimit.Limiter) {
	h.Meter.Gateway = gateway.New(gateway.DefaultRegistry(), gateway.NewEndpoints(nil, gateway.DefaultTimeouts), h.State, gateway.Options{
		Retry:   gateway.RetryPolicy{MaxAttempts: 3, BaseDelay: 5 * time.Millisecond, MaxDelay: 20 * time.Millisecond, MaxRetryAfter: time.Second},
		Limiter: limiter})
}

func TestDeploymentWeightedSplit(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		h := newHarness(t, db)
		a, b := newDepUpstream(t, 0), newDepUpstream(t, 0)
		key := deploymentWorld(t, h, `{"alias": "multi", "deployments": [
			{"deployment_id": "a", "litellm_model": "openai/gpt-4o", "api_base": %[1]q, "weight": 1},
			{"deployment_id": "b", "litellm_model": "openai/gpt-4o", "api_base": %[2]q, "weight": 3}]}`, a, b)
		const n = 240
		var wg sync.WaitGroup
		sem := make(chan struct{}, 4)
		for range n {
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				if r := h.do("POST", "/v1/chat/completions", key, `{"model": "multi", "messages": [{"role": "user", "content": "hi"}]}`); r.Status != 200 {
					t.Errorf("call: %d %s", r.Status, r.Raw)
				}
			})
		}
		wg.Wait()
		// Expected 60 / 180; the standard deviation of a's count is
		// sqrt(240·¼·¾) ≈ 6.7, so ±30 is more than four of them: a
		// correct router fails this about once in 100 000 runs, while
		// an even split (120) or a fixed choice is far outside.
		ga, gb := a.hits.Load(), b.hits.Load()
		if ga+gb != n || ga < 30 || ga > 90 {
			t.Errorf("split a=%d b=%d of %d, want about 60/180", ga, gb, n)
		}
	})
}

func TestDeploymentLeastBusy(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		h := newHarness(t, db)
		a, b := newDepUpstream(t, 0), newDepUpstream(t, 0)
		key := deploymentWorld(t, h, `{"alias": "multi", "routing_strategy": "least-busy", "deployments": [
			{"deployment_id": "a", "litellm_model": "openai/gpt-4o", "api_base": %[1]q},
			{"deployment_id": "b", "litellm_model": "openai/gpt-4o", "api_base": %[2]q}]}`, a, b)
		// Occupy a: calls go out until one is held there (those that
		// land on b are answered at once).
		a.hold.Store(true)
		done := make(chan response, 1)
		go func() {
			done <- h.do("POST", "/v1/chat/completions", key, `{"model": "multi", "messages": [{"role": "user", "content": "hi"}]}`)
		}()
		deadline := time.Now().Add(5 * time.Second)
		for a.held.Load() == 0 {
			select {
			case r := <-done: // it went to b: send another
				if r.Status != 200 {
					t.Fatalf("call: %d %s", r.Status, r.Raw)
				}
				go func() {
					done <- h.do("POST", "/v1/chat/completions", key, `{"model": "multi", "messages": [{"role": "user", "content": "hi"}]}`)
				}()
			case <-time.After(5 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				t.Fatal("no call reached deployment a")
			}
		}
		// With a busy and b idle, every call goes to b.
		before := b.hits.Load()
		for range 12 {
			chatOnce(t, h, key)
		}
		if got := b.hits.Load() - before; got != 12 || a.hits.Load() != 1 {
			t.Errorf("while a was busy: b got %d of 12, a has %d calls (want 12 and 1)", got, a.hits.Load())
		}
		close(a.release)
		if r := <-done; r.Status != 200 {
			t.Errorf("held call: %d %s", r.Status, r.Raw)
		}
	})
}

func TestDeploymentLowestLatency(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		h := newHarness(t, db)
		slow, fast := newDepUpstream(t, 150*time.Millisecond), newDepUpstream(t, 0)
		key := deploymentWorld(t, h, `{"alias": "multi", "routing_strategy": "lowest-latency", "deployments": [
			{"deployment_id": "slow", "litellm_model": "openai/gpt-4o", "api_base": %[1]q},
			{"deployment_id": "fast", "litellm_model": "openai/gpt-4o", "api_base": %[2]q}]}`, slow, fast)
		// The first two calls measure each deployment once.
		chatOnce(t, h, key)
		chatOnce(t, h, key)
		if slow.hits.Load() != 1 || fast.hits.Load() != 1 {
			t.Fatalf("first calls: slow %d, fast %d; each deployment must be measured once", slow.hits.Load(), fast.hits.Load())
		}
		for range 15 {
			chatOnce(t, h, key)
		}
		if slow.hits.Load() != 1 || fast.hits.Load() != 16 {
			t.Errorf("after measuring: slow %d, fast %d calls; want 1 and 16", slow.hits.Load(), fast.hits.Load())
		}
	})
}

func TestDeploymentUsageBased(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		h := newHarness(t, db)
		a, b := newDepUpstream(t, 0), newDepUpstream(t, 0)
		key := deploymentWorld(t, h, `{"alias": "multi", "routing_strategy": "usage-based", "deployments": [
			{"deployment_id": "a", "litellm_model": "openai/gpt-4o", "api_base": %[1]q, "rpm": 10},
			{"deployment_id": "b", "litellm_model": "openai/gpt-4o", "api_base": %[2]q, "rpm": 30}]}`, a, b)
		// Headroom decides: b has three times a's limit, so it serves
		// about three calls to each of a's, and neither passes its limit.
		for range 20 {
			chatOnce(t, h, key)
		}
		ga, gb := a.hits.Load(), b.hits.Load()
		if ga != 5 || gb != 15 {
			t.Errorf("usage-based: a %d, b %d of 20; want 5 and 15 (equal shares of their limits)", ga, gb)
		}
	})
}

func TestDeploymentOrderTiersAndCooldown(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		h := newHarness(t, db)
		fastRetries(h, nil)
		primary, backup := newDepUpstream(t, 0), newDepUpstream(t, 0)
		key := deploymentWorld(t, h, `{"alias": "multi", "deployments": [
			{"deployment_id": "backup", "litellm_model": "openai/gpt-4o", "api_base": %[2]q, "order": 1, "weight": 100},
			{"deployment_id": "primary", "litellm_model": "openai/gpt-4o", "api_base": %[1]q, "order": 0}]}`, primary, backup)
		// Tier 0 serves everything while it is healthy, whatever the
		// weights of tier 1.
		for range 10 {
			chatOnce(t, h, key)
		}
		if primary.hits.Load() != 10 || backup.hits.Load() != 0 {
			t.Fatalf("healthy tier 0: primary %d, backup %d; want 10 and 0", primary.hits.Load(), backup.hits.Load())
		}
		// Tier 0 fails: each call is retried on tier 1 (the client is
		// served) until primary's breaker opens; then primary is skipped.
		primary.failing.Store(true)
		for range 15 {
			chatOnce(t, h, key)
		}
		if got := primary.hits.Load() - 10; got != 5 {
			t.Errorf("failing primary got %d calls; want 5 (the breaker threshold), then cooled down", got)
		}
		if backup.hits.Load() != 15 {
			t.Errorf("backup served %d of 15", backup.hits.Load())
		}
	})
}

func TestDeploymentRetryLandsOnAnotherAndRecordsIt(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		h := newHarness(t, db)
		fastRetries(h, nil)
		down, up := newDepUpstream(t, 0), newDepUpstream(t, 0)
		down.failing.Store(true)
		cred := h.admin("POST", "/api/provider-credentials/create", `{"provider": "openai", "credential_name": "eu-account", "api_key": "sk-eu"}`, 201)
		credID := cred["credential_id"].(string)
		key := deploymentWorld(t, h, `{"alias": "multi", "deployments": [
			{"deployment_id": "us", "litellm_model": "openai/gpt-4o", "api_base": %[1]q, "region": "us-east"},
			{"deployment_id": "eu", "litellm_model": "openai/gpt-4o-mini", "api_base": %[2]q, "region": "eu-west", "order": 1,
			 "credential_id": "`+credID+`", "pricing": {"input_per_million": "1", "output_per_million": "2"}}]}`, down, up)
		job := h.do("POST", "/api/jobs/create", key, `{"team_id": "t", "job_type": "x"}`)
		jobID := job.Body["job_id"].(string)
		r := h.do("POST", "/api/jobs/"+jobID+"/llm-call", key, `{"model": "multi", "messages": [{"role": "user", "content": "hi"}]}`)
		if r.Status != 200 {
			t.Fatalf("call: %d %s", r.Status, r.Raw)
		}
		// One attempt on the failing deployment, then the other one: no
		// retry on the failing deployment first.
		if down.hits.Load() != 1 || up.hits.Load() != 1 {
			t.Errorf("attempts: failing %d, healthy %d; want 1 and 1", down.hits.Load(), up.hits.Load())
		}
		costs := h.admin("GET", "/api/jobs/"+jobID+"/costs", "", 200)
		calls := costs["calls"].([]any)
		if len(calls) != 1 {
			t.Fatalf("calls: %v", calls)
		}
		c := calls[0].(map[string]any)
		// 12 prompt tokens at $1/M and 8 completion tokens at $2/M: the
		// serving deployment's price, not the catalogue's gpt-4o-mini.
		want := map[string]any{"deployment_id": "eu", "region": "eu-west", "credential_id": credID, "provider": "openai",
			"provider_model": "gpt-4o-mini", "served_by": "multi", "attempts": float64(2), "cost_usd": 0.000028}
		for k, v := range want {
			if c[k] != v {
				t.Errorf("call %s = %v, want %v", k, c[k], v)
			}
		}
		usage := h.admin("GET", "/api/teams/t/usage?by=deployment", "", 200)
		ud, _ := usage["by_deployment"].([]any)
		if len(ud) != 1 || ud[0].(map[string]any)["deployment_id"] != "eu" || ud[0].(map[string]any)["calls"] != float64(1) ||
			ud[0].(map[string]any)["region"] != "eu-west" || ud[0].(map[string]any)["cost_usd"] != 0.000028 {
			t.Errorf("usage by deployment = %v", usage["by_deployment"])
		}
		by := costs["by_deployment"].([]any)
		if len(by) != 1 || by[0].(map[string]any)["deployment_id"] != "eu" || by[0].(map[string]any)["calls"] != float64(1) ||
			by[0].(map[string]any)["cost_usd"] != 0.000028 {
			t.Errorf("by_deployment = %v", by)
		}
	})
}

// A stream is never retried once its first byte is out: a stream cut by
// its deployment ends as an error, and no other deployment is called.
func TestDeploymentStreamNotRetriedAfterFirstByte(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		h := newHarness(t, db)
		fastRetries(h, nil)
		cut := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sseEvents(w, okChunk1) // and no end
		}))
		t.Cleanup(cut.Close)
		other := newDepUpstream(t, 0)
		key := deploymentWorld(t, h, `{"alias": "multi", "deployments": [
			{"deployment_id": "cut", "litellm_model": "openai/gpt-4o", "api_base": %[1]q},
			{"deployment_id": "other", "litellm_model": "openai/gpt-4o", "api_base": %[2]q, "order": 1}]}`, &depUpstream{Server: cut}, other)
		got := send(t, h, key, "/v1/chat/completions", `{"model": "multi", "stream": true, "messages": [{"role": "user", "content": "hi"}]}`, readOpenAIStream)
		if got.status != 200 || !got.errorEvent || got.complete {
			t.Errorf("cut stream: status %d, error event %v, complete %v; want 200, an error event, not complete", got.status, got.errorEvent, got.complete)
		}
		if other.hits.Load() != 0 {
			t.Errorf("the other deployment got %d calls after the stream started; want 0", other.hits.Load())
		}
	})
}

// A deployment's rpm limit holds across two replicas sharing Redis.
func TestDeploymentRPMAcrossReplicas(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		var client *redis.Client
		if url := os.Getenv("GATEHOUSE_TEST_REDIS_URL"); url != "" {
			opt, err := redis.ParseURL(url)
			if err != nil {
				t.Fatal(err)
			}
			client = redis.NewClient(opt)
		} else {
			client = redis.NewClient(&redis.Options{Addr: miniredis.RunT(t).Addr()})
		}
		t.Cleanup(func() { _ = client.Close() })
		prefix := "gatehouse-test:" + rand.Text() + ":"
		h := newHarness(t, db)
		fastRetries(h, ratelimit.NewRedis(client, prefix, time.Now))
		limited, spill := newDepUpstream(t, 0), newDepUpstream(t, 0)
		key := deploymentWorld(t, h, `{"alias": "multi", "deployments": [
			{"deployment_id": "limited", "litellm_model": "openai/gpt-4o", "api_base": %[1]q, "rpm": 4},
			{"deployment_id": "spill", "litellm_model": "openai/gpt-4o", "api_base": %[2]q, "order": 1}]}`, limited, spill)
		// A second replica: its own gateway (router, breakers, limiter
		// client) and server over the same database and Redis.
		recorder := sqlstore.NewRecorder(db, nil)
		t.Cleanup(recorder.Close)
		gw2 := gateway.New(gateway.DefaultRegistry(), gateway.NewEndpoints(nil, gateway.DefaultTimeouts), h.State,
			gateway.Options{Limiter: ratelimit.NewRedis(client, prefix, time.Now)})
		meter2 := &gateway.Meter{Gateway: gw2, Store: db, Recorder: recorder, Catalog: catalog.Default(),
			Limits: &gateway.RateLimits{Limiter: ratelimit.NewLocal(time.Now)}}
		srv2 := httptest.NewServer(NewServer(Deps{Store: db, KeyUse: h.KeyUse, Jobs: db, Meter: meter2, State: h.State, Readiness: db,
			MasterKeyHash: secret.HashToken(h.Master), SupportedProvider: catalog.Default().Supports, Version: "test",
			TestCredential: func(ctx context.Context, c *gatehouse.Credential) error { return nil }}))
		t.Cleanup(srv2.Close)
		h2 := &harness{t: t, DB: db, State: h.State, Server: srv2, Master: h.Master, KeyUse: h.KeyUse, Meter: meter2}
		for i := range 12 {
			chatOnce(t, []*harness{h, h2}[i%2], key)
		}
		// Alone, each replica would let 4 through: 8 in all.
		if limited.hits.Load() != 4 || spill.hits.Load() != 8 {
			t.Errorf("rpm 4 over two replicas: limited %d, spill %d of 12; want 4 and 8", limited.hits.Load(), spill.hits.Load())
		}
	})
}

// With every deployment at its limit and no fallback, the client gets a
// retryable 429 saying so.
func TestDeploymentsAllAtLimit(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		h := newHarness(t, db)
		fastRetries(h, nil)
		a := newDepUpstream(t, 0)
		key := deploymentWorld(t, h, `{"alias": "multi", "deployments": [
			{"litellm_model": "openai/gpt-4o", "api_base": %[1]q, "rpm": 2}]}`, a)
		chatOnce(t, h, key)
		chatOnce(t, h, key)
		r := h.do("POST", "/v1/chat/completions", key, `{"model": "multi", "messages": [{"role": "user", "content": "hi"}]}`)
		if r.Status != 429 || r.Header.Get("Retry-After") == "" || a.hits.Load() != 2 {
			t.Errorf("third call: %d (Retry-After %q), upstream hits %d; want 429 with Retry-After and 2 hits: %s", r.Status, r.Header.Get("Retry-After"), a.hits.Load(), r.Raw)
		}
	})
}

// The management API shows deployments in the alias, its detail, the
// audit log and /openapi.json, keeps the seed's single-model form, and
// refuses a bad deployment naming its field.
func TestDeploymentManagementAPI(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		h := newHarness(t, db)
		one := h.admin("POST", "/api/model-aliases/create", `{"alias": "seed", "litellm_model": "openai/gpt-4o"}`, 201)
		deps := one["deployments"].([]any)
		if len(deps) != 1 || deps[0].(map[string]any)["litellm_model"] != "openai/gpt-4o" || deps[0].(map[string]any)["weight"] != float64(1) {
			t.Errorf("a seed-style alias has one deployment: %v", one["deployments"])
		}
		created := h.admin("POST", "/api/model-aliases/create", `{"alias": "multi", "routing_strategy": "least-busy", "num_retries": 1, "deployments": [
			{"deployment_id": "east", "litellm_model": "openai/gpt-4o", "weight": 2, "rpm": 100, "region": "us-east", "api_base": "https://east.example/v1",
			 "extra": {"api_version": "2024-10-21"}, "pricing": {"input_per_million": "2.5", "output_per_million": "10"}},
			{"deployment_id": "west", "litellm_model": "openai/gpt-4o-mini", "order": 1}]}`, 201)
		if created["litellm_model"] != "openai/gpt-4o" || created["routing_strategy"] != "least-busy" || created["num_retries"] != float64(1) {
			t.Errorf("created: %v", created)
		}
		got := h.admin("GET", "/api/model-aliases/multi", "", 200)
		d := got["deployments"].([]any)
		east := d[0].(map[string]any)
		if len(d) != 2 || east["deployment_id"] != "east" || east["rpm"] != float64(100) || east["region"] != "us-east" ||
			east["pricing"].(map[string]any)["input_per_million"] != "2.50" || east["extra"].(map[string]any)["api_version"] != "2024-10-21" ||
			d[1].(map[string]any)["order"] != float64(1) {
			t.Errorf("GET deployments: %v", d)
		}
		// litellm_model alone cannot say which of two deployments changes.
		r := h.do("PUT", "/api/model-aliases/multi", h.Master, `{"litellm_model": "openai/gpt-4.1"}`)
		if r.Status != 400 || errorOf(t, r)["field"] != "litellm_model" {
			t.Errorf("litellm_model on a two-deployment alias: %d %s", r.Status, r.Raw)
		}
		for body, field := range map[string]string{
			`{"deployments": [{"litellm_model": "openai/gpt-4o", "credential_id": "nope"}]}`: "deployments[0].credential_id",
			`{"deployments": [{"litellm_model": "openai/gpt-4o", "weight": -1}]}`:            "deployments[0].weight",
			`{"deployments": [{"litellm_model": "openai/gpt-4o", "colour": "red"}]}`:         "deployments[0].colour",
			`{"deployments": []}`:                 "deployments",
			`{"routing_strategy": "round-robin"}`: "routing_strategy",
			`{"num_retries": 99}`:                 "num_retries",
			`{"deployments": [{"litellm_model": "openai/gpt-4o", "extra": {"api_key": "sk"}}]}`: "deployments[0].extra",
		} {
			r := h.do("PUT", "/api/model-aliases/multi", h.Master, body)
			if r.Status != 400 || errorOf(t, r)["field"] != field {
				t.Errorf("%s: %d %s; want 400 naming %s", body, r.Status, r.Raw, field)
			}
		}
		if again := h.admin("GET", "/api/model-aliases/multi", "", 200); len(again["deployments"].([]any)) != 2 {
			t.Error("a refused update changed the alias")
		}
		upd := h.admin("PUT", "/api/model-aliases/multi", `{"deployments": [{"deployment_id": "only", "litellm_model": "openai/gpt-4.1"}], "num_retries": null}`, 200)
		if upd["litellm_model"] != "openai/gpt-4.1" || upd["num_retries"] != nil || len(upd["deployments"].([]any)) != 1 {
			t.Errorf("after replacing deployments: %v", upd)
		}
		// pricing: null clears an alias's price (absence keeps it).
		priced := h.admin("PUT", "/api/model-aliases/seed", `{"pricing": {"input_per_million": "1", "output_per_million": "2"}}`, 200)
		kept := h.admin("PUT", "/api/model-aliases/seed", `{"description": "d"}`, 200)
		cleared := h.admin("PUT", "/api/model-aliases/seed", `{"pricing": null}`, 200)
		if priced["pricing"] == nil || kept["pricing"] == nil || cleared["pricing"] != nil {
			t.Errorf("pricing set %v, kept %v, cleared %v", priced["pricing"], kept["pricing"], cleared["pricing"])
		}
		audit := h.admin("GET", "/api/audit-log?action=alias.update", "", 200)
		var entry map[string]any
		for _, e := range audit["entries"].([]any) {
			if e.(map[string]any)["resource_id"] == "multi" {
				entry = e.(map[string]any)
				break
			}
		}
		if entry == nil || !strings.Contains(fmt.Sprint(entry["after"]), "deployment_id:only") ||
			!strings.Contains(fmt.Sprint(entry["before"]), "deployment_id:east") || !strings.Contains(fmt.Sprint(entry["before"]), "input_per_million:2.50") {
			t.Errorf("audit of the update does not show the deployments: %v", entry)
		}
		spec := h.do("GET", "/openapi.json", "", "")
		for _, want := range []string{`"deployments"`, `"routing_strategy"`, `"deployment_id"`, `"by_deployment"`} {
			if !strings.Contains(spec.Raw, want) {
				t.Errorf("/openapi.json lacks %s", want)
			}
		}
	})
}
