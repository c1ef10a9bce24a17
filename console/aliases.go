package console

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gatehouse-llm/gatehouse"
)

// aliasRow is one alias as the list and detail pages show it.
type aliasRow struct {
	*gatehouse.Alias
	Provider, Model string
	// InPerM and OutPerM are the effective price (the alias's override,
	// else the catalogue's) in micro-USD per 1M tokens; Priced reports
	// whether one is known, Override whether it is the alias's own.
	InPerM, OutPerM  int64
	Priced, Override bool
	Usage            gatehouse.AliasUsage
}

// price returns the catalogue's current price of a provider model.
func (s *Server) price(litellmModel string) (in, out int64, ok bool) {
	if s.Catalog == nil {
		return 0, 0, false
	}
	prov, model, found := gatehouse.SplitModel(litellmModel)
	if !found {
		return 0, 0, false
	}
	m, found := s.Catalog.Lookup(prov, model)
	if !found {
		return 0, 0, false
	}
	p, found := m.PricesOn(s.Now())
	if !found {
		return 0, 0, false
	}
	return int64(p.Input), int64(p.Output), true
}

func (s *Server) row(a *gatehouse.Alias) aliasRow {
	r := aliasRow{Alias: a}
	r.Provider, r.Model, _ = gatehouse.SplitModel(a.LiteLLMModel)
	if a.Pricing != nil {
		r.InPerM, r.OutPerM, r.Priced, r.Override = a.Pricing.InputPerM, a.Pricing.OutputPerM, true, true
	} else {
		r.InPerM, r.OutPerM, r.Priced = s.price(a.LiteLLMModel)
	}
	return r
}

// catalogueModel is one option of the model picker.
type catalogueModel struct {
	ID            string
	InPerM        int64
	OutPerM       int64
	ContextWindow int
}

// catalogue lists every model the catalogue prices today, the picker's
// options (the same list GET /api/providers answers).
func (s *Server) catalogue() []catalogueModel {
	var out []catalogueModel
	if s.Catalog == nil {
		return nil
	}
	for _, p := range s.Catalog.Providers() {
		if s.Supported != nil && !s.Supported(p) {
			continue
		}
		for _, m := range s.Catalog.Models(p) {
			pr, ok := m.PricesOn(s.Now())
			if !ok {
				continue
			}
			out = append(out, catalogueModel{ID: p + "/" + m.Name, InPerM: int64(pr.Input), OutPerM: int64(pr.Output), ContextWindow: m.ContextWindow})
		}
	}
	return out
}

type aliasListData struct {
	Rows                   []aliasRow
	Search, Provider, Show string
	Total, Offset, Limit   int
	PrevOffset, NextOffset int
	Providers              []string
}

func (s *Server) handleAliases(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := aliasListData{Search: strings.TrimSpace(q.Get("q")), Provider: q.Get("provider"), Show: q.Get("show"), Limit: 50}
	d.Offset, _ = strconv.Atoi(q.Get("offset"))
	f := gatehouse.AliasFilter{Search: d.Search, Provider: d.Provider, Page: gatehouse.Page{Limit: d.Limit, Offset: d.Offset}}
	switch d.Show {
	case "active":
		t := true
		f.Active = &t
	case "disabled":
		fl := false
		f.Active = &fl
	}
	aliases, total, err := s.Store.ListAliases(r.Context(), f)
	if err != nil {
		s.renderError(w, r, errStatus(err), gatehouse.ErrorMessage(err))
		return
	}
	names := make([]string, len(aliases))
	for i, a := range aliases {
		names[i] = a.Alias
	}
	usage, err := s.Store.AliasUsage(r.Context(), names)
	if err != nil {
		s.renderError(w, r, http.StatusInternalServerError, gatehouse.ErrorMessage(err))
		return
	}
	for _, a := range aliases {
		row := s.row(a)
		row.Usage = usage[a.Alias]
		d.Rows = append(d.Rows, row)
	}
	d.Total = total
	d.PrevOffset = max(d.Offset-d.Limit, 0)
	if d.Offset+len(aliases) < total {
		d.NextOffset = d.Offset + d.Limit
	}
	if s.Catalog != nil {
		d.Providers = s.Catalog.Providers()
	}
	s.render(w, r, http.StatusOK, "aliases", "Aliases", "aliases", d)
}

