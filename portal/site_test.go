package portal_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/segel-lpse/segel/client"
	"github.com/segel-lpse/segel/server"
)

// pageCSP is the Content-Security-Policy of every page that loads no
// WebAssembly (doc/spec/portal.md §7.4).
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// checkPage checks what every page answers: its status, HTML, the
// security headers, its language.
func checkPage(t *testing.T, what string, p page, status int, lang string) {
	t.Helper()
	if p.status != status {
		t.Errorf("%s: status %d, want %d\n%s", what, p.status, status, brief(p.body))
	}
	for h, want := range map[string]string{
		"Content-Type": "text/html; charset=utf-8", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
		"X-Frame-Options": "DENY", "Cache-Control": "no-store",
	} {
		if got := p.header.Get(h); got != want {
			t.Errorf("%s: %s %q, want %q", what, h, got, want)
		}
	}
	if csp := p.header.Get("Content-Security-Policy"); csp != pageCSP && csp != strings.Replace(pageCSP, "script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", 1) {
		t.Errorf("%s: Content-Security-Policy %q", what, csp)
	}
	if !strings.Contains(p.body, `<html lang="`+lang+`">`) {
		t.Errorf("%s: not <html lang=%q>", what, lang)
	}
	if strings.Contains(p.body, "[") && strings.Contains(text(p.body), "[") {
		for _, w := range strings.Fields(text(p.body)) {
			if strings.HasPrefix(w, "[") && strings.Contains(w, ".") && strings.HasSuffix(w, "]") {
				t.Errorf("%s: a text missing from the catalogue: %s", what, w)
			}
		}
	}
}

// TestHome checks the home page in both languages: Bahasa Indonesia by
// default, English on ?lang=en, kept in a cookie.
func TestHome(t *testing.T) {
	d := newDeployment(t)
	tn := d.setup(0, time.Hour)
	b := d.browser()
	p := b.get("/")
	checkPage(t, "GET /", p, 200, "id")
	if s := text(p.body); !strings.Contains(s, "Tender yang sedang berjalan") || !strings.Contains(s, tn.ID) {
		t.Errorf("GET /: no open tender %s in Bahasa Indonesia:\n%s", tn.ID, s)
	}
	if p.header.Get("Set-Cookie") != "" {
		t.Errorf("GET /: sets a cookie %q, though the visitor chose nothing", p.header.Get("Set-Cookie"))
	}
	p = b.get("/?lang=en")
	checkPage(t, "GET /?lang=en", p, 200, "en")
	if s := text(p.body); !strings.Contains(s, "Tenders open now") {
		t.Errorf("GET /?lang=en: not in English:\n%s", s)
	}
	p = b.get("/tenders")
	checkPage(t, "GET /tenders after ?lang=en", p, 200, "en")
	p = b.get("/?lang=id")
	checkPage(t, "GET /?lang=id", p, 200, "id")
	p = b.get("/?lang=fr")
	checkPage(t, "GET /?lang=fr", p, 200, "id")
}

// TestTenderList checks the list's search and state filter.
func TestTenderList(t *testing.T) {
	d := newDeployment(t)
	tn := d.setup(0, time.Hour)
	b := d.browser()
	for _, c := range []struct {
		query string
		found bool
	}{
		{"", true},
		{"?q=" + url.QueryEscape(strings.ToLower(tn.ID)), true},
		{"?q=tender+" + tn.ID[len(tn.ID)-4:], true},
		{"?q=jembatan", false},
		{"?state=announced", true},
		{"?state=awarded", false},
		{"?state=nonsense", true},
		{"?page=99", true},
	} {
		p := b.get("/tenders" + c.query)
		checkPage(t, "GET /tenders"+c.query, p, 200, "id")
		if got := strings.Contains(p.body, `href="/tenders/`+tn.ID+`"`); got != c.found {
			t.Errorf("GET /tenders%s: lists %s: %v, want %v", c.query, tn.ID, got, c.found)
		}
	}
}

