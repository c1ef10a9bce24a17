package bedrock

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// maxErrorBody bounds how much of an error response is read.
const maxErrorBody = 64 << 10

// maxFallbackMessage bounds the raw body text used when an error body is
// not the usual JSON.
const maxFallbackMessage = 512

// httpError maps a non-2xx response. AWS's restJson1 protocol names the
// error type in the X-Amzn-ErrorType header ("ThrottlingException:http://
// internal.amazon.com/coral/...") and the message in a {"message": ...}
// body.
func httpError(name string, resp *http.Response, secrets []string, now time.Time) *provider.Error {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var body errorBody
	_ = json.Unmarshal(raw, &body)

	code := errorCode(resp.Header.Get("X-Amzn-Errortype"))
	if code == "" {
		code = errorCode(firstNonEmpty(body.Type, body.Code))
	}
	msg := firstNonEmpty(body.Message, body.MessageUpper)
	if msg == "" {
		msg = fallbackMessage(raw, resp.StatusCode)
	}
	kind, ok := kindForCode(code)
	if !ok {
		kind = provider.KindForStatus(resp.StatusCode)
	}
	return &provider.Error{
		Provider:   name,
		Kind:       kind,
		Status:     resp.StatusCode,
		Code:       code,
		Message:    redact(msg, secrets),
		RetryAfter: provider.RetryAfter(resp.Header, now),
	}
}

// errorCode extracts the bare error name from the forms AWS uses:
// "Name:namespace-uri" in X-Amzn-ErrorType and "namespace#Name" in __type.
func errorCode(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, ':'); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, '#'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

// kindForCode classifies AWS error names. The HTTP API spells them
// "ThrottlingException", exception frames "throttlingException", so the
// comparison ignores case. ok is false for names the status classifies
// well enough.
func kindForCode(code string) (provider.ErrorKind, bool) {
	switch strings.ToLower(code) {
	case "throttlingexception", "toomanyrequestsexception",
		// Bedrock answers 400 but says "resubmit your request later".
		"servicequotaexceededexception":
		return provider.ErrRateLimited, true
	case "accessdeniedexception", "unrecognizedclientexception",
		"invalidsignatureexception", "incompletesignatureexception",
		"missingauthenticationtokenexception", "expiredtokenexception",
		"signaturedoesnotmatch":
		return provider.ErrAuth, true
	case "modeltimeoutexception":
		return provider.ErrTimeout, true
	case "internalserverexception", "serviceunavailableexception",
		"modelstreamerrorexception", "modelerrorexception", "modelnotreadyexception":
		return provider.ErrServer, true
	case "validationexception", "resourcenotfoundexception":
		return provider.ErrBadRequest, true
	}
	return "", false
}

// fallbackMessage uses the start of a non-JSON body, or the status text.
func fallbackMessage(raw []byte, status int) string {
	s := strings.TrimSpace(strings.ToValidUTF8(string(raw), ""))
	if s == "" {
		if t := http.StatusText(status); t != "" {
			return t
		}
		return "upstream error"
	}
	if len(s) > maxFallbackMessage {
		cut := maxFallbackMessage
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return s
}

// redact removes credential values from upstream text, in case an upstream
// or proxy echoes the request's Authorization header.
func redact(s string, secrets []string) string {
	for _, sec := range secrets {
		s = strings.ReplaceAll(s, sec, "[redacted]")
	}
	return s
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func badRequest(name, msg string) *provider.Error {
	return &provider.Error{Provider: name, Kind: provider.ErrBadRequest, Message: msg}
}

func badResponse(name, msg string) *provider.Error {
	return &provider.Error{Provider: name, Kind: provider.ErrBadResponse, Message: msg}
}
