// Package console is the operator's web dashboard, served by the gatehouse
// binary under /admin: server-rendered html/template pages embedded in the
// binary, no build step, every read page usable without JavaScript.
//
// The console implements no management rule of its own. Pages read through
// the domain's service interfaces; every change is sent, in process, to the
// management API's own handler with the signed-in operator's session as
// its credential, so validation, role checks, the audit log and the
// in-memory state refresh are exactly the API's.
package console

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/catalog"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Store is what the console reads; sqlstore.DB implements it.
type Store interface {
	gatehouse.OrganizationService
	gatehouse.TeamService
	gatehouse.AliasService
	gatehouse.AccessGroupService
	gatehouse.CredentialService
	gatehouse.AdminService
	gatehouse.AuditService
	gatehouse.CreditService
	gatehouse.UsageService
}

// Throttle is the API's failed sign-in limiter, shared so the console is
// no softer a target than POST /api/admin-users/login.
type Throttle interface {
	// Blocked reports how long key (an email, or "master") must wait.
	Blocked(key, ip string) time.Duration
	Failed(key, ip string)
	Succeeded(key string)
}

// Deps are the console's collaborators, wired by the http package.
type Deps struct {
	Store Store
	// Sessions stores master-key sessions; nil disables master-key
	// sign-in (admin users can still sign in).
	Sessions gatehouse.MasterSessionService
	Jobs     gatehouse.JobService
	// Overview answers the fleet-wide counts of the overview page; nil
	// shows no counts.
	Overview gatehouse.OverviewService
	// Reports answers usage beyond one team; nil hides organization
	// reports.
	Reports gatehouse.UsageReportService
	// Catalog prices models for the alias pages and feeds the model
	// picker; Supported filters it to providers this build can call.
	Catalog   *catalog.Catalog
	Supported func(provider string) bool
	// API is the management API's handler: every change goes through it.
	API http.Handler
	// Authenticate turns a session token into the acting admin, exactly
	// as the API does for a bearer token.
	Authenticate  func(r *http.Request, token string) (gatehouse.Actor, error)
	Throttle      Throttle
	MasterKeyHash string
	// TrustedProxies are the peers whose X-Forwarded-Proto is believed
	// when deciding whether the session cookie must be Secure; nil trusts
	// loopback only.
	TrustedProxies []netip.Prefix
	Now            func() time.Time
	Logger         *slog.Logger
}

// Server serves the console.
type Server struct {
	Deps
	pages   map[string]*template.Template
	mux     *http.ServeMux
	settled settledCache
}

// sessionTTL matches the API's admin sessions.
const sessionTTL = 12 * time.Hour

const (
	cookieSession = "gh_console"
	cookiePre     = "gh_console_pre" // sign-in form's CSRF token, before any session
	cookieFlash   = "gh_console_flash"
)

// New returns the console handler, to be mounted at /admin/.
func New(d Deps) *Server {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.TrustedProxies == nil {
		d.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	}
	s := &Server{Deps: d, pages: parsePages()}
	s.mux = http.NewServeMux()
	s.routes()
	return s
}

// ServeHTTP adds the security headers every console answer carries.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	if !strings.HasPrefix(r.URL.Path, "/admin/static/") {
		h.Set("Cache-Control", "no-store")
	}
	s.mux.ServeHTTP(w, r)
}

// staticHandler serves the embedded stylesheet and script.
func staticHandler() http.Handler {
	sub, _ := fs.Sub(staticFS, "static")
	fsrv := http.StripPrefix("/admin/static/", http.FileServer(http.FS(sub)))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fsrv.ServeHTTP(w, r)
	})
}

// secure reports whether the browser reached us over TLS, directly or
// through a trusted proxy that says so.
func (s *Server) secure(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	if !strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		return false
	}
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	for _, p := range s.TrustedProxies {
		if p.Contains(ap.Addr().Unmap()) {
			return true
		}
	}
	return false
}

// setCookie sets an HttpOnly, SameSite=Strict cookie scoped to /admin,
// Secure whenever the browser came over TLS.
func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/admin", MaxAge: maxAge,
		HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteStrictMode})
}

// csrfFor derives a session's CSRF token from its secret: nothing to
// store, the same on every replica, useless without the session cookie.
func csrfFor(session string) string {
	m := hmac.New(sha256.New, []byte(session))
	m.Write([]byte("gatehouse console csrf"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func sameToken(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// flash carries one message across a redirect.
func (s *Server) flash(w http.ResponseWriter, r *http.Request, msg string, isErr bool) {
	v := "ok:" + msg
	if isErr {
		v = "err:" + msg
	}
	s.setCookie(w, r, cookieFlash, base64.RawURLEncoding.EncodeToString([]byte(v)), 60)
}

// takeFlash reads and clears the pending message.
func (s *Server) takeFlash(w http.ResponseWriter, r *http.Request) (msg string, isErr bool) {
	c, err := r.Cookie(cookieFlash)
	if err != nil {
		return "", false
	}
	s.setCookie(w, r, cookieFlash, "", -1)
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return "", false
	}
	kind, text, _ := strings.Cut(string(b), ":")
	return text, kind == "err"
}
