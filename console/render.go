package console

import (
	"bytes"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-llm/gatehouse"
)

// view is what every page template receives.
type view struct {
	Title    string
	Nav      string
	Actor    gatehouse.Actor
	CanWrite bool // admin or owner: show mutating controls
	IsOwner  bool
	CSRF     string
	Flash    string
	FlashErr bool
	// Here is the page's own path and query, for forms' next field.
	Here string
	Data any
}

var funcs = template.FuncMap{
	"credits": func(c gatehouse.Credits) string { return c.String() },
	"usd":     func(m int64) string { return "$" + gatehouse.FormatMicros(m) },
	"when": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			if v.IsZero() {
				return "—"
			}
			return v.UTC().Format("2006-01-02 15:04:05")
		case *time.Time:
			if v == nil {
				return "—"
			}
			return v.UTC().Format("2006-01-02 15:04:05")
		}
		return ""
	},
	"iso":    func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"num":    func(n int64) string { return groupDigits(n) },
	"join":   strings.Join,
	"split":  strings.Fields,
	"pct":    func(part, whole int64) string { return percent(part, whole) },
	"q":      url.QueryEscape,
	"p":      url.PathEscape,
	"micros": gatehouse.FormatMicros,
	"has": func(list []string, s string) bool {
		for _, x := range list {
			if x == s {
				return true
			}
		}
		return false
	},
}

func percent(part, whole int64) string {
	if whole == 0 {
		return "0%"
	}
	return strconv.FormatFloat(float64(part)*100/float64(whole), 'f', 1, 64) + "%"
}

func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// parsePages parses each page with the layout it fills.
func parsePages() map[string]*template.Template {
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	out := map[string]*template.Template{}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" {
			continue
		}
		out[name] = template.Must(template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", f))
	}
	return out
}

// render writes a signed-in page inside the layout.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, page, title, nav string, data any) {
	si := sessionFrom(r.Context())
	v := view{Title: title, Nav: nav, Actor: si.Actor, Data: data, Here: r.URL.RequestURI(),
		CanWrite: gatehouse.RoleRank(si.Actor.Role) >= gatehouse.RoleRank(gatehouse.RoleAdmin),
		IsOwner:  gatehouse.RoleRank(si.Actor.Role) >= gatehouse.RoleRank(gatehouse.RoleOwner)}
	if si.Token != "" {
		v.CSRF = csrfFor(si.Token)
	}
	v.Flash, v.FlashErr = s.takeFlash(w, r)
	s.write(w, status, page, "layout", v)
}

// renderBare writes a page outside the signed-in layout (sign-in, setup).
func (s *Server) renderBare(w http.ResponseWriter, r *http.Request, status int, page, title, csrf string, data any) {
	v := view{Title: title, CSRF: csrf, Data: data}
	v.Flash, v.FlashErr = s.takeFlash(w, r)
	s.write(w, status, page, "bare", v)
}

func (s *Server) renderError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	s.render(w, r, status, "error", http.StatusText(status), "", msg)
}

func (s *Server) write(w http.ResponseWriter, status int, page, layout string, v view) {
	t, ok := s.pages[page]
	if !ok {
		http.Error(w, "no such page", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, layout, v); err != nil {
		s.Logger.Error("console page failed", "page", page, "err", err)
		http.Error(w, "page failed to render", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// errStatus is the HTTP status for a service error, as the API maps it.
func errStatus(err error) int {
	switch gatehouse.ErrorCode(err) {
	case gatehouse.EINVALID:
		return http.StatusBadRequest
	case gatehouse.ENOTFOUND:
		return http.StatusNotFound
	case gatehouse.EFORBIDDEN:
		return http.StatusForbidden
	case gatehouse.ECONFLICT:
		return http.StatusConflict
	}
	return http.StatusInternalServerError
}
