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
	// Body and Response describe the JSON exchanged, for the OpenAPI
	// document; nil when there is none.
	Body     any
	Response *docBody
}

// routes is the whole API surface in one place, with the role each route
// requires.
func (s *server) routes() []route {
	st := s.Store
	rs := []route{
		{"GET", "/health", public, "Liveness", handleHealth(), nil, nil},
		{"GET", "/ready", public, "Readiness: database reachable and schema current", handleReady(s.Readiness), nil, nil},
		{"GET", "/version", public, "Build version", handleVersion(s.Version), nil, nil},
		{"GET", "/openapi.json", public, "This API as an OpenAPI 3.1 document", handleOpenAPI(s), nil, nil},
		{"GET", "/docs", public, "This API as a readable page", handleDocs(s), nil, nil},

		{"POST", "/api/model-aliases/create", admin, "Create a model alias", handleAliasCreate(st), aliasRequest{}, one(aliasJSON{})},
		{"GET", "/api/model-aliases", viewer, "List model aliases", handleAliasList(st), nil, many("aliases", aliasJSON{})},
		{"GET", "/api/model-aliases/{alias}", viewer, "Get a model alias with its access groups and usage", handleAliasGet(st), nil, one(aliasJSON{})},
		{"PUT", "/api/model-aliases/{alias}", admin, "Update a model alias (partial)", handleAliasUpdate(st), aliasRequest{}, one(aliasJSON{})},
		{"POST", "/api/model-aliases/{alias}/disable", admin, "Disable a model alias", handleAliasSetActive(st, false), nil, one(aliasJSON{})},
		{"POST", "/api/model-aliases/{alias}/enable", admin, "Enable a model alias", handleAliasSetActive(st, true), nil, one(aliasJSON{})},
		{"DELETE", "/api/model-aliases/{alias}", admin, "Delete a model alias (and remove it from every access group)", handleAliasDelete(st), nil, nil},

		{"POST", "/api/model-access-groups/create", admin, "Create an access group", handleGroupCreate(st), groupCreateRequest{}, one(groupJSON{})},
		{"GET", "/api/model-access-groups", viewer, "List access groups", handleGroupList(st), nil, many("access_groups", groupJSON{})},
		{"GET", "/api/model-access-groups/{group}", viewer, "Get an access group", handleGroupGet(st), nil, one(groupJSON{})},
		{"PUT", "/api/model-access-groups/{group}", admin, "Update an access group's description or active flag", handleGroupUpdate(st), groupUpdateRequest{}, one(groupJSON{})},
		{"POST", "/api/model-access-groups/{group}/add-models", admin, "Add aliases to an access group", handleGroupMembers(st, true), groupMembersRequest{}, one(groupJSON{})},
		{"POST", "/api/model-access-groups/{group}/remove-models", admin, "Remove aliases from an access group", handleGroupMembers(st, false), groupMembersRequest{}, one(groupJSON{})},
		{"DELETE", "/api/model-access-groups/{group}", admin, "Delete an access group no team uses", handleGroupDelete(st), nil, nil},

		{"POST", "/api/organizations/create", admin, "Create an organization", handleOrgCreate(st), orgCreateRequest{}, one(gatehouse.Organization{})},
		{"GET", "/api/organizations", viewer, "List organizations", handleOrgList(st), nil, pages("organizations", gatehouse.Organization{})},
		{"GET", "/api/organizations/{id}", viewer, "Get an organization", handleOrgGet(st), nil, one(gatehouse.Organization{})},
		{"PUT", "/api/organizations/{id}", admin, "Update an organization", handleOrgUpdate(st), orgUpdateRequest{}, one(gatehouse.Organization{})},
		{"POST", "/api/organizations/{id}/suspend", admin, "Suspend an organization (its teams are refused)", handleOrgStatus(st, gatehouse.StatusSuspended), nil, one(gatehouse.Organization{})},
		{"POST", "/api/organizations/{id}/activate", admin, "Reactivate an organization", handleOrgStatus(st, gatehouse.StatusActive), nil, one(gatehouse.Organization{})},
		{"DELETE", "/api/organizations/{id}", admin, "Delete an organization without teams", handleOrgDelete(st), nil, nil},
		{"GET", "/api/organizations/{id}/teams", viewer, "List an organization's teams", handleTeamList(st), nil, pages("teams", teamJSON{})},

		{"POST", "/api/teams/create", admin, "Create a team and its first virtual key", handleTeamCreate(st), teamCreateRequest{}, one(teamCreateResponse{})},
		{"GET", "/api/teams", viewer, "List teams", handleTeamList(st), nil, pages("teams", teamJSON{})},
		{"GET", "/api/teams/{id}", viewer, "Get a team with its access groups and callable aliases", handleTeamGet(st), nil, one(teamJSON{})},
		{"PUT", "/api/teams/{id}", admin, "Update a team", handleTeamUpdate(st), teamUpdateRequest{}, one(teamJSON{})},
		{"PUT", "/api/teams/{id}/access-groups", admin, "Replace a team's access groups", handleTeamAccessGroups(st), teamAccessGroupsRequest{}, one(teamJSON{})},
		{"POST", "/api/teams/{id}/suspend", admin, "Suspend a team", handleTeamStatus(st, gatehouse.StatusSuspended), nil, one(teamJSON{})},
		{"POST", "/api/teams/{id}/pause", admin, "Pause a team", handleTeamStatus(st, gatehouse.StatusPaused), nil, one(teamJSON{})},
		{"POST", "/api/teams/{id}/resume", admin, "Resume a suspended or paused team", handleTeamStatus(st, gatehouse.StatusActive), nil, one(teamJSON{})},
		{"DELETE", "/api/teams/{id}", admin, "Delete a team and its keys", handleTeamDelete(st), nil, nil},
		{"POST", "/api/teams/{id}/keys", admin, "Issue another virtual key", handleKeyCreate(st), keyCreateRequest{}, one(newKeyJSON{})},
		{"GET", "/api/teams/{id}/keys", viewer, "List a team's keys (never the secrets)", handleKeyList(st), nil, pages("keys", gatehouse.Key{})},
		{"POST", "/api/teams/{id}/keys/{key}/rotate", admin, "Rotate a key; the old one works for a grace period", handleKeyRotate(st), keyRotateRequest{}, one(newKeyJSON{})},
		{"POST", "/api/teams/{id}/keys/{key}/revoke", admin, "Revoke a key now", handleKeyRevoke(st), nil, one(gatehouse.Key{})},

		{"POST", "/api/provider-credentials/create", admin, "Store a provider credential (encrypted)", handleCredentialCreate(st, s.SupportedProvider), credentialRequest{}, one(credentialJSON{})},
		{"GET", "/api/provider-credentials", viewer, "List provider credentials (keys never shown)", handleCredentialList(st), nil, many("credentials", credentialJSON{})},
		{"GET", "/api/provider-credentials/{id}", viewer, "Get a provider credential (key never shown)", handleCredentialGet(st), nil, one(credentialJSON{})},
		{"PUT", "/api/provider-credentials/{id}", admin, "Update a provider credential", handleCredentialUpdate(st), credentialRequest{}, one(credentialJSON{})},
		{"DELETE", "/api/provider-credentials/{id}", admin, "Delete a provider credential", handleCredentialDelete(st), nil, nil},
		{"POST", "/api/provider-credentials/{id}/test", admin, "Check that the provider accepts a credential", handleCredentialTest(st, s.TestCredential), nil, nil},

		{"POST", "/api/webhooks/create", admin, "Register a webhook endpoint (its signing secret is answered this once)", handleWebhookCreate(st), webhookRequest{}, one(webhookSecretJSON{})},
		{"GET", "/api/webhooks", admin, "List webhook endpoints (secrets never shown)", handleWebhookList(st), nil, many("endpoints", gatehouse.WebhookEndpoint{})},
		{"GET", "/api/webhooks/{id}", admin, "Get a webhook endpoint", handleWebhookGet(st), nil, one(gatehouse.WebhookEndpoint{})},
		{"PUT", "/api/webhooks/{id}", admin, "Update a webhook endpoint (partial)", handleWebhookUpdate(st), webhookRequest{}, one(gatehouse.WebhookEndpoint{})},
		{"POST", "/api/webhooks/{id}/rotate-secret", admin, "Replace an endpoint's signing secret (answered this once)", handleWebhookRotate(st), rotateSecretRequest{}, one(webhookSecretJSON{})},
		{"POST", "/api/webhooks/{id}/test", admin, "Queue a signed webhook.test event for this endpoint (see the delivery log for the outcome)", handleWebhookTest(st), nil, one(deliveryJSON{})},
		{"DELETE", "/api/webhooks/{id}", admin, "Delete a webhook endpoint (its pending deliveries are failed)", handleWebhookDelete(st), nil, nil},
		{"GET", "/api/webhook-deliveries", admin, "The delivery log, newest first (?endpoint_id=&status=&event_type=)", handleDeliveryList(st), nil, many("deliveries", gatehouse.WebhookDelivery{})},
		{"GET", "/api/webhook-deliveries/{id}", admin, "One delivery with its attempts", handleDeliveryGet(st), nil, one(deliveryJSON{})},
		{"POST", "/api/webhook-deliveries/{id}/replay", admin, "Send a delivery again (same webhook-id and body)", handleDeliveryReplay(st), nil, one(deliveryJSON{})},

		{"GET", "/api/providers", viewer, "Supported providers and the models the catalogue prices", handleProviders(s.Catalog, s.SupportedProvider, s.Now), nil, one(providersResponse{})},

		{"POST", "/api/admin-users/login", public, "Log in; returns an expiring session token", handleLogin(s), loginRequest{}, one(loginResponse{})},
		{"POST", "/api/admin-users/logout", session, "Revoke the current session", handleLogout(st), nil, nil},
		{"GET", "/api/admin-users/me", viewer, "Who am I", handleMe(st), nil, one(gatehouse.AdminUser{})},
		{"POST", "/api/admin-users/me/change-password", session, "Change my password (revokes my sessions)", handleChangePassword(st), changePasswordRequest{}, nil},
		{"GET", "/api/admin-users", owner, "List admin users", handleAdminUserList(st), nil, many("users", gatehouse.AdminUser{})},
		{"POST", "/api/admin-users", owner, "Create an admin user", handleAdminUserCreate(st), adminUserCreateRequest{}, one(gatehouse.AdminUser{})},
		{"PUT", "/api/admin-users/{id}", owner, "Update an admin user", handleAdminUserUpdate(st), adminUserUpdateRequest{}, one(gatehouse.AdminUser{})},
		{"DELETE", "/api/admin-users/{id}", owner, "Deactivate an admin user", handleAdminUserDelete(st), nil, nil},
		{"GET", "/api/audit-log", admin, "Read the audit log", handleAuditList(st), nil, pages("entries", gatehouse.AuditEntry{})},

		{"POST", "/api/jobs/create", teamKey, "Open a job (job_based teams hold one credit until it ends)", handleJobCreate(s.Jobs), jobRequest{}, one(gatehouse.Job{})},
		{"POST", "/api/jobs/create-and-call", teamKey, "Run a one-call job: create, call, complete", handleCreateAndCall(s, false), callRequestDoc{}, one(callResponse{})},
		{"POST", "/api/jobs/create-and-call-stream", teamKey, "Run a one-call job, streamed (SSE)", handleCreateAndCall(s, true), callRequestDoc{}, nil},
		{"GET", "/api/jobs/{id}", teamOrViewer, "Get a job (a team key: its own team's jobs; admins: any)", handleJobGet(s.Jobs), nil, one(gatehouse.Job{})},
		{"POST", "/api/jobs/{id}/llm-call", teamKey, "Call a model alias inside a job", handleLLMCall(s), callRequestDoc{}, one(callResponse{})},
		{"POST", "/api/jobs/{id}/llm-call-stream", teamKey, "Call a model alias inside a job, streamed (SSE): delta events, a done event with usage and cost, then [DONE]", handleLLMCallStream(s), callRequestDoc{}, nil},
		{"POST", "/api/jobs/{id}/complete", teamKey, "End a job: completed (charged), failed or cancelled (free)", handleJobComplete(s.Jobs), completeRequest{}, one(gatehouse.Job{})},
		{"PATCH", "/api/jobs/{id}/metadata", teamKey, "Merge keys into a job's metadata", handleJobMetadata(s.Jobs), metadataRequest{}, one(gatehouse.Job{})},
		{"GET", "/api/jobs/{id}/costs", teamOrViewer, "A job's costs and calls (a team key: its own team's jobs; admins: any)", handleJobCosts(s.Jobs), nil, onePaged(jobCostsResponse{})},
		{"GET", "/api/teams/{team_id}/jobs", teamOrViewer, "List a team's jobs (its own key, or an admin)", handleTeamJobs(st, s.Jobs), nil, pages("jobs", gatehouse.Job{})},

		{"GET", "/api/teams/{team_id}/usage", teamOrViewer, "A team's usage by month (?period=YYYY-MM) or range (?since=&until=): totals, by job type, by model, by day, and by serving deployment with ?by=deployment", handleTeamUsage(st, s.Now), nil, one(teamUsageResponse{})},
		{"GET", "/api/credits/teams/{team_id}/balance", teamOrViewer, "A team's credits (its own key, or an admin)", handleBalance(st), nil, one(balanceResponse{})},
		{"GET", "/api/credits/teams/{team_id}/transactions", teamOrViewer, "A team's credit ledger, newest first (its own key, or an admin)", handleTransactions(st), nil, pages("transactions", gatehouse.LedgerEntry{})},
		{"POST", "/api/credits/teams/{team_id}/add", admin, "Add credits", handleGrant(st, gatehouse.LedgerAllocation), grantRequest{}, nil},
		{"POST", "/api/credits/teams/{team_id}/replenish", admin, "Record a payment (subscription or one-time) and its credits", handleGrant(st, gatehouse.LedgerPayment), grantRequest{}, nil},
		{"POST", "/api/credits/teams/{team_id}/adjust", admin, "Correct a balance either way, with a reason", handleGrant(st, gatehouse.LedgerAdjustment), grantRequest{}, nil},
		{"POST", "/api/credits/teams/{team_id}/refund", admin, "Refund a completed job's charge (once)", handleRefund(st), refundRequest{}, nil},
		{"GET", "/api/credits/teams/{team_id}/conversion-rates", viewer, "A team's conversion rates and markup", handleRatesGet(st), nil, nil},
		{"PATCH", "/api/credits/teams/{team_id}/conversion-rates", admin, "Set credits_per_dollar and tokens_per_credit", handleRates(st, "credits_per_dollar", "tokens_per_credit"), ratesRequest{}, one(balanceResponse{})},
		{"PATCH", "/api/credits/teams/{team_id}/budget-mode", admin, "Set the budget mode (and its rate); refused while jobs are open", handleRates(st, "budget_mode", "credits_per_dollar", "tokens_per_credit"), ratesRequest{}, one(balanceResponse{})},
		{"PATCH", "/api/credits/teams/{team_id}/markup", admin, "Set the client-cost markup percentage", handleRates(st, "cost_markup_percentage"), ratesRequest{}, one(balanceResponse{})},
		{"POST", "/api/credits/teams/{team_id}/configure-auto-refill", admin, "Configure automatic refills (daily, weekly, monthly)", handleRefill(st), refillRequest{}, one(balanceResponse{})},

		{"POST", "/v1/chat/completions", teamKey, "OpenAI-compatible chat completions (streaming too); X-Gatehouse-Job-Id joins an open job, otherwise the call is its own job", handleV1ChatCompletions(s), callRequestDoc{}, nil},
		{"POST", "/v1/embeddings", teamKey, "OpenAI-compatible embeddings", handleV1Embeddings(s), nil, nil},
		{"POST", "/v1/messages", teamKey, "Anthropic-compatible Messages (streaming too), to whatever provider the alias points at", handleV1Messages(s), nil, nil},
		{"GET", "/v1/models", teamKey, "List the aliases this key may call (OpenAI format)", handleV1Models(s.State), nil, one(modelListResponse{})},
		{"GET", "/v1/models/{model}", teamKey, "Get one alias this key may call (OpenAI format)", handleV1Model(s.State), nil, one(openAIModel{})},
	}
	if s.Metrics != nil {
		rs = append(rs, route{"GET", "/metrics", public, "Prometheus metrics (needs the metrics_token as a bearer token)", s.Metrics, nil, nil})
	}
	if s.Pprof {
		rs = append(rs, route{"GET", "/debug/pprof/", owner, "Go runtime profiles: the index, and …/goroutine, …/heap, …/profile?seconds=N, …/trace?seconds=N (pprof formats; enabled by the pprof configuration key)", handlePprof(), nil, nil})
	}
	return rs
}
