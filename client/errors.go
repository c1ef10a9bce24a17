package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Gatehouse's error codes, one per status (see the README's "Errors"), so
// callers can compare APIError.Code without spelling strings.
const (
	CodeInvalidRequest      = "invalid_request"      // 400
	CodeUnauthorized        = "unauthorized"         // 401
	CodeInsufficientCredits = "insufficient_credits" // 402
	CodeForbidden           = "forbidden"            // 403
	CodeNotFound            = "not_found"            // 404
	CodeMethodNotAllowed    = "method_not_allowed"   // 405
	CodeConflict            = "conflict"             // 409
	CodeRateLimited         = "rate_limited"         // 429
	CodeInternal            = "internal_error"       // 500
	CodeProviderError       = "provider_error"       // 502
	CodeUnavailable         = "unavailable"          // 503
)

// codeStatus maps each code to its status, for errors that arrive without
// one (an error event inside a stream).
var codeStatus = map[string]int{
	CodeInvalidRequest: 400, CodeUnauthorized: 401, CodeInsufficientCredits: 402, CodeForbidden: 403,
	CodeNotFound: 404, CodeMethodNotAllowed: 405, CodeConflict: 409, CodeRateLimited: 429,
	CodeInternal: 500, CodeProviderError: 502, CodeUnavailable: 503,
}

// statusCode maps a status to Gatehouse's code, for error bodies that are
// not Gatehouse's (a proxy's HTML page).
func statusCode(status int) string {
	for code, s := range codeStatus {
		if s == status {
			return code
		}
	}
	if status >= 500 {
		return CodeInternal
	}
	return CodeInvalidRequest
}

// APIError is an error Gatehouse answered, decoded from its one error
// shape {"error": {"code", "message", "field"}} so callers can act on the
// code rather than parse messages.
type APIError struct {
	// StatusCode is the HTTP status (for an error inside a stream, the
	// status its code stands for).
	StatusCode int
	// Code is the machine code, one of the Code… constants.
	Code string
	// Message is the human explanation, safe to show to an operator.
	Message string
	// Field names the request field at fault, when one is.
	Field string
	// RetryAfter is how long the server asked the caller to wait (429 and
	// 503), zero when it did not say.
	RetryAfter time.Duration
}

// Error renders the status, code, message and field.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "gatehouse: %d %s: %s", e.StatusCode, e.Code, e.Message)
	if e.Field != "" {
		fmt.Fprintf(&b, " (field %q)", e.Field)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	return b.String()
}

// errorBody is Gatehouse's error shape.
type errorBody struct {
	Error *errorDetail `json:"error"`
}

// errorDetail is the inside of errorBody, also sent in stream error events.
type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field"`
}

// newAPIError builds an APIError from a status, the response headers and
// the raw body; a body that is not Gatehouse's error shape becomes the
// message (trimmed) and the code follows from the status.
func newAPIError(status int, h http.Header, raw []byte) *APIError {
	e := &APIError{StatusCode: status, RetryAfter: parseRetryAfter(h.Get("Retry-After"), time.Now())}
	var body errorBody
	if json.Unmarshal(raw, &body) == nil && body.Error != nil && body.Error.Code != "" {
		e.Code, e.Message, e.Field = body.Error.Code, body.Error.Message, body.Error.Field
		return e
	}
	e.Code = statusCode(status)
	e.Message = strings.TrimSpace(string(raw))
	if len(e.Message) > 300 {
		e.Message = e.Message[:300] + "…"
	}
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	return e
}

// hasAPIError reports whether err is an *APIError with the given status
// or code.
func hasAPIError(err error, status int, code string) bool {
	var e *APIError
	return errors.As(err, &e) && (e.StatusCode == status || e.Code == code)
}

// IsNoCredits reports a 402: the team cannot pay for this job or call.
// Retrying will not help until credits are added.
func IsNoCredits(err error) bool { return hasAPIError(err, 402, CodeInsufficientCredits) }

// IsRateLimited reports a 429: Gatehouse or the provider is limiting the
// team; APIError.RetryAfter says how long to wait when known.
func IsRateLimited(err error) bool { return hasAPIError(err, 429, CodeRateLimited) }

// IsNotFound reports a 404: no such job for this team (another team's job
// is a 404 too), or an unknown route.
func IsNotFound(err error) bool { return hasAPIError(err, 404, CodeNotFound) }

// IsConflict reports a 409: the request clashes with current state, such
// as a call on a job that has already finished.
func IsConflict(err error) bool { return hasAPIError(err, 409, CodeConflict) }

// IsUnauthorized reports a 401: the key is missing, unknown, revoked or
// expired.
func IsUnauthorized(err error) bool { return hasAPIError(err, 401, CodeUnauthorized) }

// ErrMissingID is returned, without any request, when an ID argument is
// empty: the request could only reach another route or a 404.
var ErrMissingID = errors.New("gatehouse: an ID argument is empty")

// requireID returns ErrMissingID, naming the argument, when id is empty.
func requireID(name, id string) error {
	if id == "" {
		return fmt.Errorf("%w: %s", ErrMissingID, name)
	}
	return nil
}
