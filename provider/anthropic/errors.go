package anthropic

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// maxErrorBody bounds how much of an error response is read: enough for
// any real error JSON, small enough that a misbehaving proxy's HTML page
// cannot balloon memory.
const maxErrorBody = 64 << 10

// maxFallbackMessage bounds the raw body text used as the message when the
// body is not Anthropic's error JSON.
const maxFallbackMessage = 512

// errorFromResponse turns a non-2xx answer into a *provider.Error,
// keeping Anthropic's own error type and message.
func errorFromResponse(name string, resp *http.Response, now time.Time, redact func(string) string) *provider.Error {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	e := &provider.Error{
		Provider:   name,
		Kind:       provider.KindForStatus(resp.StatusCode),
		Status:     resp.StatusCode,
		RetryAfter: provider.RetryAfter(resp.Header, now),
	}
	var body errorBody
	if json.Unmarshal(raw, &body) == nil && body.Error != nil && (body.Error.Type != "" || body.Error.Message != "") {
		e.Code = body.Error.Type
		e.Message = body.Error.Message
		if body.Error.Type == "overloaded_error" {
			e.Kind = provider.ErrServer // whatever status a proxy put on it
		}
	} else {
		e.Message = fallbackMessage(raw, resp.StatusCode)
	}
	e.Message = redact(e.Message)
	return e
}

// fallbackMessage is the start of a non-JSON error body, or the status
// text when the body is empty.
func fallbackMessage(raw []byte, status int) string {
	msg := strings.TrimSpace(string(raw))
	if msg == "" {
		return http.StatusText(status)
	}
	if len(msg) > maxFallbackMessage {
		msg = strings.ToValidUTF8(msg[:maxFallbackMessage], "") + "…"
	}
	return msg
}

// kindForErrorType classifies an error event that arrives mid-stream, where
// there is no HTTP status to go by. Unknown types count as server errors:
// the request was accepted, so whatever broke is upstream's.
func kindForErrorType(errType string) provider.ErrorKind {
	switch errType {
	case "invalid_request_error", "not_found_error", "request_too_large", "billing_error":
		return provider.ErrBadRequest
	case "authentication_error", "permission_error":
		return provider.ErrAuth
	case "rate_limit_error":
		return provider.ErrRateLimited
	default: // overloaded_error, api_error, timeout_error, ...
		return provider.ErrServer
	}
}

// redactor hides the API key should an upstream or proxy ever echo it.
func redactor(key string) func(string) string {
	return func(s string) string {
		if key == "" {
			return s
		}
		return strings.ReplaceAll(s, key, "[redacted]")
	}
}
