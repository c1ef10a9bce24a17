// Package fakeupstream is the recording HTTP server provider adapter tests
// answer from: each test says how the fake provider replies, and then
// checks what the adapter really sent.
package fakeupstream

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Request is one request as the fake upstream received it.
type Request struct {
	Method   string
	Path     string
	RawQuery string
	// RawURL is the whole request URL, for checks that a secret never
	// travels in it.
	RawURL string
	Header http.Header
	Body   []byte
}

// Server records every request and answers with the test's handler; it
// closes when the test ends.
type Server struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []Request
}

// New starts a fake upstream that answers with reply.
func New(t testing.TB, reply http.HandlerFunc) *Server {
	t.Helper()
	s := &Server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.reqs = append(s.reqs, Request{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery,
			RawURL: r.URL.String(), Header: r.Header.Clone(), Body: body})
		s.mu.Unlock()
		reply(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// Requests returns what the upstream has received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// Only returns the single request received, failing the test when there
// were none or several.
func (s *Server) Only(t testing.TB) Request {
	t.Helper()
	reqs := s.Requests()
	if len(reqs) != 1 {
		t.Fatalf("upstream received %d requests, want 1", len(reqs))
	}
	return reqs[0]
}

// Last returns the most recent request, failing the test when there was
// none.
func (s *Server) Last(t testing.TB) Request {
	t.Helper()
	reqs := s.Requests()
	if len(reqs) == 0 {
		t.Fatal("upstream received no request")
	}
	return reqs[len(reqs)-1]
}
