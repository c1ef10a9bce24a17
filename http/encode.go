package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/internal/jsonkind"
	"github.com/gatehouse-llm/gatehouse/internal/jsonstrict"
)

// maxBodyBytes bounds management request bodies.
const maxBodyBytes = 1 << 20

// Bounds on how many JSON values (objects, arrays, strings, numbers,
// literals and keys) a body may hold. Decoding allocates per value, so a
// body of millions of tiny values would cost the server tens of times its
// size (a 30 MB chat body of 3 million unknown keys took 1 GB); real
// bodies are a few long strings (prompts, images) and far fewer values.
const (
	maxBodyValues     = 10_000  // management and job bodies
	maxCallBodyValues = 100_000 // LLM calls: long conversations, many tools
)

// encode writes v as JSON with the given status.
func encode(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client went away; nothing useful to do
}

// errorBody is the one error shape every route answers with.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// statusForCode maps application error codes to HTTP statuses.
var statusForCode = map[string]int{
	gatehouse.EINVALID:      http.StatusBadRequest,
	gatehouse.EUNAUTHORIZED: http.StatusUnauthorized,
	gatehouse.EFORBIDDEN:    http.StatusForbidden,
	gatehouse.ENOTFOUND:     http.StatusNotFound,
	gatehouse.ECONFLICT:     http.StatusConflict,
	gatehouse.ECREDITS:      http.StatusPaymentRequired,
	gatehouse.ERATELIMIT:    http.StatusTooManyRequests,
	gatehouse.EUPSTREAM:     http.StatusBadGateway,
	gatehouse.EUNAVAILABLE:  http.StatusServiceUnavailable,
	gatehouse.EINTERNAL:     http.StatusInternalServerError,
	"method_not_allowed":    http.StatusMethodNotAllowed,
}

