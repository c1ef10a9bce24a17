package gatehouse

import "context"

type requestIDKey struct{}

// WithRequestID returns ctx carrying a request's id. The HTTP layer sets
// it (the client's X-Request-Id, or a generated one) so that everything
// the request causes — log lines, call records, trace spans — can be
// found from the id a customer quotes.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the id WithRequestID put in ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}
