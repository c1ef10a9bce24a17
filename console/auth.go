package console

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/secret"
)

type actorKey struct{}

// signedIn is the request's operator and session token.
type signedIn struct {
	Actor gatehouse.Actor
	Token string
}

func sessionFrom(ctx context.Context) signedIn {
	s, _ := ctx.Value(actorKey{}).(signedIn)
	return s
}

// need wraps a page with sign-in, the least role it demands and, for
// anything but GET, the CSRF check. A viewer is refused changes here as
// well as by the API the change would reach.
func (s *Server) need(role string, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(cookieSession)
		if err != nil || c.Value == "" {
			http.Redirect(w, r, "/admin/signin", http.StatusSeeOther)
			return
		}
		actor, err := s.Authenticate(r, c.Value)
		if err != nil {
			s.setCookie(w, r, cookieSession, "", -1)
			http.Redirect(w, r, "/admin/signin", http.StatusSeeOther)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if !sameToken(r.PostFormValue("csrf"), csrfFor(c.Value)) {
				s.renderError(w, r, http.StatusForbidden, "The form's security token is missing or stale; reload the page and try again.")
				return
			}
		}
		if gatehouse.RoleRank(actor.Role) < gatehouse.RoleRank(role) {
			s.renderError(w, r, http.StatusForbidden, "Your role ("+actor.Role+") may not do this; it needs "+role+".")
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), actorKey{}, signedIn{Actor: actor, Token: c.Value})))
	})
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// preToken returns the sign-in form's CSRF token (a double-submit cookie:
// there is no session yet to derive one from).
func (s *Server) preToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(cookiePre); err == nil && len(c.Value) > 20 {
		return c.Value
	}
	t := secret.NewToken("")
	s.setCookie(w, r, cookiePre, t, 3600)
	return t
}

func (s *Server) checkPre(r *http.Request) bool {
	c, err := r.Cookie(cookiePre)
	return err == nil && sameToken(r.PostFormValue("csrf"), c.Value)
}

type signinData struct {
	Error     string
	Email     string
	FirstRun  bool
	MasterKey bool
}

func (s *Server) hasUsers(ctx context.Context) bool {
	_, total, err := s.Store.ListAdminUsers(ctx, gatehouse.Page{Limit: 1})
	return err != nil || total > 0
}

func (s *Server) handleSigninForm(w http.ResponseWriter, r *http.Request) {
	s.renderBare(w, r, http.StatusOK, "signin", "Sign in", s.preToken(w, r), signinData{FirstRun: !s.hasUsers(r.Context()), MasterKey: s.Sessions != nil})
}

// handleSignin signs in with an email and password (through the API's own
// login, whose throttle applies) or with the master key (throttled the
// same way, under the key "master").
func (s *Server) handleSignin(w http.ResponseWriter, r *http.Request) {
	pre := s.preToken(w, r)
	fail := func(status int, msg string, email string) {
		s.renderBare(w, r, status, "signin", "Sign in", pre, signinData{Error: msg, Email: email, FirstRun: !s.hasUsers(r.Context()), MasterKey: s.Sessions != nil})
	}
	if !s.checkPre(r) {
		fail(http.StatusForbidden, "The form's security token is missing or stale; try again.", "")
		return
	}
	var token string
	if mk := strings.TrimSpace(r.PostFormValue("master_key")); mk != "" {
		ip := clientIP(r)
		if wait := s.Throttle.Blocked("master", ip); wait > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
			fail(http.StatusTooManyRequests, "Too many failed sign-ins; try again in "+strconv.Itoa(int(wait.Seconds())+1)+" seconds.", "")
			return
		}
		if s.Sessions == nil || s.MasterKeyHash == "" || !secret.EqualHash(secret.HashToken(mk), s.MasterKeyHash) {
			s.Throttle.Failed("master", ip)
			fail(http.StatusUnauthorized, "That is not the master key.", "")
			return
		}
		s.Throttle.Succeeded("master")
		token = secret.NewToken(secret.PrefixMasterSession)
		ctx := gatehouse.WithActor(r.Context(), gatehouse.Actor{Kind: "master", Role: gatehouse.RoleOwner, IP: ip})
		sess := &gatehouse.Session{TokenHash: secret.HashToken(token), ExpiresAt: s.Now().Add(sessionTTL).UTC()}
		if err := s.Sessions.CreateMasterSession(ctx, sess); err != nil {
			fail(http.StatusInternalServerError, "Could not start a session: "+gatehouse.ErrorMessage(err), "")
			return
		}
	} else {
		email := r.PostFormValue("email")
		var out struct {
			AccessToken string `json:"access_token"`
		}
		res := s.dispatch(r, "", http.MethodPost, "/api/admin-users/login", map[string]string{"email": email, "password": r.PostFormValue("password")}, &out)
		if res.err != nil {
			if res.retryAfter != "" {
				w.Header().Set("Retry-After", res.retryAfter)
			}
			fail(res.status, res.err.Error(), email)
			return
		}
		token = out.AccessToken
	}
	s.setCookie(w, r, cookieSession, token, int(sessionTTL.Seconds()))
	http.Redirect(w, r, "/admin/", http.StatusSeeOther)
}

