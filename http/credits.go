package http

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strconv"

	"github.com/gatehouse-llm/gatehouse"
)

// percentBP is a percentage written as a decimal (12.5) and kept in basis
// points (1250), exactly.
type percentBP int64

func (p percentBP) MarshalJSON() ([]byte, error) {
	return []byte(strconv.FormatFloat(float64(p)/100, 'f', -1, 64)), nil
}

// maxMarkupPercent bounds cost_markup_percentage (the store enforces the
// same bound; checking it here names it in the decoding error too).
const maxMarkupPercent = 10_000

// UnmarshalJSON reads a JSON number exactly; a string is refused, as for
// every amount.
func (p *percentBP) UnmarshalJSON(b []byte) error {
	const reason = "must be a number between 0 and 10000 with at most 2 decimal places, such as 12.5"
	if string(b) == "null" {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		return gatehouse.ValueError[percentBP](reason + ", not a string")
	}
	m, err := gatehouse.ParseJSONMicros(b, maxMarkupPercent*gatehouse.MicrosPerUnit)
	if err != nil || m < 0 || m%10_000 != 0 {
		return gatehouse.ValueError[percentBP](reason)
	}
	*p = percentBP(m / 10_000)
	return nil
}

// balanceResponse is a team's money as its owner and admins see it.
type balanceResponse struct {
	TeamID               string            `json:"team_id"`
	OrganizationID       string            `json:"organization_id"`
	Status               string            `json:"status"`
	BudgetMode           string            `json:"budget_mode"`
	CreditsAllocated     gatehouse.Credits `json:"credits_allocated"`
	CreditsBalance       gatehouse.Credits `json:"credits_balance"`
	CreditsHeld          gatehouse.Credits `json:"credits_held"`
	CreditsRemaining     gatehouse.Credits `json:"credits_remaining"`
	CreditsPerDollar     gatehouse.Credits `json:"credits_per_dollar"`
	TokensPerCredit      int64             `json:"tokens_per_credit"`
	CostMarkupPercentage percentBP         `json:"cost_markup_percentage"`
	AutoRefill           autoRefillJSON    `json:"auto_refill"`
}

type autoRefillJSON struct {
	Enabled      bool              `json:"enabled"`
	RefillAmount gatehouse.Credits `json:"refill_amount"`
	RefillPeriod string            `json:"refill_period"`
	LastRefillAt any               `json:"last_refill_at"`
}

func showBalance(t *gatehouse.Team) balanceResponse {
	return balanceResponse{TeamID: t.ID, OrganizationID: t.OrganizationID, Status: t.Status, BudgetMode: t.BudgetMode,
		CreditsAllocated: t.CreditsAllocated, CreditsBalance: t.CreditsBalance, CreditsHeld: t.CreditsHeld, CreditsRemaining: t.CreditsRemaining,
		CreditsPerDollar: t.CreditsPerDollar, TokensPerCredit: t.TokensPerCredit, CostMarkupPercentage: percentBP(t.MarkupBP),
		AutoRefill: autoRefillJSON{Enabled: t.RefillPeriod != "", RefillAmount: t.RefillAmount, RefillPeriod: t.RefillPeriod, LastRefillAt: t.LastRefillAt}}
}

// teamScope checks that a team key asks about its own team; admins may
// ask about any.
func teamScope(r *http.Request) (string, error) {
	id := r.PathValue("team_id")
	if c := callerFrom(r); c != nil && c.Team.ID != id {
		return "", &gatehouse.Error{Code: gatehouse.EFORBIDDEN, Field: "team_id", Message: "This key belongs to team \"" + c.Team.ID + "\", not \"" + id + "\"."}
	}
	return id, nil
}

func handleBalance(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := teamScope(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		t, err := store.FindTeam(r.Context(), id)
		if err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, showBalance(t))
	})
}

func handleTransactions(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := teamScope(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		if _, err := store.FindTeam(r.Context(), id); err != nil {
			writeError(w, r, err)
			return
		}
		p, err := keysetPageFrom(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		entries, total, err := store.ListLedger(r.Context(), id, p)
		if err != nil {
			writeError(w, r, err)
			return
		}
		keysetList(w, "transactions", entries, total, p, ledgerCursor)
	})
}

// grantRequest is the body of add, adjust and replenish.
type grantRequest struct {
	Credits          *gatehouse.Credits `json:"credits"`
	Reason           string             `json:"reason"`
	PaymentType      string             `json:"payment_type"`
	PaymentAmountUSD *usd               `json:"payment_amount_usd"`
}

