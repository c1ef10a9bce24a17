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

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/internal/jsonkind"
)

// maxBodyBytes bounds management request bodies.
const maxBodyBytes = 1 << 20

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
// with their detail and shown to the client only as a generic message.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	defaultRetryAfter(w, err)
	if d := dialectOf(r); d != dialectGatehouse {
		writeSDKError(w, r, d, err)
		return
	}
	code := gatehouse.ErrorCode(err)
	if code == gatehouse.EINTERNAL {
		loggerFrom(r).Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	var field string
	var e *gatehouse.Error
	if errors.As(err, &e) {
		field = e.Field
	}
	encode(w, ErrorStatus(err), errorBody{Error: errorDetail{Code: code, Message: gatehouse.ErrorMessage(err), Field: field}})
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
// instead of silently ignored.
func decode[T any](w http.ResponseWriter, r *http.Request) (T, error) {
	var v T
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return v, decodeError(err)
	}
	if dec.More() {
		return v, gatehouse.Errorf(gatehouse.EINVALID, "Request body must hold a single JSON value.")
	}
	return v, nil
}

// readBody reads a management body whole.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		return nil, decodeError(err)
	}
	return raw, nil
}

// decodeOptional is decode for bodies that may be left out entirely: an
// empty body yields T's zero value.
func decodeOptional[T any](w http.ResponseWriter, r *http.Request) (T, error) {
	var zero T
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		return zero, decodeError(err)
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return zero, nil
	}
	r.Body = io.NopCloser(bytes.NewReader(raw))
	return decode[T](w, r)
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
	case errors.As(err, &typ) && typ.Type == reflect.TypeFor[gatehouse.Credits]():
		return gatehouse.FieldErrorf(typ.Field, "Field %q must be a number of credits with at most 6 decimal places.", typ.Field)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return gatehouse.Errorf(gatehouse.EINVALID, "Request body must be a JSON object.")
		}
		return gatehouse.FieldErrorf(typ.Field, "Field %q must be %s.", typ.Field, jsonkind.Of(typ.Type))
	case errors.As(err, &tooBig):
		return gatehouse.Errorf(gatehouse.EINVALID, "Request body is larger than %d bytes.", tooBig.Limit)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return gatehouse.FieldErrorf(name, "Unknown field %q.", name)
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
