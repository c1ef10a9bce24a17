package webhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/secret"
	"github.com/gatehouse-llm/gatehouse/sqlstore"
	"github.com/gatehouse-llm/gatehouse/sqlstore/storetest"
	"github.com/gatehouse-llm/gatehouse/webhook"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// received is one request the test receiver got.
type received struct {
	id, timestamp, signature string
	body                     []byte
	answered                 int
}

// receiver is a local webhook receiver that verifies every signature
// itself, per the Standard Webhooks specification (not with the package's
// own Sign), and can fail its first requests.
type receiver struct {
	t      *testing.T
	srv    *httptest.Server
	secret string
	mu     sync.Mutex
	reqs   []received
	fail   int           // answer 503 to this many requests first
	delay  time.Duration // before answering
}

func newReceiver(t *testing.T, secret string) *receiver {
	r := &receiver{t: t, secret: secret}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	got := received{id: req.Header.Get("webhook-id"), timestamp: req.Header.Get("webhook-timestamp"),
		signature: req.Header.Get("webhook-signature"), body: body}
	if err := verify(r.secret, got, time.Now()); err != nil {
		r.t.Errorf("delivery %s: %v", got.id, err)
	}
	time.Sleep(r.delay)
	r.mu.Lock()
	defer r.mu.Unlock()
	got.answered = http.StatusNoContent
	if r.fail > 0 {
		r.fail--
		got.answered = http.StatusServiceUnavailable
	}
	r.reqs = append(r.reqs, got)
	w.WriteHeader(got.answered)
}

// verify checks a request as a receiver would: the secret's base64 part
// is the HMAC-SHA256 key over id.timestamp.body, the signature header
// holds "v1,<base64>", and the timestamp is within five minutes.
func verify(secret string, r received, now time.Time) error {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return err
	}
	ts, err := strconv.ParseInt(r.timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("webhook-timestamp %q: %v", r.timestamp, err)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return fmt.Errorf("timestamp %s is %s away", r.timestamp, d)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(r.id + "." + r.timestamp + "." + string(r.body)))
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for sig := range strings.SplitSeq(r.signature, " ") {
		if v, ok := strings.CutPrefix(sig, "v1,"); ok && hmac.Equal([]byte(v), []byte(want)) {
			return nil
		}
	}
	return fmt.Errorf("signature %q does not verify (want v1,%s)", r.signature, want)
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.reqs...)
}

// acknowledged counts the 2xx answers per webhook-id.
func (r *receiver) acknowledged() map[string]int {
	out := map[string]int{}
	for _, q := range r.requests() {
		if q.answered < 300 {
			out[q.id]++
		}
	}
	return out
}

const testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