// handleGrant adds credits (kind allocation), records a payment
// (replenish) or adjusts either way.
func handleGrant(store Store, kind string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := decode[grantRequest](w, r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		if req.Credits == nil {
			writeError(w, r, gatehouse.FieldErrorf("credits", "credits is required."))
			return
		}
		var payment int64
		reason := req.Reason
		if kind == gatehouse.LedgerPayment {
			if req.PaymentType != "subscription" && req.PaymentType != "one_time" {
				writeError(w, r, gatehouse.FieldErrorf("payment_type", "payment_type must be subscription or one_time."))
				return
			}
			if req.PaymentAmountUSD != nil {
				payment = int64(*req.PaymentAmountUSD)
			}
			if reason == "" {
				reason = req.PaymentType + " payment"
			}
		} else if req.PaymentType != "" || req.PaymentAmountUSD != nil {
			writeError(w, r, gatehouse.FieldErrorf("payment_type", "payment fields belong to /replenish."))
			return
		}
		e, err := store.GrantCredits(r.Context(), r.PathValue("team_id"), kind, *req.Credits, reason, payment)
		if err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, map[string]any{"team_id": e.TeamID, "transaction": e, "credits_balance": e.BalanceAfter,
			"credits_remaining": e.BalanceAfter - e.HeldAfter})
	})
}

// refundRequest is the body of /refund.
type refundRequest struct {
	JobID  string `json:"job_id"`
	Reason string `json:"reason"`
}

func handleRefund(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := decode[refundRequest](w, r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		if req.JobID == "" {
			writeError(w, r, gatehouse.FieldErrorf("job_id", "job_id is required."))
			return
		}
		e, err := store.RefundJob(r.Context(), r.PathValue("team_id"), req.JobID, req.Reason)
		if err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, map[string]any{"team_id": e.TeamID, "job_id": req.JobID, "transaction": e})
	})
}

// ratesRequest is the body of conversion-rates, budget-mode and markup.
type ratesRequest struct {
	BudgetMode           *string            `json:"budget_mode"`
	CreditsPerDollar     *gatehouse.Credits `json:"credits_per_dollar"`
	TokensPerCredit      *int64             `json:"tokens_per_credit"`
	CostMarkupPercentage *percentBP         `json:"cost_markup_percentage"`
}

// handleRates changes the fields one route is for; others are refused so
// a request cannot do more than its route says.
func handleRates(store Store, allowed ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, err := readJSON(w, r, maxBodyBytes, reflect.TypeFor[ratesRequest]())
		if err != nil {
			writeError(w, r, err)
			return
		}
		var fields map[string]json.RawMessage
		if len(bytes.TrimSpace(raw)) == 0 {
			writeError(w, r, decodeError(io.EOF))
			return
		}
		if err := json.Unmarshal(raw, &fields); err != nil {
			writeError(w, r, decodeError(err))
			return
		}
		ok := map[string]bool{}
		for _, a := range allowed {
			ok[a] = true
		}
		for k := range fields {
			if !ok[k] {
				writeError(w, r, gatehouse.FieldErrorf(k, "Field %s cannot be set here.", gatehouse.QuoteInput(k)))
				return
			}
		}
		var req ratesRequest
		if err := unmarshalStrict(raw, &req); err != nil {
			writeError(w, r, err)
			return
		}
		rates := gatehouse.TeamRates{BudgetMode: req.BudgetMode, CreditsPerDollar: req.CreditsPerDollar, TokensPerCredit: req.TokensPerCredit}
		if req.CostMarkupPercentage != nil {
			bp := int64(*req.CostMarkupPercentage)
			rates.MarkupBP = &bp
		}
		t, err := store.SetTeamRates(r.Context(), r.PathValue("team_id"), rates)
		if err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, showBalance(t))
	})
}

// refillRequest is the body of /configure-auto-refill.
type refillRequest struct {
	Enabled      bool              `json:"enabled"`
	RefillAmount gatehouse.Credits `json:"refill_amount"`
	RefillPeriod string            `json:"refill_period"`
}

func handleRefill(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := decode[refillRequest](w, r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		period := req.RefillPeriod
		if !req.Enabled {
			period = ""
		} else if period == "" {
			writeError(w, r, gatehouse.FieldErrorf("refill_period", "refill_period is required: daily, weekly or monthly."))
			return
		}
		t, err := store.ConfigureRefill(r.Context(), r.PathValue("team_id"), req.RefillAmount, period)
		if err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, showBalance(t))
	})
}

func handleRatesGet(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, err := store.FindTeam(r.Context(), r.PathValue("team_id"))
		if err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, map[string]any{"team_id": t.ID, "budget_mode": t.BudgetMode, "credits_per_dollar": t.CreditsPerDollar,
			"tokens_per_credit": t.TokensPerCredit, "cost_markup_percentage": percentBP(t.MarkupBP),
			"defaults": map[string]any{"credits_per_dollar": gatehouse.DefaultCreditsPerDollar, "tokens_per_credit": gatehouse.DefaultTokensPerCredit}})
	})
}
