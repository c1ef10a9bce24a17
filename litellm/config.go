// Package litellm imports a LiteLLM proxy configuration (litellm_config.yaml)
// so an operator moving from LiteLLM keeps their model list as they wrote
// it: each model_name becomes an alias, each model_list entry one of its
// deployments (a repeated model_name gives one alias several), an entry's
// api_key becomes a stored, encrypted provider credential the deployment
// pins, and the router's fallbacks, retries and routing strategy carry
// over. What Gatehouse does not use is named in one warning; an entry it
// cannot import is skipped, saying why, and the rest is imported.
package litellm

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/gatehouse-llm/gatehouse"
	"go.yaml.in/yaml/v3"
)

// Config is a LiteLLM proxy config as far as Gatehouse reads it.
type Config struct {
	ModelList       []Model              `yaml:"model_list"`
	LiteLLMSettings Settings             `yaml:"litellm_settings"`
	RouterSettings  Settings             `yaml:"router_settings"`
	Other           map[string]yaml.Node `yaml:",inline"`
}

// Settings is litellm_settings or router_settings: the keys Gatehouse
// maps, and the rest, which the import lists as unused.
type Settings struct {
	Fallbacks       yaml.Node            `yaml:"fallbacks"`
	NumRetries      yaml.Node            `yaml:"num_retries"`
	RoutingStrategy yaml.Node            `yaml:"routing_strategy"`
	Other           map[string]yaml.Node `yaml:",inline"`
}

// Model is one model_list entry.
type Model struct {
	ModelName     string  `yaml:"model_name"`
	LiteLLMParams scalars `yaml:"litellm_params"`
	ModelInfo     scalars `yaml:"model_info"`
	// broken says why the entry cannot be imported (an environment
	// variable it names is not set); set by Parse.
	broken string
}

// scalars is a YAML mapping's scalar values as written: "0.0000025" stays
// that exact text rather than passing through a float. A nested value
// (a list or a map) is kept as Nested, so the import can name it as unused.
type scalars map[string]string

// Nested stands for a nested (non-scalar) value in scalars.
const Nested = "\x00nested"

// UnmarshalYAML implements yaml.Unmarshaler.
func (s *scalars) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: expected a mapping", n.Line)
	}
	*s = scalars{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if v := n.Content[i+1]; v.Kind == yaml.ScalarNode {
			(*s)[n.Content[i].Value] = v.Value
		} else {
			(*s)[n.Content[i].Value] = Nested
		}
	}
	return nil
}

// Load reads a config file. Values written os.environ/NAME are read from
// the environment through getenv, as LiteLLM does.
func Load(path string, getenv func(string) string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read LiteLLM config: %w", err)
	}
	return Parse(b, path, getenv)
}

// Parse is Load for a config already read; name says where it came from
// in errors. Only a file that is not YAML fails: an entry naming an
// environment variable that is not set is marked, and skipped by Import
// with that reason.
func Parse(b []byte, name string, getenv func(string) string) (*Config, error) {
	var c Config
	if err := yaml.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("parse LiteLLM config %s: %w", name, err)
	}
	for i := range c.ModelList {
		m := &c.ModelList[i]
		for _, kv := range []map[string]string{m.LiteLLMParams, m.ModelInfo} {
			for k, v := range kv {
				env, ok := strings.CutPrefix(v, "os.environ/")
				if !ok {
					continue
				}
				val := getenv(env)
				if val == "" && m.broken == "" {
					m.broken = fmt.Sprintf("%s refers to environment variable %s, which is not set", k, env)
				}
				kv[k] = val
			}
		}
	}
	return &c, nil
}

// inferred maps a model name without a provider to the provider LiteLLM
// routes it to, by the name's prefix (LiteLLM's own provider lists for
// these families).
var inferred = []struct{ prefix, provider string }{
	{"gpt-", "openai"}, {"chatgpt-", "openai"}, {"o1", "openai"}, {"o3", "openai"}, {"o4-", "openai"},
	{"text-embedding-", "openai"}, {"davinci", "openai"}, {"babbage", "openai"},
	{"claude-", "anthropic"},
	{"gemini-", "gemini"},
	{"mistral-", "mistral"}, {"open-mistral-", "mistral"}, {"open-mixtral-", "mistral"}, {"codestral-", "mistral"},
	{"deepseek-", "deepseek"},
	{"grok-", "xai"},
}

// InferModel returns "provider/model" for a litellm_params.model: as
// written when it names a provider Gatehouse knows, else with the
// provider LiteLLM would infer from the name.
func InferModel(model string, supported func(string) bool) (string, bool) {
	if p, _, ok := gatehouse.SplitModel(model); ok && (supported == nil || supported(p)) {
		return model, true
	}
	if model == "" || strings.TrimSpace(model) != model {
		return "", false
	}
	lower := strings.ToLower(model)
	for _, r := range inferred {
		if strings.HasPrefix(lower, r.prefix) && (r.prefix != "o1" && r.prefix != "o3" || len(lower) == 2 || lower[2] == '-') {
			return r.provider + "/" + model, true
		}
	}
	return "", false
}

