package http

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse-llm/gatehouse"
)

// credentialJSON never carries the key: only its last four characters.
type credentialJSON struct {
	*gatehouse.Credential
	Scope string `json:"scope"` // "organization" or "operator_default"
}

func showCredential(c *gatehouse.Credential) credentialJSON {
	shown := *c
	shown.APIKey = ""
	shown.Extra = redactedExtras(c.Extra)
	scope := "organization"
	if c.OrganizationID == "" {
		scope = "operator_default"
	}
	return credentialJSON{Credential: &shown, Scope: scope}
}

// secretExtraKeys are provider extras that are secrets.
var secretExtraKeys = map[string]bool{"aws_secret_access_key": true, "aws_session_token": true}

func redactedExtras(extra map[string]string) map[string]string {
	out := make(map[string]string, len(extra))
	for k, v := range extra {
		if secretExtraKeys[k] {
			v = "********"
		}
		out[k] = v
	}
	return out
}

type credentialRequest struct {
	OrganizationID *string            `json:"organization_id"`
	Provider       *string            `json:"provider"`
	CredentialName *string            `json:"credential_name"`
	APIKey         *string            `json:"api_key"`
	APIBase        *string            `json:"api_base"`
	Extra          *map[string]string `json:"extra"`
	IsActive       *bool              `json:"is_active"`
}

func handleCredentialCreate(store Store, supported func(string) bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := decode[credentialRequest](w, r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		c := &gatehouse.Credential{}
		for dst, src := range map[*string]*string{&c.OrganizationID: req.OrganizationID, &c.Provider: req.Provider,
			&c.Name: req.CredentialName, &c.APIKey: req.APIKey, &c.APIBase: req.APIBase} {
			if src != nil {
				*dst = *src
			}
		}
		if req.Extra != nil {
			c.Extra = *req.Extra
		}
		c.Provider = strings.ToLower(strings.TrimSpace(c.Provider))
		if supported != nil && c.Provider != "" && !supported(c.Provider) {
			writeError(w, r, gatehouse.FieldErrorf("provider", "Provider %q is not supported; GET /api/providers lists the supported ones.", c.Provider))
			return
		}
		if err := store.CreateCredential(r.Context(), c); err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, http.StatusCreated, showCredential(c))
	})
}

func handleCredentialList(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := pageFrom(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		q := r.URL.Query()
		f := gatehouse.CredentialFilter{OrganizationID: q.Get("organization_id"), Provider: q.Get("provider"), Page: p}
		switch q.Get("scope") {
		case "":
		case "operator_default":
			f.DefaultsOnly, f.OrganizationID = true, ""
		default:
			writeError(w, r, gatehouse.FieldErrorf("scope", "scope must be operator_default (or omitted)."))
			return
		}
		creds, total, err := store.ListCredentials(r.Context(), f)
		if err != nil {
			writeError(w, r, err)
			return
		}
		out := make([]credentialJSON, 0, len(creds))
		for _, c := range creds {
			out = append(out, showCredential(c))
		}
		list(w, "credentials", out, total, p)
	})
}

func handleCredentialGet(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := store.FindCredential(r.Context(), r.PathValue("id"))
		if err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, showCredential(c))
	})
}

func handleCredentialUpdate(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := decode[credentialRequest](w, r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		if req.OrganizationID != nil || req.Provider != nil {
			writeError(w, r, gatehouse.FieldErrorf("provider", "A credential's organization and provider cannot change; create a new credential instead."))
			return
		}
		c, err := store.UpdateCredential(r.Context(), r.PathValue("id"), gatehouse.CredentialUpdate{
			Name: req.CredentialName, APIKey: req.APIKey, APIBase: req.APIBase, Extra: req.Extra, Active: req.IsActive})
		if err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, showCredential(c))
	})
}

func handleCredentialDelete(store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if err := store.DeleteCredential(r.Context(), id); err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, http.StatusOK, map[string]any{"credential_id": id, "deleted": true})
	})
}

// handleCredentialTest asks the provider whether it accepts the
// credential. The answer says ok or why not, never the key.
func handleCredentialTest(store Store, test CredentialTester) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := store.FindCredential(r.Context(), r.PathValue("id"))
		if err != nil {
			writeError(w, r, err)
			return
		}
		if test == nil {
			writeError(w, r, gatehouse.Errorf(gatehouse.EUNAVAILABLE, "Credential testing is not available in this build."))
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
		defer cancel()
		start := time.Now()
		err = test(ctx, c)
		result := map[string]any{"credential_id": c.ID, "provider": c.Provider, "ok": err == nil,
			"latency_ms": time.Since(start).Milliseconds()}
		if err != nil {
			result["error"] = redactKey(err.Error(), c)
		}
		encode(w, http.StatusOK, result)
	})
}

// redactKey removes the credential's secrets from a message, in case an
// upstream echoed them.
func redactKey(msg string, c *gatehouse.Credential) string {
	for _, s := range []string{c.APIKey, c.Extra["aws_secret_access_key"], c.Extra["aws_session_token"]} {
		if len(s) >= 4 {
			msg = strings.ReplaceAll(msg, s, "[redacted]")
		}
	}
	return msg
}
