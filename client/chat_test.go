package client_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse/client"
)

// openJob opens a job for the test's team.
func openJob(t *testing.T, c *client.Client) *client.Job {
	t.Helper()
	job, err := c.CreateJob(context.Background(), client.JobParams{JobType: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return job
}

func TestChat(t *testing.T) {
	g := newGatehouse(t)
	c := client.New(g.URL, g.Key)
	job := openJob(t, c)
	resp, err := c.Chat(context.Background(), job.ID, client.ChatRequest{
		Model:     "echo",
		Messages:  []client.Message{client.System("You echo."), client.Assistant("Earlier."), client.User("Four score")},
		MaxTokens: client.Ptr(100), Temperature: client.Ptr(0.0), Stop: []string{"\n\n"}, Seed: client.Ptr(int64(7)),
	})
	if err != nil {
		t.Fatal(err)
	}
	// mock tokens: ceil(bytes/4) per text, plus 3 per message.
	if resp.Content != "Four score" || resp.FinishReason != "stop" || resp.Model != "echo" ||
		resp.Usage.PromptTokens != (3+3)+(2+3)+(3+3) || resp.Usage.CompletionTokens != 3 || resp.Usage.Source != "provider" {
		t.Fatalf("Chat = %+v", resp)
	}
	if m := resp.Message(); m.Role != client.RoleAssistant || m.Content != "Four score" {
		t.Fatalf("Message() = %+v", m)
	}
}

type weatherArgs struct {
	City string `json:"city" jsonschema:"description=City name"`
}

// A tool round trip: the model calls the tool, the result goes back.
func TestChatToolCall(t *testing.T) {
	g := newGatehouse(t)
	ctx := context.Background()
	c := client.New(g.URL, g.Key)
	job := openJob(t, c)
	params, err := client.SchemaFor[weatherArgs]()
	if err != nil {
		t.Fatal(err)
	}
	req := client.ChatRequest{
		Model:    "echo",
		Messages: []client.Message{client.User("Weather in Paris? [mock:tool=get_weather]")},
		Tools:    []client.Tool{client.NewTool("get_weather", "Current weather", params)},
	}
	resp, err := c.Chat(ctx, job.ID, req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.FinishReason != "tool_calls" || len(resp.ToolCalls) != 1 || resp.ToolCalls[0].Function.Name != "get_weather" {
		t.Fatalf("Chat = %+v", resp)
	}
	var args weatherArgs
	if err := resp.ToolCalls[0].DecodeArguments(&args); err != nil {
		t.Fatal(err)
	}
	req.Messages = append(req.Messages, resp.Message(), client.ToolResult(resp.ToolCalls[0].ID, "22°C"), client.User("Thanks"))
	req.ToolChoice = client.ToolChoiceNone
	next, err := c.Chat(ctx, job.ID, req)
	if err != nil || next.Content != "Thanks" {
		t.Fatalf("after the tool result: %+v, %v", next, err)
	}
}

func TestAsk(t *testing.T) {
	g := newGatehouse(t)
	ctx := context.Background()
	c := client.New(g.URL, g.Key)
	resp, err := c.Ask(ctx, "echo", client.User("One call"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Content != "One call" || resp.Job == nil || resp.Job.Status != client.JobCompleted || resp.CreditsCharged != client.OneCredit {
		t.Fatalf("Ask = %+v (job %+v)", resp, resp.Job)
	}
	resp, err = c.AskWith(ctx, client.ChatRequest{Model: "echo", Messages: []client.Message{client.User("typed")}},
		client.JobParams{JobType: "classify", UserID: "u9", Metadata: map[string]any{"src": "test"}})
	if err != nil || resp.Job.JobType != "classify" || resp.Job.UserID != "u9" || resp.Job.Metadata["src"] != "test" {
		t.Fatalf("AskWith = %+v, %v", resp, err)
	}
	// A failed one-call job is free.
	_, err = c.Ask(ctx, "echo", client.User("[mock:error=400]"))
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 {
		t.Fatalf("failing Ask: %v", err)
	}
	if bal, err := c.Balance(ctx, "t"); err != nil || bal.CreditsBalance != 98*client.OneCredit || bal.CreditsHeld != 0 {
		t.Fatalf("balance after two paid and one failed one-call jobs: %+v, %v", bal, err)
	}
}

func TestChatHonoursContext(t *testing.T) {
	g := newGatehouse(t)
	c := client.New(g.URL, g.Key)
	job := openJob(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Chat(ctx, job.ID, client.ChatRequest{Model: "echo", Messages: []client.Message{client.User("slow [mock:latency=5s]")}})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v, want context.DeadlineExceeded", err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("returned after %v", el)
	}
	// Cancelled before it starts: nothing is sent.
	done, stop := context.WithCancel(context.Background())
	stop()
	if _, err := c.GetJob(done, job.ID); !errors.Is(err, context.Canceled) {
		t.Fatalf("GetJob with a cancelled context: %v", err)
	}
}
