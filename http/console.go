package http

import (
	"net/http"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/console"
)

// mountConsole serves the admin console under /admin. The console sends
// every change back through this API (in process, with the operator's
// session as credential) and signs in through the same login and
// throttle, so it adds pages, not rules.
func (s *server) mountConsole(mux *http.ServeMux) {
	api := recoverPanics(s.Logger, jsonFallbacks(mux))
	ms, _ := s.Store.(gatehouse.MasterSessionService)
	ov, _ := s.Store.(gatehouse.OverviewService)
	reports, _ := s.Store.(gatehouse.UsageReportService)
	var jobs gatehouse.JobService
	if s.Jobs != nil {
		jobs = s.Jobs
	}
	c := console.New(console.Deps{
		Store:     s.Store,
		Sessions:  ms,
		Jobs:      jobs,
		Overview:  ov,
		Reports:   reports,
		Catalog:   s.Catalog,
		Supported: s.SupportedProvider,
		API:       api,
		Authenticate: func(r *http.Request, token string) (gatehouse.Actor, error) {
			r2 := r.Clone(r.Context())
			r2.Header = http.Header{"Authorization": {"Bearer " + token}}
			return s.authenticateAdmin(r2)
		},
		Throttle:      consoleThrottle{s.logins},
		MasterKeyHash: s.MasterKeyHash,
		Now:           s.Now,
		Logger:        s.Logger,
	})
	mux.Handle("/admin/", c)
	mux.Handle("GET /admin", http.RedirectHandler("/admin/", http.StatusSeeOther))
}

// consoleThrottle lends the API's failed-login throttle to the console's
// master-key sign-in.
type consoleThrottle struct{ l *loginThrottle }

func (t consoleThrottle) Blocked(key, ip string) time.Duration { return t.l.blocked(key, ip) }
func (t consoleThrottle) Failed(key, ip string)                { t.l.fail(key, ip) }
func (t consoleThrottle) Succeeded(key string)                 { t.l.succeed(key) }
