package portal_test

import (
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segel-lpse/segel/portal"
)

// TestEveryPage asks every page of the portal's table, so that none is
// added untested: a GET as the anonymous, a provider and a committee
// member (status, language, policy, headers, and who is sent to sign in
// or refused), and every POST without its CSRF token (refused, 403).
func TestEveryPage(t *testing.T) {
	d := newDeployment(t)
	tn := d.setup(1, time.Hour)
	keys, err := d.s.Keys.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	site, err := portal.New(portal.Config{API: d.s.Handler(), CSRFKey: key, Chain: d.s.Beacon.Chain().MarshalInfo(), Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	anon, provider, pokja := d.browser(), d.browser(), d.browser()
	provider.login("direktur@cv-contoh-0.demo.co.id", demoPassword)
	pokja.login("pokja11@pemkot.demo.go.id", demoPassword)
	const ok, signIn, refused = 200, 303, 403
	gets := []struct {
		pattern, path         string
		anon, provider, pokja int
	}{
		{"/{$}", "/", ok, ok, ok},
		{"/tenders", "/tenders", ok, ok, ok},
		{"/tenders/{tender}", "/tenders/" + tn.ID, ok, ok, ok},
		{"/notices", "/notices", ok, ok, ok},
		{"/plans", "/plans", ok, ok, ok},
		{"/plans/{plan}", "/plans/RUP-NONE", 404, 404, 404},
		{"/about", "/about", ok, ok, ok},
		{"/login", "/login", ok, signIn, signIn},
		{"/register", "/register", ok, signIn, signIn},
		{"/account", "/account", signIn, ok, ok},
		{"/account/documents/{kind}", "/account/documents/ktp", signIn, ok, 404},
		{"/tenders/{tender}/offer", "/tenders/" + tn.ID + "/offer", signIn, ok, refused},
		{"/tenders/{tender}/receipt", "/tenders/" + tn.ID + "/receipt", signIn, ok, refused},
		{"/audit", "/audit", ok, ok, ok},
		{"/staff", "/staff", signIn, refused, refused},
		{"/staff/users", "/staff/users", signIn, refused, refused},
		{"/staff/users/{user}", "/staff/users/u-none", signIn, refused, refused},
		{"/staff/users/{user}/documents/{kind}", "/staff/users/u-none/documents/ktp", signIn, refused, refused},
		{"/staff/blacklist", "/staff/blacklist", signIn, refused, refused},
		{"/staff/notices", "/staff/notices", signIn, refused, refused},
		{"/staff/complaints", "/staff/complaints", signIn, refused, refused},
		{"/staff/complaints/{complaint}", "/staff/complaints/C-none", signIn, refused, refused},
		{"/official", "/official", signIn, refused, signIn}, // a pokja member is sent to their tenders
		{"/official/plans", "/official/plans", signIn, refused, refused},
		{"/official/committees", "/official/committees", signIn, refused, refused},
		{"/official/tenders", "/official/tenders", signIn, refused, ok},
		{"/official/tenders/{tender}", "/official/tenders/" + tn.ID, signIn, refused, ok},
		{"/official/tenders/{tender}/announce", "/official/tenders/T-NEXT/announce", signIn, refused, refused}, // not their committee's
		{"/official/tenders/{tender}/open", "/official/tenders/" + tn.ID + "/open", signIn, refused, ok},
		{"/official/awards", "/official/awards", signIn, refused, refused},
		{"/tenders/{tender}/opening", "/tenders/" + tn.ID + "/opening", signIn, refused, ok},
	}
	posts := map[string]string{
		"/login": "/login", "/logout": "/logout", "/register": "/register",
		"/tenders/{tender}/participate":               "/tenders/" + tn.ID + "/participate",
		"/tenders/{tender}/questions":                 "/tenders/" + tn.ID + "/questions",
		"/tenders/{tender}/objections":                "/tenders/" + tn.ID + "/objections",
		"/staff/users/{user}/documents/{kind}/verify": "/staff/users/u-none/documents/ktp/verify",
		"/staff/users/{user}/approve":                 "/staff/users/u-none/approve",
		"/staff/users/{user}/reject":                  "/staff/users/u-none/reject",
		"/staff/users/{user}/deactivate":              "/staff/users/u-none/deactivate",
		"/staff/users/{user}/reactivate":              "/staff/users/u-none/reactivate",
		"/staff/blacklist/{request}/approve":          "/staff/blacklist/b-none/approve",
		"/staff/blacklist/{request}/reject":           "/staff/blacklist/b-none/reject",
		"/staff/notices":                              "/staff/notices",
		"/staff/notices/{notice}/withdraw":            "/staff/notices/N-none/withdraw",
		"/staff/complaints/{complaint}":               "/staff/complaints/C-none",
		"/official/plans":                             "/official/plans",
		"/official/committees":                        "/official/committees",
		"/official/tenders/{tender}/announce":         "/official/tenders/T-NEXT/announce",
		"/official/tenders/{tender}/amend":            "/official/tenders/" + tn.ID + "/amend",
		"/official/tenders/{tender}/answers":          "/official/tenders/" + tn.ID + "/answers",
		"/official/tenders/{tender}/close":            "/official/tenders/" + tn.ID + "/close",
		"/official/tenders/{tender}/open":             "/official/tenders/" + tn.ID + "/open",
		"/official/tenders/{tender}/result":           "/official/tenders/" + tn.ID + "/result",
		"/official/tenders/{tender}/award":            "/official/tenders/" + tn.ID + "/award",
	}
	var covered []string
	for _, g := range gets {
		covered = append(covered, "GET "+g.pattern)
		for _, c := range []struct {
			who  string
			b    *browser
			want int
		}{{"anonymous", anon, g.anon}, {"provider", provider, g.provider}, {"pokja", pokja, g.pokja}} {
			p := c.b.get(g.path)
			if c.want == signIn || p.status == signIn {
				if p.status != c.want {
					t.Errorf("%s GET %s: %d, want %d", c.who, g.path, p.status, c.want)
				}
				continue
			}
			if g.pattern == "/account/documents/{kind}" && c.want == ok {
				if p.status != ok {
					t.Errorf("%s GET %s: %d", c.who, g.path, p.status)
				}
				continue
			}
			checkPage(t, c.who+" GET "+g.path, p, c.want, "id")
		}
	}
	for pattern, path := range posts {
		covered = append(covered, "POST "+pattern)
		for _, c := range []struct {
			who string
			b   *browser
		}{{"anonymous", anon}, {"provider", provider}} {
			c.b.get("/login") // a pre-session for the anonymous
			p := c.b.post(path, url.Values{"csrf": {"not-the-token"}, "text": {"x"}}, page{})
			checkPage(t, c.who+" POST "+path+" without its token", p, http.StatusForbidden, "id")
		}
	}
	for _, p := range portal.Pages(site) {
		if !slices.Contains(covered, p) {
			t.Errorf("page %s is not asked by this test: add it", p)
		}
	}
	// pinned.js is served as a script, outside the pages' table.
	rec := httptest.NewRecorder()
	site.ServeHTTP(rec, httptest.NewRequest("GET", "/portal/pinned.js", nil))
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/javascript") {
		t.Errorf("GET /portal/pinned.js: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
}
