package http

import (
	"html/template"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
)

// docsPage renders the API reference as plain HTML from the same route
// table as the OpenAPI document: readable without JavaScript or a CDN.
var docsPage = template.Must(template.New("docs").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Gatehouse API</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}
h2{border-bottom:1px solid #ddd;margin-top:2em;text-transform:capitalize}
.route{margin:1em 0;padding:.6em .9em;border:1px solid #e3e3e3;border-radius:6px}
.m{display:inline-block;min-width:4.5em;font-weight:600;font-family:monospace}
.GET{color:#0a7}.POST{color:#06c}.PUT{color:#c70}.DELETE{color:#c22}
code{font-family:ui-monospace,monospace;background:#f5f5f5;padding:0 .25em}
.role{float:right;font-size:.85em;color:#666}
table{border-collapse:collapse;margin:.4em 0 0 4.5em;font-size:.9em}td{padding:0 1em 0 0}
</style></head><body>
<h1>Gatehouse API <small>{{.Version}}</small></h1>
<p>Management routes take the master key or an admin session token as <code>Authorization: Bearer …</code> or <code>X-Admin-Key</code>;
client routes take a team's virtual key. Bodies are JSON. Every error is <code>{"error":{"code","message","field"}}</code>.
Lists take <code>limit</code> (default 50, at most 500) and <code>offset</code> and answer with <code>total</code>.
Machine-readable: <a href="/openapi.json">/openapi.json</a>.</p>
{{range .Groups}}<h2>{{.Tag}}</h2>
{{range .Routes}}<div class="route"><span class="role">{{.Role}}</span><span class="m {{.Method}}">{{.Method}}</span> <code>{{.Path}}</code><br>
<span style="margin-left:4.5em">{{.Summary}}</span>
{{if .Fields}}<table>{{range .Fields}}<tr><td><code>{{.Name}}</code></td><td>{{.Type}}</td></tr>{{end}}</table>{{end}}
</div>{{end}}{{end}}
</body></html>`))

type docField struct{ Name, Type string }

type docRoute struct {
	Method, Path, Summary, Role string
	Fields                      []docField
}

type docGroup struct {
	Tag    string
	Routes []docRoute
}

func roleName(a access) string {
	switch a {
	case public:
		return "public"
	case teamKey:
		return "team key"
	case teamOrViewer:
		return "own team key, or viewer or above"
	case session:
		return "admin session"
	}
	return minRole[a] + " or above"
}

func handleDocs(s *server) http.Handler {
	page := sync.OnceValue(func() []byte {
		groups := map[string]*docGroup{}
		var order []string
		for _, rt := range s.routes() {
			tag := tagOf(rt.Path)
			g := groups[tag]
			if g == nil {
				g = &docGroup{Tag: strings.ReplaceAll(tag, "-", " ")}
				groups[tag] = g
				order = append(order, tag)
			}
			dr := docRoute{Method: rt.Method, Path: rt.Path, Summary: rt.Summary, Role: roleName(rt.Access)}
			if rt.Body != nil {
				props := schemaOf(reflect.TypeOf(rt.Body))["properties"].(map[string]any)
				names := make([]string, 0, len(props))
				for n := range props {
					names = append(names, n)
				}
				sort.Strings(names)
				for _, n := range names {
					typ, _ := props[n].(map[string]any)["type"].(string)
					if typ == "" {
						typ = "any"
					}
					dr.Fields = append(dr.Fields, docField{Name: n, Type: typ})
				}
			}
			g.Routes = append(g.Routes, dr)
		}
		var b strings.Builder
		data := struct {
			Version string
			Groups  []*docGroup
		}{Version: s.Version}
		for _, tag := range order {
			data.Groups = append(data.Groups, groups[tag])
		}
		slices.SortStableFunc(data.Groups, func(a, b *docGroup) int { return strings.Compare(a.Tag, b.Tag) })
		if err := docsPage.Execute(&b, data); err != nil {
			return []byte(err.Error())
		}
		return []byte(b.String())
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(page())
	})
}
