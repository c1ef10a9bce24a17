package gatehouse

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

var (
	idPattern    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$`)
	aliasPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._:-]{0,127}$`)
)

// ValidID reports whether s may name an organization, team or access group:
// 1–128 letters, digits, '_', '.', ':' or '-', not starting with a symbol.
func ValidID(s string) bool { return idPattern.MatchString(s) }

// ValidAliasName reports whether s may name a model alias: lowercase, as
// clients type it (`gpt-4`, `claude-3-opus`, `fast`).
func ValidAliasName(s string) bool { return aliasPattern.MatchString(s) }

// SplitModel splits LiteLLM's "provider/model" into its parts. The model
// part may itself contain slashes (fireworks_ai/accounts/…).
func SplitModel(s string) (providerName, model string, ok bool) {
	providerName, model, ok = strings.Cut(s, "/")
	if !ok || providerName == "" || model == "" || strings.TrimSpace(s) != s {
		return "", "", false
	}
	return providerName, model, true
}

// Validate checks an organization before it is stored.
func (o *Organization) Validate() error {
	switch {
	case o.ID == "":
		return FieldErrorf("organization_id", "organization_id is required.")
	case !ValidID(o.ID):
		return FieldErrorf("organization_id", "organization_id %s must be 1–128 letters, digits, '_', '.', ':' or '-'.", QuoteInput(o.ID))
	case strings.TrimSpace(o.Name) == "":
		return FieldErrorf("name", "name is required.")
	case len(o.Name) > 256:
		return FieldErrorf("name", "name must be at most 256 characters.")
	}
	return nil
}

// Validate checks a team before it is stored.
func (t *Team) Validate() error {
	switch {
	case t.OrganizationID == "":
		return FieldErrorf("organization_id", "organization_id is required.")
	case t.ID == "":
		return FieldErrorf("team_id", "team_id is required.")
	case !ValidID(t.ID):
		return FieldErrorf("team_id", "team_id %s must be 1–128 letters, digits, '_', '.', ':' or '-'.", QuoteInput(t.ID))
	case len(t.Alias) > 256:
		return FieldErrorf("team_alias", "team_alias must be at most 256 characters.")
	case !ValidBudgetMode(t.BudgetMode):
		return FieldErrorf("budget_mode", "budget_mode %s must be job_based, consumption_usd or consumption_tokens.", QuoteInput(t.BudgetMode))
	case t.CreditsAllocated < 0:
		return FieldErrorf("credits_allocated", "credits_allocated must not be negative.")
	}
	return t.RateLimits.Validate()
}

// Validate checks an access group before it is stored.
func (g *AccessGroup) Validate() error {
	switch {
	case g.Name == "":
		return FieldErrorf("group_name", "group_name is required.")
	case !ValidID(g.Name):
		return FieldErrorf("group_name", "group_name %s must be 1–128 letters, digits, '_', '.', ':' or '-'.", QuoteInput(g.Name))
	}
	return nil
}

// MaxEcho is how many characters of a client's input an error message
// quotes. An error names what was wrong; sending a 10 kB value back whole
// helps nobody and turns every refusal into an amplifier.
const MaxEcho = 100

// TruncateInput cuts s to MaxEcho characters, marking the cut with an
// ellipsis.
func TruncateInput(s string) string { return Truncate(s, MaxEcho) }

// Truncate cuts s to max characters, marking the cut with an ellipsis;
// it never splits a UTF-8 sequence.
func Truncate(s string, max int) string {
	if len(s) <= max || utf8.RuneCountInString(s) <= max {
		return s
	}
	n := 0
	for i := range s {
		if n == max {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// QuoteInput quotes a client's input for an error message (Go syntax,
// like %q), cut to MaxEcho characters: "aaaa…".
func QuoteInput(s string) string { return strconv.Quote(TruncateInput(s)) }
