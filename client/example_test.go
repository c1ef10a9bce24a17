package client_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse-llm/gatehouse/client"
)

// A job groups the calls of one business operation: open it, call a model
// alias inside it, complete it. A job_based team pays one credit per
// completed job. ("echo" is Gatehouse's built-in mock model, which answers
// with the last user message.)
func Example() {
	baseURL, key := exampleGatehouse()
	ctx := context.Background()
	c := client.New(baseURL, key)

	job, err := c.CreateJob(ctx, client.JobParams{JobType: "greeting", UserID: "u-17"})
	if err != nil {
		panic(err)
	}
	resp, err := c.Chat(ctx, job.ID, client.ChatRequest{
		Model:    "echo",
		Messages: []client.Message{client.System("Be brief."), client.User("Hello, Gatehouse!")},
		Purpose:  "greeting",
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(resp.Content)
	done, err := c.CompleteJob(ctx, job.ID, client.CompleteParams{Status: client.JobCompleted})
	if err != nil {
		panic(err)
	}
	fmt.Println(done.Status, "- charged", done.CreditsCharged, "credit")
	// Output:
	// Hello, Gatehouse!
	// completed - charged 1 credit
}

// Chat returns the whole answer with its usage and cost; the calls of a
// job add up in JobCosts.
func ExampleClient_Chat() {
	baseURL, key := exampleGatehouse()
	ctx := context.Background()
	c := client.New(baseURL, key)

	job, err := c.CreateJob(ctx, client.JobParams{JobType: "summarize"})
	if err != nil {
		panic(err)
	}
	defer c.CompleteJob(ctx, job.ID, client.CompleteParams{})

	resp, err := c.Chat(ctx, job.ID, client.ChatRequest{
		Model:       "echo",
		Messages:    []client.Message{client.User("Four score and seven years ago")},
		Temperature: client.Ptr(0.2),
		Purpose:     "summary",
	})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s (%s, %d prompt + %d completion tokens)\n",
		resp.Content, resp.FinishReason, resp.Usage.PromptTokens, resp.Usage.CompletionTokens)
	costs, err := c.JobCosts(ctx, job.ID)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(costs.Calls), "call, purpose", costs.Calls[0].Purpose)
	// Output:
	// Four score and seven years ago (stop, 11 prompt + 8 completion tokens)
	// 1 call, purpose summary
}

// ChatStream yields the answer as it is generated; the last event carries
// the call's usage and cost. Breaking out of the loop early cancels the
// call.
func ExampleClient_ChatStream() {
	baseURL, key := exampleGatehouse()
	ctx := context.Background()
	c := client.New(baseURL, key)

	job, err := c.CreateJob(ctx, client.JobParams{JobType: "story"})
	if err != nil {
		panic(err)
	}
	defer c.CompleteJob(ctx, job.ID, client.CompleteParams{})

	var text strings.Builder
	for ev, err := range c.ChatStream(ctx, job.ID, client.ChatRequest{
		Model:    "echo",
		Messages: []client.Message{client.User("Once upon a time")},
	}) {
		if err != nil {
			panic(err)
		}
		switch ev.Type {
		case client.EventDelta:
			text.WriteString(ev.Content)
		case client.EventDone:
			fmt.Println(text.String())
			fmt.Println(ev.Done.FinishReason, ev.Done.Usage.CompletionTokens, "tokens, call recorded:", ev.Done.CallID != "")
		}
	}
	// Output:
	// Once upon a time
	// stop 4 tokens, call recorded: true
}

// Invoice is the shape ExampleStructured asks for.
type Invoice struct {
	Number   string    `json:"number" jsonschema:"description=The invoice number as printed"`
	Customer Customer  `json:"customer"`
	Lines    []Line    `json:"lines"`
	IssuedAt time.Time `json:"issued_at"`
}

// Customer is nested in Invoice.
type Customer struct {
	Name  string `json:"name"`
	Email string `json:"email" jsonschema:"format=email"`
}

// Line is one line of an Invoice.
type Line struct {
	Item        string `json:"item"`
	AmountCents int64  `json:"amount_cents"`
}

// Structured builds a JSON Schema from a Go type, asks for an answer
// matching it, and decodes the answer. (The mock model answers with the
// smallest instance of the schema.)
func ExampleStructured() {
	baseURL, key := exampleGatehouse()
	ctx := context.Background()
	c := client.New(baseURL, key)

	job, err := c.CreateJob(ctx, client.JobParams{JobType: "extract"})
	if err != nil {
		panic(err)
	}
	defer c.CompleteJob(ctx, job.ID, client.CompleteParams{})

	inv, resp, err := client.Structured[Invoice](ctx, c, job.ID, "echo", []client.Message{
		client.System("Extract the invoice."),
		client.User("Invoice 42 for ACME, issued 2024-05-01: 3 widgets, $30."),
	})
	if err != nil {
		panic(err)
	}
	fmt.Printf("number=%q customer=%+v lines=%d issued=%s\n",
		inv.Number, inv.Customer, len(inv.Lines), inv.IssuedAt.Format(time.DateOnly))
	fmt.Println(resp.FinishReason)
	// Output:
	// number="" customer={Name: Email:user@example.com} lines=0 issued=1970-01-01
	// stop
}
