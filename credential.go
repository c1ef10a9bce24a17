package gatehouse

import (
	"context"
	"time"
)

// Credential is an operator's account with an LLM provider. Organization
// credentials serve that organization's teams; credentials with an empty
// OrganizationID are operator-wide defaults. The API key itself is only
// ever held encrypted at rest and is never returned: APIKeyLast4 is enough
// to tell keys apart.
type Credential struct {
	ID             string            `json:"credential_id"`
	OrganizationID string            `json:"organization_id"`
	Provider       string            `json:"provider"`
	Name           string            `json:"credential_name"`
	APIKey         string            `json:"-"`
	APIKeyLast4    string            `json:"api_key_last4"`
	APIBase        string            `json:"api_base"`
	Extra          map[string]string `json:"extra"`
	Active         bool              `json:"is_active"`
	CreatedAt      time.Time         `json:"created_at"`
	UpdatedAt      time.Time         `json:"updated_at"`
}

// CredentialFilter narrows ListCredentials. OrganizationID "" with
// DefaultsOnly lists the operator-wide credentials.
type CredentialFilter struct {
	OrganizationID string
	DefaultsOnly   bool
	Provider       string
	Page
}

// CredentialUpdate holds the fields an update may change; nil means keep.
type CredentialUpdate struct {
	Name    *string
	APIKey  *string
	APIBase *string
	Extra   *map[string]string
	Active  *bool
}

// CredentialService manages provider credentials. Implementations encrypt
// APIKey before it reaches storage.
type CredentialService interface {
	CreateCredential(ctx context.Context, c *Credential) error
	// FindCredential returns the credential with its APIKey decrypted, for
	// server-side use (testing it); handlers never serialise APIKey.
	FindCredential(ctx context.Context, id string) (*Credential, error)
	ListCredentials(ctx context.Context, f CredentialFilter) ([]*Credential, int, error)
	UpdateCredential(ctx context.Context, id string, upd CredentialUpdate) (*Credential, error)
	DeleteCredential(ctx context.Context, id string) error
}
