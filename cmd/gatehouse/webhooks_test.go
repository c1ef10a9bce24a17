package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// hookReceiver is a webhook receiver in the test process. It verifies
// each request's Standard Webhooks signature itself and counts the
// deliveries it acknowledged (answered 2xx) per webhook-id. While hang
// is set it holds requests open until their sender goes away.
type hookReceiver struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	secret string
	hang   bool
	seen   int            // requests received, answered or not
	acked  map[string]int // webhook-id → 2xx answers
	types  map[string]string
	delay  time.Duration
}

func newHookReceiver(t *testing.T) *hookReceiver {
	r := &hookReceiver{t: t, acked: map[string]int{}, types: map[string]string{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *hookReceiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	id, ts, sig := req.Header.Get("webhook-id"), req.Header.Get("webhook-timestamp"), req.Header.Get("webhook-signature")
	r.mu.Lock()
	r.seen++
	secret, hang := r.secret, r.hang
	r.mu.Unlock()
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "." + string(body)))
	if want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)); !hmac.Equal([]byte(sig), []byte(want)) {
		r.t.Errorf("webhook %s: signature %q does not verify", id, sig)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if hang {
		<-req.Context().Done() // the sender died or gave up: nothing acknowledged
		return
	}
	time.Sleep(r.delay)
	var env struct{ Type string }
	_ = json.Unmarshal(body, &env)
	r.mu.Lock()
	r.acked[id]++
	r.types[id] = env.Type
	r.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (r *hookReceiver) set(f func(r *hookReceiver)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(r)
}

// counts returns how many events were acknowledged, of which type, and
// the webhook-ids acknowledged more than once.
func (r *hookReceiver) counts() (events int, byType map[string]int, dups []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	byType = map[string]int{}
	for id, n := range r.acked {
		events++
		byType[r.types[id]]++
		if n > 1 {
			dups = append(dups, fmt.Sprintf("%s×%d", id, n))
		}
	}
	return events, byType, dups
}

// registerHook registers the receiver for job.completed through the API
// and keeps the secret it was given.
func registerHook(t *testing.T, url string, r *hookReceiver) {
	t.Helper()
	code, ep := call(t, "POST", url+"/api/webhooks/create", testMasterKey,
		fmt.Sprintf(`{"url": %q, "event_types": ["job.completed"]}`, r.srv.URL+"/hooks"))
	if code != 201 {
		t.Fatalf("register webhook: %d %v", code, ep)
	}
	r.set(func(r *hookReceiver) { r.secret = ep["secret"].(string) })
}

// An event's change commits, then the process is killed while the
// event's delivery is in flight (the receiver holds it open, so it is
// never acknowledged): after a restart every event arrives, signed, and
// each is acknowledged exactly once — none lost, none invented, none
// doubled.
func TestWebhookSurvivesSIGKILL(t *testing.T) {
	forEachEngine(t, []string{"GATEHOUSE_WEBHOOK_ALLOW_PRIVATE=true", "GATEHOUSE_WEBHOOK_TIMEOUT=1s", "GATEHOUSE_WEBHOOK_RETRY_BASE=100ms"},
		func(t *testing.T, e engine) {
			rcv := newHookReceiver(t)
			rcv.hang = true
			p := startProcess(t, e.dir, e.env)
			key := setupMockTeam(t, p.URL, "job_based", 100)
			registerHook(t, p.URL, rcv)
			const calls = 5
			for range calls {
				if a := oneCall(p.URL, key, "hello", false); a.status != 200 {
					t.Fatalf("call: %+v", a)
				}
			}
			eventually(t, "a delivery is in flight", 30*time.Second, func() bool {
				var seen int
				rcv.set(func(r *hookReceiver) { seen = r.seen })
				return seen > 0
			})
			if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			_ = p.wait(t, 10*time.Second)
			if n, _, _ := rcv.counts(); n != 0 {
				t.Fatalf("%d events acknowledged while the receiver held every request", n)
			}

			rcv.set(func(r *hookReceiver) { r.hang = false })
			startProcess(t, e.dir, e.env)
			eventually(t, "every event delivered after the restart", 60*time.Second, func() bool {
				n, _, _ := rcv.counts()
				return n >= calls
			})
			time.Sleep(time.Second) // a duplicate or an invented event would arrive now
			n, byType, dups := rcv.counts()
			if n != calls || byType["job.completed"] != calls || len(dups) > 0 {
				t.Errorf("acknowledged %d events %v, duplicates %v; want exactly %d job.completed once each", n, byType, dups, calls)
			}
		})
}

// Two replicas on one database, each delivering: 30 events made on both
// arrive exactly once each. (webhook's TestTwoWorkersNeverDeliverTwice
// races two workers with small claims harder.)
func TestWebhookReplicasDeliverOnce(t *testing.T) {
	forEachEngine(t, []string{"GATEHOUSE_WEBHOOK_ALLOW_PRIVATE=true", "GATEHOUSE_WEBHOOK_RETRY_BASE=100ms"},
		func(t *testing.T, e engine) {
			rcv := newHookReceiver(t)
			rcv.delay = 5 * time.Millisecond
			a := startProcess(t, e.dir, e.env)
			b := startProcess(t, e.dir, e.env)
			key := setupMockTeam(t, a.URL, "job_based", 100)
			registerHook(t, a.URL, rcv)
			eventually(t, "replica b knows the team", 10*time.Second, func() bool {
				code, _ := call(t, "GET", b.URL+"/v1/models", key, "")
				return code == 200
			})
			// Events spread over three seconds, so both replicas' polls
			// find some due (a poll claims every due delivery, up to 32).
			const calls = 30
			var wg sync.WaitGroup
			for i := range calls {
				url := []string{a.URL, b.URL}[i%2]
				wg.Go(func() {
					if ans := oneCall(url, key, "hello", i%3 == 0); ans.status != 200 {
						t.Errorf("call: %+v", ans)
					}
				})
				time.Sleep(100 * time.Millisecond)
			}
			wg.Wait()
			eventually(t, "every event delivered", 60*time.Second, func() bool {
				n, _, _ := rcv.counts()
				return n >= calls
			})
			time.Sleep(time.Second)
			n, byType, dups := rcv.counts()
			if n != calls || byType["job.completed"] != calls || len(dups) > 0 {
				t.Errorf("acknowledged %d events %v, duplicates %v; want exactly %d job.completed once each", n, byType, dups, calls)
			}
			// Which replica sent what, from the delivery log.
			workers := map[string]int{}
			_, out := call(t, "GET", a.URL+"/api/webhook-deliveries?limit=500", testMasterKey, "")
			for _, d := range out["deliveries"].([]any) {
				_, one := call(t, "GET", a.URL+"/api/webhook-deliveries/"+d.(map[string]any)["delivery_id"].(string), testMasterKey, "")
				for _, at := range one["attempt_log"].([]any) {
					workers[at.(map[string]any)["worker"].(string)]++
				}
			}
			t.Logf("attempts per replica: %v", workers)
		})
}

// By default a receiver on a private address gets nothing: the attempt
// is refused at dial time and the delivery log says why.
func TestWebhookPrivateAddressRefusedByDefault(t *testing.T) {
	rcv := newHookReceiver(t)
	p := startProcess(t, t.TempDir(), []string{"GATEHOUSE_MASTER_KEY=" + testMasterKey})
	key := setupMockTeam(t, p.URL, "job_based", 10)
	registerHook(t, p.URL, rcv)
	if a := oneCall(p.URL, key, "hello", false); a.status != 200 {
		t.Fatalf("call: %+v", a)
	}
	eventually(t, "the attempt is refused and logged", 30*time.Second, func() bool {
		_, out := call(t, "GET", p.URL+"/api/webhook-deliveries", testMasterKey, "")
		ds, _ := out["deliveries"].([]any)
		return len(ds) == 1 && strings.Contains(fmt.Sprint(ds[0].(map[string]any)["last_error"]), "private")
	})
	var seen int
	rcv.set(func(r *hookReceiver) { seen = r.seen })
	if seen != 0 {
		t.Errorf("the loopback receiver got %d requests", seen)
	}
}
