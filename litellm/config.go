// Package litellm imports a LiteLLM proxy configuration (litellm_config.yaml)
// so an operator moving from LiteLLM keeps their model list: each
// model_list entry becomes a Gatehouse alias, and its api_key / api_base
// become operator-wide provider credentials.
package litellm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/gatehouse-llm/gatehouse"
	"go.yaml.in/yaml/v3"
)

// Config is the part of a LiteLLM config Gatehouse understands.
type Config struct {
	ModelList []Model `yaml:"model_list"`
}

// Model is one model_list entry.
type Model struct {
	ModelName     string  `yaml:"model_name"`
	LiteLLMParams scalars `yaml:"litellm_params"`
	ModelInfo     scalars `yaml:"model_info"`
}

// scalars is a YAML mapping's scalar values as written: "0.0000025" stays
// that exact text rather than passing through a float. Nested values
// (lists, maps) are not needed by the import and are skipped.
type scalars map[string]string

// UnmarshalYAML implements yaml.Unmarshaler.
func (s *scalars) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: expected a mapping", n.Line)
	}
	*s = scalars{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if v := n.Content[i+1]; v.Kind == yaml.ScalarNode {
			(*s)[n.Content[i].Value] = v.Value
		}
	}
	return nil
}

// Load reads a config file. Values written os.environ/NAME are read from
// the environment through getenv, as LiteLLM does; a missing variable is
// an error naming it.
func Load(path string, getenv func(string) string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read LiteLLM config: %w", err)
	}
	return Parse(b, path, getenv)
}

// Parse is Load for a config already read; name says where it came from
// in errors.
func Parse(b []byte, name string, getenv func(string) string) (*Config, error) {
	var c Config
	if err := yaml.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("parse LiteLLM config %s: %w", name, err)
	}
	for i, m := range c.ModelList {
		for _, kv := range []map[string]string{m.LiteLLMParams, m.ModelInfo} {
			for k, v := range kv {
				name, ok := strings.CutPrefix(v, "os.environ/")
				if !ok {
					continue
				}
				val := getenv(name)
				if val == "" {
					return nil, fmt.Errorf("LiteLLM config model_list[%d] (%s): %s refers to environment variable %s, which is not set", i, m.ModelName, k, name)
				}
				kv[k] = val
			}
		}
	}
	return &c, nil
}

// Store is what the import needs from Gatehouse's storage.
type Store interface {
	FindAlias(ctx context.Context, alias string) (*gatehouse.Alias, error)
	CreateAlias(ctx context.Context, a *gatehouse.Alias) error
	ListCredentials(ctx context.Context, f gatehouse.CredentialFilter) ([]*gatehouse.Credential, int, error)
	CreateCredential(ctx context.Context, c *gatehouse.Credential) error
}

// Report says what an import did.
type Report struct {
	AliasesCreated     []string
	AliasesKept        []string // already existed: the operator's version wins
	AliasesInactive    []string // created disabled: no price known
	CredentialsCreated []string
	Warnings           []string
}

// credentialExtras maps litellm_params keys to credential extras.
var credentialExtras = map[string]string{
	"api_version":           "api_version",
	"aws_region_name":       "region",
	"aws_access_key_id":     "aws_access_key_id",
	"aws_secret_access_key": "aws_secret_access_key",
	"aws_session_token":     "aws_session_token",
}

