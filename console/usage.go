package console

import (
	"encoding/csv"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-llm/gatehouse"
)

type usageData struct {
	TeamID       string
	Since, Until string
	Usage        *gatehouse.TeamUsage
	SpendChart   template.HTML
	CallsChart   template.HTML
	TokensChart  template.HTML
	ErrorRate    string
	CSVQuery     string
}

// usageRange reads the page's team and day range (default: the last 30
// days, today included).
func (s *Server) usageRange(r *http.Request) (team string, since, until time.Time, sinceS, untilS string) {
	q := r.URL.Query()
	team = strings.TrimSpace(q.Get("team"))
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
	return team, since, until, since.Format("2006-01-02"), until.AddDate(0, 0, -1).Format("2006-01-02")
}

func (s *Server) handleUsage(w http.ResponseWriter, r *http.Request) {
	team, since, until, sinceS, untilS := s.usageRange(r)
	d := usageData{TeamID: team, Since: sinceS, Until: untilS}
	if team != "" {
		u, err := s.Store.TeamUsage(r.Context(), team, since, until)
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
		d.CSVQuery = "team=" + team + "&since=" + sinceS + "&until=" + untilS
	}
	s.render(w, r, http.StatusOK, "usage", "Usage", "usage", d)
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
	team, since, until, sinceS, untilS := s.usageRange(r)
	if team == "" {
		s.renderError(w, r, http.StatusBadRequest, "Choose a team to export.")
		return
	}
	u, err := s.Store.TeamUsage(r.Context(), team, since, until)
	if err != nil {
		s.renderError(w, r, errStatus(err), gatehouse.ErrorMessage(err))
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="usage-%s-%s-%s.csv"`, safeFile(team), sinceS, untilS))
	cw := csv.NewWriter(w)
	cw.Write([]string{"group", "key", "jobs", "calls", "failed_calls", "prompt_tokens", "completion_tokens", "total_tokens", "cost_usd", "client_cost_usd", "credits"})
	row := func(kind string, g gatehouse.UsageGroup) {
		cw.Write([]string{kind, csvSafe(g.Key), strconv.FormatInt(g.Jobs, 10), strconv.FormatInt(g.Calls, 10), strconv.FormatInt(g.FailedCalls, 10),
			strconv.FormatInt(g.PromptTokens, 10), strconv.FormatInt(g.CompletionTokens, 10), strconv.FormatInt(g.TotalTokens, 10),
			gatehouse.FormatMicros(g.CostMicroUSD), gatehouse.FormatMicros(g.ClientCostMicroUSD), g.Credits.String()})
	}
	row("total", gatehouse.UsageGroup{Key: team, Jobs: u.Jobs, UsageTotals: u.Totals})
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
