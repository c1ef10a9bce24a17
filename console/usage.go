package console

import (
	"encoding/csv"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-llm/gatehouse"
)

// usageView is one report as the page shows it: a team's (with its
// jobs) or an organization's.
type usageView struct {
	Totals                          gatehouse.UsageTotals
	HasJobs                         bool
	Jobs, JobsCompleted, JobsFailed int64
	ByDay, ByModel, ByJobType       []gatehouse.UsageGroup
}

// aliasTotal is an alias's all-time usage, for the fleet view.
type aliasTotal struct {
	Alias, Provider string
	Usage           gatehouse.AliasUsage
}

type usageData struct {
	TeamID, OrgID string
	Since, Until  string
	Usage         *usageView
	SpendChart    template.HTML
	CallsChart    template.HTML
	TokensChart   template.HTML
	ErrorRate     string
	CSVQuery      string
	// Fleet view: every alias's usage since it was created, and the same
	// grouped by the provider each alias points at now.
	Aliases   []aliasTotal
	Providers []aliasTotal
}

// usageRange reads the page's team or organization and day range
// (default: the last 30 days, today included).
func (s *Server) usageRange(r *http.Request) (team, org string, since, until time.Time, sinceS, untilS string) {
	q := r.URL.Query()
	team, org = strings.TrimSpace(q.Get("team")), strings.TrimSpace(q.Get("org"))
	today := s.Now().UTC().Truncate(24 * time.Hour)
	since, until = today.AddDate(0, 0, -29), today.AddDate(0, 0, 1)
	if t := parseDay(q.Get("since")); t != nil {
		since = *t
	}
	if t := parseDay(q.Get("until")); t != nil {
		until = t.AddDate(0, 0, 1)
	}
	if !until.After(since) {
		until = since.AddDate(0, 0, 1)
	}
	return team, org, since, until, since.Format("2006-01-02"), until.AddDate(0, 0, -1).Format("2006-01-02")
}

// report reads the team's or organization's usage.
func (s *Server) report(r *http.Request, team, org string, since, until time.Time) (*usageView, error) {
	if team != "" {
		u, err := s.Store.TeamUsage(r.Context(), team, since, until)
		if err != nil {
			return nil, err
		}
		return &usageView{Totals: u.Totals, HasJobs: true, Jobs: u.Jobs, JobsCompleted: u.JobsCompleted, JobsFailed: u.JobsFailed,
			ByDay: u.ByDay, ByModel: u.ByModel, ByJobType: u.ByJobType}, nil
	}
	if s.Reports == nil {
		return nil, gatehouse.Errorf(gatehouse.EINVALID, "Organization reports are not available from this store.")
	}
	if _, err := s.Store.FindOrganization(r.Context(), org); err != nil {
		return nil, err
	}
	u, err := s.Reports.OrganizationUsage(r.Context(), org, since, until)
	if err != nil {
		return nil, err
	}
	return &usageView{Totals: u.Totals, ByDay: u.ByDay, ByModel: u.ByModel}, nil
}

func (s *Server) handleUsage(w http.ResponseWriter, r *http.Request) {
	team, org, since, until, sinceS, untilS := s.usageRange(r)
	d := usageData{TeamID: team, OrgID: org, Since: sinceS, Until: untilS}
	if team != "" || org != "" {
		u, err := s.report(r, team, org, since, until)
		if err != nil {
			s.renderError(w, r, errStatus(err), gatehouse.ErrorMessage(err))
			return
		}
		d.Usage = u
		days := fillDays(u.ByDay, since, until)
		d.SpendChart = barChart("Spend per day (USD)", days, func(g gatehouse.UsageGroup) (int64, int64) { return g.CostMicroUSD, 0 }, func(v int64) string { return "$" + gatehouse.FormatMicros(v) })
		d.CallsChart = barChart("Calls per day (failed in red)", days, func(g gatehouse.UsageGroup) (int64, int64) { return g.Calls, g.FailedCalls }, groupDigits)
		d.TokensChart = barChart("Tokens per day", days, func(g gatehouse.UsageGroup) (int64, int64) { return g.TotalTokens, 0 }, groupDigits)
		d.ErrorRate = percent(u.Totals.FailedCalls, u.Totals.Calls)
		d.CSVQuery = url.Values{"team": {team}, "org": {org}, "since": {sinceS}, "until": {untilS}}.Encode()
	} else {
		var err error
		if d.Aliases, d.Providers, err = s.fleetAliases(r); err != nil {
			s.renderError(w, r, errStatus(err), gatehouse.ErrorMessage(err))
			return
		}
	}
	s.render(w, r, http.StatusOK, "usage", "Usage", "usage", d)
}

// fleetAliases is every alias's all-time usage (one usage_alias_totals
// row each), most called first, and the same by provider.
func (s *Server) fleetAliases(r *http.Request) ([]aliasTotal, []aliasTotal, error) {
	var out []aliasTotal
	for off := 0; off <= gatehouse.MaxOffset; off += gatehouse.MaxPageLimit {
		aliases, total, err := s.Store.ListAliases(r.Context(), gatehouse.AliasFilter{Page: gatehouse.Page{Limit: gatehouse.MaxPageLimit, Offset: off}})
		if err != nil {
			return nil, nil, err
		}
		names := make([]string, len(aliases))
		for i, a := range aliases {
			names[i] = a.Alias
		}
		usage, err := s.Store.AliasUsage(r.Context(), names)
		if err != nil {
			return nil, nil, err
		}
		for _, a := range aliases {
			prov, _, _ := gatehouse.SplitModel(a.LiteLLMModel)
			out = append(out, aliasTotal{Alias: a.Alias, Provider: prov, Usage: usage[a.Alias]})
		}
		if off+len(aliases) >= total || len(aliases) == 0 {
			break
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Usage.TotalCalls > out[j].Usage.TotalCalls })
	byProv := map[string]*aliasTotal{}
	var provs []*aliasTotal
	for _, a := range out {
		p, ok := byProv[a.Provider]
		if !ok {
			p = &aliasTotal{Provider: a.Provider}
			byProv[a.Provider] = p
			provs = append(provs, p)
		}
		p.Usage.TotalCalls += a.Usage.TotalCalls
		p.Usage.TotalCostMicros += a.Usage.TotalCostMicros
		p.Usage.TotalTokens += a.Usage.TotalTokens
	}
	sorted := make([]aliasTotal, len(provs))
	for i, p := range provs {
		sorted[i] = *p
	}
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Usage.TotalCalls > sorted[j].Usage.TotalCalls })
	return out, sorted, nil
}

