package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/billing"
	"github.com/gatehouse-llm/gatehouse/provider"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// Issue 9, defect 4: a consumption_tokens team with 20 credits and 200
// concurrent /v1 calls without max_tokens, each answered after a second
// and using about 20 tokens (0.002 credits). Each call used to reserve a
// maximal answer (4096 tokens, 0.41 credits), so about 48 calls held the
// whole balance and the rest got a non-retryable insufficient_quota ("0
// credits left") while nearly all 20 credits were unspent. Now a call
// reserves a typical answer (reserve_output_tokens, 1024); the few that
// find every credit held get a 429 with Retry-After, which the official
// SDK retries; all 200 are served and the books balance, on both engines.
func TestConsumptionBudgetServesConcurrentCalls(t *testing.T) {
	forEachEngine(t, nil, func(t *testing.T, e engine) {
		p := startProcess(t, e.dir, e.env)
		key := setupMockTeam(t, p.URL, "consumption_tokens", 20)

		var insufficient, held, heldWithoutRetryAfter atomic.Int64
		watch := option.WithMiddleware(func(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
			resp, err := next(req)
			if err != nil || resp.StatusCode != http.StatusTooManyRequests {
				return resp, err
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body = io.NopCloser(bytes.NewReader(body))
			switch {
			case bytes.Contains(body, []byte("insufficient_quota")):
				insufficient.Add(1)
			default:
				held.Add(1)
				if resp.Header.Get("Retry-After") == "" {
					heldWithoutRetryAfter.Add(1)
				}
			}
			return resp, err
		})
		client := openai.NewClient(option.WithAPIKey(key), option.WithBaseURL(p.URL+"/v1/"), option.WithMaxRetries(10),
			option.WithRequestTimeout(time.Minute), watch)
		var failed atomic.Int64
		var firstErr sync.Once
		var wg sync.WaitGroup
		for range 200 {
			wg.Go(func() {
				_, err := client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{Model: "echo",
					Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi [mock:latency=1s]")}})
				if err != nil {
					failed.Add(1)
					firstErr.Do(func() { t.Errorf("first failure: %v", err) })
				}
			})
		}
		wg.Wait()
		if n := insufficient.Load(); n > 0 {
			t.Errorf("%d calls were told insufficient_quota while the team had credits left", n)
		}
		if n := failed.Load(); n > 0 {
			t.Fatalf("%d of 200 calls failed", n)
		}
		if n := heldWithoutRetryAfter.Load(); n > 0 {
			t.Errorf("%d retryable 429s came without Retry-After", n)
		}
		t.Logf("200 calls served; %d retryable 429s (credits held by calls in flight) on the way", held.Load())

		db := e.open(t)
		team := assertBooks(t, db, "t", 0)
		if spent := 20*gatehouse.OneCredit - team.CreditsBalance; spent <= 0 || spent > gatehouse.OneCredit {
			t.Errorf("200 short calls spent %s credits, want a small positive amount", spent)
		}
		if _, n, err := db.ListJobs(context.Background(), gatehouse.JobFilter{TeamID: "t", Status: gatehouse.JobCompleted}); err != nil || n != 200 {
			t.Errorf("%d completed jobs (%v), want 200", n, err)
		}
	})
}

// A refusal tells the client the truth on every surface: credits held by a
// call in flight are a retryable 429 with Retry-After; a team really near
// its end gets a shorter answer rather than a refusal; credits that are
// spent are insufficient_quota / billing_error / 402, marked not to retry.
func TestCreditRefusalsTellHeldFromSpent(t *testing.T) {
	p := startProcess(t, t.TempDir(), []string{"GATEHOUSE_MASTER_KEY=" + testMasterKey})
	key := setupMockTeam(t, p.URL, "consumption_tokens", 0) // 10 000 tokens per credit
	setBalance := func(c gatehouse.Credits) {
		t.Helper()
		cur, _ := funds(t, p.URL, "t")
		if delta := c - cur; delta != 0 {
			if code, body := call(t, "POST", p.URL+"/api/credits/teams/t/adjust", testMasterKey,
				fmt.Sprintf(`{"credits": %s, "reason": "test"}`, delta.String())); code != 201 && code != 200 {
				t.Fatalf("adjust: %d %v", code, body)
			}
		}
	}
	type answer struct {
		status           int
		body, retryAfter string
		shouldRetry      string
	}
	send := func(path, body string) answer {
		t.Helper()
		req, _ := http.NewRequest("POST", p.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return answer{resp.StatusCode, string(raw), resp.Header.Get("Retry-After"), resp.Header.Get("X-Should-Retry")}
	}
	surfaces := []struct{ name, path, body, heldWant, spentWant string }{
		{"openai", "/v1/chat/completions", `{"model": "echo", "messages": [{"role": "user", "content": "hi"}]}`, "rate_limit_exceeded", "insufficient_quota"},
		{"anthropic", "/v1/messages", `{"model": "echo", "max_tokens": 2000, "messages": [{"role": "user", "content": "hi"}]}`, "rate_limit_error", "billing_error"},
		{"job api", "/api/jobs/create-and-call", `{"model": "echo", "messages": [{"role": "user", "content": "hi"}]}`, "rate_limited", "insufficient_credits"},
	}

	// 0.15 credits pay one typical reservation (about 1040 tokens), not two.
	setBalance(150_000)
	slow := make(chan answer, 1)
	go func() {
		slow <- send("/v1/chat/completions", `{"model": "echo", "messages": [{"role": "user", "content": "slow [mock:latency=4s]"}]}`)
	}()
	eventually(t, "the slow call holds its reservation", 10*time.Second, func() bool {
		_, held := funds(t, p.URL, "t")
		return held > 0
	})
	for _, s := range surfaces {
		a := send(s.path, s.body)
		if a.status != http.StatusTooManyRequests || !strings.Contains(a.body, s.heldWant) || a.retryAfter == "" || a.shouldRetry == "false" {
			t.Errorf("%s, credits held by a call in flight: %d %s (Retry-After %q, X-Should-Retry %q); want a retryable 429 %s",
				s.name, a.status, a.body, a.retryAfter, a.shouldRetry, s.heldWant)
		}
	}
	if a := <-slow; a.status != 200 {
		t.Fatalf("slow call: %d %s", a.status, a.body)
	}
	if a := send(surfaces[0].path, surfaces[0].body); a.status != 200 {
		t.Fatalf("once the slow call ended its credits are free again: %d %s", a.status, a.body)
	}

	// Really near the end: the balance pays the prompt and 20 output tokens
	// only. The answer is cut to those 20 tokens instead of being refused.
	text := strings.Repeat("long question ", 30)
	prompt := billing.EstimatePromptTokens(&provider.ChatRequest{Messages: []provider.Message{{Role: "user", Content: provider.TextContent(text)}}})
	setBalance(gatehouse.Credits((prompt + 20) * 100)) // 100 micro-credits a token
	a := send("/v1/chat/completions", fmt.Sprintf(`{"model": "echo", "messages": [{"role": "user", "content": %q}]}`, text))
	if a.status != 200 || !strings.Contains(a.body, `"finish_reason":"length"`) || !strings.Contains(a.body, `"completion_tokens":20`) {
		t.Fatalf("near-empty team: %d %s; want a 20-token answer cut for length", a.status, a.body)
	}

	// Spent: what is left cannot pay even a prompt and one token.
	setBalance(1)
	for _, s := range surfaces {
		a := send(s.path, s.body)
		retryable := a.status == http.StatusTooManyRequests && a.shouldRetry != "false"
		if !strings.Contains(a.body, s.spentWant) || retryable || a.status == 200 {
			t.Errorf("%s, credits spent: %d %s (X-Should-Retry %q); want non-retryable %s", s.name, a.status, a.body, a.shouldRetry, s.spentWant)
		}
	}
}
