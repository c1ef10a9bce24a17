package http

import (
	"net/http"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/secret"
)

// sessionTTL is how long an admin login lasts.
const sessionTTL = 12 * time.Hour

func validRole(role string) bool { return gatehouse.RoleRank(role) > 0 }

// loginRequest is the body of handleLogin.
type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

func handleLogin(s *server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := decode[loginRequest](w, r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		email, ip := strings.ToLower(strings.TrimSpace(req.Email)), clientIP(r)
		if wait := s.logins.blocked(email, ip); wait > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
			writeError(w, r, gatehouse.Errorf(gatehouse.ERATELIMIT, "Too many failed logins; try again in %d seconds.", int(wait.Seconds())+1))
			return
		}
		u, err := s.Store.FindAdminUserByEmail(r.Context(), email)
		if err != nil && gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND {
			writeError(w, r, err)
			return
		}
		if u == nil {
			secret.BurnPasswordCheck(req.Password)
		}
		if u == nil || !u.Active || !secret.CheckPassword(u.PasswordHash, req.Password) {
			s.logins.fail(email, ip)
			writeError(w, r, gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "Invalid email or password."))
			return
		}
		s.logins.succeed(email)
		token := secret.NewToken(secret.PrefixSession)
		sess := &gatehouse.Session{TokenHash: secret.HashToken(token), UserID: u.ID, ExpiresAt: s.Now().Add(sessionTTL).UTC()}
		ctx := gatehouse.WithActor(r.Context(), gatehouse.Actor{Kind: "user", ID: u.ID, Email: u.Email, Role: u.Role, IP: ip})
		if err := s.Store.CreateSession(ctx, sess); err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, loginResponse{AccessToken: token, TokenType: "bearer", ExpiresAt: sess.ExpiresAt, User: u})
	})
}

func handleLogout(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := store.RevokeSession(r.Context(), secret.HashToken(credentialFrom(r))); err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, map[string]any{"logged_out": true})
	})
}

func handleMe(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := gatehouse.ActorFrom(r.Context())
		if a.Kind != "user" {
			encode(w, http.StatusOK, map[string]any{"kind": a.Kind, "role": a.Role})
			return
		}
		u, err := store.FindAdminUser(r.Context(), a.ID)
		if err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, u)
	})
}

// adminUserCreateRequest is the body of handleAdminUserCreate.
type adminUserCreateRequest struct {
	Email       string `json:"email"`
	DisplayName string `json:"display_name"`
	Password    string `json:"password"`
	Role        string `json:"role"`
}

func handleAdminUserCreate(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := decode[adminUserCreateRequest](w, r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		if _, err := mail.ParseAddress(req.Email); err != nil || strings.ContainsAny(req.Email, "<> ") {
			writeError(w, r, gatehouse.FieldErrorf("email", "email must be a plain address such as ops@example.com."))
			return
		}
		if !validRole(req.Role) {
			writeError(w, r, gatehouse.FieldErrorf("role", "role must be owner, admin or viewer."))
			return
		}
		hash, err := hashPassword(req.Password)
		if err != nil {
			writeError(w, r, err)
			return
		}
		u := &gatehouse.AdminUser{Email: req.Email, DisplayName: req.DisplayName, Role: req.Role, PasswordHash: hash}
		if err := store.CreateAdminUser(r.Context(), u); err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, http.StatusCreated, u)
	})
}

func hashPassword(pw string) (string, error) {
	if len(pw) < secret.MinPasswordLength || len(pw) > 72 {
		return "", gatehouse.FieldErrorf("password", "password must be %d to 72 characters.", secret.MinPasswordLength)
	}
	return secret.HashPassword(pw)
}

func handleAdminUserList(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := pageFrom(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		users, total, err := store.ListAdminUsers(r.Context(), p)
		if err != nil {
			writeError(w, r, err)
			return
		}
		list(w, "users", users, total, p)
	})
}

// adminUserUpdateRequest is the body of handleAdminUserUpdate.
type adminUserUpdateRequest struct {
	DisplayName *string `json:"display_name"`
	Role        *string `json:"role"`
	IsActive    *bool   `json:"is_active"`
	Password    *string `json:"password"`
}

func handleAdminUserUpdate(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := decode[adminUserUpdateRequest](w, r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		id := r.PathValue("id")
		if a := gatehouse.ActorFrom(r.Context()); a.Kind == "user" && a.ID == id && (req.Role != nil || req.IsActive != nil) {
			writeError(w, r, gatehouse.Errorf(gatehouse.EFORBIDDEN, "You cannot change your own role or deactivate yourself."))
			return
		}
		if req.Role != nil && !validRole(*req.Role) {
			writeError(w, r, gatehouse.FieldErrorf("role", "role must be owner, admin or viewer."))
			return
		}
		upd := gatehouse.AdminUserUpdate{DisplayName: req.DisplayName, Role: req.Role, Active: req.IsActive}
		if req.Password != nil {
			hash, err := hashPassword(*req.Password)
			if err != nil {
				writeError(w, r, err)
				return
			}
			upd.PasswordHash = &hash
		}
		u, err := store.UpdateAdminUser(r.Context(), id, upd)
		if err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, u)
	})
}

func handleAdminUserDelete(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if a := gatehouse.ActorFrom(r.Context()); a.Kind == "user" && a.ID == id {
			writeError(w, r, gatehouse.Errorf(gatehouse.EFORBIDDEN, "You cannot delete yourself."))
			return
		}
		if err := store.DeleteAdminUser(r.Context(), id); err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, map[string]any{"user_id": id, "deleted": true})
	})
}

// changePasswordRequest is the body of handleChangePassword.
type changePasswordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

func handleChangePassword(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := decode[changePasswordRequest](w, r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		a := gatehouse.ActorFrom(r.Context())
		u, err := store.FindAdminUser(r.Context(), a.ID)
		if err != nil {
			writeError(w, r, err)
			return
		}
		if !secret.CheckPassword(u.PasswordHash, req.CurrentPassword) {
			writeError(w, r, gatehouse.FieldErrorf("current_password", "current_password is wrong."))
			return
		}
		hash, err := hashPassword(req.NewPassword)
		if err != nil {
			writeError(w, r, &gatehouse.Error{Code: gatehouse.EINVALID, Field: "new_password", Message: gatehouse.ErrorMessage(err)})
			return
		}
		if _, err := store.UpdateAdminUser(r.Context(), u.ID, gatehouse.AdminUserUpdate{PasswordHash: &hash}); err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, map[string]any{"password_changed": true, "sessions_revoked": true})
	})
}

func handleAuditList(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := keysetPageFrom(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		q := r.URL.Query()
		entries, total, err := store.ListAudit(r.Context(), gatehouse.AuditFilter{Actor: q.Get("actor"), Action: q.Get("action"),
			ResourceType: q.Get("resource_type"), ResourceID: q.Get("resource_id"), Page: p})
		if err != nil {
			writeError(w, r, err)
			return
		}
		keysetList(w, "entries", entries, total, p, auditCursor)
	})
}
