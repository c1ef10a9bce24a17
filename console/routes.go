package console

import (
	"net/http"

	"github.com/gatehouse-llm/gatehouse"
)

// routes lists every console page and action with the least role it
// needs. GET pages read; POST actions change something through the API.
func (s *Server) routes() {
	const v, a, o = gatehouse.RoleViewer, gatehouse.RoleAdmin, gatehouse.RoleOwner
	m := s.mux
	m.Handle("GET /admin/static/", staticHandler())
	m.HandleFunc("GET /admin/signin", s.handleSigninForm)
	m.HandleFunc("POST /admin/signin", s.handleSignin)
	m.HandleFunc("GET /admin/setup", s.handleSetup)
	m.HandleFunc("POST /admin/setup", s.handleSetup)
	m.Handle("POST /admin/signout", s.need(v, s.handleSignout))

	m.Handle("GET /admin/{$}", s.need(v, s.handleOverview))

	m.Handle("GET /admin/aliases", s.need(v, s.handleAliases))
	m.Handle("GET /admin/aliases/new", s.need(a, s.handleAliasNew))
	m.Handle("POST /admin/aliases", s.need(a, s.handleAliasCreate))
	m.Handle("GET /admin/aliases/{alias}", s.need(v, s.handleAlias))
	m.Handle("POST /admin/aliases/{alias}", s.need(a, s.handleAliasUpdate))
	m.Handle("POST /admin/aliases/{alias}/{action}", s.need(a, s.handleAliasAction))
	m.Handle("GET /admin/aliases/{alias}/delete", s.need(a, s.handleAliasDeleteConfirm))

	m.Handle("GET /admin/groups", s.need(v, s.handleGroups))
	m.Handle("POST /admin/groups", s.need(a, s.handleGroupCreate))
	m.Handle("GET /admin/groups/{group}", s.need(v, s.handleGroup))
	m.Handle("POST /admin/groups/{group}/{action}", s.need(a, s.handleGroupAction))

	m.Handle("GET /admin/orgs", s.need(v, s.handleOrgs))
	m.Handle("POST /admin/orgs", s.need(a, s.handleOrgCreate))
	m.Handle("GET /admin/orgs/{id}", s.need(v, s.handleOrg))
	m.Handle("POST /admin/orgs/{id}/{action}", s.need(a, s.handleOrgAction))

	m.Handle("GET /admin/teams", s.need(v, s.handleTeams))
	m.Handle("POST /admin/teams", s.need(a, s.handleTeamCreate))
	m.Handle("GET /admin/teams/{id}", s.need(v, s.handleTeam))
	m.Handle("POST /admin/teams/{id}/{action}", s.need(a, s.handleTeamAction))
	m.Handle("POST /admin/teams/{id}/keys/{key}/{action}", s.need(a, s.handleKeyAction))
	m.Handle("GET /admin/teams/{id}/jobs", s.need(v, s.handleJobs))
	m.Handle("GET /admin/teams/{id}/jobs/{job}", s.need(v, s.handleJob))

	m.Handle("GET /admin/usage", s.need(v, s.handleUsage))
	m.Handle("GET /admin/usage.csv", s.need(v, s.handleUsageCSV))

	m.Handle("GET /admin/credentials", s.need(v, s.handleCredentials))
	m.Handle("POST /admin/credentials", s.need(a, s.handleCredentialCreate))
	m.Handle("POST /admin/credentials/{id}/{action}", s.need(a, s.handleCredentialAction))

	m.Handle("GET /admin/audit", s.need(a, s.handleAudit))

	m.Handle("GET /admin/users", s.need(o, s.handleUsers))
	m.Handle("POST /admin/users", s.need(o, s.handleUserCreate))
	m.Handle("POST /admin/users/{id}/{action}", s.need(o, s.handleUserAction))

	m.Handle("/admin/", s.need(v, func(w http.ResponseWriter, r *http.Request) {
		s.renderError(w, r, http.StatusNotFound, "There is no console page at "+r.URL.Path+".")
	}))
}