// Import creates the config's aliases and credentials. It is idempotent
// and never overwrites: an alias that exists is kept as it is, and a
// provider that already has an operator-wide credential keeps it. An
// entry whose model has no known price is created disabled, with a
// warning, so it is never billed at $0.
func Import(ctx context.Context, store Store, models gatehouse.ModelChecker, c *Config, logger *slog.Logger) (*Report, error) {
	ctx = gatehouse.WithActor(ctx, gatehouse.Actor{Kind: "litellm-config"})
	rep := &Report{}
	credentialFor := map[string]string{} // provider → "key|base" imported
	for i, m := range c.ModelList {
		model := m.LiteLLMParams["model"]
		prov, _, ok := gatehouse.SplitModel(model)
		if !ok {
			return rep, fmt.Errorf("model_list[%d] (%s): litellm_params.model %q is not provider/model", i, m.ModelName, model)
		}
		name := strings.ToLower(m.ModelName)
		if !gatehouse.ValidAliasName(name) {
			return rep, fmt.Errorf("model_list[%d]: model_name %q cannot be an alias (lowercase letters, digits, . _ : -)", i, m.ModelName)
		}

		// Credentials: one operator-wide credential per provider.
		key, base := m.LiteLLMParams["api_key"], m.LiteLLMParams["api_base"]
		extras := map[string]string{}
		for from, to := range credentialExtras {
			if v := m.LiteLLMParams[from]; v != "" {
				extras[to] = v
			}
		}
		if key != "" || base != "" || len(extras) > 0 {
			sig := key + "|" + base
			if prev, seen := credentialFor[prov]; seen {
				if prev != sig {
					rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: a different api_key/api_base for %s than an earlier entry; Gatehouse uses one operator-wide credential per provider, the first one", m.ModelName, prov))
				}
			} else {
				credentialFor[prov] = sig
				existing, _, err := store.ListCredentials(ctx, gatehouse.CredentialFilter{DefaultsOnly: true, Provider: prov})
				if err != nil {
					return rep, err
				}
				if len(existing) == 0 {
					cred := &gatehouse.Credential{Provider: prov, Name: "litellm-config", APIKey: key, APIBase: base, Extra: extras}
					if err := store.CreateCredential(ctx, cred); err != nil {
						return rep, fmt.Errorf("%s: credential for %s: %w", m.ModelName, prov, err)
					}
					rep.CredentialsCreated = append(rep.CredentialsCreated, prov)
				}
			}
		}

		// Alias.
		if _, err := store.FindAlias(ctx, name); err == nil {
			rep.AliasesKept = append(rep.AliasesKept, name)
			continue
		} else if gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND {
			return rep, err
		}
		a := &gatehouse.Alias{Alias: name, LiteLLMModel: model, Active: true, Description: "Imported from LiteLLM config"}
		pricing, err := pricingFrom(m.ModelInfo)
		if err != nil {
			return rep, fmt.Errorf("%s: %w", m.ModelName, err)
		}
		a.Pricing = pricing
		if models != nil {
			// A disabled alias needs only a supported provider; if the
			// model is fine but cannot be priced, import it disabled.
			if err := models.CheckModel(model, a.Pricing, false); err != nil {
				return rep, fmt.Errorf("%s: %w", m.ModelName, err)
			}
			if err := models.CheckModel(model, a.Pricing, true); err != nil {
				a.Active = false
				rep.AliasesInactive = append(rep.AliasesInactive, name)
				rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: no known price for %s; created disabled — set its pricing, then enable it", name, model))
			}
		}
		if err := store.CreateAlias(ctx, a); err != nil {
			return rep, fmt.Errorf("%s: %w", m.ModelName, err)
		}
		rep.AliasesCreated = append(rep.AliasesCreated, name)
	}
	if logger != nil {
		for _, w := range rep.Warnings {
			logger.Warn("litellm config: " + w)
		}
		logger.Info("litellm config imported", "aliases_created", len(rep.AliasesCreated), "aliases_kept", len(rep.AliasesKept),
			"credentials_created", len(rep.CredentialsCreated))
	}
	return rep, nil
}

// pricingFrom reads model_info's input_cost_per_token and
// output_cost_per_token (USD per token, LiteLLM's unit) exactly into
// micro-USD per 1M tokens.
func pricingFrom(info map[string]string) (*gatehouse.Pricing, error) {
	in, out := info["input_cost_per_token"], info["output_cost_per_token"]
	if in == "" && out == "" {
		return nil, nil
	}
	if in == "" || out == "" {
		return nil, errors.New("model_info needs both input_cost_per_token and output_cost_per_token")
	}
	conv := func(s string) (int64, error) {
		// USD per token, exactly, as micro-USD per 1M tokens: ×10^12.
		m, err := gatehouse.ParseDecimal(s, 12, gatehouse.MaxUSD)
		switch {
		case errors.Is(err, gatehouse.ErrAmountPrecision):
			return 0, fmt.Errorf("cost %q is finer than a millionth of a dollar per 1M tokens", s)
		case errors.Is(err, gatehouse.ErrAmountRange):
			return 0, fmt.Errorf("cost %q is more than %s USD per 1M tokens", s, gatehouse.FormatMicros(gatehouse.MaxUSD))
		case err != nil || m < 0:
			return 0, fmt.Errorf("cost %q is not a non-negative number", s)
		}
		return m, nil
	}
	ip, err := conv(in)
	if err != nil {
		return nil, err
	}
	op, err := conv(out)
	if err != nil {
		return nil, err
	}
	return &gatehouse.Pricing{InputPerM: ip, OutputPerM: op}, nil
}
