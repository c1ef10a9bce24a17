package gemini

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// maxMessageLen bounds a fallback message built from a non-JSON body.
const maxMessageLen = 512

// Google error detail types and reasons the adapter acts on.
const (
	retryInfoType   = "type.googleapis.com/google.rpc.RetryInfo"
	errorInfoType   = "type.googleapis.com/google.rpc.ErrorInfo"
	reasonKeyBroken = "API_KEY_INVALID"
)

// errorFromResponse turns a non-2xx answer into a *provider.Error, keeping
// Google's own message and status name.
func errorFromResponse(name, apiKey string, resp *http.Response, raw []byte) *provider.Error {
	e := &provider.Error{
		Provider:   name,
		Kind:       provider.KindForStatus(resp.StatusCode),
		Status:     resp.StatusCode,
		RetryAfter: provider.RetryAfter(resp.Header, time.Now()),
	}
	apiErr := parseErrorBody(raw)
	if apiErr == nil {
		e.Message = truncate(redact(strings.TrimSpace(string(raw)), apiKey))
		if e.Message == "" {
			e.Message = http.StatusText(resp.StatusCode)
		}
		return e
	}
	fillFromAPIError(e, apiErr, apiKey)
	return e
}

// errorFromStatus turns an error object found in a 2xx body (a plain
// response or a stream event) into a *provider.Error.
func errorFromStatus(name, apiKey string, httpStatus int, apiErr *apiError) *provider.Error {
	status := apiErr.Code
	if status == 0 {
		status = httpStatus
	}
	e := &provider.Error{Provider: name, Kind: kindForStatusName(apiErr.Status), Status: status}
	if apiErr.Code >= 400 {
		e.Kind = provider.KindForStatus(apiErr.Code)
	}
	fillFromAPIError(e, apiErr, apiKey)
	return e
}

// fillFromAPIError copies code, message and retry hint, and sharpens the
// kind where the body knows better than the HTTP status: Gemini answers an
// invalid key with 400 INVALID_ARGUMENT, reason API_KEY_INVALID.
func fillFromAPIError(e *provider.Error, apiErr *apiError, apiKey string) {
	e.Code = apiErr.Status
	e.Message = redact(apiErr.Message, apiKey)
	if e.Message == "" {
		e.Message = apiErr.Status
	}
	for _, d := range apiErr.Details {
		switch d.Type {
		case retryInfoType:
			if e.RetryAfter == 0 {
				if delay, err := time.ParseDuration(d.RetryDelay); err == nil && delay > 0 {
					e.RetryAfter = delay
				}
			}
		case errorInfoType:
			if d.Reason == reasonKeyBroken {
				e.Kind = provider.ErrAuth
			}
		}
	}
}

// parseErrorBody reads {"error":{…}}, or the same wrapped in an array as
// some Google front ends send it; nil when the body is neither.
func parseErrorBody(raw []byte) *apiError {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '[' {
		var list []errorBody
		if json.Unmarshal(raw, &list) != nil || len(list) == 0 {
			return nil
		}
		return list[0].Error
	}
	var body errorBody
	if json.Unmarshal(raw, &body) != nil {
		return nil
	}
	return body.Error
}

// kindForStatusName classifies a google.rpc.Code name, for errors that
// carry no HTTP code.
func kindForStatusName(status string) provider.ErrorKind {
	switch status {
	case "RESOURCE_EXHAUSTED":
		return provider.ErrRateLimited
	case "UNAUTHENTICATED", "PERMISSION_DENIED":
		return provider.ErrAuth
	case "INVALID_ARGUMENT", "FAILED_PRECONDITION", "NOT_FOUND", "OUT_OF_RANGE", "ALREADY_EXISTS":
		return provider.ErrBadRequest
	default:
		return provider.ErrServer
	}
}

// redact removes the API key from text that came from upstream, in case a
// message ever echoes it.
func redact(s, apiKey string) string {
	if apiKey == "" {
		return s
	}
	return strings.ReplaceAll(s, apiKey, "[redacted]")
}

// truncate shortens s to maxMessageLen bytes without splitting a rune.
func truncate(s string) string {
	if len(s) <= maxMessageLen {
		return s
	}
	cut := maxMessageLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
