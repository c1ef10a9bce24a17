package console_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/gatehouse-llm/gatehouse/catalog"
	"github.com/gatehouse-llm/gatehouse/gateway"
	ghttp "github.com/gatehouse-llm/gatehouse/http"
	"github.com/gatehouse-llm/gatehouse/ratelimit"
	"github.com/gatehouse-llm/gatehouse/secret"
	"github.com/gatehouse-llm/gatehouse/sqlstore"
	"github.com/gatehouse-llm/gatehouse/sqlstore/storetest"
	"github.com/gatehouse-llm/gatehouse/state"
)

// site is a whole Gatehouse (API and console) over loopback on a fresh
// SQLite database, with an owner, an admin-less viewer and the master key.
type site struct {
	t      testing.TB
	URL    string
	Master string
	DB     *sqlstore.DB
}

const (
	ownerEmail  = "owner@example.com"
	viewerEmail = "viewer@example.com"
	password    = "correct horse battery"
)

func newSite(t *testing.T) *site {
	t.Helper()
	return newSiteOn(t, storetest.OpenSQLite(t))
}

func newSiteOn(t testing.TB, db *sqlstore.DB) *site {
	t.Helper()
	ctx := context.Background()
	master := secret.NewToken(secret.PrefixMasterKey)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	sealer, err := secret.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	db.Sealer = sealer
	db.Models = catalog.Default()
	st, err := state.New(ctx, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	recorder := sqlstore.NewRecorder(db, nil)
	t.Cleanup(recorder.Close)
	gw := gateway.New(gateway.DefaultRegistry(), gateway.NewEndpoints(nil, gateway.DefaultTimeouts), st, gateway.Options{})
	meter := &gateway.Meter{Gateway: gw, Store: db, Recorder: recorder, Catalog: catalog.Default(),
		Limits: &gateway.RateLimits{Limiter: ratelimit.NewLocal(time.Now)}}
	srv := httptest.NewServer(ghttp.NewServer(ghttp.Deps{Store: db, Jobs: db, Meter: meter, State: st, Readiness: db,
		MasterKeyHash: secret.HashToken(master), SupportedProvider: catalog.Default().Supports, Version: "test",
		TestCredential: func(ctx context.Context, c *gatehouse.Credential) error { return nil }}))
	t.Cleanup(srv.Close)
	s := &site{t: t, URL: srv.URL, Master: master, DB: db}
	return s
}

// api calls the management API with the master key.
func (s *site) api(method, path, body string, want int) map[string]any {
	s.t.Helper()
	req, _ := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+s.Master)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		s.t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, raw)
	}
	out := map[string]any{}
	_ = json.Unmarshal(raw, &out)
	return out
}

func (s *site) users() {
	s.api("POST", "/api/admin-users", fmt.Sprintf(`{"email":%q,"password":%q,"role":"owner"}`, ownerEmail, password), 201)
	s.api("POST", "/api/admin-users", fmt.Sprintf(`{"email":%q,"password":%q,"role":"viewer"}`, viewerEmail, password), 201)
}

// browser starts headless Chromium, or skips when there is none (CI sets
// GATEHOUSE_REQUIRE_BROWSER, so there a missing browser fails).
func browser(t *testing.T) context.Context {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("GATEHOUSE_REQUIRE_BROWSER") != "" {
			t.Fatal("no Chromium found; install Debian's chromium package")
		}
		t.Skip("no Chromium found (apt-get install -y chromium)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.WindowSize(1280, 900), chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(cancel3)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return ctx
}

// step runs browser actions; when they fail it saves a screenshot of the
// page as it was and fails the test naming it.
func step(t *testing.T, ctx context.Context, name string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		var shot []byte
		shotCtx, c2 := context.WithTimeout(ctx, 10*time.Second)
		defer c2()
		dir := os.Getenv("GATEHOUSE_CONSOLE_FAILURES")
		if dir == "" {
			dir = os.TempDir()
		}
		file := filepath.Join(dir, "console-failure-"+regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(strings.ToLower(name), "-")+".png")
		var loc string
		if chromedp.Do(shotCtx, into(&loc, chromedp.Location()), into(&shot, chromedp.FullScreenshot(100))) == nil {
			_ = os.WriteFile(file, shot, 0o644)
			t.Fatalf("%s: %v (page %s; screenshot %s)", name, err, loc, file)
		}
		t.Fatalf("%s: %v", name, err)
	}
}

