package http

import (
	"net/http"
	"time"

	"github.com/gatehouse-llm/gatehouse"
)

// usageTotalsJSON adds USD amounts to usage totals.
type usageTotalsJSON struct {
	gatehouse.UsageTotals
	CostUSD       usdNum `json:"cost_usd"`
	ClientCostUSD usdNum `json:"client_cost_usd"`
}

type usageGroupJSON struct {
	Key  string `json:"key"`
	Jobs int64  `json:"jobs,omitempty"`
	usageTotalsJSON
}

// teamUsageResponse is GET /api/teams/{team_id}/usage.
type teamUsageResponse struct {
	TeamID        string           `json:"team_id"`
	Since         time.Time        `json:"since"`
	Until         time.Time        `json:"until"`
	Jobs          int64            `json:"jobs"`
	JobsCompleted int64            `json:"jobs_completed"`
	JobsFailed    int64            `json:"jobs_failed"`
	JobsCancelled int64            `json:"jobs_cancelled"`
	Totals        usageTotalsJSON  `json:"totals"`
	ByJobType     []usageGroupJSON `json:"by_job_type"`
	ByModel       []usageGroupJSON `json:"by_model"`
	ByDay         []usageGroupJSON `json:"by_day"`
	// ByDeployment is present with ?by=deployment.
	ByDeployment []deploymentUsageJSON `json:"by_deployment,omitempty"`
}

// deploymentUsageJSON is the usage one deployment served.
type deploymentUsageJSON struct {
	ServedAlias   string `json:"served_by"`
	DeploymentID  string `json:"deployment_id"`
	Provider      string `json:"provider"`
	ProviderModel string `json:"provider_model"`
	CredentialID  string `json:"credential_id"`
	Region        string `json:"region"`
	usageTotalsJSON
}

func totalsJSON(t gatehouse.UsageTotals) usageTotalsJSON {
	return usageTotalsJSON{UsageTotals: t, CostUSD: usdNum(t.CostMicroUSD), ClientCostUSD: usdNum(t.ClientCostMicroUSD)}
}

func groupsJSON(gs []gatehouse.UsageGroup) []usageGroupJSON {
	out := make([]usageGroupJSON, 0, len(gs))
	for _, g := range gs {
		out = append(out, usageGroupJSON{Key: g.Key, Jobs: g.Jobs, usageTotalsJSON: totalsJSON(g.UsageTotals)})
	}
	return out
}

// handleTeamUsage reports a team's usage for ?period=YYYY-MM (default:
// the current month) or ?since=&until= (dates or RFC 3339 times).
func handleTeamUsage(store Store, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := teamScope(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		since, until, err := usageRange(r, now())
		if err != nil {
			writeError(w, r, err)
			return
		}
		u, err := store.TeamUsage(r.Context(), id, since, until)
		if err != nil {
			writeError(w, r, err)
			return
		}
		out := teamUsageResponse{TeamID: u.TeamID, Since: u.Since, Until: u.Until, Jobs: u.Jobs,
			JobsCompleted: u.JobsCompleted, JobsFailed: u.JobsFailed, JobsCancelled: u.JobsCancelled, Totals: totalsJSON(u.Totals),
			ByJobType: groupsJSON(u.ByJobType), ByModel: groupsJSON(u.ByModel), ByDay: groupsJSON(u.ByDay)}
		switch by := r.URL.Query().Get("by"); by {
		case "":
		case "deployment":
			deps, err := store.TeamUsageByDeployment(r.Context(), id, since, until)
			if err != nil {
				writeError(w, r, err)
				return
			}
			out.ByDeployment = make([]deploymentUsageJSON, 0, len(deps))
			for _, d := range deps {
				out.ByDeployment = append(out.ByDeployment, deploymentUsageJSON{ServedAlias: d.ServedAlias, DeploymentID: d.DeploymentID,
					Provider: d.Provider, ProviderModel: d.ProviderModel, CredentialID: d.CredentialID, Region: d.Region, usageTotalsJSON: totalsJSON(d.UsageTotals)})
			}
		default:
			writeError(w, r, gatehouse.FieldErrorf("by", "by must be \"deployment\" (or absent), not %s.", gatehouse.QuoteInput(by)))
			return
		}
		encode(w, http.StatusOK, out)
	})
}

func usageRange(r *http.Request, now time.Time) (time.Time, time.Time, error) {
	q := r.URL.Query()
	if p := q.Get("period"); p != "" {
		start, err := time.Parse("2006-01", p)
		if err != nil {
			return time.Time{}, time.Time{}, gatehouse.FieldErrorf("period", "period must be a month, YYYY-MM.")
		}
		return start, start.AddDate(0, 1, 0), nil
	}
	since, err := timeQuery(r, "since")
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	until, err := timeQuery(r, "until")
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	if since == nil && until == nil {
		start := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
		return start, start.AddDate(0, 1, 0), nil
	}
	s, u := time.Time{}, now.Add(time.Second)
	if since != nil {
		s = *since
	}
	if until != nil {
		u = *until
	}
	if !u.After(s) {
		return time.Time{}, time.Time{}, gatehouse.FieldErrorf("until", "until must be after since.")
	}
	return s, u, nil
}
