package http

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/secret"
	"github.com/gatehouse-llm/gatehouse/state"
)

// access is what a route demands of its caller.
type access int

const (
	public       access = iota // anyone
	teamKey                    // a team's virtual key
	teamOrViewer               // a team's key (for its own team) or any admin
	session                    // a logged-in admin user (not the master key)
	viewer                     // admin credentials, any role
	admin                      // role admin or owner (or the master key)
	owner                      // role owner (or the master key)
)

// minRole maps an admin access level to the least role that passes.
var minRole = map[access]string{teamOrViewer: gatehouse.RoleViewer, viewer: gatehouse.RoleViewer, session: gatehouse.RoleViewer, admin: gatehouse.RoleAdmin, owner: gatehouse.RoleOwner}

// guard wraps a route's handler with the authentication and role check its
// access level demands. It is the one place management routes are
// protected.
func (s *server) guard(a access, h http.Handler) http.Handler {
	switch a {
	case public:
		return h
	case teamKey:
		return s.requireTeamKey(h)
	case teamOrViewer:
		team, adm := s.requireTeamKey(h), s.guard(viewer, h)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(bearer(r), secret.PrefixVirtualKey) || r.Header.Get("X-Api-Key") != "" {
				team.ServeHTTP(w, r)
				return
			}
			adm.ServeHTTP(w, r)
		})
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		actor, err := s.authenticateAdmin(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		if a == session && actor.Kind != "user" {
			writeError(w, r, gatehouse.Errorf(gatehouse.EFORBIDDEN, "This route needs an admin user's session token, not the master key."))
			return
		}
		if gatehouse.RoleRank(actor.Role) < gatehouse.RoleRank(minRole[a]) {
			writeError(w, r, gatehouse.Errorf(gatehouse.EFORBIDDEN, "Role %s may not do this; it needs %s.", actor.Role, minRole[a]))
			return
		}
		ctx := gatehouse.WithActor(r.Context(), actor)
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			h.ServeHTTP(w, r.WithContext(ctx))
			return
		}
		rec := &statusRecorder{ResponseWriter: w}
		h.ServeHTTP(rec, r.WithContext(ctx))
		if rec.status < 300 && s.State != nil {
			// Read-your-writes on this replica; others poll.
			if err := s.State.Refresh(context.WithoutCancel(r.Context())); err != nil {
				loggerFrom(r).Error("state refresh after change failed", "err", err)
			}
		}
	})
}

// credentialFrom extracts a bearer token or X-Admin-Key.
func credentialFrom(r *http.Request) string {
	if k := r.Header.Get("X-Admin-Key"); k != "" {
		return strings.TrimSpace(k)
	}
	return bearer(r)
}

// bearer returns the token of an "Authorization: Bearer" header.
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// authenticateAdmin identifies the master key or an admin session. Team
// keys are recognised so the answer can say why they are refused.
func (s *server) authenticateAdmin(r *http.Request) (gatehouse.Actor, error) {
	token := credentialFrom(r)
	ip := clientIP(r)
	if token == "" {
		return gatehouse.Actor{}, gatehouse.Errorf(gatehouse.EUNAUTHORIZED,
			"Admin credentials required: send the master key or a session token as `Authorization: Bearer <token>` or `X-Admin-Key: <token>`.")
	}
	hash := secret.HashToken(token)
	if s.MasterKeyHash != "" && secret.EqualHash(hash, s.MasterKeyHash) {
		return gatehouse.Actor{Kind: "master", Role: gatehouse.RoleOwner, IP: ip}, nil
	}
	if strings.HasPrefix(token, secret.PrefixSession) {
		sess, user, err := s.Store.FindSession(r.Context(), hash)
		if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND {
			return gatehouse.Actor{}, gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "Invalid session token.")
		} else if err != nil {
			return gatehouse.Actor{}, err
		}
		if sess.RevokedAt != nil || !s.Now().Before(sess.ExpiresAt) || !user.Active {
			return gatehouse.Actor{}, gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "Session expired or revoked; log in again.")
		}
		return gatehouse.Actor{Kind: "user", ID: user.ID, Email: user.Email, Role: user.Role, IP: ip}, nil
	}
	if ms, ok := s.Store.(gatehouse.MasterSessionService); ok && strings.HasPrefix(token, secret.PrefixMasterSession) {
		// The console's master-key session acts as the master key until
		// it expires or is signed out.
		sess, err := ms.FindMasterSession(r.Context(), hash)
		if err != nil && gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND {
			return gatehouse.Actor{}, err
		}
		if err != nil || sess.RevokedAt != nil || !s.Now().Before(sess.ExpiresAt) {
			return gatehouse.Actor{}, gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "Session expired or revoked; sign in again.")
		}
		return gatehouse.Actor{Kind: "master", Role: gatehouse.RoleOwner, IP: ip}, nil
	}
	if strings.HasPrefix(token, secret.PrefixVirtualKey) && s.State != nil {
		if _, err := s.State.Snapshot().Authenticate(token, s.Now()); err == nil || gatehouse.ErrorCode(err) == gatehouse.EFORBIDDEN {
			return gatehouse.Actor{}, gatehouse.Errorf(gatehouse.EFORBIDDEN, "Team keys cannot use management routes.")
		}
	}
	return gatehouse.Actor{}, gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "Invalid admin credentials.")
}