// fillDays gives every day of the range a group, zero when it had no
// calls, so the chart's x axis is time.
func fillDays(by []gatehouse.UsageGroup, since, until time.Time) []gatehouse.UsageGroup {
	m := map[string]gatehouse.UsageGroup{}
	for _, g := range by {
		m[g.Key] = g
	}
	var out []gatehouse.UsageGroup
	for d := since; d.Before(until) && len(out) < 400; d = d.AddDate(0, 0, 1) {
		k := d.Format("2006-01-02")
		g, ok := m[k]
		if !ok {
			g = gatehouse.UsageGroup{Key: k}
		}
		out = append(out, g)
	}
	return out
}

// barChart renders a bar per day as inline SVG: no script, no inline
// style (colours come from the stylesheet's classes), and a title per bar
// for its exact value. value returns the bar and its red part.
func barChart(title string, days []gatehouse.UsageGroup, value func(gatehouse.UsageGroup) (int64, int64), label func(int64) string) template.HTML {
	const w, h, left, bottom = 720.0, 180.0, 70.0, 20.0
	var peak int64
	for _, g := range days {
		if v, _ := value(g); v > peak {
			peak = v
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %.0f %.0f" role="img" aria-label="%s">`, w, h, template.HTMLEscapeString(title))
	fmt.Fprintf(&b, `<title>%s</title>`, template.HTMLEscapeString(title))
	fmt.Fprintf(&b, `<line class="axis" x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f"/>`, left, h-bottom, w, h-bottom)
	fmt.Fprintf(&b, `<text x="4" y="14">%s</text><text x="4" y="%.0f">0</text>`, template.HTMLEscapeString(label(peak)), h-bottom)
	if n := len(days); n > 0 {
		bw := (w - left) / float64(n)
		for i, g := range days {
			v, bad := value(g)
			x := left + float64(i)*bw
			bh, rh := 0.0, 0.0
			if peak > 0 {
				bh = float64(v) / float64(peak) * (h - bottom - 20)
				rh = float64(bad) / float64(peak) * (h - bottom - 20)
			}
			fmt.Fprintf(&b, `<rect class="bar" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s: %s</title></rect>`,
				x+1, h-bottom-bh, max(bw-2, 1), bh, g.Key, template.HTMLEscapeString(label(v)))
			if rh > 0 {
				fmt.Fprintf(&b, `<rect class="bar err" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s: %s failed</title></rect>`,
					x+1, h-bottom-rh, max(bw-2, 1), rh, g.Key, template.HTMLEscapeString(label(bad)))
			}
		}
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f">%s</text><text x="%.0f" y="%.0f" text-anchor="end">%s</text>`, left, h-4, days[0].Key, w, h-4, days[n-1].Key)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// handleUsageCSV exports what the usage page shows: the by-day and
// by-model rows of the chosen team and range.
func (s *Server) handleUsageCSV(w http.ResponseWriter, r *http.Request) {
	team, org, since, until, sinceS, untilS := s.usageRange(r)
	if team == "" && org == "" {
		s.renderError(w, r, http.StatusBadRequest, "Choose a team or an organization to export.")
		return
	}
	u, err := s.report(r, team, org, since, until)
	if err != nil {
		s.renderError(w, r, errStatus(err), gatehouse.ErrorMessage(err))
		return
	}
	who := team
	if who == "" {
		who = org
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="usage-%s-%s-%s.csv"`, safeFile(who), sinceS, untilS))
	cw := csv.NewWriter(w)
	cw.Write([]string{"group", "key", "jobs", "calls", "failed_calls", "prompt_tokens", "completion_tokens", "total_tokens", "cost_usd", "client_cost_usd", "credits"})
	row := func(kind string, g gatehouse.UsageGroup) {
		cw.Write([]string{kind, csvSafe(g.Key), strconv.FormatInt(g.Jobs, 10), strconv.FormatInt(g.Calls, 10), strconv.FormatInt(g.FailedCalls, 10),
			strconv.FormatInt(g.PromptTokens, 10), strconv.FormatInt(g.CompletionTokens, 10), strconv.FormatInt(g.TotalTokens, 10),
			gatehouse.FormatMicros(g.CostMicroUSD), gatehouse.FormatMicros(g.ClientCostMicroUSD), g.Credits.String()})
	}
	row("total", gatehouse.UsageGroup{Key: who, Jobs: u.Jobs, UsageTotals: u.Totals})
	for _, g := range u.ByDay {
		row("day", g)
	}
	for _, g := range u.ByModel {
		row("model", g)
	}
	for _, g := range u.ByJobType {
		row("job_type", g)
	}
	cw.Flush()
}

// csvSafe keeps a spreadsheet from reading a cell as a formula.
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

func safeFile(v string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, v)
}