// routingStrategies maps router_settings.routing_strategy to Gatehouse's.
var routingStrategies = map[string]string{
	"simple-shuffle":         gatehouse.RouteWeighted,
	"least-busy":             gatehouse.RouteLeastBusy,
	"latency-based-routing":  gatehouse.RouteLowestLatency,
	"usage-based-routing":    gatehouse.RouteUsageBased,
	"usage-based-routing-v2": gatehouse.RouteUsageBased,
}

// Secret litellm_params go into the deployment's credential, encrypted;
// credentialParams maps them to the credential's extras (api_key is the
// credential's key itself).
var credentialParams = map[string]string{
	"aws_access_key_id":     "aws_access_key_id",
	"aws_secret_access_key": "aws_secret_access_key",
	"aws_session_token":     "aws_session_token",
}

// ignoredParams are litellm_params Gatehouse does not use, with why (the
// README's mapping table says the same).
var ignoredParams = map[string]string{
	"timeout":        "upstream_timeout applies",
	"stream_timeout": "upstream_first_byte_timeout applies",
	"max_retries":    "num_retries applies",
	"temperature":    "clients send their own sampling parameters",
	"max_tokens":     "clients send their own sampling parameters",
	"top_p":          "clients send their own sampling parameters",
	"tags":           "tag-based routing is not supported",
	"mock_response":  "use the mock provider",
	"drop_params":    "unsupported parameters are not dropped",
}

// mappedParams are litellm_params the import turns into deployment fields.
var mappedParams = map[string]bool{
	"model": true, "api_key": true, "api_base": true, "rpm": true, "tpm": true, "weight": true, "order": true,
	"input_cost_per_token": true, "output_cost_per_token": true, "region_name": true, "aws_region_name": true, "vertex_location": true,
}

// mappedInfo are the model_info keys the import uses.
var mappedInfo = map[string]bool{"id": true, "description": true, "input_cost_per_token": true, "output_cost_per_token": true}

// MetadataKey marks an alias the import created, with a fingerprint of
// the config it came from: a later import updates the alias only when its
// part of the config changed, so a restart changes nothing and an edit
// made through the API stands until the config itself changes.
const MetadataKey = "litellm_import"

// Skip is an entry or alias the import left alone, and why.
type Skip struct {
	Name   string
	Reason string
}

// Report says what an import did (or, dry, would do).
type Report struct {
	Created            []string
	Updated            []string
	Unchanged          []string
	Inactive           []string // created or updated disabled: no price known
	Skipped            []Skip
	CredentialsCreated []string
	// Unused lists the settings Gatehouse does not use; Warnings has them
	// as one line, after the other warnings.
	Unused   []string
	Warnings []string
}

// credSpec is a credential an entry needs: its api_key and secrets.
type credSpec struct {
	provider, key, base string
	extra               map[string]string
}

// name is the credential's stored name: derived from what it holds, so
// importing again finds it instead of creating another.
func (c credSpec) name() string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s", c.provider, c.key, c.base)
	keys := make([]string, 0, len(c.extra))
	for k := range c.extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(h, "\x00%s=%s", k, c.extra[k])
	}
	return "litellm-" + hex.EncodeToString(h.Sum(nil))[:12]
}

// entry is one model_list entry made ready: its alias and deployment.
type entry struct {
	alias       string
	description string
	dep         gatehouse.Deployment
	cred        *credSpec
}

