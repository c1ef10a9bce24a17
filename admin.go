package gatehouse

import (
	"context"
	"encoding/json"
	"time"
)

// Admin roles, from most to least powerful. The master key acts as owner.
const (
	RoleOwner  = "owner"  // everything, including managing admin users
	RoleAdmin  = "admin"  // every management change except admin users
	RoleViewer = "viewer" // read-only
)

// RoleRank orders roles so a route can require "at least admin".
func RoleRank(role string) int {
	switch role {
	case RoleOwner:
		return 3
	case RoleAdmin:
		return 2
	case RoleViewer:
		return 1
	}
	return 0
}

// AdminUser is a person allowed into the management API.
type AdminUser struct {
	ID           string     `json:"user_id"`
	Email        string     `json:"email"`
	DisplayName  string     `json:"display_name"`
	Role         string     `json:"role"`
	PasswordHash string     `json:"-"`
	Active       bool       `json:"is_active"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
	LastLoginAt  *time.Time `json:"last_login_at"`
}

// Session is a logged-in admin user's bearer token, stored hashed.
type Session struct {
	TokenHash string
	UserID    string
	CreatedAt time.Time
	ExpiresAt time.Time
	RevokedAt *time.Time
}

// AdminUserUpdate holds the fields an update may change; nil means keep.
type AdminUserUpdate struct {
	DisplayName  *string
	Role         *string
	Active       *bool
	PasswordHash *string
}

// AdminService manages admin users and their sessions.
type AdminService interface {
	CreateAdminUser(ctx context.Context, u *AdminUser) error
	FindAdminUser(ctx context.Context, id string) (*AdminUser, error)
	FindAdminUserByEmail(ctx context.Context, email string) (*AdminUser, error)
	ListAdminUsers(ctx context.Context, p Page) ([]*AdminUser, int, error)
	UpdateAdminUser(ctx context.Context, id string, upd AdminUserUpdate) (*AdminUser, error)
	// DeleteAdminUser deactivates the user and revokes their sessions.
	DeleteAdminUser(ctx context.Context, id string) error

	CreateSession(ctx context.Context, s *Session) error
	// FindSession returns the session with its user, or ENOTFOUND.
	FindSession(ctx context.Context, tokenHash string) (*Session, *AdminUser, error)
	RevokeSession(ctx context.Context, tokenHash string) error
}

// AuditEntry records one management change: who did what to which
// resource, and the resource before and after.
type AuditEntry struct {
	ID           string          `json:"audit_id"`
	Actor        string          `json:"actor"`
	Action       string          `json:"action"`
	ResourceType string          `json:"resource_type"`
	ResourceID   string          `json:"resource_id"`
	Before       json.RawMessage `json:"before"`
	After        json.RawMessage `json:"after"`
	CreatedAt    time.Time       `json:"created_at"`
}

// AuditFilter narrows ListAudit.
type AuditFilter struct {
	Actor        string
	Action       string
	ResourceType string
	ResourceID   string
	Page
}

// AuditService reads the audit log. Entries are written by the services
// themselves, in the transaction of the change they record.
type AuditService interface {
	ListAudit(ctx context.Context, f AuditFilter) ([]*AuditEntry, int, error)
}

// Actor is who performs a management change, as the audit log names them.
type Actor struct {
	Kind   string // "master", "user", "system"
	ID     string // user id for "user"
	Email  string
	Role   string
	IP     string
	Client string
}

// String renders the actor for the audit log.
func (a Actor) String() string {
	switch a.Kind {
	case "user":
		return "user:" + a.Email
	case "":
		return "system"
	}
	return a.Kind
}

type actorKey struct{}

// WithActor returns ctx carrying the acting admin.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the acting admin, or the system actor.
func ActorFrom(ctx context.Context) Actor {
	a, _ := ctx.Value(actorKey{}).(Actor)
	return a
}

// MasterSessionService stores the sessions the admin console opens for
// the master-key holder, so the master key itself never sits in a browser
// cookie and signing out ends the session on every replica.
type MasterSessionService interface {
	CreateMasterSession(ctx context.Context, s *Session) error
	// FindMasterSession returns the session, or ENOTFOUND.
	FindMasterSession(ctx context.Context, tokenHash string) (*Session, error)
	RevokeMasterSession(ctx context.Context, tokenHash string) error
}
