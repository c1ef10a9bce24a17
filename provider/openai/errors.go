package openai

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gatehouse-llm/gatehouse/provider"
)

const (
	// maxErrorBody bounds how much of an error body is read; provider
	// messages are short and the rest is not worth holding.
	maxErrorBody = 64 << 10
	// maxFallbackMessage bounds the raw body text used as the message when
	// the body is not a recognised error object.
	maxFallbackMessage = 512
)

// statusError turns a non-2xx response into a *provider.Error carrying the
// provider's own message and code.
func (u *upstream) statusError(resp *http.Response) *provider.Error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	detail := parseErrorBody(body)
	kind := provider.KindForStatus(resp.StatusCode)
	if detail.code == "content_filter" {
		// Azure refuses filtered prompts with 400 code "content_filter";
		// the gateway reports those differently from malformed requests.
		kind = provider.ErrContentFilter
	}
	msg := detail.message
	if msg == "" {
		msg = fallbackMessage(body)
	}
	if msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	return &provider.Error{
		Provider:   u.name,
		Kind:       kind,
		Status:     resp.StatusCode,
		Code:       u.redact(detail.code),
		Message:    u.redact(msg),
		RetryAfter: provider.RetryAfter(resp.Header, time.Now()),
	}
}

// streamError turns an error object sent inside an event stream (OpenRouter
// and others report mid-stream failures this way) into a *provider.Error.
// There is no status, so the kind comes from the error's type or code.
func (u *upstream) streamError(raw json.RawMessage) *provider.Error {
	detail := parseErrorBody([]byte(`{"error":` + string(raw) + `}`))
	msg := detail.message
	if msg == "" {
		msg = fallbackMessage(raw)
	}
	return &provider.Error{
		Provider: u.name,
		Kind:     kindForErrorType(detail.code, detail.typ),
		Code:     u.redact(detail.code),
		Message:  u.redact(msg),
	}
}

// kindForErrorType classifies an error that arrived without an HTTP status.
func kindForErrorType(code, typ string) provider.ErrorKind {
	for _, s := range []string{code, typ} {
		switch {
		case s == "content_filter":
			return provider.ErrContentFilter
		case strings.Contains(s, "rate_limit"), s == "429":
			return provider.ErrRateLimited
		case s == "invalid_request_error", s == "400":
			return provider.ErrBadRequest
		case s == "authentication_error", s == "invalid_api_key", s == "401":
			return provider.ErrAuth
		}
	}
	return provider.ErrServer
}

// errorDetail is what Gatehouse keeps of a provider's error body.
type errorDetail struct {
	message string
	// code is the provider's code, or its type when there is no code.
	code string
	typ  string
}

// parseErrorBody understands the error shapes OpenAI-compatible upstreams
// actually send:
//
//	{"error":{"message":"...","type":"...","code":"..."}}   OpenAI, Azure, Groq, DeepSeek, OpenRouter (numeric code)
//	{"object":"error","message":"...","type":"...","code":...} Mistral, vLLM (message may be an object)
//	{"error":"...","code":"..."}                            xAI, Ollama
//	{"detail":"..."} or {"message":"..."}                    FastAPI-style servers
func parseErrorBody(body []byte) errorDetail {
	var env struct {
		Error   json.RawMessage `json:"error"`
		Message json.RawMessage `json:"message"`
		Type    json.RawMessage `json:"type"`
		Code    json.RawMessage `json:"code"`
		Detail  json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(body, &env) != nil {
		return errorDetail{}
	}
	var d errorDetail
	if obj := bytes.TrimSpace(env.Error); len(obj) > 0 && obj[0] == '{' {
		var inner struct {
			Message json.RawMessage `json:"message"`
			Type    json.RawMessage `json:"type"`
			Code    json.RawMessage `json:"code"`
		}
		if json.Unmarshal(obj, &inner) == nil {
			d.message = jsonText(inner.Message)
			d.typ = jsonText(inner.Type)
			d.code = jsonText(inner.Code)
		}
	} else {
		d.message = jsonText(env.Error)
	}
	if d.message == "" {
		d.message = jsonText(env.Message)
	}
	if d.message == "" {
		d.message = jsonText(env.Detail)
	}
	if d.typ == "" {
		d.typ = jsonText(env.Type)
	}
	if d.code == "" {
		d.code = jsonText(env.Code)
	}
	if d.code == "" {
		d.code = d.typ
	}
	return d
}

// jsonText renders a JSON value as text: strings unquoted, numbers as
// written, null as "", and objects or arrays as compact JSON (Mistral's
// validation errors put a {"detail":[...]} object where a message goes).
func jsonText(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return ""
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
		return ""
	}
	var buf bytes.Buffer
	if json.Compact(&buf, raw) != nil {
		return ""
	}
	return buf.String()
}

// fallbackMessage is the start of a body that is not a recognised error
// object (an HTML page from a proxy, say), made printable.
func fallbackMessage(body []byte) string {
	s := strings.TrimSpace(strings.ToValidUTF8(string(body), "\uFFFD"))
	if len(s) <= maxFallbackMessage {
		return s
	}
	cut := maxFallbackMessage
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// redact removes the endpoint's key from text that came from the upstream
// or the transport: some servers echo the credential they rejected.
func (u *upstream) redact(s string) string {
	if u.ep.APIKey == "" {
		return s
	}
	return strings.ReplaceAll(s, u.ep.APIKey, "[REDACTED]")
}
