package http

// Memory is proportional to an answer's size once, not several times: the
// upstream body is read into one buffer, its text decoded inside that
// buffer, and the client's answer escaped straight into the connection.

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse/sqlstore/storetest"
)

// largeText is size bytes of text with the escapes real answers carry
// (newlines, quotes) so the in-place decoding has work to do.
func largeText(size int) string {
	line := `A "quoted" line of the answer, long enough to be ordinary text.` + "\n"
	return strings.Repeat(line, size/len(line)+1)[:size]
}

// largeUpstreams serve text as one non-streamed answer, with its
// Content-Length, in OpenAI's and in Anthropic's format.
func largeUpstreams(t testing.TB, text string) (openaiURL, anthropicURL string) {
	quoted := strconv.Quote(text) // the same escapes as JSON for this text
	oa := []byte(`{"id":"c","object":"chat.completion","created":1,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":` +
		quoted + `},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":8,"total_tokens":20}}`)
	an := []byte(`{"id":"msg_1","type":"message","role":"assistant","model":"claude-3-5-sonnet-20240620","content":[{"type":"text","text":` +
		quoted + `}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":8}}`)
	serve := func(body []byte) string {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			_, _ = w.Write(body)
		}))
		t.Cleanup(s.Close)
		return s.URL
	}
	return serve(oa), serve(an)
}

// largeWorld sets up aliases "big-openai" and "big-anthropic" at the two
// upstreams for team t, and returns its key.
func largeWorld(t testing.TB, h *harness, openaiURL, anthropicURL string) string {
	h.admin("POST", "/api/provider-credentials/create", fmt.Sprintf(`{"provider": "openai", "credential_name": "o", "api_key": "sk-o", "api_base": %q}`, openaiURL), 201)
	h.admin("POST", "/api/provider-credentials/create", fmt.Sprintf(`{"provider": "anthropic", "credential_name": "a", "api_key": "sk-a", "api_base": %q}`, anthropicURL), 201)
	h.admin("POST", "/api/model-aliases/create", `{"alias": "big-openai", "litellm_model": "openai/gpt-4o"}`, 201)
	h.admin("POST", "/api/model-aliases/create", `{"alias": "big-anthropic", "litellm_model": "anthropic/claude-3-5-sonnet-20240620"}`, 201)
	h.admin("POST", "/api/model-access-groups/create", `{"group_name": "g", "model_aliases": ["big-openai", "big-anthropic"]}`, 201)
	h.admin("POST", "/api/organizations/create", `{"organization_id": "o", "name": "O"}`, 201)
	return h.admin("POST", "/api/teams/create", `{"organization_id": "o", "team_id": "t", "access_groups": ["g"], "credits_allocated": 1000000}`, 201)["virtual_key"].(string)
}

// largeCall is one large answer through one ingress.
type largeCall struct {
	name, path, body string
}

func largeCalls(alias string) []largeCall {
	msg := `"messages":[{"role":"user","content":"Write a lot."}]`
	return []largeCall{
		{"openai/" + alias, "/v1/chat/completions", `{"model":"` + alias + `",` + msg + `}`},
		{"anthropic/" + alias, "/v1/messages", `{"model":"` + alias + `","max_tokens":4096,` + msg + `}`},
		{"jobs/" + alias, "/api/jobs/create-and-call", `{"model":"` + alias + `",` + msg + `}`},
	}
}

// send posts the call; the caller reads and closes the answer.
func (c largeCall) send(t testing.TB, h *harness, key string) *http.Response {
	req, _ := http.NewRequest("POST", h.Server.URL+c.path, strings.NewReader(c.body))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("%s: status %d", c.name, resp.StatusCode)
	}
	return resp
}

// do makes the call and reads the answer without holding it, and returns
// the answer's size.
func (c largeCall) do(t testing.TB, h *harness, key string) int64 {
	resp := c.send(t, h, key)
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	return n
}

