package provider

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RetryAfter parses the upstream's retry hint: "retry-after-ms"
// (OpenAI, Anthropic) takes precedence over "Retry-After" in seconds or as
// an HTTP date. It returns 0 when there is no usable hint.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	if ms := h.Get("Retry-After-Ms"); ms != "" {
		if v, err := strconv.ParseFloat(ms, 64); err == nil && v > 0 {
			return time.Duration(v * float64(time.Millisecond))
		}
	}
	ra := strings.TrimSpace(h.Get("Retry-After"))
	if ra == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(ra, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(secs * float64(time.Second))
	}
	if t, err := http.ParseTime(ra); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// TransportError classifies an error from http.Client.Do (or from reading a
// body) as a timeout or network *Error. The context's own cancellation is
// returned unchanged so callers can tell a client disconnect from an
// upstream failure.
func TransportError(ctx context.Context, providerName string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return ctx.Err()
	}
	if pe := BodyFault(providerName, err); pe != nil {
		return pe
	}
	kind := ErrNetwork
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		kind = ErrTimeout
	}
	return &Error{Provider: providerName, Kind: kind, Message: scrubURL(err.Error())}
}

// scrubURL drops query strings from URLs in transport error messages, which
// Go includes verbatim ("Post \"https://host/path?key=...\": ..."), so a
// key that some API puts in the query never reaches a log or a client.
func scrubURL(msg string) string {
	for {
		i := strings.Index(msg, "?")
		if i < 0 {
			return msg
		}
		j := strings.IndexAny(msg[i:], "\" ")
		if j < 0 {
			return msg[:i]
		}
		msg = msg[:i] + msg[i+j:]
	}
}
