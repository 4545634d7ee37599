package portal_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segel-lpse/segel/internal/apitest"
	"github.com/segel-lpse/segel/internal/demo"
	"github.com/segel-lpse/segel/server"
	"github.com/segel-lpse/segel/vault"
)

// A deployment is a real server (server.Build on the embedded backend)
// whose pages the handler tests ask, with the API's contract checked on
// every exchange (internal/apitest), the pages' own in-process calls
// among them.
type deployment struct {
	t       testing.TB
	s       *server.Server
	h       http.Handler
	url     string // the same handler over HTTP, for clients that need one
	log     *syncBuffer
	backend vault.Backend
	kek     *vault.KEK
}

// syncBuffer is the server's log, for tests that search it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newDeployment(t testing.TB) *deployment {
	t.Helper()
	return newDeploymentIn(t, t.TempDir())
}

func newDeploymentIn(t testing.TB, dir string) *deployment {
	t.Helper()
	ctx := context.Background()
	b, err := vault.OpenEmbedded(ctx, vault.EmbeddedConfig{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	kek, err := vault.ParseKEK(vault.GenerateKEK())
	if err != nil {
		t.Fatal(err)
	}
	d := &deployment{t: t, log: &syncBuffer{}, backend: b, kek: kek}
	d.s, err = server.Build(ctx, server.Config{
		Backend: b, KEK: kek, Name: "lpse.test", DataDir: dir,
		Logger: slog.New(slog.NewTextHandler(d.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	d.h = apitest.Handler(t, d.s.Handler())
	ts := httptest.NewServer(d.h)
	t.Cleanup(ts.Close)
	d.url = ts.URL
	return d
}

// setup registers the people of internal/demo and announces a tender
// open for the given window, with bidders registered providers.
func (d *deployment) setup(bidders int, window time.Duration) *demo.Tender {
	d.t.Helper()
	tn, err := demo.Setup(context.Background(), d.url, bidders, window)
	if err != nil {
		d.t.Fatal(err)
	}
	return tn
}

// A browser keeps a visitor's cookies (Secure ones too: the test's
// requests stand for HTTPS) and sends what a browser sends with a form.
type browser struct {
	d       *deployment
	cookies map[string]string
	lang    string
}

func (d *deployment) browser() *browser { return &browser{d: d, cookies: map[string]string{}} }

// page is an answer to a browser.
type page struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(req *http.Request) page {
	b.d.t.Helper()
	for k, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	if req.RemoteAddr == "" || req.RemoteAddr == "192.0.2.1:1234" {
		req.RemoteAddr = "198.51.100.7:4242"
	}
	rec := httptest.NewRecorder()
	b.d.h.ServeHTTP(rec, req)
	for _, c := range rec.Result().Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	body, _ := io.ReadAll(rec.Result().Body)
	return page{status: rec.Code, header: rec.Header(), body: string(body)}
}

func (b *browser) get(path string) page {
	b.d.t.Helper()
	return b.do(httptest.NewRequest("GET", path, nil))
}

// post sends a form as a browser does from a page of the portal: with
// Sec-Fetch-Site same-origin and the page's CSRF token unless the form
// names its own.
func (b *browser) post(path string, form url.Values, from page) page {
	b.d.t.Helper()
	if !form.Has("csrf") {
		form.Set("csrf", csrfOf(b.d.t, from))
	}
	req := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return b.do(req)
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrfOf returns the CSRF token of the first form of p.
func csrfOf(t testing.TB, p page) string {
	t.Helper()
	m := csrfInput.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("the page has no form with a CSRF token:\n%s", brief(p.body))
	}
	return m[1]
}

// login signs a browser in through the login page.
func (b *browser) login(email, password string) page {
	b.d.t.Helper()
	form := b.get("/login")
	p := b.post("/login", url.Values{"email": {email}, "password": {password}}, form)
	if p.status != http.StatusSeeOther {
		b.d.t.Fatalf("signing in as %s: %d\n%s", email, p.status, brief(p.body))
	}
	return p
}

func brief(s string) string {
	if len(s) > 3000 {
		return s[:3000] + "…"
	}
	return s
}

// text returns the visible text of an HTML page, its tags removed and
// white space collapsed, for tests that look for a sentence.
func text(html string) string {
	html = regexp.MustCompile(`(?s)<script.*?</script>`).ReplaceAllString(html, " ")
	html = regexp.MustCompile(`<[^>]*>`).ReplaceAllString(html, " ")
	for _, r := range [][2]string{{"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&#34;", `"`}, {"&#39;", "'"}, {"&quot;", `"`}} {
		html = strings.ReplaceAll(html, r[0], r[1])
	}
	return strings.Join(strings.Fields(html), " ")
}