type callerKey struct{}

// requireTeamKey authenticates a virtual key against the in-memory state:
// no database round trip. The key may come as a bearer token or, as the
// Anthropic SDK sends it, in x-api-key.
func (s *server) requireTeamKey(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := bearer(r)
		if token == "" {
			token = strings.TrimSpace(r.Header.Get("X-Api-Key"))
		}
		now := s.Now()
		c, err := s.State.Snapshot().Authenticate(token, now)
		if err != nil {
			writeError(w, r, err)
			return
		}
		if s.KeyUse != nil {
			s.KeyUse.Used(c.Key.ID, now)
		}
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, c)))
	})
}

// callerFrom returns the authenticated team key of a teamKey route.
func callerFrom(r *http.Request) *state.Caller {
	c, _ := r.Context().Value(callerKey{}).(*state.Caller)
	return c
}

// clientIP is the peer address; proxies' forwarding headers are not
// trusted because nothing here knows which proxies to trust.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// loginThrottle slows password guessing: after maxFailures failed logins
// for one email, or maxIPFailures from one address, within window, further
// attempts are refused until the window has passed. It is per replica;
// bcrypt's cost bounds what a spread-out attacker gains.
type loginThrottle struct {
	now      func() time.Time
	mu       sync.Mutex
	failures map[string][]time.Time
}

const (
	loginWindow      = 15 * time.Minute
	maxEmailFailures = 5
	maxIPFailures    = 20
)

func newLoginThrottle(now func() time.Time) *loginThrottle {
	return &loginThrottle{now: now, failures: map[string][]time.Time{}}
}

// blocked reports how long the caller must wait, or 0.
func (l *loginThrottle) blocked(email, ip string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var wait time.Duration
	for key, limit := range map[string]int{"email:" + email: maxEmailFailures, "ip:" + ip: maxIPFailures} {
		recent := l.prune(key, now)
		if len(recent) >= limit {
			if w := recent[0].Add(loginWindow).Sub(now); w > wait {
				wait = w
			}
		}
	}
	return wait
}

func (l *loginThrottle) fail(email, ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for _, key := range []string{"email:" + email, "ip:" + ip} {
		l.failures[key] = append(l.prune(key, now), now)
	}
}

func (l *loginThrottle) succeed(email string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.failures, "email:"+email)
}

// prune drops failures older than the window; callers hold mu.
func (l *loginThrottle) prune(key string, now time.Time) []time.Time {
	f := l.failures[key]
	i := 0
	for i < len(f) && now.Sub(f[i]) >= loginWindow {
		i++
	}
	f = f[i:]
	if len(f) == 0 {
		delete(l.failures, key)
	} else {
		l.failures[key] = f
	}
	return f
}
