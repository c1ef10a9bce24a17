package mock

import (
	"fmt"
	"net/http"
	"time"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// rateLimitRetryAfter is the hint a simulated 429 carries, as real
// upstreams send Retry-After with their rate-limit errors.
const rateLimitRetryAfter = time.Second

// simulatedFailure is the code and message an OpenAI-style upstream sends
// with a status; the gateway shows these to clients, so they read like the
// real thing while saying they were simulated.
type simulatedFailure struct {
	code, message string
}

var simulatedFailures = map[int]simulatedFailure{
	http.StatusBadRequest:          {"invalid_request_error", "Invalid request (simulated by the Gatehouse mock provider)."},
	http.StatusUnauthorized:        {"invalid_api_key", "Incorrect API key provided (simulated by the Gatehouse mock provider)."},
	http.StatusForbidden:           {"permission_denied", "You are not allowed to use this model (simulated by the Gatehouse mock provider)."},
	http.StatusNotFound:            {"model_not_found", "The model does not exist or you do not have access to it (simulated by the Gatehouse mock provider)."},
	http.StatusTooManyRequests:     {"rate_limit_exceeded", "Rate limit reached for requests. Please try again in 1s (simulated by the Gatehouse mock provider)."},
	http.StatusInternalServerError: {"server_error", "The server had an error while processing your request (simulated by the Gatehouse mock provider)."},
	http.StatusBadGateway:          {"bad_gateway", "Bad gateway (simulated by the Gatehouse mock provider)."},
	http.StatusServiceUnavailable:  {"service_unavailable", "The engine is currently overloaded, please try again later (simulated by the Gatehouse mock provider)."},
	529:                            {"overloaded_error", "Overloaded (simulated by the Gatehouse mock provider)."},
}

// simulatedError is the error a real upstream answering with status would
// produce through an adapter. A failure a request's own directive asked
// for is marked RequestScoped: it must not trip anything other requests
// share, such as a circuit breaker.
func simulatedError(name string, status int, byDirective bool) *provider.Error {
	f, ok := simulatedFailures[status]
	if !ok {
		text := http.StatusText(status)
		if text == "" {
			text = "Error"
		}
		f = simulatedFailure{"mock_error", text + " (simulated by the Gatehouse mock provider)."}
	}
	e := &provider.Error{
		Provider: name,
		Kind:     provider.KindForStatus(status),
		Status:   status,
		Code:     f.code,
		Message:  f.message,
		// A directive is one request's own doing; the endpoint's
		// error_status setting is the simulated upstream being broken.
		RequestScoped: byDirective,
	}
	if status == http.StatusTooManyRequests {
		e.RetryAfter = rateLimitRetryAfter
	}
	return e
}

// badRequest is a 400 about the request itself.
func badRequest(name, code, format string, args ...any) *provider.Error {
	return &provider.Error{
		Provider: name,
		Kind:     provider.ErrBadRequest,
		Status:   http.StatusBadRequest,
		Code:     code,
		Message:  fmt.Sprintf(format, args...),
	}
}

// configError reports a malformed endpoint setting.
func configError(name, format string, args ...any) *provider.Error {
	return badRequest(name, "mock_config", "mock provider setting: "+format, args...)
}

// directiveError reports a malformed per-request directive.
func directiveError(name, format string, args ...any) *provider.Error {
	return badRequest(name, "invalid_mock_directive", format, args...)
}
