package gatehouse

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// Alias is a friendly model name clients ask for, resolved to a provider
// model ("provider/model", LiteLLM's notation). Switching LiteLLMModel to
// another provider needs no client change.
type Alias struct {
	Alias        string `json:"alias"`
	LiteLLMModel string `json:"litellm_model"`
	Description  string `json:"description"`
	Active       bool   `json:"active"`
	// Pricing overrides the catalogue's price for this alias; nil uses
	// the catalogue.
	Pricing   *Pricing `json:"pricing,omitempty"`
	Fallbacks []string `json:"fallbacks"`
	Metadata  Metadata `json:"metadata"`
	// Deployments are where the alias's calls go (at least one; the first
	// of the lowest tier is LiteLLMModel's). RoutingStrategy picks among
	// them ("" is RouteWeighted); NumRetries, when set, is how many times
	// a failed call is retried (on another deployment first) before the
	// fallbacks, instead of the gateway's default.
	Deployments     []Deployment `json:"deployments"`
	RoutingStrategy string       `json:"routing_strategy"`
	NumRetries      *int         `json:"num_retries"`
	CreatedAt       time.Time    `json:"created_at"`
	UpdatedAt       time.Time    `json:"updated_at"`
}

// Pricing is a price in integer micro-USD per one million tokens, so
// "$2.50 per 1M input tokens" is InputPerM 2_500_000. Floats never hold
// money in Gatehouse.
type Pricing struct {
	InputPerM  int64 `json:"-"`
	OutputPerM int64 `json:"-"`
}

// MarshalJSON writes the price as the API does, USD per 1M tokens in
// exact decimal strings, so the audit log records what it was.
func (p Pricing) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{"input_per_million": FormatMicros(p.InputPerM), "output_per_million": FormatMicros(p.OutputPerM)})
}

// AccessGroup is a named set of aliases granted to teams together
// ("starter-models", "premium-models").
type AccessGroup struct {
	Name         string    `json:"group_name"`
	Description  string    `json:"description"`
	Active       bool      `json:"active"`
	ModelAliases []string  `json:"model_aliases"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// AliasFilter narrows ListAliases.
type AliasFilter struct {
	Provider string
	Active   *bool
	// Search keeps aliases whose name or provider model contains it.
	Search string
	Page
}

// AliasUpdate holds the fields an update may change; nil means keep.
type AliasUpdate struct {
	LiteLLMModel *string
	Description  *string
	Active       *bool
	Pricing      **Pricing // non-nil pointer to nil clears the override
	Fallbacks    *[]string
	Metadata     *Metadata
	// Deployments replaces the whole list. LiteLLMModel alone changes the
	// model of an alias's only deployment (an alias with several must be
	// given its deployments).
	Deployments     *[]Deployment
	RoutingStrategy *string
	NumRetries      **int // non-nil pointer to nil restores the default
}

// AliasUsage summarises the calls made through an alias.
type AliasUsage struct {
	TotalCalls       int64 `json:"total_calls"`
	TotalCostMicros  int64 `json:"-"`
	TotalTokens      int64 `json:"-"`
	AvgTokensPerCall int64 `json:"avg_tokens_per_call"`
}

// AliasService manages aliases.
type AliasService interface {
	CreateAlias(ctx context.Context, a *Alias) error
	FindAlias(ctx context.Context, alias string) (*Alias, error)
	ListAliases(ctx context.Context, f AliasFilter) ([]*Alias, int, error)
	UpdateAlias(ctx context.Context, alias string, upd AliasUpdate) (*Alias, error)
	// DeleteAlias removes the alias from every access group too.
	DeleteAlias(ctx context.Context, alias string) error
	// AliasGroups lists the access groups containing the alias and the
	// number of teams granted it through them, counted up to CountCap+1.
	AliasGroups(ctx context.Context, alias string) (groups []string, teams int, err error)
}

// AccessGroupFilter narrows ListAccessGroups.
type AccessGroupFilter struct {
	Active *bool
	Page
}

// AccessGroupService manages access groups.
type AccessGroupService interface {
	CreateAccessGroup(ctx context.Context, g *AccessGroup) error
	FindAccessGroup(ctx context.Context, name string) (*AccessGroup, error)
	ListAccessGroups(ctx context.Context, f AccessGroupFilter) ([]*AccessGroup, int, error)
	UpdateAccessGroup(ctx context.Context, name string, description *string, active *bool) (*AccessGroup, error)
	AddGroupAliases(ctx context.Context, name string, aliases []string) (*AccessGroup, error)
	RemoveGroupAliases(ctx context.Context, name string, aliases []string) (*AccessGroup, error)
	// DeleteAccessGroup fails with ECONFLICT, naming them, while teams use
	// the group.
	DeleteAccessGroup(ctx context.Context, name string) error
	// GroupTeams lists the first limit teams granted the group, by id,
	// and how many there are (counted up to CountCap+1): a group can
	// serve a whole fleet, so it never lists them all.
	GroupTeams(ctx context.Context, name string, limit int) (teams []string, total int, err error)
}

// ModelChecker validates the provider model behind an alias: that its
// provider is supported and, for an active alias, that a price is known
// (from the catalogue or the alias's own pricing), so no call is ever
// silently priced at $0.
type ModelChecker interface {
	CheckModel(litellmModel string, pricing *Pricing, active bool) error
}

// Validate checks an alias's own fields; the model behind it is checked by
// a ModelChecker.
func (a *Alias) Validate() error {
	switch {
	case a.Alias == "":
		return FieldErrorf("alias", "alias is required.")
	case !ValidAliasName(a.Alias):
		return FieldErrorf("alias", "alias %q must be lowercase letters, digits, '.', '_', ':' or '-' (at most 128), starting with a letter or digit.", a.Alias)
	case a.LiteLLMModel == "" && len(a.Deployments) == 0:
		return FieldErrorf("litellm_model", "litellm_model is required, in provider/model form (e.g. openai/gpt-4).")
	case len(a.Description) > 1024:
		return FieldErrorf("description", "description must be at most 1024 characters.")
	case a.RoutingStrategy != "" && !slices.Contains(RoutingStrategies, a.RoutingStrategy):
		return FieldErrorf("routing_strategy", "routing_strategy %s must be one of %s.", QuoteInput(a.RoutingStrategy), strings.Join(RoutingStrategies, ", "))
	case a.NumRetries != nil && (*a.NumRetries < 0 || *a.NumRetries > 10):
		return FieldErrorf("num_retries", "num_retries must be between 0 and 10.")
	}
	if len(a.Deployments) == 0 {
		if _, _, ok := SplitModel(a.LiteLLMModel); !ok {
			return FieldErrorf("litellm_model", "litellm_model %q must be in provider/model form (e.g. openai/gpt-4).", a.LiteLLMModel)
		}
	}
	if err := a.normalizeDeployments(); err != nil {
		return err
	}
	if a.Pricing != nil && (a.Pricing.InputPerM < 0 || a.Pricing.OutputPerM < 0) {
		return FieldErrorf("pricing", "pricing must not be negative.")
	}
	for _, f := range a.Fallbacks {
		if f == a.Alias {
			return FieldErrorf("fallbacks", "An alias cannot be its own fallback.")
		}
	}
	return nil
}