// plan reads one model_list entry; an error says why it is skipped.
func plan(m Model, supported func(string) bool, unused map[string]bool) (*entry, error) {
	if m.broken != "" {
		return nil, errors.New(m.broken)
	}
	name := strings.ToLower(m.ModelName)
	if !gatehouse.ValidAliasName(name) {
		return nil, fmt.Errorf("model_name %s cannot be an alias (lowercase letters, digits, '.', '_', ':' or '-')", gatehouse.QuoteInput(m.ModelName))
	}
	p := m.LiteLLMParams
	raw := p["model"]
	model, ok := InferModel(raw, supported)
	if !ok {
		if raw == "" {
			return nil, errors.New("litellm_params.model is missing")
		}
		return nil, fmt.Errorf("cannot tell the provider of litellm_params.model %s; write it as provider/model (e.g. openai/%s)",
			gatehouse.QuoteInput(raw), raw)
	}
	e := &entry{alias: name, dep: gatehouse.Deployment{LiteLLMModel: model, APIBase: p["api_base"], ID: m.ModelInfo["id"]}}
	prov, _, _ := gatehouse.SplitModel(model)
	ints := map[string]*int64{"rpm": &e.dep.RPM, "tpm": &e.dep.TPM}
	for k, dst := range ints {
		if v := p[k]; v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("litellm_params.%s %s is not a whole number", k, gatehouse.QuoteInput(v))
			}
			*dst = n
		}
	}
	for k, dst := range map[string]*int{"weight": &e.dep.Weight, "order": &e.dep.Order} {
		if v := p[k]; v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("litellm_params.%s %s is not a whole number", k, gatehouse.QuoteInput(v))
			}
			*dst = n
		}
	}
	// LiteLLM counts order from 1; Gatehouse's tiers from 0 ("no order"
	// is the first tier in both).
	if e.dep.Order > 0 {
		e.dep.Order--
	}
	// Prices: model_info's, else litellm_params' (LiteLLM reads both).
	costs := m.ModelInfo
	if costs["input_cost_per_token"] == "" && costs["output_cost_per_token"] == "" {
		costs = p
	}
	pricing, err := pricingFrom(costs)
	if err != nil {
		return nil, err
	}
	e.dep.Pricing = pricing
	for _, k := range []string{"region_name", "aws_region_name", "vertex_location"} {
		if v := p[k]; v != "" && e.dep.Region == "" {
			e.dep.Region = v
		}
	}
	if p["aws_region_name"] != "" {
		e.dep.Extra = map[string]string{"region": p["aws_region_name"]}
	}
	var cred *credSpec
	if p["api_key"] != "" {
		cred = &credSpec{provider: prov, key: p["api_key"], base: p["api_base"], extra: map[string]string{}}
	}
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := p[k]
		switch {
		case mappedParams[k]:
		case v == Nested:
			unused["model_list[].litellm_params."+k+" (a nested value)"] = true
		case ignoredParams[k] != "":
			unused["model_list[].litellm_params."+k+" ("+ignoredParams[k]+")"] = true
		case credentialParams[k] != "":
			if cred == nil {
				cred = &credSpec{provider: prov, base: p["api_base"], extra: map[string]string{}}
			}
			cred.extra[credentialParams[k]] = v
		default:
			lk := strings.ToLower(k)
			if strings.Contains(lk, "key") || strings.Contains(lk, "secret") || strings.Contains(lk, "token") || strings.Contains(lk, "password") {
				if cred == nil {
					cred = &credSpec{provider: prov, base: p["api_base"], extra: map[string]string{}}
				}
				cred.extra[k] = v
				continue
			}
			if e.dep.Extra == nil {
				e.dep.Extra = map[string]string{}
			}
			e.dep.Extra[k] = v // api_version, vertex_project, organization, …
		}
	}
	e.cred = cred
	for k, v := range m.ModelInfo {
		if !mappedInfo[k] {
			unused["model_list[].model_info."+k] = true
		} else if k == "description" && v != Nested {
			e.description = v
		}
	}
	return e, nil
}

// nodeInt reads a scalar whole number; ok is false when absent.
func nodeInt(n yaml.Node) (int, bool, error) {
	if n.Kind == 0 {
		return 0, false, nil
	}
	var v int
	if err := n.Decode(&v); err != nil {
		return 0, false, fmt.Errorf("line %d: not a whole number", n.Line)
	}
	return v, true, nil
}

// nodeFallbacks reads LiteLLM's fallbacks, a list of one-key maps
// ({"gpt-4": ["gpt-3.5-turbo"]}), into alias → fallbacks.
func nodeFallbacks(n yaml.Node, into map[string][]string) error {
	if n.Kind == 0 {
		return nil
	}
	var list []map[string][]string
	if err := n.Decode(&list); err != nil {
		return fmt.Errorf("line %d: fallbacks must be a list of {model_name: [fallback, …]}", n.Line)
	}
	for _, m := range list {
		for k, v := range m {
			for _, f := range v {
				into[strings.ToLower(k)] = append(into[strings.ToLower(k)], strings.ToLower(f))
			}
		}
	}
	return nil
}

// fingerprint identifies what the config says about an alias.
func fingerprint(a *gatehouse.Alias, creds []string) string {
	type dep struct {
		gatehouse.Deployment
		Pricing *gatehouse.Pricing
	}
	deps := make([]dep, len(a.Deployments))
	for i, d := range a.Deployments {
		deps[i] = dep{d, d.Pricing}
		deps[i].CredentialID = ""
	}
	b, _ := json.Marshal(struct {
		Description, Strategy string
		Retries               *int
		Fallbacks, Creds      []string
		Deployments           []dep
	}{a.Description, a.RoutingStrategy, a.NumRetries, a.Fallbacks, creds, deps})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
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