// screenshot saves a page for the README when GATEHOUSE_CONSOLE_SCREENSHOTS
// names a directory (docs/ in the repository).
func screenshot(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("GATEHOUSE_CONSOLE_SCREENSHOTS")
	if dir == "" {
		return
	}
	var b []byte
	step(t, ctx, "screenshot "+name, into(&b, chromedp.FullScreenshot(100)))
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func signIn(t *testing.T, ctx context.Context, base, email string) {
	step(t, ctx, "sign in as "+email,
		chromedp.Navigate(base+"/admin/"),
		chromedp.WaitVisible(chromedp.CSS(`#email`)),
		chromedp.SendKeys(chromedp.CSS(`#email`), email),
		chromedp.SendKeys(chromedp.CSS(`#password`), password),
		chromedp.Click(chromedp.CSS(`#signin-user`)),
		chromedp.WaitVisible(chromedp.Search(`//h1[text()="Overview"]`)),
	)
}

func text(sel string, out *string) chromedp.Action[chromedp.Void] {
	return into(out, chromedp.Text(chromedp.CSS(sel)))
}

// into runs an action that answers a value and stores it in dst.
func into[T any](dst *T, a chromedp.Action[T]) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		v, err := a(ctx, t)
		*dst = v
		return chromedp.Void{}, err
	}
}