func sealed(t *testing.T, db *sqlstore.DB) *sqlstore.DB {
	t.Helper()
	s, err := secret.NewSealer([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	db.Sealer = s
	return db
}

func setupTeam(t *testing.T, db *sqlstore.DB, id string, credits gatehouse.Credits) {
	t.Helper()
	ctx := context.Background()
	if _, err := db.FindOrganization(ctx, "o"); err != nil {
		if err := db.CreateOrganization(ctx, &gatehouse.Organization{ID: "o", Name: "O"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.CreateTeam(ctx, &gatehouse.Team{ID: id, OrganizationID: "o", BudgetMode: gatehouse.BudgetJobBased,
		CreditsAllocated: credits}); err != nil {
		t.Fatal(err)
	}
}

func endpoint(t *testing.T, db *sqlstore.DB, e gatehouse.WebhookEndpoint) *gatehouse.WebhookEndpoint {
	t.Helper()
	if err := db.CreateWebhookEndpoint(context.Background(), &e); err != nil {
		t.Fatal(err)
	}
	return &e
}

func fastWorker(db gatehouse.WebhookOutbox, id string, allowPrivate bool) *webhook.Worker {
	return webhook.NewWorker(db, webhook.Options{ID: id, Client: webhook.NewClient(allowPrivate, 5*time.Second),
		Timeout: 5 * time.Second, RetryBase: 20 * time.Millisecond, Poll: 20 * time.Millisecond})
}

func eventually(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A receiver that fails twice gets the event three times, each signed
// (verified independently), with the same webhook-id and body; the
// delivery log shows the three attempts; a replay sends it once more.
func TestDeliveriesAreSignedRetriedAndReplayed(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		sealed(t, db)
		rcv := newReceiver(t, testSecret)
		rcv.fail = 2
		ep := endpoint(t, db, gatehouse.WebhookEndpoint{URL: rcv.srv.URL + "/hook", EventTypes: []string{gatehouse.EventCreditsRefilled}, Secret: testSecret})
		setupTeam(t, db, "t", 0)
		if _, err := db.GrantCredits(ctx, "t", gatehouse.LedgerPayment, 5*gatehouse.OneCredit, "top-up", 0); err != nil {
			t.Fatal(err)
		}
		w := fastWorker(db, "w1", true)
		eventually(t, "delivered after two failures", 10*time.Second, func() bool {
			if _, err := w.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			return len(rcv.acknowledged()) == 1
		})
		reqs := rcv.requests()
		if len(reqs) != 3 {
			t.Fatalf("%d requests, want 3 (two failures, one success)", len(reqs))
		}
		for _, r := range reqs[1:] {
			if r.id != reqs[0].id || string(r.body) != string(reqs[0].body) {
				t.Errorf("a retry changed the message: %s %s vs %s %s", r.id, r.body, reqs[0].id, reqs[0].body)
			}
		}
		var env struct {
			Type string `json:"type"`
			Data struct {
				TeamID string            `json:"team_id"`
				Kind   string            `json:"kind"`
				Amount gatehouse.Credits `json:"amount"`
				After  gatehouse.Credits `json:"balance_after"`
			} `json:"data"`
		}
		if err := json.Unmarshal(reqs[0].body, &env); err != nil {
			t.Fatal(err)
		}
		if env.Type != gatehouse.EventCreditsRefilled || env.Data.TeamID != "t" || env.Data.Kind != gatehouse.LedgerPayment ||
			env.Data.Amount != 5*gatehouse.OneCredit || env.Data.After != 5*gatehouse.OneCredit {
			t.Errorf("body %s", reqs[0].body)
		}
		list, total, err := db.ListWebhookDeliveries(ctx, gatehouse.DeliveryFilter{EndpointID: ep.ID})
		if err != nil || total != 1 {
			t.Fatalf("%d deliveries (%v)", total, err)
		}
		d, attempts, err := db.FindWebhookDelivery(ctx, list[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != gatehouse.DeliveryDelivered || d.Attempts != 3 || d.EventID != reqs[0].id || len(attempts) != 3 ||
			attempts[0].StatusCode != 503 || attempts[1].StatusCode != 503 || attempts[2].StatusCode != 204 {
			t.Errorf("delivery %+v attempts %+v", d, attempts)
		}
		if _, err := db.ReplayWebhookDelivery(ctx, d.ID); err != nil {
			t.Fatal(err)
		}
		eventually(t, "replayed", 10*time.Second, func() bool {
			if _, err := w.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			return rcv.acknowledged()[reqs[0].id] == 2
		})
		if d, _, _ := db.FindWebhookDelivery(ctx, d.ID); d.Status != gatehouse.DeliveryDelivered || d.Attempts != 4 {
			t.Errorf("after replay: %+v", d)
		}
		// A test event goes to this endpoint alone, signed like the rest.
		if _, err := db.TestWebhookEndpoint(ctx, ep.ID); err != nil {
			t.Fatal(err)
		}
		if n, err := w.RunOnce(ctx); err != nil || n != 1 {
			t.Fatalf("test event: %d sent (%v)", n, err)
		}
		last := rcv.requests()[len(rcv.requests())-1]
		if !strings.Contains(string(last.body), `"type":"webhook.test"`) || last.answered != 204 {
			t.Errorf("test event body %s answered %d", last.body, last.answered)
		}
	})
}

// Without webhook_allow_private, a receiver on loopback is refused at
// dial time and nothing reaches it; the delivery stays pending with the
// reason in its log, to be retried.
func TestPrivateAddressesRefusedByDefault(t *testing.T) {
	db := sealed(t, storetest.OpenSQLite(t))
	ctx := context.Background()
	rcv := newReceiver(t, testSecret)
	// A name, not an address: the check happens after resolution.
	url := strings.Replace(rcv.srv.URL, "127.0.0.1", "localhost", 1)
	endpoint(t, db, gatehouse.WebhookEndpoint{URL: url, EventTypes: []string{"*"}, Secret: testSecret})
	setupTeam(t, db, "t", 3*gatehouse.OneCredit)
	w := webhook.NewWorker(db, webhook.Options{ID: "w", RetryBase: time.Hour}) // the default client
	if n, err := w.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("claimed %d (%v), want the team's credits.refilled", n, err)
	}
	if got := rcv.requests(); len(got) != 0 {
		t.Fatalf("the receiver on loopback got %d requests", len(got))
	}
	list, _, err := db.ListWebhookDeliveries(ctx, gatehouse.DeliveryFilter{})
	if err != nil || len(list) != 1 {
		t.Fatal(list, err)
	}
	if d := list[0]; d.Status != gatehouse.DeliveryPending || d.Attempts != 1 || !strings.Contains(d.LastError, "private") {
		t.Errorf("delivery %+v; want pending after one refused attempt", d)
	}
	for _, addr := range []string{"http://10.1.2.3/", "http://169.254.169.254/latest/meta-data", "http://[::1]:9/", "http://[fd00::1]/", "http://100.64.0.1/", "http://[::ffff:127.0.0.1]/"} {
		c := webhook.NewClient(false, time.Second)
		_, err := c.Post(addr, "application/json", strings.NewReader("{}"))
		if err == nil || !strings.Contains(err.Error(), "private") {
			t.Errorf("%s: %v, want refused as private", addr, err)
		}
	}
}

// Two workers, each on its own connection to one database (two
// replicas), deliver 60 events: every one arrives exactly once.
func TestTwoWorkersNeverDeliverTwice(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			url := b.URL(t)
			a, err := storetest.Open(ctx, b.Name, url)
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			if _, err := a.Migrate(ctx, nil); err != nil {
				t.Fatal(err)
			}
			bb, err := storetest.Open(ctx, b.Name, url)
			if err != nil {
				t.Fatal(err)
			}
			defer bb.Close()
			sealed(t, a)
			sealed(t, bb)
			rcv := newReceiver(t, testSecret)
			rcv.delay = 2 * time.Millisecond
			endpoint(t, a, gatehouse.WebhookEndpoint{URL: rcv.srv.URL, EventTypes: []string{gatehouse.EventCreditsRefilled}, Secret: testSecret})
			setupTeam(t, a, "t", 0)
			const events = 60
			runCtx, stop := context.WithCancel(ctx)
			var wg sync.WaitGroup
			for i, db := range []*sqlstore.DB{a, bb} {
				w := webhook.NewWorker(db, webhook.Options{ID: fmt.Sprintf("replica-%d", i), Client: webhook.NewClient(true, 5*time.Second),
					Batch: 4, Parallel: 2, Poll: 5 * time.Millisecond, RetryBase: 20 * time.Millisecond})
				wg.Go(func() { w.Run(runCtx) })
			}
			for i := range events {
				db := []*sqlstore.DB{a, bb}[i%2]
				if _, err := db.GrantCredits(ctx, "t", gatehouse.LedgerAllocation, gatehouse.OneCredit, "", 0); err != nil {
					t.Fatal(err)
				}
			}
			eventually(t, "every event delivered", 60*time.Second, func() bool { return len(rcv.acknowledged()) == events })
			time.Sleep(100 * time.Millisecond) // a duplicate would arrive now
			stop()
			wg.Wait()
			for id, n := range rcv.acknowledged() {
				if n != 1 {
					t.Errorf("event %s delivered %d times", id, n)
				}
			}
			if got := len(rcv.requests()); got != events {
				t.Errorf("%d requests for %d events", got, events)
			}
			workers := map[string]int{}
			list, _, _ := a.ListWebhookDeliveries(ctx, gatehouse.DeliveryFilter{Page: gatehouse.Page{Limit: 500}})
			for _, d := range list {
				_, attempts, _ := a.FindWebhookDelivery(ctx, d.ID)
				for _, at := range attempts {
					workers[at.Worker]++
				}
			}
			t.Logf("attempts per worker: %v", workers)
		})
	}
}

// Events follow exactly the changes that commit: job ends, balance
// crossings of an endpoint's threshold (once), exhaustion, refills, alias
// updates (only to endpoints not limited to a team), expiring keys
// (teams created before the endpoints: their first credits are not
// announced)
// (once, however often scanned); a refused change emits nothing.
func TestEventsFollowTheirChanges(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		sealed(t, db)
		setupTeam(t, db, "t", 3*gatehouse.OneCredit)
		setupTeam(t, db, "other", 3*gatehouse.OneCredit)
		all := endpoint(t, db, gatehouse.WebhookEndpoint{URL: "https://example.com/all", EventTypes: []string{"*"}, Secret: testSecret})
		team := endpoint(t, db, gatehouse.WebhookEndpoint{URL: "https://example.com/t", TeamID: "t", CreditsLowThreshold: 2 * gatehouse.OneCredit,
			EventTypes: []string{gatehouse.EventCreditsLow, gatehouse.EventCreditsExhausted, gatehouse.EventJobCompleted, gatehouse.EventJobFailed,
				gatehouse.EventAliasUpdated, gatehouse.EventKeyExpiring}, Secret: testSecret})
		for range 3 { // balance 3 → 2 → 1 → 0
			j, err := db.CreateJob(ctx, &gatehouse.Job{TeamID: "t"}, "")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.CompleteJob(ctx, "t", j.ID, gatehouse.JobCompleted, "", nil); err != nil {
				t.Fatal(err)
			}
		}
		j, _ := db.CreateJob(ctx, &gatehouse.Job{TeamID: "other"}, "")
		if _, err := db.CompleteJob(ctx, "other", j.ID, gatehouse.JobFailed, "broke", nil); err != nil {
			t.Fatal(err)
		}
		if _, err := db.GrantCredits(ctx, "other", gatehouse.LedgerPayment, gatehouse.OneCredit, "", 0); err != nil {
			t.Fatal(err)
		}
		if _, err := db.GrantCredits(ctx, "t", gatehouse.LedgerAllocation, gatehouse.MaxCredits, "too much", 0); err == nil {
			t.Fatal("a grant over the ceiling was accepted")
		}
		if err := db.CreateAlias(ctx, &gatehouse.Alias{Alias: "echo", LiteLLMModel: "mock/echo", Active: true}); err != nil {
			t.Fatal(err)
		}
		desc := "changed"
		if _, err := db.UpdateAlias(ctx, "echo", gatehouse.AliasUpdate{Description: &desc}); err != nil {
			t.Fatal(err)
		}
		soon := db.Now().Add(3 * 24 * time.Hour)
		later := db.Now().Add(30 * 24 * time.Hour)
		for _, exp := range []*time.Time{&soon, &later, nil} {
			if _, err := db.CreateKey(ctx, "t", "k", exp, gatehouse.RateLimits{}); err != nil {
				t.Fatal(err)
			}
		}
		for range 2 {
			if _, err := db.ScanExpiringKeys(ctx, gatehouse.KeyExpiringAhead); err != nil {
				t.Fatal(err)
			}
		}
		count := func(ep *gatehouse.WebhookEndpoint) map[string]int {
			list, _, err := db.ListWebhookDeliveries(ctx, gatehouse.DeliveryFilter{EndpointID: ep.ID, Page: gatehouse.Page{Limit: 500}})
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]int{}
			for _, d := range list {
				out[d.EventType]++
			}
			return out
		}
		want := map[string]int{gatehouse.EventCreditsRefilled: 1, gatehouse.EventJobCompleted: 3, gatehouse.EventJobFailed: 1,
			gatehouse.EventCreditsExhausted: 1, gatehouse.EventAliasUpdated: 1, gatehouse.EventKeyExpiring: 1}
		if got := count(all); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("unscoped endpoint got %v, want %v", got, want)
		}
		want = map[string]int{gatehouse.EventJobCompleted: 3, gatehouse.EventCreditsLow: 1, gatehouse.EventCreditsExhausted: 1, gatehouse.EventKeyExpiring: 1}
		if got := count(team); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("team endpoint got %v, want %v", got, want)
		}
		list, _, _ := db.ListWebhookDeliveries(ctx, gatehouse.DeliveryFilter{EndpointID: team.ID, EventType: gatehouse.EventCreditsLow})
		var low struct {
			Data webhook.CreditsEvent `json:"data"`
		}
		if err := json.Unmarshal([]byte(list[0].Payload), &low); err != nil || low.Data.BalanceBefore != 2*gatehouse.OneCredit ||
			low.Data.BalanceAfter != gatehouse.OneCredit {
			t.Errorf("credits.low %s (%v)", list[0].Payload, err)
		}
	})
}