type aliasFormData struct {
	Catalogue []catalogueModel
	Aliases   []string
}

func (s *Server) handleAliasNew(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "alias_new", "Create alias", "aliases", aliasFormData{Catalogue: s.catalogue()})
}

// splitList reads a comma- or space-separated form field.
func splitList(v string) []string {
	out := []string{}
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' }) {
		out = append(out, f)
	}
	return out
}

// pricingField renders the form's two price inputs as the API's pricing
// object; both blank means "the catalogue's price" (null).
func pricingField(f *form) (any, bool) {
	in, out := f.decimal("input_per_million"), f.decimal("output_per_million")
	if in == nil && out == nil {
		return nil, false
	}
	p := map[string]any{}
	if in != nil {
		p["input_per_million"] = in
	}
	if out != nil {
		p["output_per_million"] = out
	}
	return p, true
}

func (s *Server) handleAliasCreate(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimSpace(r.PostFormValue("alias"))
	body := map[string]any{
		"alias":         name,
		"litellm_model": strings.TrimSpace(r.PostFormValue("litellm_model")),
		"description":   r.PostFormValue("description"),
		"fallbacks":     splitList(r.PostFormValue("fallbacks")),
	}
	f := &form{r: r}
	if p, ok := pricingField(f); ok {
		body["pricing"] = p
	}
	if f.err != nil {
		s.flash(w, r, f.err.Error(), true)
		http.Redirect(w, r, "/admin/aliases/new", http.StatusSeeOther)
		return
	}
	res := s.dispatch(r, sessionFrom(r.Context()).Token, http.MethodPost, "/api/model-aliases/create", body, nil)
	if res.err != nil {
		s.flash(w, r, res.err.Error(), true)
		http.Redirect(w, r, "/admin/aliases/new", http.StatusSeeOther)
		return
	}
	s.flash(w, r, "Alias "+name+" created.", false)
	http.Redirect(w, r, "/admin/aliases/"+name, http.StatusSeeOther)
}

type aliasData struct {
	aliasRow
	Groups    []string
	Teams     int
	Catalogue []catalogueModel
	// Switch is the provider model the operator is considering, with its
	// catalogue price, to compare before switching.
	Switch                         string
	SwitchIn, SwitchOut            int64
	SwitchPriced                   bool
	DiffIn, DiffOut                int64
	FallbackOf                     []string
	FallbacksText, InText, OutText string
}

func (s *Server) handleAlias(w http.ResponseWriter, r *http.Request) {
	a, err := s.Store.FindAlias(r.Context(), r.PathValue("alias"))
	if err != nil {
		s.renderError(w, r, errStatus(err), gatehouse.ErrorMessage(err))
		return
	}
	d := aliasData{aliasRow: s.row(a), Catalogue: s.catalogue(), FallbacksText: strings.Join(a.Fallbacks, ", ")}
	if a.Pricing != nil {
		d.InText, d.OutText = gatehouse.FormatMicros(a.Pricing.InputPerM), gatehouse.FormatMicros(a.Pricing.OutputPerM)
	}
	usage, err := s.Store.AliasUsage(r.Context(), []string{a.Alias})
	if err == nil {
		d.Usage = usage[a.Alias]
	}
	if d.Groups, d.Teams, err = s.Store.AliasGroups(r.Context(), a.Alias); err != nil {
		s.renderError(w, r, http.StatusInternalServerError, gatehouse.ErrorMessage(err))
		return
	}
	if sw := strings.TrimSpace(r.URL.Query().Get("switch_to")); sw != "" {
		d.Switch = sw
		d.SwitchIn, d.SwitchOut, d.SwitchPriced = s.price(sw)
		d.DiffIn, d.DiffOut = d.SwitchIn-d.InPerM, d.SwitchOut-d.OutPerM
	}
	s.render(w, r, http.StatusOK, "alias", "Alias "+a.Alias, "aliases", d)
}

