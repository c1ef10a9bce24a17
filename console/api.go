package console

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// apiResult is what the API answered an in-process request.
type apiResult struct {
	status     int
	err        error // the API's error message, for the operator
	retryAfter string
}

// recorder captures an in-process API answer.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (rw *recorder) Header() http.Header { return rw.header }
func (rw *recorder) Write(b []byte) (int, error) {
	if rw.status == 0 {
		rw.status = http.StatusOK
	}
	return rw.body.Write(b)
}
func (rw *recorder) WriteHeader(status int) {
	if rw.status == 0 {
		rw.status = status
	}
}

// dispatch sends one request to the management API in process, as the
// operator: token is their session (or, on the first-run page, the master
// key). body is encoded as JSON; a success answer is decoded into out.
// The API decides everything — validation, role, audit, state refresh —
// so the console can never drift from it.
func (s *Server) dispatch(r *http.Request, token, method, path string, body, out any) apiResult {
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return apiResult{status: http.StatusBadRequest, err: fmt.Errorf("A number field holds something that is not a number.")}
		}
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequestWithContext(r.Context(), method, path, rd)
	if err != nil {
		return apiResult{status: http.StatusInternalServerError, err: err}
	}
	req.RemoteAddr = r.RemoteAddr
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := &recorder{header: http.Header{}}
	s.API.ServeHTTP(rec, req)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	if rec.status >= 300 {
		var e struct {
			Error struct {
				Message string `json:"message"`
				Field   string `json:"field"`
			} `json:"error"`
		}
		msg := http.StatusText(rec.status)
		if json.Unmarshal(rec.body.Bytes(), &e) == nil && e.Error.Message != "" {
			msg = e.Error.Message
		}
		return apiResult{status: rec.status, err: errors.New(msg), retryAfter: rec.header.Get("Retry-After")}
	}
	if out != nil {
		if err := json.Unmarshal(rec.body.Bytes(), out); err != nil {
			return apiResult{status: http.StatusInternalServerError, err: fmt.Errorf("unreadable API answer: %v", err)}
		}
	}
	return apiResult{status: rec.status}
}

// act performs a change through the API as the signed-in operator, then
// sends the browser to next, or back to the form's page (Post/Redirect/Get), with a message saying what
// happened.
func (s *Server) act(w http.ResponseWriter, r *http.Request, method, path string, body any, done, next string) {
	res := s.dispatch(r, sessionFrom(r.Context()).Token, method, path, body, nil)
	if res.err != nil {
		s.flash(w, r, res.err.Error(), true)
	} else {
		s.flash(w, r, done, false)
	}
	if next == "" {
		next = safeNext(r, "/admin/")
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// safeNext keeps redirects inside the console.
func safeNext(r *http.Request, fallback string) string {
	n := r.PostFormValue("next")
	if len(n) > 7 && n[:7] == "/admin/" && !bytes.ContainsAny([]byte(n), "\\\r\n") && n[1] != '/' {
		return n
	}
	return fallback
}