// Pruning removes finished deliveries older than the retention, their
// attempts and their events, and keeps a delivery replayed since (and its
// event) and everything newer.
func TestPruneKeepsWhatIsStillNeeded(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		sealed(t, db)
		rcv := newReceiver(t, testSecret)
		ep := endpoint(t, db, gatehouse.WebhookEndpoint{URL: rcv.srv.URL, EventTypes: []string{"*"}, Secret: testSecret})
		setupTeam(t, db, "t", 0)
		real := db.Now
		old := real().Add(-40 * 24 * time.Hour)
		db.Now = func() time.Time { return old }
		for range 3 {
			if _, err := db.GrantCredits(ctx, "t", gatehouse.LedgerAllocation, gatehouse.OneCredit, "", 0); err != nil {
				t.Fatal(err)
			}
		}
		db.Now = real
		w := fastWorker(db, "w", true)
		if n, err := w.RunOnce(ctx); err != nil || n != 3 {
			t.Fatalf("delivered %d (%v)", n, err)
		}
		list, _, _ := db.ListWebhookDeliveries(ctx, gatehouse.DeliveryFilter{EndpointID: ep.ID})
		replayed := list[0].ID
		if _, err := db.ReplayWebhookDelivery(ctx, replayed); err != nil {
			t.Fatal(err)
		}
		if _, err := db.GrantCredits(ctx, "t", gatehouse.LedgerAllocation, gatehouse.OneCredit, "", 0); err != nil {
			t.Fatal(err)
		}
		n, err := db.PruneWebhookLog(ctx, real().Add(-30*24*time.Hour), 1000)
		if err != nil || n != 2 {
			t.Fatalf("pruned %d (%v), want the two delivered old ones", n, err)
		}
		left, total, _ := db.ListWebhookDeliveries(ctx, gatehouse.DeliveryFilter{EndpointID: ep.ID})
		if total != 2 || len(left) != 2 {
			t.Fatalf("%d deliveries left, want the replayed one and the new one", total)
		}
		for _, d := range list[1:] {
			if _, _, err := db.FindWebhookDelivery(ctx, d.ID); gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND {
				t.Errorf("pruned delivery %s: %v", d.ID, err)
			}
		}
		if _, attempts, err := db.FindWebhookDelivery(ctx, replayed); err != nil || len(attempts) != 1 {
			t.Errorf("the replayed delivery: %v, %d attempts", err, len(attempts))
		}
		var events, attempts int
		db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM webhook_events`).Scan(&events)
		db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM webhook_attempts`).Scan(&attempts)
		if events != 2 || attempts != 1 {
			t.Errorf("%d events and %d attempts left, want 2 and 1", events, attempts)
		}
		if n, err := w.RunOnce(ctx); err != nil || n != 2 {
			t.Errorf("after pruning, %d deliveries sent (%v), want the replayed and the new", n, err)
		}
	})
}
