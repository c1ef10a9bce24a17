package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse/catalog"
	"github.com/gatehouse-llm/gatehouse/gateway"
	ghttp "github.com/gatehouse-llm/gatehouse/http"
	"github.com/gatehouse-llm/gatehouse/provider"
	"github.com/gatehouse-llm/gatehouse/secret"
	"github.com/gatehouse-llm/gatehouse/sqlstore"
	"github.com/gatehouse-llm/gatehouse/sqlstore/storetest"
	"github.com/gatehouse-llm/gatehouse/state"
)

// The seed's "Switching Providers": the operator PUTs a new litellm_model
// for "smart" and the very next call for "smart" goes to the other
// provider, in that provider's wire protocol, with nothing changed on the
// client's side.
func TestSwitchingProvidersReroutesTheNextCall(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		var openaiHits, anthropicHits atomic.Int64
		openaiUp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			openaiHits.Add(1)
			if r.URL.Path != "/chat/completions" || r.Header.Get("Authorization") != "Bearer sk-openai" {
				t.Errorf("openai upstream got %s %s", r.URL.Path, r.Header.Get("Authorization"))
			}
			body, _ := io.ReadAll(r.Body)
			if !strings.Contains(string(body), `"model":"gpt-4"`) {
				t.Errorf("openai body %s", body)
			}
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"id":"c1","object":"chat.completion","created":1,"model":"gpt-4","choices":[{"index":0,"message":{"role":"assistant","content":"from openai"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}`)
		}))
		defer openaiUp.Close()
		anthropicUp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			anthropicHits.Add(1)
			if r.URL.Path != "/v1/messages" || r.Header.Get("X-Api-Key") != "sk-ant" || r.Header.Get("Anthropic-Version") == "" {
				t.Errorf("anthropic upstream got %s key=%q", r.URL.Path, r.Header.Get("X-Api-Key"))
			}
			body, _ := io.ReadAll(r.Body)
			if !strings.Contains(string(body), `"model":"claude-3-opus-20240229"`) {
				t.Errorf("anthropic body %s", body)
			}
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"id":"msg_1","type":"message","role":"assistant","model":"claude-3-opus-20240229","content":[{"type":"text","text":"from claude"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":2}}`)
		}))
		defer anthropicUp.Close()

		master := secret.NewToken(secret.PrefixMasterKey)
		sealer, _ := secret.NewSealer(make([]byte, 32))
		db.Sealer, db.Models = sealer, catalog.Default()
		ctx := context.Background()
		st, err := state.New(ctx, db, nil)
		if err != nil {
			t.Fatal(err)
		}
		api := httptest.NewServer(ghttp.NewServer(ghttp.Deps{Store: db, State: st, Readiness: db, MasterKeyHash: secret.HashToken(master)}))
		defer api.Close()
		admin := func(method, path, body string) map[string]any {
			req, _ := http.NewRequest(method, api.URL+path, strings.NewReader(body))
			req.Header.Set("X-Admin-Key", master)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			if resp.StatusCode >= 300 {
				t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, raw)
			}
			var out map[string]any
			_ = json.Unmarshal(raw, &out)
			return out
		}
		admin("POST", "/api/provider-credentials/create", fmt.Sprintf(`{"provider": "openai", "credential_name": "default", "api_key": "sk-openai", "api_base": %q}`, openaiUp.URL))
		admin("POST", "/api/provider-credentials/create", fmt.Sprintf(`{"provider": "anthropic", "credential_name": "default", "api_key": "sk-ant", "api_base": %q}`, anthropicUp.URL))
		admin("POST", "/api/model-aliases/create", `{"alias": "smart", "litellm_model": "openai/gpt-4", "description": "Smart model for complex tasks"}`)
		admin("POST", "/api/model-access-groups/create", `{"group_name": "g", "model_aliases": ["smart"]}`)
		admin("POST", "/api/organizations/create", `{"organization_id": "o", "name": "O"}`)
		team := admin("POST", "/api/teams/create", `{"organization_id": "o", "team_id": "t", "access_groups": ["g"]}`)
		caller, err := st.Snapshot().Authenticate(team["virtual_key"].(string), time.Now())
		if err != nil {
			t.Fatal(err)
		}

		g := gateway.New(gateway.DefaultRegistry(), gateway.NewEndpoints(nil, gateway.DefaultTimeouts), st, gateway.Options{})
		ask := func() string {
			res, err := g.Chat(ctx, caller, "smart", &provider.ChatRequest{Messages: []provider.Message{{Role: "user", Content: provider.TextContent("hi")}}})
			if err != nil {
				t.Fatal(err)
			}
			return res.Response.Message.Content.Text()
		}
		if got := ask(); got != "from openai" || openaiHits.Load() != 1 || anthropicHits.Load() != 0 {
			t.Fatalf("before the switch: %q (openai %d, anthropic %d)", got, openaiHits.Load(), anthropicHits.Load())
		}
		admin("PUT", "/api/model-aliases/smart", `{
			"litellm_model": "anthropic/claude-3-opus-20240229",
			"description": "Smart model for complex tasks (now using Claude)"
		}`)
		if got := ask(); got != "from claude" || openaiHits.Load() != 1 || anthropicHits.Load() != 1 {
			t.Fatalf("after the switch: %q (openai %d, anthropic %d)", got, openaiHits.Load(), anthropicHits.Load())
		}
	})
}
