package http

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse-llm/gatehouse/sqlstore"
	"github.com/gatehouse-llm/gatehouse/sqlstore/storetest"
)

// No secret is ever stored in clear: not team keys, not provider keys or
// AWS secrets, not passwords, not the master key. The test reads every
// column of every table as text.
func TestNoSecretStoredInClear(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		h := newHarness(t, db)
		h.admin("POST", "/api/model-aliases/create", `{"alias": "fast", "litellm_model": "openai/gpt-3.5-turbo"}`, http.StatusCreated)
		h.admin("POST", "/api/model-access-groups/create", `{"group_name": "g", "model_aliases": ["fast"]}`, http.StatusCreated)
		h.admin("POST", "/api/organizations/create", `{"organization_id": "o", "name": "O"}`, http.StatusCreated)
		team := h.admin("POST", "/api/teams/create", `{"organization_id": "o", "team_id": "t", "access_groups": ["g"]}`, http.StatusCreated)
		key2 := h.admin("POST", "/api/teams/t/keys", `{"name": "second"}`, http.StatusCreated)
		const providerKey = "sk-proj-SuperSecretProviderKey0123456789"
		const awsSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
		cred := h.admin("POST", "/api/provider-credentials/create", `{"organization_id": "o", "provider": "openai", "credential_name": "main", "api_key": "`+providerKey+`"}`, http.StatusCreated)
		h.admin("POST", "/api/provider-credentials/create", `{"provider": "bedrock", "credential_name": "aws", "api_key": "", "extra": {"region": "us-east-1", "aws_access_key_id": "AKIAEXAMPLE", "aws_secret_access_key": "`+awsSecret+`"}}`, http.StatusCreated)
		const webhookSecret = "whsec_c2lnbmluZy1zZWNyZXQtZm9yLXRoZS1zdG9yYWdlLXRlc3Q="
		hook := h.admin("POST", "/api/webhooks/create", `{"url": "https://example.com/hook", "event_types": ["*"], "secret": "`+webhookSecret+`"}`, http.StatusCreated)
		const password = "a very secret admin password"
		h.admin("POST", "/api/admin-users", `{"email": "ops@example.com", "password": "`+password+`", "role": "admin"}`, http.StatusCreated)
		login := h.do("POST", "/api/admin-users/login", "", `{"email": "ops@example.com", "password": "`+password+`"}`)
		if login.Status != 200 {
			t.Fatalf("login: %s", login.Raw)
		}
		session := login.Body["access_token"].(string)

		secrets := map[string]string{
			"team key":        team["virtual_key"].(string),
			"second team key": key2["virtual_key"].(string),
			"provider key":    providerKey,
			"aws secret":      awsSecret,
			"password":        password,
			"session token":   session,
			"master key":      h.Master,
			"webhook secret":  webhookSecret,
		}
		// Responses never carry a provider secret either.
		for _, path := range []string{"/api/provider-credentials", "/api/provider-credentials/" + cred["credential_id"].(string), "/api/audit-log?limit=500",
			"/api/webhooks", "/api/webhooks/" + hook["endpoint_id"].(string)} {
			raw := h.do("GET", path, h.Master, "").Raw
			for _, s := range []string{providerKey, awsSecret, password, webhookSecret} {
				if strings.Contains(raw, s) {
					t.Errorf("GET %s returns a secret", path)
				}
			}
		}
		if cred["api_key_last4"] != "6789" {
			t.Errorf("api_key_last4 = %v", cred["api_key_last4"])
		}

		dump := dumpDatabase(t, db)
		if !strings.Contains(dump, "ops@example.com") || !strings.Contains(dump, "AKIAEXAMPLE") {
			t.Fatal("the dump does not cover the tables it should; the test would prove nothing")
		}
		for name, s := range secrets {
			if strings.Contains(dump, s) {
				t.Errorf("%s is stored in clear", name)
			}
		}
	})
}

// dumpDatabase renders every row of every table as text.
func dumpDatabase(t *testing.T, db *sqlstore.DB) string {
	t.Helper()
	q := `SELECT name FROM sqlite_master WHERE type = 'table'`
	if db.Dialect() == sqlstore.Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`
	}
	rows, err := db.SQL().Query(q)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		_ = rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	var b strings.Builder
	for _, table := range tables {
		rows, err := db.SQL().Query(`SELECT * FROM ` + table)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				switch v := v.(type) {
				case []byte:
					b.Write(v)
				case string:
					b.WriteString(v)
				}
				b.WriteByte('|')
			}
			b.WriteByte('\n')
		}
		rows.Close()
	}
	return b.String()
}