// TestNotFound checks that an unknown path outside the API is the
// portal's HTML 404, and one inside the API the API's JSON.
func TestNotFound(t *testing.T) {
	d := newDeployment(t)
	b := d.browser()
	p := b.get("/no-such-page")
	checkPage(t, "GET /no-such-page", p, 404, "id")
	p = b.do(httptest.NewRequest("DELETE", "/login", nil))
	checkPage(t, "DELETE /login", p, 405, "id")
	if p.header.Get("Allow") != "GET, HEAD, POST" {
		t.Errorf("DELETE /login: Allow %q", p.header.Get("Allow"))
	}
	p = b.get("/v1/no-such-endpoint")
	var e struct{ Code string }
	if json.Unmarshal([]byte(p.body), &e); p.status != 404 || e.Code != "no-route" {
		t.Errorf("GET /v1/no-such-endpoint: %d %s, want the API's 404 no-route", p.status, p.body)
	}
}

// TestSession checks signing in and out: the cookie's attributes, the
// session shown on every page, the token revoked at sign-out.
func TestSession(t *testing.T) {
	d := newDeployment(t)
	d.setup(1, time.Hour)
	b := d.browser()
	form := b.get("/login?next=/tenders")
	checkPage(t, "GET /login", form, 200, "id")
	pre := form.header.Get("Set-Cookie")
	if !strings.HasPrefix(pre, "segel_presession=") {
		t.Errorf("GET /login: sets %q, want the pre-session cookie", pre)
	}

	// A wrong password: the page again, with the API's refusal in
	// Bahasa Indonesia, and the email kept.
	p := b.post("/login", url.Values{"email": {"direktur@cv-contoh-0.demo.co.id"}, "password": {"salah-salah-salah"}, "next": {"/tenders"}}, form)
	checkPage(t, "POST /login, wrong password", p, 401, "id")
	if s := text(p.body); !strings.Contains(s, "Email atau kata sandi salah") || !strings.Contains(p.body, `value="direktur@cv-contoh-0.demo.co.id"`) {
		t.Errorf("wrong password: %s", s)
	}

	p = b.post("/login", url.Values{"email": {"direktur@cv-contoh-0.demo.co.id"}, "password": {demoPassword}, "next": {"/tenders"}}, form)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/tenders" {
		t.Fatalf("POST /login: %d to %q, want 303 to /tenders\n%s", p.status, p.header.Get("Location"), brief(p.body))
	}
	var session *http.Cookie
	for _, c := range (&http.Response{Header: p.header}).Cookies() {
		if c.Name == "segel_session" {
			session = c
		}
	}
	if session == nil || !session.Secure || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Path != "/" {
		t.Fatalf("POST /login: session cookie %+v, want Secure, HttpOnly, SameSite=Strict, Path=/", session)
	}
	if _, ok := b.cookies["segel_presession"]; ok {
		t.Error("the pre-session outlives sign-in")
	}
	p = b.get("/tenders")
	checkPage(t, "GET /tenders signed in", p, 200, "id")
	if s := text(p.body); !strings.Contains(s, "Masuk sebagai CV Contoh 0 (penyedia)") {
		t.Errorf("signed in, the page does not say so: %s", s)
	}
	if !strings.Contains(p.body, `<meta name="segel-csrf" content="`) {
		t.Error("signed in, the page has no CSRF token for its scripts")
	}

	// Signing out revokes the token: the cookie no longer authenticates
	// anything, even if a copy of it was kept.
	token := session.Value
	if _, err := client.New(d.url, client.WithToken(token)).User(t.Context(), client.Me); err != nil {
		t.Fatalf("the session's token does not work: %v", err)
	}
	p = b.post("/logout", url.Values{}, p)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/?ok=signed-out" {
		t.Fatalf("POST /logout: %d to %q", p.status, p.header.Get("Location"))
	}
	if _, ok := b.cookies["segel_session"]; ok {
		t.Error("POST /logout: the session cookie stays")
	}
	_, err := client.New(d.url, client.WithToken(token)).User(t.Context(), client.Me)
	if client.ErrorCode(err) != "token-revoked" {
		t.Errorf("after sign-out, the token: %v, want token-revoked", err)
	}
	b.cookies["segel_session"] = token
	p = b.get("/tenders")
	if s := text(p.body); !strings.Contains(s, "Sesi Anda berakhir") || strings.Contains(s, "Masuk sebagai") {
		t.Errorf("a revoked session's cookie: %s", s)
	}
	if _, ok := b.cookies["segel_session"]; ok {
		t.Error("a revoked session's cookie is not cleared")
	}
}

