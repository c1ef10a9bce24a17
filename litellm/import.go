package litellm

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"sort"
	"strings"

	"github.com/gatehouse-llm/gatehouse"
)

// Store is what the import needs from Gatehouse's storage.
type Store interface {
	FindAlias(ctx context.Context, alias string) (*gatehouse.Alias, error)
	CreateAlias(ctx context.Context, a *gatehouse.Alias) error
	UpdateAlias(ctx context.Context, alias string, upd gatehouse.AliasUpdate) (*gatehouse.Alias, error)
	ListCredentials(ctx context.Context, f gatehouse.CredentialFilter) ([]*gatehouse.Credential, int, error)
	CreateCredential(ctx context.Context, c *gatehouse.Credential) error
}

// Options tune an import.
type Options struct {
	// DryRun reports what would be created, updated or skipped, and
	// writes nothing.
	DryRun bool
	// Logger, when set, hears the warnings and a summary.
	Logger *slog.Logger
}

const importedDescription = "Imported from LiteLLM config"

// Import creates and updates the config's aliases, their deployments and
// credentials. It is idempotent: an alias the import created is updated
// only when its part of the config changed since (see MetadataKey); an
// alias it did not create is never touched. An entry that cannot be
// imported is skipped with the reason, and the rest is imported; an alias
// whose model has no known price is imported disabled, with a warning,
// so it is never billed at $0. Only storage failing is an error.
func Import(ctx context.Context, store Store, models gatehouse.ModelChecker, c *Config, opt Options) (*Report, error) {
	ctx = gatehouse.WithActor(ctx, gatehouse.Actor{Kind: "litellm-config"})
	rep := &Report{}
	unused := map[string]bool{}
	supported := func(p string) bool { return models == nil || models.CheckModel(p+"/x", nil, false) == nil }

	// Router settings apply to every alias the config defines.
	fallbacks := map[string][]string{}
	var retries *int
	strategy := ""
	for _, s := range []struct {
		name string
		s    Settings
	}{{"litellm_settings", c.LiteLLMSettings}, {"router_settings", c.RouterSettings}} {
		if err := nodeFallbacks(s.s.Fallbacks, fallbacks); err != nil {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s.fallbacks ignored: %v", s.name, err))
		}
		if n, ok, err := nodeInt(s.s.NumRetries); err != nil || (ok && (n < 0 || n > 10)) {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s.num_retries ignored: must be a whole number from 0 to 10", s.name))
		} else if ok {
			retries = &n
		}
		if n := s.s.RoutingStrategy; n.Kind != 0 {
			if m, ok := routingStrategies[n.Value]; ok {
				strategy = m
			} else {
				rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s.routing_strategy %s is not supported; the default (%s) applies", s.name, gatehouse.QuoteInput(n.Value), gatehouse.RouteWeighted))
			}
		}
		for k := range s.s.Other {
			unused[s.name+"."+k] = true
		}
	}
	for k := range c.Other {
		unused[k] = true
	}

	// Entries, grouped by alias in the order they first appear.
	groups := map[string][]*entry{}
	var order []string
	for i, m := range c.ModelList {
		label := fmt.Sprintf("model_list[%d] (%s)", i, m.ModelName)
		e, err := plan(m, supported, unused)
		if err == nil && models != nil {
			if cerr := models.CheckModel(e.dep.LiteLLMModel, e.dep.Pricing, false); cerr != nil {
				err = fmt.Errorf("%s", gatehouse.ErrorMessage(cerr))
			}
		}
		if err != nil {
			rep.Skipped = append(rep.Skipped, Skip{Name: label, Reason: err.Error()})
			continue
		}
		if _, ok := groups[e.alias]; !ok {
			order = append(order, e.alias)
		}
		groups[e.alias] = append(groups[e.alias], e)
	}

	creds := &credentials{store: store, dry: opt.DryRun, byProvider: map[string][]*gatehouse.Credential{}}
	done := map[string]bool{} // aliases this import defines and stored (or would)
	var withFallbacks []*gatehouse.Alias
	for _, name := range order {
		a := &gatehouse.Alias{Alias: name, Active: true, Description: importedDescription, RoutingStrategy: strategy, NumRetries: retries,
			Fallbacks: fallbacks[name]}
		var credNames []string
		for _, e := range groups[name] {
			if e.description != "" && a.Description == importedDescription {
				a.Description = e.description
			}
			d := e.dep
			cn := ""
			if e.cred != nil {
				id, err := creds.id(ctx, *e.cred, rep)
				if err != nil {
					return rep, err
				}
				d.CredentialID, cn = id, e.cred.name()
			}
			credNames = append(credNames, cn)
			a.Deployments = append(a.Deployments, d)
		}
		if models != nil {
			for _, d := range a.Deployments {
				if err := models.CheckModel(d.LiteLLMModel, d.Pricing, true); err != nil {
					a.Active = false
					rep.Inactive = append(rep.Inactive, name)
					rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: no known price for %s; imported disabled — set its pricing, then enable it", name, d.LiteLLMModel))
					break
				}
			}
		}
		fp := fingerprint(a, credNames)
		existing, err := store.FindAlias(ctx, name)
		switch {
		case err == nil:
			prev, _ := existing.Metadata[MetadataKey].(string)
			if prev == "" {
				rep.Skipped = append(rep.Skipped, Skip{Name: name, Reason: "an alias of that name exists and was not created by a LiteLLM import; kept as it is"})
				continue
			}
			done[name] = true
			if prev == fp {
				rep.Unchanged = append(rep.Unchanged, name)
				continue
			}
			meta := maps.Clone(existing.Metadata)
			meta[MetadataKey] = fp
			retriesPtr := a.NumRetries
			if !opt.DryRun {
				none := []string{} // set below, once every alias exists
				if _, err := store.UpdateAlias(ctx, name, gatehouse.AliasUpdate{Deployments: &a.Deployments, Description: &a.Description,
					Active: &a.Active, RoutingStrategy: &a.RoutingStrategy, NumRetries: &retriesPtr, Metadata: &meta, Fallbacks: &none}); err != nil {
					if gatehouse.ErrorCode(err) == gatehouse.EINTERNAL {
						return rep, err
					}
					delete(done, name)
					rep.Skipped = append(rep.Skipped, Skip{Name: name, Reason: gatehouse.ErrorMessage(err)})
					continue
				}
			}
			rep.Updated = append(rep.Updated, name)
		case gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND:
			a.Metadata = gatehouse.Metadata{MetadataKey: fp}
			if !opt.DryRun {
				create := *a
				create.Fallbacks = nil // set below, once every alias exists
				if err := store.CreateAlias(ctx, &create); err != nil {
					if gatehouse.ErrorCode(err) == gatehouse.EINTERNAL {
						return rep, err
					}
					rep.Skipped = append(rep.Skipped, Skip{Name: name, Reason: gatehouse.ErrorMessage(err)})
					continue
				}
			}
			done[name] = true
			rep.Created = append(rep.Created, name)
		default:
			return rep, err
		}
		if len(a.Fallbacks) > 0 {
			withFallbacks = append(withFallbacks, a)
		}
	}

	// Fallbacks, now that every alias they may name exists.
	for k := range fallbacks {
		if groups[k] == nil {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("fallbacks for %s ignored: no model_list entry of that name was imported", k))
		}
	}
	for _, a := range withFallbacks {
		var keep []string
		for _, f := range a.Fallbacks {
			ok := done[f]
			if !ok {
				_, err := store.FindAlias(ctx, f)
				ok = err == nil
			}
			if !ok || f == a.Alias {
				rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: fallback %s ignored: no such model", a.Alias, f))
				continue
			}
			keep = append(keep, f)
		}
		if !opt.DryRun && len(keep) > 0 {
			if _, err := store.UpdateAlias(ctx, a.Alias, gatehouse.AliasUpdate{Fallbacks: &keep}); err != nil {
				rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: fallbacks not set: %s", a.Alias, gatehouse.ErrorMessage(err)))
			}
		}
	}

	for k := range unused {
		rep.Unused = append(rep.Unused, k)
	}
	sort.Strings(rep.Unused)
	if len(rep.Unused) > 0 {
		rep.Warnings = append(rep.Warnings, "settings Gatehouse does not use (ignored): "+strings.Join(rep.Unused, ", "))
	}
	if l := opt.Logger; l != nil {
		for _, s := range rep.Skipped {
			l.Warn("litellm config: skipped "+s.Name, "reason", s.Reason)
		}
		for _, w := range rep.Warnings {
			l.Warn("litellm config: " + w)
		}
		l.Info("litellm config imported", "created", len(rep.Created), "updated", len(rep.Updated), "unchanged", len(rep.Unchanged),
			"skipped", len(rep.Skipped), "credentials_created", len(rep.CredentialsCreated))
	}
	return rep, nil
}

