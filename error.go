package gatehouse

import (
	"errors"
	"fmt"
)

// Error codes. Every error a client sees carries one of these machine codes
// next to a human message; the http package maps each to one status.
const (
	EINVALID      = "invalid_request"      // 400: the request is malformed or a field is wrong
	EUNAUTHORIZED = "unauthorized"         // 401: no or unknown credentials
	EFORBIDDEN    = "forbidden"            // 403: credentials valid but not allowed
	ENOTFOUND     = "not_found"            // 404
	ECONFLICT     = "conflict"             // 409: clashes with current state
	ECREDITS      = "insufficient_credits" // 402: the team cannot pay for this
	ERATELIMIT    = "rate_limited"         // 429
	EUPSTREAM     = "provider_error"       // 502: the LLM provider failed
	EUNAVAILABLE  = "unavailable"          // 503: a dependency is down or not ready
	EINTERNAL     = "internal_error"       // 500: a bug or unexpected failure
)

// Error is an application error: something the caller can understand and
// act on. Anything that is not an *Error is treated as internal and its
// text is never shown to clients.
type Error struct {
	Code    string
	Message string
	// Field names the request field at fault, when there is one.
	Field string
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("gatehouse error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code string, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns an EINVALID error that names the offending field.
func FieldErrorf(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of an application error, EINTERNAL for any
// other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the human message of an application error, or a
// generic one for internal errors so their details never leak to clients.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// ConflictFieldErrorf returns an ECONFLICT error naming the field whose
// value clashes with an existing resource.
func ConflictFieldErrorf(field, format string, args ...any) *Error {
	return &Error{Code: ECONFLICT, Field: field, Message: fmt.Sprintf(format, args...)}
}