const demoPassword = "rahasia-demo-segel-2026"

// TestCSRF checks that a form is refused without its token, with
// another session's, and from another site; and that nothing happens.
func TestCSRF(t *testing.T) {
	d := newDeployment(t)
	d.setup(2, time.Hour)
	a, other := d.browser(), d.browser()
	a.login("direktur@cv-contoh-0.demo.co.id", demoPassword)
	other.login("direktur@cv-contoh-1.demo.co.id", demoPassword)
	home := a.get("/")
	send := func(what string, b *browser, form url.Values, site string) {
		t.Helper()
		req := httptest.NewRequest("POST", "/logout", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if site != "" {
			req.Header.Set("Sec-Fetch-Site", site)
		}
		p := b.do(req)
		checkPage(t, what, p, http.StatusForbidden, "id")
		if !strings.Contains(text(p.body), "Formulir ini kedaluwarsa atau tidak berasal dari portal ini") {
			t.Errorf("%s: %s", what, text(p.body))
		}
		if _, ok := b.cookies["segel_session"]; !ok {
			t.Errorf("%s: signed out", what)
		}
	}
	send("no token", a, url.Values{}, "same-origin")
	send("another session's token", a, url.Values{"csrf": {csrfOf(t, other.get("/"))}}, "same-origin")
	send("cross-site", a, url.Values{"csrf": {csrfOf(t, home)}}, "cross-site")
	send("same-site, another origin", a, url.Values{"csrf": {csrfOf(t, home)}}, "same-site")
	req := httptest.NewRequest("POST", "/logout", strings.NewReader(url.Values{"csrf": {csrfOf(t, home)}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	if p := a.do(req); p.status != http.StatusForbidden {
		t.Errorf("Origin of another site: %d, want 403", p.status)
	}
	// The anonymous login form: its token binds it to the browser that
	// loaded it.
	anon, thief := d.browser(), d.browser()
	form := anon.get("/login")
	thief.get("/login")
	p := thief.post("/login", url.Values{"email": {"direktur@cv-contoh-0.demo.co.id"}, "password": {demoPassword}}, form)
	if p.status != http.StatusForbidden {
		t.Errorf("a login form's token in another browser: %d, want 403", p.status)
	}
}

var csrfMeta = regexp.MustCompile(`<meta name="segel-csrf" content="([^"]+)">`)

// TestAPISessionCookie checks the browser's own calls to the JSON API:
// the session cookie authenticates only with the session's CSRF token in
// X-Segel-CSRF, from the portal's origin; a cross-site request carrying
// the cookie, as a browser attaches it, is refused and does nothing.
func TestAPISessionCookie(t *testing.T) {
	d := newDeployment(t)
	tn := d.setup(1, time.Hour)
	b, other := d.browser(), d.browser()
	b.login("direktur@cv-contoh-0.demo.co.id", demoPassword)
	other.login("direktur@cv-contoh-0.demo.co.id", demoPassword)
	token := csrfMeta.FindStringSubmatch(b.get("/").body)[1]
	otherToken := csrfMeta.FindStringSubmatch(other.get("/").body)[1]
	call := func(what, method, path string, header map[string]string, want int) page {
		t.Helper()
		req := httptest.NewRequest(method, path, nil)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		p := b.do(req)
		if p.status != want {
			t.Errorf("%s: %s %s: %d %s, want %d", what, method, path, p.status, p.body, want)
		}
		return p
	}
	me := "/v1/users/me"
	p := call("cookie alone", "GET", me, map[string]string{"Sec-Fetch-Site": "same-origin"}, 401)
	if !strings.Contains(p.body, "X-Segel-CSRF") || !strings.Contains(p.body, `"unauthenticated"`) {
		t.Errorf("cookie alone: %s, want unauthenticated naming X-Segel-CSRF", p.body)
	}
	call("cookie and another session's token", "GET", me, map[string]string{"Sec-Fetch-Site": "same-origin", "X-Segel-CSRF": otherToken}, 401)
	call("cookie and token, cross-site", "GET", me, map[string]string{"Sec-Fetch-Site": "cross-site", "X-Segel-CSRF": token}, 401)
	call("cookie and token, another Origin", "GET", me, map[string]string{"Origin": "https://evil.example", "X-Segel-CSRF": token}, 401)
	p = call("cookie and token", "GET", me, map[string]string{"Sec-Fetch-Site": "same-origin", "X-Segel-CSRF": token}, 200)
	var u struct{ Role string }
	if json.Unmarshal([]byte(p.body), &u); u.Role != "provider" {
		t.Errorf("cookie and token: %s", p.body)
	}
	// A cross-site form post to an action the provider may take: refused,
	// and the question is not asked.
	path := "/v1/tenders/" + tn.ID + "/messages/question"
	req := httptest.NewRequest("POST", path, strings.NewReader(`{"text":"pertanyaan palsu"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if p := b.do(req); p.status != 401 {
		t.Errorf("cross-site POST with the cookie: %d %s, want 401", p.status, p.body)
	}
	msgs, err := client.New(d.url).Messages(t.Context(), tn.ID, "question")
	if err != nil || len(msgs) != 0 {
		t.Errorf("after a refused cross-site question: %d questions, %v", len(msgs), err)
	}
	// A bearer token is used as it is, whatever the cookie.
	delete(b.cookies, "segel_session")
	call("no cookie, no token", "GET", me, nil, 401)
}

// TestSessionAcrossInstances signs in on one instance of a deployment
// and goes on on another, with no sticky sessions: the session is an API
// token the registry checks in the database, and the CSRF key a vault
// secret both instances read.
func TestSessionAcrossInstances(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	a := newDeploymentIn(t, dir)
	a.setup(1, time.Hour)
	b := &deployment{t: t, log: &syncBuffer{}}
	var err error
	b.s, err = server.Build(ctx, server.Config{Backend: a.backend, KEK: a.kek, Name: "lpse.test",
		Logger: slog.New(slog.NewTextHandler(b.log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	b.h = b.s.Handler()
	onA := a.browser()
	onA.login("direktur@cv-contoh-0.demo.co.id", demoPassword)
	onB := &browser{d: b, cookies: onA.cookies}
	p := onB.get("/account")
	checkPage(t, "the account page on the other instance", p, 200, "id")
	if !strings.Contains(text(p.body), "CV Contoh 0") {
		t.Errorf("the other instance does not know the session: %s", text(p.body))
	}
	// A form served by one instance is accepted by the other.
	form := onA.get("/")
	if p := onB.post("/logout", url.Values{}, form); p.status != http.StatusSeeOther {
		t.Errorf("signing out on the other instance with the first's form: %d %s", p.status, text(p.body))
	}
}

// countingReader counts what the server reads of a body.
type countingReader struct{ n int64 }

func (c *countingReader) Read(p []byte) (int, error) {
	c.n += int64(len(p))
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

// TestFormUnreadWithoutCookies checks that a form posted with no session
// and no pre-session (no page of the portal served it) is refused before
// its body is read: the registration form's 24 MiB are not parsed for
// anyone who asks.
func TestFormUnreadWithoutCookies(t *testing.T) {
	d := newDeployment(t)
	body := &countingReader{}
	req := httptest.NewRequest("POST", "/register", io.LimitReader(body, 20<<20))
	req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	p := d.browser().do(req)
	checkPage(t, "POST /register without cookies", p, http.StatusForbidden, "id")
	if body.n > 64<<10 {
		t.Errorf("the server read %d bytes of a form it refused", body.n)
	}
}