// checkAnswer: the answer carries the text whole (a small answer read in
// full and compared).
func checkAnswer(t *testing.T, h *harness, key string, c largeCall, text string) {
	resp := c.send(t, h, key)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var want bytes.Buffer
	for _, r := range text { // JSON escapes for this text: \n and \"
		switch r {
		case '\n':
			want.WriteString(`\n`)
		case '"':
			want.WriteString(`\"`)
		default:
			want.WriteRune(r)
		}
	}
	if !bytes.Contains(raw, want.Bytes()) {
		t.Fatalf("%s: the answer does not carry the text: %.300s", c.name, raw)
	}
}

// A 4 MiB answer costs about its own size in allocations, whichever
// ingress and upstream format carry it: one buffer for the upstream body,
// which the decoded text shares, and a few kilobytes to escape it into the
// connection. (Before, io.ReadAll's growing buffer, a decoded copy and an
// encoded copy cost 4 to 13 times the body.) Allocation is measured,
// not time: the process's total bytes allocated during the call, fake
// upstream and client included.
func TestLargeAnswerMemory(t *testing.T) {
	const size = 4 << 20 // enough for the per-call constant to be small beside it; the benchmark uses 16 MiB
	text := largeText(size)
	oa, an := largeUpstreams(t, text)
	h := newHarness(t, storetest.OpenSQLite(t))
	key := largeWorld(t, h, oa, an)
	small := largeText(2000)
	soa, san := largeUpstreams(t, small)
	hs := newHarness(t, storetest.OpenSQLite(t))
	skey := largeWorld(t, hs, soa, san)
	for _, alias := range []string{"big-openai", "big-anthropic"} {
		for _, c := range largeCalls(alias) {
			t.Run(c.name, func(t *testing.T) {
				checkAnswer(t, hs, skey, c, small)
				c.do(t, h, key) // warm up connections and pools
				runtime.GC()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				n := c.do(t, h, key)
				runtime.ReadMemStats(&after)
				if n < size {
					t.Fatalf("answer of %d bytes for a %d-byte text", n, size)
				}
				alloc := float64(after.TotalAlloc-before.TotalAlloc) / size
				t.Logf("%s: %.2f bytes allocated per byte of answer text", c.name, alloc)
				if alloc > 1.5 {
					t.Errorf("a %d MiB answer allocated %.2f× its size, want at most 1.5×", size>>20, alloc)
				}
			})
		}
	}
}

// BenchmarkLargeAnswer reports, per 16 MiB non-streamed answer through
// /v1/chat/completions, the bytes allocated and the peak live heap above
// the idle heap, each per byte of answer: the memory an answer costs in
// flight (`go test -run '^$' -bench LargeAnswer ./http`).
func BenchmarkLargeAnswer(b *testing.B) {
	const size = 16 << 20
	text := largeText(size)
	oa, an := largeUpstreams(b, text)
	h := newHarness(b, storetest.OpenSQLite(b))
	key := largeWorld(b, h, oa, an)
	for _, alias := range []string{"big-openai", "big-anthropic"} {
		c := largeCalls(alias)[0]
		b.Run(alias, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(size)
			var peak float64
			for b.Loop() {
				runtime.GC()
				var base runtime.MemStats
				runtime.ReadMemStats(&base)
				var top atomic.Uint64
				done := make(chan struct{})
				go func() { // sample the live heap while the call runs
					var m runtime.MemStats
					for {
						select {
						case <-done:
							return
						case <-time.After(time.Millisecond):
						}
						runtime.ReadMemStats(&m)
						if m.HeapAlloc > top.Load() {
							top.Store(m.HeapAlloc)
						}
					}
				}()
				c.do(b, h, key)
				close(done)
				if top.Load() > base.HeapAlloc {
					peak = max(peak, float64(top.Load()-base.HeapAlloc)/size)
				}
			}
			b.ReportMetric(peak, "peak-heap/body-byte")
		})
	}
}