// ErrorStatus returns the HTTP status for an error's code.
func ErrorStatus(err error) int {
	if s, ok := statusForCode[gatehouse.ErrorCode(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// writeError renders err in the standard shape. Internal errors are logged
// with their detail and shown to the client only as a generic message. A
// client that has gone away gets nothing: its request is logged as 499,
// never as a server error.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	if clientGone(r) {
		return
	}
	defaultRetryAfter(w, err)
	if d := dialectOf(r); d != dialectGatehouse {
		writeSDKError(w, r, d, err)
		return
	}
	code := gatehouse.ErrorCode(err)
	if code == gatehouse.EINTERNAL {
		loggerFrom(r).Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	msg, field := errorText(err)
	encode(w, ErrorStatus(err), errorBody{Error: errorDetail{Code: code, Message: msg, Field: field}})
}

// errorText is the message and field of an error as a client may see
// them: every value quoted from the client's input cut to
// gatehouse.MaxEcho characters, wherever the message was written.
func errorText(err error) (message, field string) {
	var e *gatehouse.Error
	if errors.As(err, &e) {
		field = gatehouse.TruncateInput(e.Field)
	}
	return clipEchoes(gatehouse.ErrorMessage(err)), field
}

// maxMessage bounds a whole error message, whatever it quotes.
const maxMessage = 1000

// clipEchoes shortens what an error message quotes of a client's input.
// Most messages quote with gatehouse.QuoteInput already; this catches the
// rest, written anywhere (a store, a provider adapter, an ingress
// decoder): every Go-quoted value longer than gatehouse.MaxEcho
// characters, every unbroken run of text longer than that (an unquoted
// number or path), and finally the message as a whole.
func clipEchoes(msg string) string {
	if len(msg) <= gatehouse.MaxEcho {
		return msg
	}
	var b strings.Builder
	run := 0 // length of the current run of non-space characters
	for i := 0; i < len(msg); {
		if msg[i] == '"' {
			if q, err := strconv.QuotedPrefix(msg[i:]); err == nil {
				i += len(q)
				if v, err := strconv.Unquote(q); err == nil && utf8.RuneCountInString(v) > gatehouse.MaxEcho {
					q = gatehouse.QuoteInput(v)
				}
				b.WriteString(q)
				run = 0
				continue
			}
		}
		c, size := utf8.DecodeRuneInString(msg[i:])
		i += size
		if unicode.IsSpace(c) {
			run = 0
		} else if run++; run == gatehouse.MaxEcho+1 {
			b.WriteString("…")
		}
		if run <= gatehouse.MaxEcho {
			b.WriteRune(c)
		}
	}
	return gatehouse.Truncate(b.String(), maxMessage)
}

// clientGone reports whether the client closed its request: nobody will
// read an answer, and the request is logged as 499 (client closed
// request) rather than as whatever error its cancellation caused.
func clientGone(r *http.Request) bool {
	if r.Context().Err() == nil {
		return false
	}
	if info, ok := r.Context().Value(requestInfoKey{}).(*requestInfo); ok {
		info.clientClosed = true
	}
	return true
}

// readJSON reads a JSON request body of at most limit bytes and refuses
// what encoding/json would silently accept: a key given twice in one
// object and, where t (the type the body becomes; nil when it is decoded
// piecemeal) says an object is a struct, a field named in the wrong case.
// Every JSON body, management and client alike, comes in through here.
func readJSON(w http.ResponseWriter, r *http.Request, limit int64, t reflect.Type) ([]byte, error) {
	raw, err := readAll(http.MaxBytesReader(w, r.Body, limit), r.ContentLength, limit)
	if err != nil {
		return nil, decodeError(err)
	}
	values := maxBodyValues
	if limit > maxBodyBytes {
		values = maxCallBodyValues
	}
	if p := jsonstrict.CheckLimit(raw, t, values); p != nil {
		if p.TooMany {
			return nil, gatehouse.Errorf(gatehouse.EINVALID, "Request body holds more than %d JSON values (keys, strings, numbers…); send a smaller request.", values)
		}
		return nil, strictError(p)
	}
	return raw, nil
}

// readAll reads a body in one allocation when its length is declared,
// instead of io.ReadAll's doubling (which would hold up to twice the
// body cap for the largest bodies), and refuses a declared length over
// the cap without reading anything.
func readAll(rd io.Reader, declared, limit int64) ([]byte, error) {
	if declared > limit {
		return nil, &http.MaxBytesError{Limit: limit}
	}
	size := declared + 1 // +1: room to see EOF without growing
	if declared <= 0 {
		size = 512
	}
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) > limit {
				return buf, &http.MaxBytesError{Limit: limit}
			}
			// Double, but never past the cap: the buffers of one body sum
			// to at most twice the cap (io.ReadAll's growth reaches 2.3×).
			next := 2 * cap(buf)
			if int64(next) >= limit {
				next = int(limit) + 1
			}
			grown := make([]byte, len(buf), next)
			copy(grown, buf)
			buf = grown
		}
		n, err := rd.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		} else if err != nil {
			return buf, err
		}
	}
}

// strictError explains a key jsonstrict refused.
func strictError(p *jsonstrict.Problem) error {
	if p.Unknown {
		return gatehouse.FieldErrorf(p.Path, "Unknown field %s.", gatehouse.QuoteInput(p.Path))
	}
	if p.Want != "" {
		return gatehouse.FieldErrorf(p.Path, "Unknown field %s: field names are case-sensitive; did you mean %q?", gatehouse.QuoteInput(p.Path), p.Want)
	}
	return gatehouse.FieldErrorf(p.Path, "Field %s appears more than once in the same object; send each field once.", gatehouse.QuoteInput(p.Path))
}

// defaultRetryAfter makes every 429 say when to come back. Refusals that
// know better (rate limits, an upstream's hint) have set Retry-After
// already; one that does not, such as a job refused while the team's
// credits are held by jobs in progress, gets one second.
func defaultRetryAfter(w http.ResponseWriter, err error) {
	if gatehouse.ErrorCode(err) == gatehouse.ERATELIMIT && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", "1")
	}
}

// decode reads a JSON request body into a T. Any Content-Type is accepted
// because the documented curl examples send JSON with `-d` and no header.
// Unknown fields are refused so a typo ("litellm_modle") is reported
// instead of silently ignored, and so are repeated keys and fields named
// in the wrong case (see readJSON).
func decode[T any](w http.ResponseWriter, r *http.Request) (T, error) {
	var v T
	raw, err := readJSON(w, r, maxBodyBytes, reflect.TypeFor[T]())
	if err != nil {
		return v, err
	}
	return v, unmarshalStrict(raw, &v)
}

