package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Endpoint is everything an adapter needs to reach one upstream account:
// where it is, how to authenticate, and the HTTP client to use. The gateway
// builds it from the resolved provider credential; adapters never read the
// environment themselves.
type Endpoint struct {
	// Provider is the provider name as in "provider/model" (e.g. "groq").
	Provider string
	// BaseURL is the API root without a trailing slash, for example
	// "https://api.openai.com/v1". Adapters fall back to their own default
	// when it is empty.
	BaseURL string
	// APIKey is the secret sent upstream. Adapters must never put it in an
	// error message or a URL.
	APIKey string
	// Extra carries provider-specific settings: "api_version" (Azure),
	// "region", "aws_access_key_id", "aws_secret_access_key",
	// "aws_session_token" (Bedrock).
	Extra map[string]string
	// Client sends the requests. The gateway shares one tuned client per
	// upstream endpoint, whose transport enforces its Limits (first byte,
	// read idle, body size; see NewTransport); adapters must not build
	// their own per request.
	Client *http.Client
}

// HTTPClient returns the endpoint's client, or http.DefaultClient.
func (e Endpoint) HTTPClient() *http.Client {
	if e.Client != nil {
		return e.Client
	}
	return http.DefaultClient
}

// Adapter speaks one upstream wire protocol.
type Adapter interface {
	// Chat sends a non-streamed chat request.
	Chat(ctx context.Context, ep Endpoint, req *ChatRequest) (*ChatResponse, error)
	// ChatStream starts a streamed chat request. It returns once the
	// upstream has accepted the request (HTTP status known), so errors
	// before the first byte are returned here and may be retried; errors
	// after that arrive from Stream.Recv and must not be.
	// Adapters always ask the upstream to report usage in the stream.
	ChatStream(ctx context.Context, ep Endpoint, req *ChatRequest) (Stream, error)
}

// Embedder is implemented by adapters whose upstream offers embeddings.
type Embedder interface {
	Embed(ctx context.Context, ep Endpoint, req *EmbeddingRequest) (*EmbeddingResponse, error)
}

// Checker is implemented by adapters that can tell whether an endpoint's
// credential is accepted without spending tokens, typically by listing
// models. The management API's credential test uses it.
type Checker interface {
	Check(ctx context.Context, ep Endpoint) error
}

// Stream yields the chunks of a streamed answer.
type Stream interface {
	// Recv returns the next chunk, or io.EOF after the last one. A stream
	// that ends without the upstream's end marker returns an *Error of kind
	// ErrStreamTruncated, never io.EOF.
	Recv() (*Chunk, error)
	// Close releases the upstream connection; it is safe to call twice.
	Close() error
}

// ErrorKind classifies upstream failures so the gateway can decide on
// retries and fallbacks and map them to client-facing errors.
type ErrorKind string

// Error kinds.
const (
	ErrBadRequest      ErrorKind = "invalid_request" // 400, 404, 422: the request is wrong; don't retry
	ErrAuth            ErrorKind = "authentication"  // 401, 403: the credential is wrong
	ErrRateLimited     ErrorKind = "rate_limited"    // 429
	ErrServer          ErrorKind = "server_error"    // 5xx, 529 overloaded
	ErrTimeout         ErrorKind = "timeout"         // deadline exceeded talking upstream
	ErrNetwork         ErrorKind = "network"         // connection refused, reset, DNS
	ErrBadResponse     ErrorKind = "bad_response"    // malformed JSON or protocol violation
	ErrStreamTruncated ErrorKind = "stream_truncated"
	ErrContentFilter   ErrorKind = "content_filter"
)

// Error is an upstream failure. Message keeps the provider's own
// explanation (useful to the caller) and never contains a credential.
type Error struct {
	Provider   string
	Kind       ErrorKind
	Status     int    // upstream HTTP status, 0 if none was received
	Code       string // provider's own error type/code, if any
	Message    string
	RetryAfter time.Duration // from Retry-After / retry-after-ms, 0 if absent
	// RequestScoped marks a failure that only this request provoked and
	// that says nothing about the upstream's health (a failure simulated
	// by a mock directive in the request's text): it never counts against
	// a circuit breaker other requests share.
	RequestScoped bool
}

func (e *Error) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("%s: %s (HTTP %d): %s", e.Provider, e.Kind, e.Status, e.Message)
	}
	return fmt.Sprintf("%s: %s: %s", e.Provider, e.Kind, e.Message)
}

// Retryable reports whether sending the same request again may succeed:
// rate limits, server errors, timeouts and network failures.
func (e *Error) Retryable() bool {
	switch e.Kind {
	case ErrRateLimited, ErrServer, ErrTimeout, ErrNetwork:
		return true
	}
	return false
}

// AsError returns err as an *Error if it is one.
func AsError(err error) (*Error, bool) {
	var pe *Error
	ok := errors.As(err, &pe)
	return pe, ok
}

// KindForStatus maps an upstream HTTP status to an ErrorKind.
func KindForStatus(status int) ErrorKind {
	switch {
	case status == http.StatusTooManyRequests:
		return ErrRateLimited
	case status == http.StatusRequestTimeout:
		return ErrTimeout
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return ErrAuth
	case status >= 500:
		return ErrServer
	default:
		return ErrBadRequest
	}
}
