package litellm

import (
	"context"
	"math/big"
	"runtime"
	"strings"
	"testing"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/catalog"
)

// memStore is the import's storage in memory, so fuzzing runs at
// thousands of configs a second.
type memStore struct {
	aliases map[string]*gatehouse.Alias
	creds   []*gatehouse.Credential
}

func (m *memStore) FindAlias(_ context.Context, alias string) (*gatehouse.Alias, error) {
	if a, ok := m.aliases[alias]; ok {
		return a, nil
	}
	return nil, gatehouse.Errorf(gatehouse.ENOTFOUND, "no alias")
}

func (m *memStore) CreateAlias(_ context.Context, a *gatehouse.Alias) error {
	m.aliases[a.Alias] = a
	return nil
}

func (m *memStore) UpdateAlias(_ context.Context, alias string, upd gatehouse.AliasUpdate) (*gatehouse.Alias, error) {
	a, ok := m.aliases[alias]
	if !ok {
		return nil, gatehouse.Errorf(gatehouse.ENOTFOUND, "no alias")
	}
	if upd.Deployments != nil {
		a.Deployments = *upd.Deployments
	}
	if upd.Fallbacks != nil {
		a.Fallbacks = *upd.Fallbacks
	}
	return a, nil
}

func (m *memStore) ListCredentials(_ context.Context, f gatehouse.CredentialFilter) ([]*gatehouse.Credential, int, error) {
	var out []*gatehouse.Credential
	for _, c := range m.creds {
		if c.Provider == f.Provider {
			out = append(out, c)
		}
	}
	return out, len(out), nil
}

func (m *memStore) CreateCredential(_ context.Context, c *gatehouse.Credential) error {
	m.creds = append(m.creds, c)
	return nil
}

// FuzzImport parses and imports arbitrary configs. Properties: no panic;
// the parse allocates in proportion to the file (YAML aliases cannot
// blow it up); every alias created has a valid name and a provider/model;
// a price, when the file gives one, is exactly the file's number, or the
// import fails.
func FuzzImport(f *testing.F) {
	f.Add([]byte(sample))
	f.Add([]byte("model_list:\n  - model_name: x\n    litellm_params:\n      model: mock/echo\n    model_info:\n      input_cost_per_token: 1e-6\n      output_cost_per_token: 2.5e-06\n"))
	f.Add([]byte("model_list:\n  - model_name: big\n    litellm_params: {model: openai/gpt-4o}\n    model_info: {input_cost_per_token: 1e10, output_cost_per_token: 0}\n"))
	f.Add([]byte("a: &a [x, x, x, x]\nb: &b [*a, *a, *a, *a]\nc: &c [*b, *b, *b, *b]\nmodel_list: [*c]\n"))
	f.Add([]byte("model_list:\n  - &m {model_name: a, litellm_params: {model: azure/d, api_key: os.environ/K, api_base: 'https://x', api_version: '1'}}\n  - *m\n"))
	models := catalog.Default()
	f.Fuzz(func(t *testing.T, data []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		cfg, err := Parse(data, "fuzz.yaml", func(string) string { return "value" })
		runtime.ReadMemStats(&after)
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > uint64(1<<20+1024*len(data)) {
			t.Fatalf("parsing %d bytes allocated %d", len(data), alloc)
		}
		if err != nil {
			return
		}
		store := &memStore{aliases: map[string]*gatehouse.Alias{}}
		if _, err := Import(context.Background(), store, models, cfg, Options{}); err != nil {
			return
		}
		for name, a := range store.aliases {
			if !gatehouse.ValidAliasName(name) {
				t.Fatalf("alias %q created", name)
			}
			if len(a.Deployments) == 0 {
				t.Fatalf("alias %q has no deployment", name)
			}
			for _, d := range a.Deployments {
				if _, _, ok := gatehouse.SplitModel(d.LiteLLMModel); !ok {
					t.Fatalf("alias %q → %q, not provider/model", name, d.LiteLLMModel)
				}
				if d.Pricing == nil {
					continue
				}
				// The price is exactly the one some entry of that name wrote.
				exact := false
				for _, m := range cfg.ModelList {
					if strings.ToLower(m.ModelName) != name {
						continue
					}
					for _, src := range []scalars{m.ModelInfo, m.LiteLLMParams} {
						in, okIn := exactPerMillion(src["input_cost_per_token"])
						out, okOut := exactPerMillion(src["output_cost_per_token"])
						if !okIn || !okOut || (in == d.Pricing.InputPerM && out == d.Pricing.OutputPerM) {
							exact = true
						}
					}
				}
				if !exact {
					t.Fatalf("%s: deployment price %+v is no entry's", name, *d.Pricing)
				}
			}
		}
	})
}

// exactPerMillion is the reference conversion of a per-token USD cost to
// micro-USD per 1M tokens, through exact rationals; ok is false for text
// too long to check cheaply.
func exactPerMillion(s string) (int64, bool) {
	if len(s) > 40 {
		return 0, false
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return 0, false
	}
	r.Mul(r, big.NewRat(1_000_000_000_000, 1))
	if !r.IsInt() || !r.Num().IsInt64() {
		return 0, false
	}
	return r.Num().Int64(), true
}
