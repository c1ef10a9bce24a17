// Package gatehouse holds the domain of a multi-tenant LLM gateway: the
// tenants (organizations, teams, keys), the model catalogue they may use
// (aliases, access groups), the money they spend (jobs, calls, ledger), the
// service interfaces that store and act on them, and the error codes every
// layer speaks.
//
// Subpackages each wrap one dependency: sqlstore (SQL shared by both
// engines), sqlite and postgres (opening and migrating each engine), http
// (the API), provider/* (one upstream wire protocol each) and cmd/gatehouse
// wires them together. This package imports none of them.
package gatehouse

// Version is the release this binary was built from; main sets it from
// build information.
var Version = "dev"