// handleSignout ends the session in the database, so no replica accepts
// it again, and clears the cookie.
func (s *Server) handleSignout(w http.ResponseWriter, r *http.Request) {
	si := sessionFrom(r.Context())
	if strings.HasPrefix(si.Token, secret.PrefixMasterSession) {
		ctx := gatehouse.WithActor(r.Context(), si.Actor)
		if err := s.Sessions.RevokeMasterSession(ctx, secret.HashToken(si.Token)); err != nil {
			s.renderError(w, r, http.StatusInternalServerError, gatehouse.ErrorMessage(err))
			return
		}
	} else if res := s.dispatch(r, si.Token, http.MethodPost, "/api/admin-users/logout", nil, nil); res.err != nil {
		s.renderError(w, r, res.status, res.err.Error())
		return
	}
	s.setCookie(w, r, cookieSession, "", -1)
	http.Redirect(w, r, "/admin/signin", http.StatusSeeOther)
}

// handleSetup lets the master-key holder create the first owner, while
// there is no admin user yet. The user is created by the API with the
// master key as credential.
func (s *Server) handleSetup(w http.ResponseWriter, r *http.Request) {
	pre := s.preToken(w, r)
	if s.hasUsers(r.Context()) {
		http.Redirect(w, r, "/admin/signin", http.StatusSeeOther)
		return
	}
	data := signinData{FirstRun: true, MasterKey: true}
	if r.Method == http.MethodGet {
		s.renderBare(w, r, http.StatusOK, "setup", "First run", pre, data)
		return
	}
	if !s.checkPre(r) {
		data.Error = "The form's security token is missing or stale; try again."
		s.renderBare(w, r, http.StatusForbidden, "setup", "First run", pre, data)
		return
	}
	mk := strings.TrimSpace(r.PostFormValue("master_key"))
	ip := clientIP(r)
	if wait := s.Throttle.Blocked("master", ip); wait > 0 {
		data.Error = "Too many failed attempts; try again later."
		s.renderBare(w, r, http.StatusTooManyRequests, "setup", "First run", pre, data)
		return
	}
	if s.MasterKeyHash == "" || !secret.EqualHash(secret.HashToken(mk), s.MasterKeyHash) {
		s.Throttle.Failed("master", ip)
		data.Error = "That is not the master key."
		s.renderBare(w, r, http.StatusUnauthorized, "setup", "First run", pre, data)
		return
	}
	body := map[string]string{"email": r.PostFormValue("email"), "display_name": r.PostFormValue("display_name"),
		"password": r.PostFormValue("password"), "role": gatehouse.RoleOwner}
	if res := s.dispatch(r, mk, http.MethodPost, "/api/admin-users", body, nil); res.err != nil {
		data.Error, data.Email = res.err.Error(), r.PostFormValue("email")
		s.renderBare(w, r, res.status, "setup", "First run", pre, data)
		return
	}
	s.flash(w, r, "Owner created; sign in with that email and password.", false)
	http.Redirect(w, r, "/admin/signin", http.StatusSeeOther)
}
