// Package client is the typed Go client for Gatehouse's job API: open a
// job, call model aliases inside it (whole answers or streams), end it, and
// read what it cost. It is the Go counterpart of the seed's
// client.chat(job_id=…, model=…, messages=…), and it uses only the standard
// library, so adding it to a service pulls in nothing else.
//
// # Quick start
//
//	c := client.New("https://gatehouse.internal:8003", os.Getenv("GATEHOUSE_KEY"))
//
//	job, err := c.CreateJob(ctx, client.JobParams{JobType: "summarize", UserID: "u-17"})
//	if err != nil {
//		return err
//	}
//	resp, err := c.Chat(ctx, job.ID, client.ChatRequest{
//		Model:    "smart",
//		Messages: []client.Message{client.System("Be brief."), client.User("Summarize …")},
//		Purpose:  "summary",
//	})
//	if client.IsNoCredits(err) {
//		// the team has run out: tell the customer, do not retry
//	}
//	fmt.Println(resp.Content, resp.CostUSD)
//	_, err = c.CompleteJob(ctx, job.ID, client.CompleteParams{Status: client.JobCompleted})
//
// A one-call job is simpler still: c.Ask(ctx, "smart", client.User("…"))
// creates, calls and completes it in one request. ChatStream and AskStream
// return an iterator of events, and Structured asks for an answer shaped
// like a Go type and decodes it.
//
// # Errors
//
// Every error Gatehouse answers is an *APIError carrying the status, the
// machine code, the message and the field at fault; IsNoCredits,
// IsRateLimited, IsNotFound, IsConflict and IsUnauthorized test for the
// cases callers usually branch on. Context cancellation and deadlines are
// honoured by every method, and reported as errors that errors.Is matches
// against context.Canceled and context.DeadlineExceeded.
//
// # Retries
//
// Requests are retried (WithMaxRetries, 2 by default) with exponential
// backoff and jitter (WithBackoff), honouring Retry-After, but only when
// repeating them cannot do a piece of work twice:
//
//   - Reads (GetJob, JobCosts, Balance), metadata merges, CompleteJob
//     (completing twice returns the first result and never charges twice)
//     and CreateJob (sent with an Idempotency-Key — the caller's, or one
//     the client generates — so a repeat returns the same job) are retried
//     on network errors, 429 and 5xx.
//   - Calls (Chat, ChatStream, Ask, AskStream, Structured) run a model and
//     may cost money, so they are retried only when the server certainly did
//     no work: it answered 429 (rate limited: nothing ran, or the provider
//     refused) or 503 (Gatehouse could not start the call), or the request
//     never fully left this process. A 500, 502 or 504, or a connection lost
//     after the request was sent, is returned to the caller, who knows
//     whether doing the work twice is acceptable.
//   - A stream is never retried once its response has begun.
//
// A Retry-After longer than MaxRetryAfter, or one that would outlast the
// context's deadline, is not sat out: the *APIError is returned at once
// with its RetryAfter, so the caller can decide.
package client