// handleAliasUpdate edits an alias: model (a provider switch), description,
// pricing and fallbacks, as one partial PUT.
func (s *Server) handleAliasUpdate(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("alias")
	body := map[string]any{}
	if m := strings.TrimSpace(r.PostFormValue("litellm_model")); m != "" {
		body["litellm_model"] = m
	}
	if r.PostForm.Has("description") {
		body["description"] = r.PostFormValue("description")
	}
	if r.PostForm.Has("fallbacks") {
		body["fallbacks"] = splitList(r.PostFormValue("fallbacks"))
	}
	f := &form{r: r}
	if r.PostForm.Has("input_per_million") {
		p, ok := pricingField(f)
		if ok {
			body["pricing"] = p
		} else {
			body["pricing"] = nil
		}
	}
	if f.err != nil {
		s.flash(w, r, f.err.Error(), true)
		http.Redirect(w, r, "/admin/aliases/"+name, http.StatusSeeOther)
		return
	}
	done := "Alias " + name + " saved."
	if r.PostFormValue("switch") != "" {
		done = "Alias " + name + " now serves " + r.PostFormValue("litellm_model") + "."
	}
	s.act(w, r, http.MethodPut, "/api/model-aliases/"+name, body, done, "/admin/aliases/"+name)
}

func (s *Server) handleAliasAction(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("alias")
	switch r.PathValue("action") {
	case "disable":
		s.act(w, r, http.MethodPost, "/api/model-aliases/"+name+"/disable", nil, "Alias "+name+" disabled.", "/admin/aliases/"+name)
	case "enable":
		s.act(w, r, http.MethodPost, "/api/model-aliases/"+name+"/enable", nil, "Alias "+name+" enabled.", "/admin/aliases/"+name)
	case "delete":
		res := s.dispatch(r, sessionFrom(r.Context()).Token, http.MethodDelete, "/api/model-aliases/"+name, nil, nil)
		if res.err != nil {
			s.flash(w, r, res.err.Error(), true)
			http.Redirect(w, r, "/admin/aliases/"+name, http.StatusSeeOther)
			return
		}
		s.flash(w, r, "Alias "+name+" deleted.", false)
		http.Redirect(w, r, "/admin/aliases", http.StatusSeeOther)
	default:
		s.renderError(w, r, http.StatusNotFound, "Unknown alias action.")
	}
}

// handleAliasDeleteConfirm shows what deleting an alias takes with it:
// the access groups it leaves and the aliases that fall back to it.
func (s *Server) handleAliasDeleteConfirm(w http.ResponseWriter, r *http.Request) {
	a, err := s.Store.FindAlias(r.Context(), r.PathValue("alias"))
	if err != nil {
		s.renderError(w, r, errStatus(err), gatehouse.ErrorMessage(err))
		return
	}
	d := aliasData{aliasRow: s.row(a)}
	if d.Groups, d.Teams, err = s.Store.AliasGroups(r.Context(), a.Alias); err != nil {
		s.renderError(w, r, http.StatusInternalServerError, gatehouse.ErrorMessage(err))
		return
	}
	// Aliases are operator-defined and few; read them in pages.
	for off := 0; ; off += gatehouse.MaxPageLimit {
		all, total, err := s.Store.ListAliases(r.Context(), gatehouse.AliasFilter{Page: gatehouse.Page{Limit: gatehouse.MaxPageLimit, Offset: off}})
		if err != nil {
			s.renderError(w, r, http.StatusInternalServerError, gatehouse.ErrorMessage(err))
			return
		}
		for _, o := range all {
			for _, f := range o.Fallbacks {
				if f == a.Alias {
					d.FallbackOf = append(d.FallbackOf, o.Alias)
				}
			}
		}
		if off+len(all) >= total || len(all) == 0 || off+gatehouse.MaxPageLimit > gatehouse.MaxOffset {
			break
		}
	}
	s.render(w, r, http.StatusOK, "alias_delete", "Delete alias "+a.Alias, "aliases", d)
}
