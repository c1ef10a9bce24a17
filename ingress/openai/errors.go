package openai

import "net/http"

// BadRequest is a request the gateway refuses before calling any upstream.
// Param names the offending field in OpenAI's notation ("messages[2].role")
// so EncodeError can fill error.param, which the SDKs expose to callers.
type BadRequest struct {
	// Param is the field at fault, "" when the body as a whole is wrong.
	Param string
	// Message is a complete sentence for the client, naming Param.
	Message string
}

// Error returns the message alone: it is written to be read without the
// param, and the param travels in its own field of the error body.
func (e *BadRequest) Error() string { return e.Message }

// Error codes that clients written against OpenAI branch on. They go in
// error.code; the HTTP status still decides the SDK exception class.
const (
	// CodeInsufficientQuota marks a request refused because the team has no
	// credits left; OpenAI uses the same string as type and code.
	CodeInsufficientQuota = "insufficient_quota"
	// CodeRateLimitExceeded marks a request refused by a rate limit.
	CodeRateLimitExceeded = "rate_limit_exceeded"
	// CodeInvalidAPIKey marks an unknown or revoked virtual key.
	CodeInvalidAPIKey = "invalid_api_key"
	// CodeModelNotFound marks an alias that does not exist or that the key
	// may not use.
	CodeModelNotFound = "model_not_found"
)

// ErrorType returns error.type for an HTTP status. It follows the status
// families the SDKs map to exception classes, so the type never
// contradicts the class a client sees.
func ErrorType(status int) string {
	switch {
	case status == http.StatusUnauthorized:
		return "authentication_error"
	case status == http.StatusPaymentRequired:
		return CodeInsufficientQuota
	case status == http.StatusForbidden:
		return "permission_error"
	case status == http.StatusNotFound:
		return "not_found_error"
	case status == http.StatusTooManyRequests:
		return "rate_limit_error"
	case status >= 400 && status < 500:
		return "invalid_request_error"
	default:
		return "server_error"
	}
}

// errorEnvelope is OpenAI's error body. Param and Code are pointers because
// OpenAI sends null, not "", when they do not apply.
type errorEnvelope struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

// EncodeError renders OpenAI's error body. An empty errType is derived from
// status with ErrorType; empty code and param become null. Mid-stream, the
// same payload is sent as a "data:" event, which is how OpenAI reports a
// failure after the 200 status has gone out.
func EncodeError(status int, message, errType, code, param string) []byte {
	if errType == "" {
		errType = ErrorType(status)
	}
	return marshal(errorEnvelope{Error: errorDetail{
		Message: message,
		Type:    errType,
		Param:   nullable(param),
		Code:    nullable(code),
	}})
}

// NoCredits returns the status and body for a team that is out of credits,
// as recommended in the package documentation. The caller should also set
// "x-should-retry: false" so SDKs do not retry it.
func NoCredits(message string) (int, []byte) {
	return http.StatusTooManyRequests, EncodeError(http.StatusTooManyRequests, message, CodeInsufficientQuota, CodeInsufficientQuota, "")
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