// TestConsoleInBrowser drives the console like an operator: every
// acceptance flow of the console, checked against the API.
func TestConsoleInBrowser(t *testing.T) {
	s := newSite(t)
	s.users()
	ctx := browser(t)
	signIn(t, ctx, s.URL, ownerEmail)

	// An alias through the Create Alias form, seen by the API.
	var flash string
	step(t, ctx, "create alias",
		chromedp.Navigate(s.URL+"/admin/aliases/new"),
		chromedp.WaitVisible(chromedp.CSS(`#alias`)),
		chromedp.SendKeys(chromedp.CSS(`#alias`), "echo"),
		chromedp.SendKeys(chromedp.CSS(`#litellm_model`), "mock/echo"),
		chromedp.SendKeys(chromedp.CSS(`#description`), "Answers with your last message"),
		// Picking a catalogue model fills in its price (mock: 0); type over it.
		chromedp.Focus(chromedp.CSS(`#description`)),
		chromedp.SetValue(chromedp.CSS(`#input_per_million`), "2.50"),
		chromedp.SetValue(chromedp.CSS(`#output_per_million`), "10.00"),
		chromedp.Click(chromedp.CSS(`#create-alias`)),
		chromedp.WaitVisible(chromedp.CSS(`#alias-model`)),
		text(`.flash`, &flash),
	)
	if !strings.Contains(flash, "created") {
		t.Fatalf("after creating the alias the page says %q", flash)
	}
	list := s.api("GET", "/api/model-aliases", "", 200)
	if !strings.Contains(fmt.Sprint(list["aliases"]), "mock/echo") {
		t.Fatalf("GET /api/model-aliases does not list the alias made in the console: %v", list)
	}

	// An access group, an organization and a team through the forms.
	step(t, ctx, "create access group",
		chromedp.Navigate(s.URL+"/admin/groups"),
		chromedp.SendKeys(chromedp.CSS(`#group_name`), "starter"),
		chromedp.SendKeys(chromedp.CSS(`#model_aliases`), "echo"),
		chromedp.Click(chromedp.CSS(`#create-group`)),
		chromedp.WaitVisible(chromedp.Search(`//h1[contains(., "Access group starter")]`)),
	)
	step(t, ctx, "create organization",
		chromedp.Navigate(s.URL+"/admin/orgs"),
		chromedp.SendKeys(chromedp.CSS(`#organization_id`), "org_acme"),
		chromedp.SendKeys(chromedp.CSS(`#name`), "Acme Inc"),
		chromedp.Click(chromedp.CSS(`#create-org`)),
		chromedp.WaitVisible(chromedp.Search(`//h1[contains(., "Acme Inc")]`)),
	)
	var teamKey string
	step(t, ctx, "create team",
		chromedp.SendKeys(chromedp.CSS(`#team_id`), "acme-prod"),
		chromedp.SendKeys(chromedp.CSS(`#team_alias`), "Production"),
		chromedp.SendKeys(chromedp.CSS(`#credits_allocated`), "100"),
		chromedp.Click(chromedp.CSS(`input[name=access_groups][value=starter]`)),
		chromedp.Click(chromedp.CSS(`#create-team`)),
		chromedp.WaitVisible(chromedp.CSS(`#new-key`)),
		text(`#new-key`, &teamKey),
	)
	teamKey = strings.TrimSpace(teamKey)
	if !strings.HasPrefix(teamKey, "gh-sk-") {
		t.Fatalf("the new team's key page shows %q", teamKey)
	}
	team := s.api("GET", "/api/teams/acme-prod", "", 200)
	if team["organization_id"] != "org_acme" || fmt.Sprint(team["access_groups"]) != "[starter]" {
		t.Fatalf("the team made in the console: %v", team)
	}

	// A call through the API shows up as a job with its calls.
	callAPI(t, s.URL, teamKey, 200)
	var calls string
	step(t, ctx, "job calls",
		chromedp.Navigate(s.URL+"/admin/teams/acme-prod/jobs"),
		chromedp.WaitVisible(chromedp.CSS(`#jobs`)),
		chromedp.Click(chromedp.CSS(`#jobs tbody a`)),
		chromedp.WaitVisible(chromedp.CSS(`#calls`)),
		text(`#calls tbody`, &calls),
	)
	if !strings.Contains(calls, "echo") || !strings.Contains(calls, "mock/echo") || !strings.Contains(calls, "success") {
		t.Fatalf("the job page's calls: %q", calls)
	}

	// Switch the alias's provider model, seeing the price difference.
	var model string
	step(t, ctx, "switch provider",
		chromedp.Navigate(s.URL+"/admin/aliases/echo?switch_to=mock/fixed"),
		chromedp.WaitVisible(chromedp.CSS(`#switch-compare`)),
		chromedp.Click(chromedp.CSS(`#confirm-switch`)),
		chromedp.WaitVisible(chromedp.Search(`//p[contains(@class, "flash") and contains(., "now serves")]`)),
		text(`#alias-model`, &model),
	)
	if model != "mock/fixed" || s.api("GET", "/api/model-aliases/echo", "", 200)["litellm_model"] != "mock/fixed" {
		t.Fatalf("after the switch the page shows %q and the API %v", model, s.api("GET", "/api/model-aliases/echo", "", 200)["litellm_model"])
	}

	// Disable it.
	step(t, ctx, "disable alias",
		chromedp.Click(chromedp.CSS(`#disable-alias`)),
		chromedp.WaitVisible(chromedp.CSS(`#enable-alias`)),
	)
	if s.api("GET", "/api/model-aliases/echo", "", 200)["active"] != false {
		t.Fatal("the alias disabled in the console is still active in the API")
	}
	// A few catalogue aliases beside it, as an operator's list looks.
	for i, prov := range []string{"openai", "anthropic", "gemini", "groq", "mistral"} {
		if models := catalog.Default().Models(prov); len(models) > 0 {
			s.api("POST", "/api/model-aliases/create", fmt.Sprintf(`{"alias":%q,"litellm_model":%q,"fallbacks":["echo"]}`,
				[]string{"smart", "writer", "vision", "fast", "cheap"}[i], prov+"/"+models[len(models)/2].Name), 201)
		}
	}
	step(t, ctx, "alias list", chromedp.Navigate(s.URL+"/admin/aliases"), chromedp.WaitVisible(chromedp.CSS(`table`)))
	screenshot(t, ctx, "console-aliases.png")
	step(t, ctx, "enable alias again",
		chromedp.Navigate(s.URL+"/admin/aliases/echo"),
		chromedp.Click(chromedp.CSS(`#enable-alias`)),
		chromedp.WaitVisible(chromedp.CSS(`#disable-alias`)),
	)

	// Issue a key, then revoke it: the API stops taking it.
	var second string
	step(t, ctx, "issue key",
		chromedp.Navigate(s.URL+"/admin/teams/acme-prod"),
		chromedp.SendKeys(chromedp.CSS(`#key-name`), "second"),
		chromedp.Click(chromedp.CSS(`#issue-key`)),
		chromedp.WaitVisible(chromedp.CSS(`#new-key`)),
		text(`#new-key`, &second),
	)
	second = strings.TrimSpace(second)
	callAPI(t, s.URL, second, 200)
	step(t, ctx, "revoke key",
		chromedp.Navigate(s.URL+"/admin/teams/acme-prod"),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`button[data-key=%q]`, second[:12]))),
		chromedp.WaitVisible(chromedp.Search(`//p[contains(@class, "flash") and contains(., "revoked")]`)),
		text(`.flash`, &flash),
	)
	if !strings.Contains(flash, "revoked") {
		t.Fatalf("after revoking, the page says %q", flash)
	}
	callAPI(t, s.URL, second, 401)

	// Add credits and see the ledger row.
	var ledger, balance string
	step(t, ctx, "add credits",
		chromedp.SendKeys(chromedp.CSS(`#add-credits`), "25"),
		chromedp.SendKeys(chromedp.CSS(`#add-reason`), "console top-up"),
		chromedp.Click(chromedp.CSS(`#add-credits-btn`)),
		chromedp.WaitVisible(chromedp.Search(`//p[contains(@class, "flash") and contains(., "Credits recorded")]`)),
		text(`#ledger tbody`, &ledger),
		text(`#balance`, &balance),
	)
	if !strings.Contains(ledger, "console top-up") || !strings.Contains(ledger, "allocation") {
		t.Fatalf("the ledger after adding credits: %q", ledger)
	}
	if got := s.api("GET", "/api/credits/teams/acme-prod/balance", "", 200); fmt.Sprint(got["credits_balance"]) != "123" {
		t.Fatalf("balance after two one-credit jobs and 25 added: %v (page shows %s)", got["credits_balance"], balance)
	}
	screenshot(t, ctx, "console-team.png")

	for i := range 6 {
		body := `{"model":"echo","max_tokens":200,"messages":[{"role":"user","content":"tell me something long enough to cost a little"}]}`
		if i == 3 {
			body = `{"model":"echo","messages":[{"role":"user","content":"[mock:error=500] fail"}]}`
		}
		req, _ := http.NewRequest("POST", s.URL+"/v1/chat/completions", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+teamKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	var totals string
	step(t, ctx, "usage",
		chromedp.Navigate(s.URL+"/admin/usage?team=acme-prod"),
		chromedp.WaitVisible(chromedp.CSS(`#usage-totals`)),
		text(`#usage-totals`, &totals),
	)
	if !strings.Contains(totals, "Calls\n8") || strings.Contains(totals, "cost\n$0.00\n") || !strings.Contains(totals, "12.5%") {
		t.Fatalf("usage totals: %q", totals)
	}
	screenshot(t, ctx, "console-usage.png")

	// Readable on a phone, light and dark themes, nothing inline for the
	// CSP to block, and every read page without JavaScript.
	media := func(scheme string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
			return err
		})
	}
	var fits, clean bool
	var light, dark string
	step(t, ctx, "phone and themes",
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(s.URL+"/admin/teams/acme-prod"),
		chromedp.WaitVisible(chromedp.CSS(`#balance`)),
		into(&fits, chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth + 1`)),
		chromedp.ResetViewport(),
		into(&clean, chromedp.Evaluate[bool](`document.querySelectorAll('[style]').length === 0 && [...document.scripts].every(s => s.src) && [...document.querySelectorAll('*')].every(e => [...e.attributes].every(a => !a.name.startsWith('on')))`)),
		media("light"),
		into(&light, chromedp.Evaluate[string](`getComputedStyle(document.body).backgroundColor`)),
		media("dark"),
		into(&dark, chromedp.Evaluate[string](`getComputedStyle(document.body).backgroundColor`)),
		media(""),
	)
	if !fits {
		t.Error("the team page is wider than a phone's screen")
	}
	if !clean {
		t.Error("a page carries inline style, inline script or an event handler attribute")
	}
	if light == dark || dark != "rgb(21, 23, 26)" {
		t.Errorf("themes: light %s, dark %s", light, dark)
	}
	var noJS string
	step(t, ctx, "pages without JavaScript",
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
			return err
		}),
		chromedp.Navigate(s.URL+"/admin/aliases"),
		chromedp.WaitVisible(chromedp.CSS(`table`)),
		chromedp.Navigate(s.URL+"/admin/teams/acme-prod/jobs"),
		chromedp.WaitVisible(chromedp.CSS(`#jobs`)),
		chromedp.Navigate(s.URL+"/admin/usage?team=acme-prod"),
		chromedp.WaitVisible(chromedp.CSS(`svg.chart`)),
		text(`#usage-totals`, &noJS),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: false})
			return err
		}),
	)
	if !strings.Contains(noJS, "Calls") {
		t.Errorf("usage without JavaScript: %q", noJS)
	}

	// Sign out, then the viewer: no mutating controls.
	step(t, ctx, "sign out",
		chromedp.Click(chromedp.CSS(`form.signout button`)),
		chromedp.WaitVisible(chromedp.CSS(`#signin-user`)),
	)
	signIn(t, ctx, s.URL, viewerEmail)
	var forms, links int
	step(t, ctx, "viewer sees no controls",
		chromedp.Navigate(s.URL+"/admin/aliases/echo"),
		chromedp.WaitVisible(chromedp.CSS(`#alias-model`)),
		into(&forms, chromedp.Evaluate[int](`document.querySelectorAll('main form[method=post]').length`)),
		chromedp.Navigate(s.URL+"/admin/teams/acme-prod"),
		chromedp.WaitVisible(chromedp.CSS(`#balance`)),
		into(&links, chromedp.Evaluate[int](`document.querySelectorAll('main form[method=post]').length + document.querySelectorAll('a[href$="/delete"], a[href="/admin/aliases/new"]').length`)),
	)
	if forms != 0 || links != 0 {
		t.Fatalf("a viewer sees %d forms on the alias page and %d controls on the team page", forms, links)
	}
}