// credentials finds or creates the operator-wide credentials entries
// name, by their derived names.
type credentials struct {
	store      Store
	dry        bool
	byProvider map[string][]*gatehouse.Credential
}

func (c *credentials) id(ctx context.Context, spec credSpec, rep *Report) (string, error) {
	name := spec.name()
	list, ok := c.byProvider[spec.provider]
	if !ok {
		var err error
		list, _, err = c.store.ListCredentials(ctx, gatehouse.CredentialFilter{DefaultsOnly: true, Provider: spec.provider, Page: gatehouse.Page{Limit: gatehouse.MaxPageLimit}})
		if err != nil {
			return "", err
		}
		c.byProvider[spec.provider] = list
	}
	for _, cr := range list {
		if cr.Name == name {
			return cr.ID, nil
		}
	}
	cr := &gatehouse.Credential{Provider: spec.provider, Name: name, APIKey: spec.key, APIBase: spec.base, Extra: spec.extra, Active: true}
	if c.dry {
		cr.ID = "(new " + name + ")"
	} else if err := c.store.CreateCredential(ctx, cr); err != nil {
		return "", fmt.Errorf("credential %s for %s: %w", name, spec.provider, err)
	}
	c.byProvider[spec.provider] = append(list, cr)
	rep.CredentialsCreated = append(rep.CredentialsCreated, spec.provider+" "+name)
	return cr.ID, nil
}

// Write prints the report for an operator: what was (or, dry, would be)
// created, updated, left unchanged or skipped, and why.
func (r *Report) Write(w io.Writer, dry bool) {
	verb := map[bool][3]string{false: {"created", "updated", "unchanged"}, true: {"would create", "would update", "unchanged"}}[dry]
	for _, n := range r.Created {
		fmt.Fprintf(w, "%s alias %s\n", verb[0], n)
	}
	for _, n := range r.Updated {
		fmt.Fprintf(w, "%s alias %s (its config changed since the last import)\n", verb[1], n)
	}
	for _, n := range r.Unchanged {
		fmt.Fprintf(w, "%s alias %s\n", verb[2], n)
	}
	for _, c := range r.CredentialsCreated {
		fmt.Fprintf(w, "%s credential %s\n", verb[0], c)
	}
	for _, s := range r.Skipped {
		fmt.Fprintf(w, "skipped %s: %s\n", s.Name, s.Reason)
	}
	for _, m := range r.Warnings {
		fmt.Fprintf(w, "warning: %s\n", m)
	}
}