// decodeOptional is decode for bodies that may be left out entirely: an
// empty body yields T's zero value.
func decodeOptional[T any](w http.ResponseWriter, r *http.Request) (T, error) {
	var v T
	raw, err := readJSON(w, r, maxBodyBytes, reflect.TypeFor[T]())
	if err != nil || len(bytes.TrimSpace(raw)) == 0 {
		return v, err
	}
	return v, unmarshalStrict(raw, &v)
}

// decodeBytes is decode for JSON already in hand: the same checks, then
// the same strict decoding into v (a pointer).
func decodeBytes(raw []byte, v any) error {
	if p := jsonstrict.CheckLimit(raw, reflect.TypeOf(v), maxBodyValues); p != nil {
		return strictError(p)
	}
	return unmarshalStrict(raw, v)
}

// unmarshalStrict decodes exactly one JSON value into v, refusing unknown
// fields and anything after the value.
func unmarshalStrict(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if len(bytes.TrimSpace(raw[dec.InputOffset():])) > 0 {
		return gatehouse.Errorf(gatehouse.EINVALID, "Request body must hold a single JSON value.")
	}
	return nil
}

// decodeError turns encoding/json's errors into messages that name the
// field at fault.
func decodeError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	switch {
	case errors.Is(err, io.EOF):
		return gatehouse.Errorf(gatehouse.EINVALID, "Request body is empty; expected a JSON object.")
	case errors.As(err, &syntax):
		return gatehouse.Errorf(gatehouse.EINVALID, "Request body is not valid JSON (at byte %d).", syntax.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return gatehouse.Errorf(gatehouse.EINVALID, "Request body is truncated JSON.")
	case errors.As(err, &typ):
		if reason, ok := gatehouse.TypeErrorReason(typ); ok {
			if typ.Field == "" {
				return gatehouse.Errorf(gatehouse.EINVALID, "The value %s.", reason)
			}
			return gatehouse.FieldErrorf(typ.Field, "Field %s %s.", gatehouse.QuoteInput(typ.Field), reason)
		}
		if typ.Field == "" {
			return gatehouse.Errorf(gatehouse.EINVALID, "Request body must be a JSON object.")
		}
		return gatehouse.FieldErrorf(typ.Field, "Field %s must be %s.", gatehouse.QuoteInput(typ.Field), jsonkind.Of(typ.Type))
	case errors.As(err, &tooBig):
		return gatehouse.Errorf(gatehouse.EINVALID, "Request body is larger than %d bytes.", tooBig.Limit)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, uerr := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		if uerr != nil {
			name = strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		}
		return gatehouse.FieldErrorf(name, "Unknown field %s.", gatehouse.QuoteInput(name))
	}
	var e *gatehouse.Error
	if errors.As(err, &e) {
		return e
	}
	return gatehouse.Errorf(gatehouse.EINVALID, "Invalid request body: %s", err)
}

// pageFrom reads ?limit= and ?offset=.
func pageFrom(r *http.Request) (gatehouse.Page, error) {
	var p gatehouse.Page
	for name, dst := range map[string]*int{"limit": &p.Limit, "offset": &p.Offset} {
		v := r.URL.Query().Get(name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return p, gatehouse.FieldErrorf(name, "%s must be a non-negative integer.", name)
		}
		*dst = n
	}
	if p.Limit > gatehouse.MaxPageLimit {
		return p, gatehouse.FieldErrorf("limit", "limit must be at most %d.", gatehouse.MaxPageLimit)
	}
	return p.Normalize(), nil
}

// boolQuery reads an optional true/false query parameter.
func boolQuery(r *http.Request, name string) (*bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return nil, gatehouse.FieldErrorf(name, "%s must be true or false.", name)
	}
	return &b, nil
}

// list renders a page of items under key, with the pagination facts a
// client needs to fetch the next page.
func list[T any](w http.ResponseWriter, key string, items []T, total int, p gatehouse.Page) {
	encode(w, http.StatusOK, map[string]any{key: items, "total": total, "limit": p.Limit, "offset": p.Offset})
}
