package http

import (
	"net/http"

	"github.com/gatehouse-llm/gatehouse"
)

// route is one entry of the API surface.
type route struct {
	Method  string
	Path    string
	Access  access
	Summary string
	Handler http.Handler
}

// routes is the whole API surface in one place, with the role each route
// requires.
func (s *server) routes() []route {
	st := s.Store
	rs := []route{
		{"GET", "/health", public, "Liveness", handleHealth()},
		{"GET", "/ready", public, "Readiness: database reachable and schema current", handleReady(s.Readiness)},
		{"GET", "/version", public, "Build version", handleVersion(s.Version)},

		{"POST", "/api/model-aliases/create", admin, "Create a model alias", handleAliasCreate(st)},
		{"GET", "/api/model-aliases", viewer, "List model aliases", handleAliasList(st)},
		{"GET", "/api/model-aliases/{alias}", viewer, "Get a model alias with its access groups and usage", handleAliasGet(st)},
		{"PUT", "/api/model-aliases/{alias}", admin, "Update a model alias (partial)", handleAliasUpdate(st)},
		{"POST", "/api/model-aliases/{alias}/disable", admin, "Disable a model alias", handleAliasSetActive(st, false)},
		{"POST", "/api/model-aliases/{alias}/enable", admin, "Enable a model alias", handleAliasSetActive(st, true)},
		{"DELETE", "/api/model-aliases/{alias}", admin, "Delete a model alias (and remove it from every access group)", handleAliasDelete(st)},

		{"POST", "/api/model-access-groups/create", admin, "Create an access group", handleGroupCreate(st)},
		{"GET", "/api/model-access-groups", viewer, "List access groups", handleGroupList(st)},
		{"GET", "/api/model-access-groups/{group}", viewer, "Get an access group", handleGroupGet(st)},
		{"PUT", "/api/model-access-groups/{group}", admin, "Update an access group's description or active flag", handleGroupUpdate(st)},
		{"POST", "/api/model-access-groups/{group}/add-models", admin, "Add aliases to an access group", handleGroupMembers(st, true)},
		{"POST", "/api/model-access-groups/{group}/remove-models", admin, "Remove aliases from an access group", handleGroupMembers(st, false)},
		{"DELETE", "/api/model-access-groups/{group}", admin, "Delete an access group no team uses", handleGroupDelete(st)},

		{"POST", "/api/organizations/create", admin, "Create an organization", handleOrgCreate(st)},
		{"GET", "/api/organizations", viewer, "List organizations", handleOrgList(st)},
		{"GET", "/api/organizations/{id}", viewer, "Get an organization", handleOrgGet(st)},
		{"PUT", "/api/organizations/{id}", admin, "Update an organization", handleOrgUpdate(st)},
		{"POST", "/api/organizations/{id}/suspend", admin, "Suspend an organization (its teams are refused)", handleOrgStatus(st, gatehouse.StatusSuspended)},
		{"POST", "/api/organizations/{id}/activate", admin, "Reactivate an organization", handleOrgStatus(st, gatehouse.StatusActive)},
		{"DELETE", "/api/organizations/{id}", admin, "Delete an organization without teams", handleOrgDelete(st)},
		{"GET", "/api/organizations/{id}/teams", viewer, "List an organization's teams", handleTeamList(st)},

		{"POST", "/api/teams/create", admin, "Create a team and its first virtual key", handleTeamCreate(st)},
		{"GET", "/api/teams", viewer, "List teams", handleTeamList(st)},
		{"GET", "/api/teams/{id}", viewer, "Get a team with its access groups and callable aliases", handleTeamGet(st)},
		{"PUT", "/api/teams/{id}", admin, "Update a team", handleTeamUpdate(st)},
		{"PUT", "/api/teams/{id}/access-groups", admin, "Replace a team's access groups", handleTeamAccessGroups(st)},
		{"POST", "/api/teams/{id}/suspend", admin, "Suspend a team", handleTeamStatus(st, gatehouse.StatusSuspended)},
		{"POST", "/api/teams/{id}/pause", admin, "Pause a team", handleTeamStatus(st, gatehouse.StatusPaused)},
		{"POST", "/api/teams/{id}/resume", admin, "Resume a suspended or paused team", handleTeamStatus(st, gatehouse.StatusActive)},
		{"DELETE", "/api/teams/{id}", admin, "Delete a team and its keys", handleTeamDelete(st)},
		{"POST", "/api/teams/{id}/keys", admin, "Issue another virtual key", handleKeyCreate(st)},
		{"GET", "/api/teams/{id}/keys", viewer, "List a team's keys (never the secrets)", handleKeyList(st)},
		{"POST", "/api/teams/{id}/keys/{key}/rotate", admin, "Rotate a key; the old one works for a grace period", handleKeyRotate(st)},
		{"POST", "/api/teams/{id}/keys/{key}/revoke", admin, "Revoke a key now", handleKeyRevoke(st)},

		{"POST", "/api/provider-credentials/create", admin, "Store a provider credential (encrypted)", handleCredentialCreate(st, s.SupportedProvider)},
		{"GET", "/api/provider-credentials", viewer, "List provider credentials (keys never shown)", handleCredentialList(st)},
		{"GET", "/api/provider-credentials/{id}", viewer, "Get a provider credential (key never shown)", handleCredentialGet(st)},
		{"PUT", "/api/provider-credentials/{id}", admin, "Update a provider credential", handleCredentialUpdate(st)},
		{"DELETE", "/api/provider-credentials/{id}", admin, "Delete a provider credential", handleCredentialDelete(st)},
		{"POST", "/api/provider-credentials/{id}/test", admin, "Check that the provider accepts a credential", handleCredentialTest(st, s.TestCredential)},

		{"POST", "/api/admin-users/login", public, "Log in; returns an expiring session token", handleLogin(s)},
		{"POST", "/api/admin-users/logout", session, "Revoke the current session", handleLogout(st)},
		{"GET", "/api/admin-users/me", viewer, "Who am I", handleMe(st)},
		{"POST", "/api/admin-users/me/change-password", session, "Change my password (revokes my sessions)", handleChangePassword(st)},
		{"GET", "/api/admin-users", owner, "List admin users", handleAdminUserList(st)},
		{"POST", "/api/admin-users", owner, "Create an admin user", handleAdminUserCreate(st)},
		{"PUT", "/api/admin-users/{id}", owner, "Update an admin user", handleAdminUserUpdate(st)},
		{"DELETE", "/api/admin-users/{id}", owner, "Deactivate an admin user", handleAdminUserDelete(st)},
		{"GET", "/api/audit-log", admin, "Read the audit log", handleAuditList(st)},

		{"GET", "/v1/models", teamKey, "List the aliases this key may call (OpenAI format)", handleV1Models(s.State)},
		{"GET", "/v1/models/{model}", teamKey, "Get one alias this key may call (OpenAI format)", handleV1Model(s.State)},
	}
	return rs
}