// callAPI makes one chat call with a team key and checks its status.
func callAPI(t *testing.T, base, key string, want int) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/v1/chat/completions", strings.NewReader(`{"model":"echo","messages":[{"role":"user","content":"hello console"}]}`))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("chat call: %d, want %d: %s", resp.StatusCode, want, raw)
	}
}

// client is a cookie-keeping HTTP client signed in to the console, the
// way a script posting forms directly would be.
type client struct {
	t    testing.TB
	base string
	c    *http.Client
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func newClient(t testing.TB, base string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *client) get(path string) (*http.Response, string) {
	c.t.Helper()
	resp, err := c.c.Get(c.base + path)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (c *client) post(path string, form url.Values) (*http.Response, string) {
	c.t.Helper()
	resp, err := c.c.PostForm(c.base+path, form)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// csrf reads a page's form token.
func (c *client) csrf(path string) string {
	c.t.Helper()
	_, body := c.get(path)
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		c.t.Fatalf("no csrf field on %s", path)
	}
	return m[1]
}

func (c *client) signIn(form url.Values) *http.Response {
	c.t.Helper()
	form.Set("csrf", c.csrf("/admin/signin"))
	resp, _ := c.post("/admin/signin", form)
	return resp
}

// TestConsoleRefusesViewerChanges posts a change form directly as a
// viewer, with a valid session and CSRF token: the console refuses it and
// nothing changes.
func TestConsoleRefusesViewerChanges(t *testing.T) {
	s := newSite(t)
	s.users()
	s.api("POST", "/api/model-aliases/create", `{"alias":"echo","litellm_model":"mock/echo"}`, 201)
	s.api("POST", "/api/organizations/create", `{"organization_id":"org_a","name":"A"}`, 201)
	s.api("POST", "/api/teams/create", `{"organization_id":"org_a","team_id":"team-a","credits_allocated":10}`, 201)
	c := newClient(t, s.URL)
	if resp := c.signIn(url.Values{"email": {viewerEmail}, "password": {password}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("viewer sign-in: %d", resp.StatusCode)
	}
	token := c.csrf("/admin/aliases/echo")
	for _, tc := range []struct{ path string }{
		{"/admin/aliases/echo/disable"},
		{"/admin/aliases/echo/delete"},
		{"/admin/teams/team-a/add"},
		{"/admin/teams/team-a/suspend"},
		{"/admin/orgs"},
	} {
		resp, body := c.post(tc.path, url.Values{"csrf": {token}, "credits": {"1000"}, "organization_id": {"org_x"}, "name": {"X"}})
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "viewer") {
			t.Errorf("viewer POST %s: %d, want 403 naming the role", tc.path, resp.StatusCode)
		}
	}
	if a := s.api("GET", "/api/model-aliases/echo", "", 200); a["active"] != true {
		t.Error("a viewer's post disabled the alias")
	}
	if b := s.api("GET", "/api/credits/teams/team-a/balance", "", 200); fmt.Sprint(b["credits_balance"]) != "10" {
		t.Errorf("a viewer's post changed the balance: %v", b["credits_balance"])
	}
	if _, total, _ := s.DB.ListOrganizations(context.Background(), gatehouse.OrganizationFilter{}); total != 1 {
		t.Errorf("a viewer's post created an organization: %d", total)
	}
}

// TestConsoleSessionSecurity checks the headers every page carries, the
// session cookie's flags, CSRF refusal, server-side sign-out, master-key
// sign-in and the sign-in throttle.
func TestConsoleSessionSecurity(t *testing.T) {
	s := newSite(t)
	s.users()
	s.api("POST", "/api/model-aliases/create", `{"alias":"echo","litellm_model":"mock/echo"}`, 201)

	c := newClient(t, s.URL)
	resp, _ := c.get("/admin/signin")
	h := resp.Header
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "default-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP allows inline code: %q", csp)
	}
	if h.Get("X-Frame-Options") != "DENY" || h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("framing/sniffing headers: %v", h)
	}
	if resp, _ := c.get("/admin/aliases"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/signin" {
		t.Errorf("signed out, /admin/aliases: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}

	// Sign-in without the form's token is refused.
	if resp, _ := c.post("/admin/signin", url.Values{"email": {ownerEmail}, "password": {password}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("sign-in without CSRF token: %d", resp.StatusCode)
	}
	resp = c.signIn(url.Values{"email": {ownerEmail}, "password": {password}})
	var session *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "gh_console" {
			session = ck
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Secure {
		t.Fatalf("session cookie over plain HTTP: %+v (want HttpOnly, SameSite=Strict, not Secure)", session)
	}
	// A change without the CSRF token is refused even with the session.
	if resp, _ := c.post("/admin/aliases/echo/disable", url.Values{}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("change without CSRF token: %d", resp.StatusCode)
	}
	if a := s.api("GET", "/api/model-aliases/echo", "", 200); a["active"] != true {
		t.Fatal("a change without CSRF token went through")
	}
	// Sign out: the session is dead on the server, not only in this jar.
	token := c.csrf("/admin/")
	if resp, _ := c.post("/admin/signout", url.Values{"csrf": {token}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out: %d", resp.StatusCode)
	}
	replay := newClient(t, s.URL)
	u, _ := url.Parse(s.URL + "/admin/")
	replay.c.Jar.SetCookies(u, []*http.Cookie{{Name: "gh_console", Value: session.Value}})
	if resp, _ := replay.get("/admin/aliases"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("a signed-out session still opens pages: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest("GET", s.URL+"/api/model-aliases", nil)
	req.Header.Set("Authorization", "Bearer "+session.Value)
	if r, err := http.DefaultClient.Do(req); err != nil || r.StatusCode != http.StatusUnauthorized {
		t.Errorf("a signed-out session still opens the API: %v %v", r.StatusCode, err)
	}

	// Master key sign-in, then sign-out ends it too.
	m := newClient(t, s.URL)
	if resp := m.signIn(url.Values{"master_key": {s.Master}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("master-key sign-in: %d", resp.StatusCode)
	}
	if resp, body := m.get("/admin/users"); resp.StatusCode != 200 || !strings.Contains(body, ownerEmail) {
		t.Fatalf("master session on the owner-only page: %d", resp.StatusCode)
	}
	// Behind a trusted proxy that says https, the cookie is Secure.
	pre := newClient(t, s.URL)
	req, _ = http.NewRequest("GET", s.URL+"/admin/signin", nil)
	req.Header.Set("X-Forwarded-Proto", "https")
	r, err := pre.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	for _, ck := range r.Cookies() {
		if !ck.Secure {
			t.Errorf("cookie %s from a loopback proxy saying https is not Secure", ck.Name)
		}
	}

	// Failed sign-ins are throttled like the API's logins.
	bad := newClient(t, s.URL)
	var last int
	for range 7 {
		last = bad.signIn(url.Values{"email": {ownerEmail}, "password": {"wrong password!"}}).StatusCode
	}
	if last != http.StatusTooManyRequests {
		t.Errorf("the 7th failed sign-in: %d, want 429", last)
	}
	for range 21 {
		last = bad.signIn(url.Values{"master_key": {"gh-master-not-it"}}).StatusCode
	}
	if last != http.StatusTooManyRequests {
		t.Errorf("repeated wrong master keys: %d, want 429", last)
	}
}

// TestConsoleOverview checks the overview's figures against what was done
// through the API, on both engines.
func TestConsoleOverview(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSiteOn(t, db)
		s.users()
		s.api("POST", "/api/model-aliases/create", `{"alias":"echo","litellm_model":"mock/echo"}`, 201)
		s.api("POST", "/api/model-access-groups/create", `{"group_name":"g","model_aliases":["echo"]}`, 201)
		s.api("POST", "/api/organizations/create", `{"organization_id":"org_o","name":"O"}`, 201)
		rich := s.api("POST", "/api/teams/create", `{"organization_id":"org_o","team_id":"rich","access_groups":["g"],"credits_allocated":500}`, 201)
		s.api("POST", "/api/teams/create", `{"organization_id":"org_o","team_id":"poor","access_groups":["g"],"credits_allocated":2}`, 201)
		key := rich["virtual_key"].(string)
		callAPI(t, s.URL, key, 200)
		req, _ := http.NewRequest("POST", s.URL+"/v1/chat/completions", strings.NewReader(`{"model":"echo","messages":[{"role":"user","content":"[mock:error=500] boom"}]}`))
		req.Header.Set("Authorization", "Bearer "+key)
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode < 500 {
			t.Fatalf("a failing call: %v %v", resp.StatusCode, err)
		}
		o, err := db.Overview(context.Background(), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		month, err := db.FleetUsage(context.Background(), time.Now().UTC().AddDate(0, 0, -40), time.Now().UTC().AddDate(0, 0, 1))
		if err != nil || month.Calls != o.CallsToday || month.FailedCalls != o.ErrorsToday {
			t.Fatalf("fleet usage over 40 days %+v (err %v), today %+v", month, err, o)
		}
		if o.Organizations != 1 || o.Teams != 2 || o.CallsToday != 2 || o.ErrorsToday != 1 || o.SpendTodayMicros != 0 {
			t.Fatalf("overview: %+v", o)
		}
		now := time.Now().UTC()
		rep, err := db.OrganizationUsage(context.Background(), "org_o", now.AddDate(0, 0, -1), now.AddDate(0, 0, 1))
		if err != nil || rep.Totals.Calls != 2 || rep.Totals.FailedCalls != 1 || len(rep.ByModel) != 1 || rep.ByModel[0].Key != "echo" || len(rep.ByDay) != 1 {
			t.Fatalf("organization usage: %+v (err %v)", rep, err)
		}
		if len(o.LowCredit) != 2 || o.LowCredit[0].ID != "poor" {
			t.Fatalf("teams low on credits, fewest first: %v", o.LowCredit)
		}
		if len(o.RecentErrors) == 0 || o.RecentErrors[0].TeamID != "rich" || o.RecentErrors[0].Error == "" {
			t.Fatalf("recent errors: %+v", o.RecentErrors)
		}
		c := newClient(t, s.URL)
		c.signIn(url.Values{"email": {viewerEmail}, "password": {password}})
		resp, body := c.get("/admin/")
		if resp.StatusCode != 200 || !strings.Contains(body, "poor") || !strings.Contains(body, "Recent provider errors") {
			t.Fatalf("overview page: %d", resp.StatusCode)
		}
	})
}

// TestConsolePages renders every page, as the owner and as a viewer, and
// runs the changes the browser test does not, checking each through the
// API: a credential stored and tested, an access group edited, a key
// rotated, an organization suspended, an admin user created.
func TestConsolePages(t *testing.T) {
	s := newSite(t)
	s.users()
	s.api("POST", "/api/model-aliases/create", `{"alias":"echo","litellm_model":"mock/echo"}`, 201)
	s.api("POST", "/api/model-aliases/create", `{"alias":"backup","litellm_model":"mock/fixed","fallbacks":[]}`, 201)
	s.api("PUT", "/api/model-aliases/echo", `{"fallbacks":["backup"]}`, 200)
	s.api("POST", "/api/model-access-groups/create", `{"group_name":"g","model_aliases":["echo"]}`, 201)
	s.api("POST", "/api/organizations/create", `{"organization_id":"org_p","name":"P"}`, 201)
	team := s.api("POST", "/api/teams/create", `{"organization_id":"org_p","team_id":"tp","access_groups":["g"],"credits_allocated":10}`, 201)
	callAPI(t, s.URL, team["virtual_key"].(string), 200)
	jobs := s.api("GET", "/api/teams/tp/jobs", "", 200)["jobs"].([]any)
	job := jobs[0].(map[string]any)["job_id"].(string)
	keyID := team["key"].(map[string]any)["key_id"].(string)

	owner := newClient(t, s.URL)
	owner.signIn(url.Values{"email": {ownerEmail}, "password": {password}})
	viewer := newClient(t, s.URL)
	viewer.signIn(url.Values{"email": {viewerEmail}, "password": {password}})
	pages := []string{"/admin/", "/admin/aliases", "/admin/aliases?q=ech&show=active", "/admin/aliases/echo", "/admin/aliases/echo?switch_to=openai/gpt-4o-mini",
		"/admin/groups", "/admin/groups/g", "/admin/orgs", "/admin/orgs/org_p", "/admin/teams", "/admin/teams?org=org_p&status=active",
		"/admin/teams/tp", "/admin/teams/tp?kind=allocation", "/admin/teams/tp/jobs", "/admin/teams/tp/jobs?status=completed&since=2020-01-01&until=2099-01-01",
		"/admin/teams/tp/jobs/" + job, "/admin/usage", "/admin/usage?team=tp", "/admin/usage?org=org_p&since=2020-01-01", "/admin/credentials"}
	for _, p := range append(pages, "/admin/aliases/new", "/admin/aliases/echo/delete", "/admin/audit", "/admin/audit?action=alias.update", "/admin/users") {
		if resp, body := owner.get(p); resp.StatusCode != 200 || !strings.Contains(body, "</main>") {
			t.Errorf("owner GET %s: %d", p, resp.StatusCode)
		}
	}
	for _, p := range pages {
		if resp, _ := viewer.get(p); resp.StatusCode != 200 {
			t.Errorf("viewer GET %s: %d", p, resp.StatusCode)
		}
	}
	for _, p := range []string{"/admin/users", "/admin/audit", "/admin/aliases/new"} {
		if resp, _ := viewer.get(p); resp.StatusCode != http.StatusForbidden {
			t.Errorf("viewer GET %s: %d, want 403", p, resp.StatusCode)
		}
	}
	if _, body := owner.get("/admin/aliases/backup/delete"); !strings.Contains(body, "<strong>echo</strong>") {
		t.Error("deleting backup does not warn that echo falls back to it")
	}
	if resp, body := owner.get("/admin/usage.csv?team=tp"); resp.StatusCode != 200 || !strings.HasPrefix(body, "group,key,jobs,calls") || !strings.Contains(body, "model,echo,0,1,0,") {
		t.Errorf("usage CSV: %d %q", resp.StatusCode, body)
	}
	if resp, body := owner.get("/admin/usage.csv?org=org_p"); resp.StatusCode != 200 || !strings.Contains(body, "total,org_p,0,1,0,") || !strings.Contains(body, "model,echo,0,1,0,") {
		t.Errorf("organization usage CSV: %d %q", resp.StatusCode, body)
	}
	if _, body := owner.get("/admin/usage"); !strings.Contains(body, `<td>mock</td><td class="n">1</td>`) {
		t.Error("the fleet view does not count the call under its provider")
	}
	if resp, _ := owner.get("/admin/usage?org=nope"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("usage of a missing organization: %d", resp.StatusCode)
	}

	csrf := owner.csrf("/admin/")
	post := func(path string, form url.Values) string {
		t.Helper()
		form.Set("csrf", csrf)
		resp, body := owner.post(path, form)
		if resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusOK {
			t.Fatalf("POST %s: %d %s", path, resp.StatusCode, body)
		}
		return body
	}
	post("/admin/credentials", url.Values{"provider": {"openai"}, "credential_name": {"main"}, "api_key": {"sk-test-1234567890abcd"}})
	creds := s.api("GET", "/api/provider-credentials", "", 200)["credentials"].([]any)
	if len(creds) != 1 || creds[0].(map[string]any)["api_key_last4"] != "abcd" {
		t.Fatalf("credential stored from the console: %v", creds)
	}
	_, body := owner.get("/admin/credentials")
	if strings.Contains(body, "sk-test-1234567890") || !strings.Contains(body, "••••abcd") {
		t.Error("the credentials page shows more than the last 4 characters")
	}
	post("/admin/credentials/"+creds[0].(map[string]any)["credential_id"].(string)+"/test", url.Values{})
	if _, body := owner.get("/admin/credentials"); !strings.Contains(body, "accepts the credential") {
		t.Error("the credential test's answer is not shown")
	}
	post("/admin/groups/g/add-models", url.Values{"model_aliases": {"backup"}})
	if g := s.api("GET", "/api/model-access-groups/g", "", 200); fmt.Sprint(g["model_aliases"]) != "[backup echo]" {
		t.Errorf("group after adding backup: %v", g["model_aliases"])
	}
	body = post("/admin/teams/tp/keys/"+keyID+"/rotate", url.Values{"grace_period_seconds": {"60"}})
	if !strings.Contains(body, `id="new-key"`) {
		t.Error("rotating a key does not show the new key")
	}
	post("/admin/orgs/org_p/suspend", url.Values{})
	if o := s.api("GET", "/api/organizations/org_p", "", 200); o["status"] != "suspended" {
		t.Errorf("organization after suspend: %v", o["status"])
	}
	post("/admin/teams/tp/budget-mode", url.Values{"budget_mode": {"consumption_usd"}})
	post("/admin/teams/tp/markup", url.Values{"cost_markup_percentage": {"12.5"}})
	post("/admin/teams/tp/rate-limits", url.Values{"requests_per_minute": {"60"}, "tokens_per_minute": {""}, "concurrent": {"4"}})
	tm := s.api("GET", "/api/teams/tp", "", 200)
	if tm["budget_mode"] != "consumption_usd" || fmt.Sprint(tm["rate_limits"]) != "map[concurrent:4 requests_per_minute:60 tokens_per_minute:0]" {
		t.Errorf("team after budget mode and limits: %v %v", tm["budget_mode"], tm["rate_limits"])
	}
	if r := s.api("GET", "/api/credits/teams/tp/conversion-rates", "", 200); fmt.Sprint(r["cost_markup_percentage"]) != "12.5" {
		t.Errorf("markup: %v", r)
	}
	post("/admin/teams/tp/add", url.Values{"credits": {"abc"}})
	if _, body := owner.get("/admin/teams/tp"); !strings.Contains(body, "credits: &#34;abc&#34; is not a decimal number") {
		t.Error("an unreadable amount is not refused by name")
	}
	post("/admin/users", url.Values{"email": {"new@example.com"}, "password": {password}, "role": {"admin"}})
	if u := s.api("GET", "/api/admin-users", "", 200); !strings.Contains(fmt.Sprint(u["users"]), "new@example.com") {
		t.Error("the admin user made in the console is not in the API")
	}
}
