package client_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse/client"
)

func TestChatStream(t *testing.T) {
	g := newGatehouse(t)
	ctx := context.Background()
	c := client.New(g.URL, g.Key)
	job := openJob(t, c)
	var text strings.Builder
	var deltas int
	var done *client.StreamDone
	for ev, err := range c.ChatStream(ctx, job.ID, client.ChatRequest{Model: "echo", Messages: []client.Message{client.User("the quick brown fox")}, Purpose: "s"}) {
		if err != nil {
			t.Fatal(err)
		}
		switch ev.Type {
		case client.EventDelta:
			deltas++
			text.WriteString(ev.Content)
		case client.EventDone:
			done = ev.Done
		}
	}
	if text.String() != "the quick brown fox" || deltas < 4 {
		t.Fatalf("%d deltas made %q", deltas, text.String())
	}
	if done == nil || done.CallID == "" || done.JobID != job.ID || done.FinishReason != "stop" ||
		done.Usage.CompletionTokens != 5 || done.Usage.Source != "provider" {
		t.Fatalf("done = %+v", done)
	}
	costs, err := c.JobCosts(ctx, job.ID)
	if err != nil || len(costs.Calls) != 1 || !costs.Calls[0].Stream || costs.Calls[0].CallID != done.CallID {
		t.Fatalf("costs = %+v, %v", costs, err)
	}
}

func TestChatStreamToolCall(t *testing.T) {
	g := newGatehouse(t)
	c := client.New(g.URL, g.Key)
	job := openJob(t, c)
	params, _ := client.SchemaFor[weatherArgs]()
	var calls []client.ToolCallDelta
	var finish string
	for ev, err := range c.ChatStream(context.Background(), job.ID, client.ChatRequest{Model: "echo",
		Messages: []client.Message{client.User("[mock:tool=get_weather]")},
		Tools:    []client.Tool{client.NewTool("get_weather", "", params)}}) {
		if err != nil {
			t.Fatal(err)
		}
		calls = append(calls, ev.ToolCalls...)
		if ev.Done != nil {
			finish = ev.Done.FinishReason
		}
	}
	if len(calls) != 1 || calls[0].Name != "get_weather" || calls[0].ID == "" || !strings.Contains(calls[0].Arguments, "city") || finish != "tool_calls" {
		t.Fatalf("tool call deltas %+v, finish %q", calls, finish)
	}
}

// Breaking out of the range closes the connection; Gatehouse cancels the
// provider call and records what was used so far.
func TestChatStreamEarlyBreakCancels(t *testing.T) {
	g := newGatehouse(t)
	ctx := context.Background()
	c := client.New(g.URL, g.Key)
	job := openJob(t, c)
	// Ten words over 3s: a delta every ~300ms.
	msg := "one two three four five six seven eight nine [mock:latency=3s]"
	start := time.Now()
	got := 0
	for ev, err := range c.ChatStream(ctx, job.ID, client.ChatRequest{Model: "echo", Messages: []client.Message{client.User(msg)}}) {
		if err != nil {
			t.Fatal(err)
		}
		if ev.Type == client.EventDelta {
			got++
			break
		}
	}
	if got != 1 {
		t.Fatalf("got %d deltas before breaking", got)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("the range took %v to end after a break", el)
	}
	// The server notices the client left, cancels upstream and records the
	// call, well before the full answer would have finished.
	var call client.CallRecord
	for deadline := time.Now().Add(5 * time.Second); ; {
		costs, err := c.JobCosts(ctx, job.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(costs.Calls) == 1 {
			call = costs.Calls[0]
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the cancelled stream was never recorded")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if call.LatencyMS >= 2500 || call.CompletionTokens >= 16 {
		t.Fatalf("the upstream call was not cut short: %+v", call)
	}
}

func TestChatStreamContextCancelled(t *testing.T) {
	g := newGatehouse(t)
	c := client.New(g.URL, g.Key)
	job := openJob(t, c)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var last error
	deltas := 0
	for ev, err := range c.ChatStream(ctx, job.ID, client.ChatRequest{Model: "echo",
		Messages: []client.Message{client.User("a b c d e f [mock:latency=3s]")}}) {
		if err != nil {
			last = err
			break
		}
		if ev.Type == client.EventDelta {
			deltas++
			cancel() // the caller gives up mid-stream
		}
	}
	if deltas != 1 || !errors.Is(last, context.Canceled) {
		t.Fatalf("%d deltas, error %v; want 1 then context.Canceled", deltas, last)
	}
}

func TestAskStream(t *testing.T) {
	g := newGatehouse(t)
	c := client.New(g.URL, g.Key)
	var text strings.Builder
	var done *client.StreamDone
	for ev, err := range c.AskStream(context.Background(), "echo", client.User("streamed one-call job")) {
		if err != nil {
			t.Fatal(err)
		}
		text.WriteString(ev.Content)
		if ev.Done != nil {
			done = ev.Done
		}
	}
	if text.String() != "streamed one-call job" || done == nil || done.Job == nil || done.Job.Status != client.JobCompleted ||
		done.CreditsCharged != client.OneCredit {
		t.Fatalf("text %q, done %+v", text.String(), done)
	}
}

// A stream sequence makes one call; ranging it again does not call again.
func TestStreamRangesOnce(t *testing.T) {
	g := newGatehouse(t)
	c := client.New(g.URL, g.Key)
	job := openJob(t, c)
	seq := c.ChatStream(context.Background(), job.ID, client.ChatRequest{Model: "echo", Messages: []client.Message{client.User("once")}})
	for _, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, err := range seq {
		if !errors.Is(err, client.ErrStreamReused) {
			t.Fatalf("second range: %v", err)
		}
	}
	costs, _ := c.JobCosts(context.Background(), job.ID)
	if len(costs.Calls) != 1 {
		t.Fatalf("%d calls recorded, want 1", len(costs.Calls))
	}
}

// A refused stream is an *APIError before any event.
func TestChatStreamRefused(t *testing.T) {
	g := newGatehouse(t)
	c := client.New(g.URL, g.Key)
	job := openJob(t, c)
	if _, err := c.CompleteJob(context.Background(), job.ID, client.CompleteParams{Status: client.JobFailed, ErrorMessage: "gave up"}); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, err := range c.ChatStream(context.Background(), job.ID, client.ChatRequest{Model: "echo", Messages: []client.Message{client.User("x")}}) {
		n++
		if !client.IsConflict(err) {
			t.Fatalf("stream on a finished job: %v", err)
		}
	}
	if n != 1 {
		t.Fatalf("%d items, want the error alone", n)
	}
}
