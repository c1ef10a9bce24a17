package gateway

import (
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/catalog"
	"github.com/gatehouse-llm/gatehouse/state"
)

func TestResolvePrecedence(t *testing.T) {
	snap := state.NewStatic(&gatehouse.StateData{Credentials: []*gatehouse.Credential{
		{ID: "1", OrganizationID: "o", Provider: "openai", APIKey: "org-key", APIBase: "https://org.example/v1"},
		{ID: "2", Provider: "openai", APIKey: "default-key"},
		{ID: "3", Provider: "anthropic", APIKey: "default-ant"},
	}}).Snapshot()
	env := map[string]string{"OPENAI_API_KEY": "env-openai", "GEMINI_API_KEY": "env-gemini", "GEMINI_BASE_URL": "https://g.example",
		"AWS_ACCESS_KEY_ID": "AKIA", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_REGION": "eu-west-1", "AZURE_API_KEY": "az", "AZURE_API_BASE": "https://az.example", "AZURE_API_VERSION": "2024-10-21"}
	eps := NewEndpoints(func(k string) string { return env[k] }, DefaultTimeouts)
	tests := []struct {
		org, provider, wantKey, wantBase string
		wantErr                          bool
	}{
		{"o", "openai", "org-key", "https://org.example/v1", false},
		{"other", "openai", "default-key", "", false},
		{"o", "anthropic", "default-ant", "", false},
		{"o", "gemini", "env-gemini", "https://g.example", false},
		{"o", "azure", "az", "https://az.example", false},
		{"o", "ollama", "", "", false},
		{"o", "mock", "", "", false},
		{"o", "groq", "", "", true},
	}
	for _, tt := range tests {
		ep, err := eps.Resolve(snap, tt.org, tt.provider)
		if tt.wantErr {
			if gatehouse.ErrorCode(err) != gatehouse.EUNAVAILABLE || !strings.Contains(gatehouse.ErrorMessage(err), tt.provider) || !strings.Contains(gatehouse.ErrorMessage(err), "GROQ_API_KEY") {
				t.Errorf("%s: err = %v, want a clear error naming the provider and its variable", tt.provider, err)
			}
			continue
		}
		if err != nil || ep.APIKey != tt.wantKey || ep.BaseURL != tt.wantBase || ep.Client == nil || ep.Provider != tt.provider {
			t.Errorf("%s/%s: %+v, %v", tt.org, tt.provider, ep, err)
		}
	}
	bed, err := eps.Resolve(snap, "o", "bedrock")
	if err != nil || bed.Extra["aws_access_key_id"] != "AKIA" || bed.Extra["region"] != "eu-west-1" || bed.Extra["aws_secret_access_key"] != "secret" {
		t.Errorf("bedrock from AWS_* variables: %+v %v", bed.Extra, err)
	}
	az, _ := eps.Resolve(snap, "o", "azure")
	if az.Extra["api_version"] != "2024-10-21" {
		t.Errorf("azure api_version: %v", az.Extra)
	}
	// One client per endpoint, shared across calls.
	a, _ := eps.Resolve(snap, "other", "openai")
	b, _ := eps.Resolve(snap, "x", "openai")
	c, _ := eps.Resolve(snap, "o", "openai")
	if a.Client != b.Client || a.Client == c.Client {
		t.Error("clients must be shared per endpoint and distinct across endpoints")
	}
}

// Every provider the catalogue accepts in an alias has an adapter, and
// every adapter's provider is in the catalogue.
func TestRegistryMatchesCatalogue(t *testing.T) {
	reg, cat := DefaultRegistry(), catalog.Default()
	if a, b := reg.Providers(), cat.Providers(); !slices.Equal(a, b) {
		t.Fatalf("adapters %v\ncatalogue %v", a, b)
	}
}
