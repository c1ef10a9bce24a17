package anthropic

import "net/http"

// BadRequest is a request the gateway refuses before calling any upstream.
// Param is the field path in Anthropic's notation ("messages.1.content.0")
// and Message already starts with it, as Anthropic's own messages do, so
// EncodeError(400, br.Error()) reads naturally.
type BadRequest struct {
	// Param is the field at fault, "" when the body as a whole is wrong.
	Param string
	// Message is what the client reads, prefixed with Param.
	Message string
}

// Error returns the message, which already names the field.
func (e *BadRequest) Error() string { return e.Message }

// StatusOverloaded is Anthropic's non-standard "overloaded" status; the
// SDKs treat it as a retryable server error.
const StatusOverloaded = 529

// ErrorType returns error.type for an HTTP status, as Anthropic documents
// it: any 4xx without its own type is an invalid_request_error, any 5xx
// without one an api_error.
func ErrorType(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "invalid_request_error"
	case http.StatusUnauthorized:
		return "authentication_error"
	case http.StatusPaymentRequired:
		return "billing_error"
	case http.StatusForbidden:
		return "permission_error"
	case http.StatusNotFound:
		return "not_found_error"
	case http.StatusConflict:
		return "conflict_error"
	case http.StatusRequestEntityTooLarge:
		return "request_too_large"
	case http.StatusTooManyRequests:
		return "rate_limit_error"
	case http.StatusGatewayTimeout:
		return "timeout_error"
	case http.StatusServiceUnavailable, StatusOverloaded:
		return "overloaded_error"
	}
	if status >= 400 && status < 500 {
		return "invalid_request_error"
	}
	return "api_error"
}

// errorEnvelope is Anthropic's error body.
type errorEnvelope struct {
	Type  string      `json:"type"`
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

// EncodeError renders Anthropic's error body with the type for status.
func EncodeError(status int, message string) []byte {
	return marshal(errorEnvelope{Type: "error", Error: errorDetail{Type: ErrorType(status), Message: message}})
}

// NoCredits returns the status and body for a team that is out of credits,
// as recommended in the package documentation.
func NoCredits(message string) (int, []byte) {
	return http.StatusPaymentRequired, EncodeError(http.StatusPaymentRequired, message)
}
