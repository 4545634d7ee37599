package portal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/client"
)

// Config configures New. API, CSRFKey, Chain and Keys are required.
type Config struct {
	// API is the server's JSON API handler. The pages call it in the same
	// process, as an API client with the signed-in visitor's token, so a
	// page can do nothing the API does not allow that visitor.
	API http.Handler
	// CSRFKey keys the HMAC that binds forms to sessions; at least
	// MinCSRFKeySize bytes, the same on every instance of a deployment
	// (a vault secret), so that a form served by one is accepted by all.
	CSRFKey []byte
	// Chain is the deployment's beacon chain (drand /info JSON) and Keys
	// its public keys (segel-keys/v1): the pages that seal and verify pin
	// them in their code (pinned.js), never taking them from the API.
	Chain, Keys []byte
	// Name names the deployment in the pages, such as
	// "lpse.jogjakota.go.id".
	Name string
	// Location is the time zone the pages show times in; Western
	// Indonesian Time (UTC+7, "WIB") if nil.
	Location *time.Location
	// ClientIPHeader is server.Limits.ClientIPHeader: the header a trusted
	// proxy puts the client's address in, passed on to the API's rate
	// limits with the pages' calls. Empty: the connection's address.
	ClientIPHeader string
	// Logger receives the faults of the pages (never personal data);
	// none if nil.
	Logger *slog.Logger
	// Now is the clock by which pages decide what to offer (the API
	// decides what is allowed); time.Now if nil.
	Now func() time.Time
}

// Site is the LPSE web portal: server-rendered pages for the public,
// providers, LPSE staff, officials and auditors, under the URL paths the
// JSON API does not use. It is an http.Handler.
type Site struct {
	cfg      Config
	api      *inProcess
	csrfKey  []byte
	cats     map[string]*catalogue
	pages    *http.ServeMux
	tmpl     map[string]*templateSet
	pinned   []byte         // pinned.js
	pinnedSR string         // its integrity
	keys     *audit.Trusted // the pinned keys, parsed
	loc      *time.Location
	log      *slog.Logger
}

// New builds the portal.
func New(cfg Config) (*Site, error) {
	switch {
	case cfg.API == nil:
		return nil, errors.New("portal: Config.API is required")
	case len(cfg.CSRFKey) < MinCSRFKeySize:
		return nil, fmt.Errorf("portal: Config.CSRFKey has %d bytes, at least %d are needed", len(cfg.CSRFKey), MinCSRFKeySize)
	case len(cfg.Chain) == 0 || len(cfg.Keys) == 0:
		return nil, errors.New("portal: Config.Chain and Config.Keys are required: the pages pin them")
	}
	s := &Site{cfg: cfg, api: &inProcess{api: cfg.API, forward: cfg.ClientIPHeader}, csrfKey: cfg.CSRFKey,
		loc: cfg.Location, log: cfg.Logger}
	if s.loc == nil {
		s.loc = time.FixedZone("WIB", 7*3600)
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	var err error
	if s.cats, err = loadCatalogues(); err != nil {
		return nil, err
	}
	if s.tmpl, err = loadTemplates(); err != nil {
		return nil, err
	}
	if s.pinned, s.keys, err = pinnedScript(cfg.Name, cfg.Chain, cfg.Keys); err != nil {
		return nil, err
	}
	s.pinnedSR = sri(s.pinned)
	s.pages = http.NewServeMux()
	for _, p := range s.table() {
		s.pages.Handle(p.method+" "+p.pattern, s.handle(p))
	}
	s.pages.HandleFunc("GET /portal/pinned.js", s.servePinned)
	return s, nil
}

func (s *Site) now() time.Time {
	if s.cfg.Now != nil {
		return s.cfg.Now()
	}
	return time.Now()
}

// pathEscape escapes an id for a path of the portal.
func pathEscape(id string) string { return url.PathEscape(id) }

// A page is one URL of the portal: who may see it and what serves it.
type page struct {
	method, pattern string
	// roles may use the page; nil: anyone, signedIn: any signed-in
	// visitor. Others are sent to sign in, or refused.
	roles []api.Role
	serve func(*visit) error
}

// signedIn is the roles of a page for any signed-in visitor.
var signedIn = []api.Role{}

// table is every page, persona by persona (one file each).
func (s *Site) table() []page {
	return slices.Concat(s.publicPages(), s.sessionPages(), s.providerPages(), s.auditorPages(), s.staffPages(), s.officialPages(), s.openingPages())
}

// A visit is one request to a page: who makes it, in which language,
// and the API client that acts for them.
type visit struct {
	w    http.ResponseWriter
	r    *http.Request
	site *Site
	cat  *catalogue
	// api calls the JSON API as the visitor: with their token when
	// signed in.
	api  *client.Client
	user *api.User // nil when not signed in
	// session is the visitor's API token ("" when not signed in), pre
	// the pre-session value that binds an anonymous visitor's forms.
	session, pre string
	// notice is a message for the page to show, such as the reason a
	// session ended.
	notice string
}

func (v *visit) ctx() context.Context { return v.r.Context() }

// ServeHTTP serves the portal's pages.
func (s *Site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w.Header(), false)
	if _, pattern := s.pages.Handler(r); pattern == "" {
		v := s.newVisit(w, r)
		status := http.StatusNotFound
		if allow := s.allowed(r); len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			status = http.StatusMethodNotAllowed
		}
		v.renderError(status, v.cat.T("error.page-"+fmt.Sprint(status)), "")
		return
	}
	s.pages.ServeHTTP(w, r) // which sets the path's values
}

// allowed returns the methods the portal serves r's path with.
func (s *Site) allowed(r *http.Request) []string {
	var allow []string
	for _, m := range []string{"GET", "HEAD", "POST"} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, p := s.pages.Handler(probe); p != "" {
			allow = append(allow, m)
		}
	}
	return allow
}

// newVisit reads the visitor's language and session cookie, without
// asking the API who it is (resume does).
func (s *Site) newVisit(w http.ResponseWriter, r *http.Request) *visit {
	r = r.WithContext(withOrigin(r.Context(), r))
	lang, chosen := chooseLang(r)
	if chosen {
		http.SetCookie(w, cookie(langCookie, lang, 365*24*3600))
	}
	v := &visit{w: w, r: r, site: s, cat: s.cats[lang]}
	v.api = s.client("")
	if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
		v.session = c.Value
	}
	return v
}

// client returns an API client calling in-process with token ("" for
// none).
func (s *Site) client(token string) *client.Client {
	opts := []client.Option{client.WithHTTPClient(&http.Client{Transport: s.api})}
	if token != "" {
		opts = append(opts, client.WithToken(token))
	}
	return client.New("http://lpsed.internal", opts...)
}

// handle serves page p: the visitor's session, the page's access rule,
// the CSRF check of a POST, then the page itself.
func (s *Site) handle(p page) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := s.newVisit(w, r)
		if err := v.resume(); err != nil {
			v.fail(err)
			return
		}
		if p.method == http.MethodPost {
			if err := v.checkForm(); err != nil {
				s.log.Info("portal: form refused", "path", r.URL.Path, "err", err)
				v.renderError(http.StatusForbidden, v.cat.T("error.csrf"), "")
				return
			}
		}
		if p.roles != nil {
			if v.user == nil {
				if p.method == http.MethodGet {
					v.redirect("/login?next=" + url.QueryEscape(r.URL.RequestURI()))
					return
				}
				v.renderError(http.StatusUnauthorized, v.cat.T("error.signin-needed"), "")
				return
			}
			if len(p.roles) > 0 && !slices.Contains(p.roles, v.user.Role) {
				v.renderError(http.StatusForbidden, v.cat.T("error.page-role", v.cat.T("role."+string(v.user.Role))), "")
				return
			}
		}
		if err := p.serve(v); err != nil {
			v.fail(err)
		}
	})
}

// resume resumes the visitor's session, if the cookie names one: the API
// says who its token belongs to. A token the API no longer accepts
// (expired, revoked, its account deactivated) ends the session, saying
// why.
func (v *visit) resume() error {
	if v.session == "" {
		if c, err := v.r.Cookie(preCookie); err == nil && c.Value != "" {
			v.pre = c.Value
		}
		return nil
	}
	c := v.site.client(v.session)
	u, err := c.User(v.ctx(), client.Me)
	var ae *client.APIError
	if errors.As(err, &ae) && (ae.Status == http.StatusUnauthorized || ae.Status == http.StatusForbidden) {
		v.endSession()
		v.notice = v.cat.T("session.ended", v.apiMessage(ae))
		return nil
	}
	if err != nil {
		return err
	}
	v.api, v.user = c, u
	return nil
}

// endSession forgets the session cookie.
func (v *visit) endSession() {
	http.SetCookie(v.w, cookie(SessionCookie, "", -1))
	v.session, v.user, v.api = "", nil, v.site.client("")
}

// csrf returns the token for the visitor's forms, starting a pre-session
// for an anonymous visitor who has none.
func (v *visit) csrf() string {
	if v.session != "" {
		return v.site.csrfToken("session " + v.session)
	}
	if v.pre == "" {
		v.pre = newPreSession()
		http.SetCookie(v.w, cookie(preCookie, v.pre, 0))
	}
	return v.site.csrfToken("pre " + v.pre)
}

// checkForm checks a POST's origin and CSRF token. A multipart form
// (registration, with its documents) is parsed here, under its cap, and
// only once the browser's word and its cookies say it may come from a
// page of the portal: a request with no session and no pre-session is
// refused before its body is read.
func (v *visit) checkForm() error {
	if err := sameOrigin(v.r); err != nil {
		return err
	}
	if v.session == "" && v.pre == "" {
		return fmt.Errorf("%w: no session or pre-session cookie", ErrCSRF)
	}
	if err := v.parseForm(); err != nil {
		return err
	}
	token := v.r.PostFormValue(csrfField)
	switch {
	case v.session != "" && v.site.validCSRF("session "+v.session, token):
		return nil
	case v.session == "" && v.pre != "" && v.site.validCSRF("pre "+v.pre, token):
		return nil
	}
	return fmt.Errorf("%w: the form's token does not match the visitor's session", ErrCSRF)
}

// Caps on what a form may send: the registration form carries the scans
// of the registration documents (the API's limit on them together is
// 15 MiB by default), other forms only text.
const (
	maxForm          = 256 << 10
	maxMultipartForm = 24 << 20
)

func (v *visit) parseForm() error {
	ct := v.r.Header.Get("Content-Type")
	if strings.HasPrefix(ct, "multipart/form-data") {
		v.r.Body = http.MaxBytesReader(v.w, v.r.Body, maxMultipartForm)
		// Everything in memory: the scans are personal data, never to be
		// spilled to a temporary file.
		return v.r.ParseMultipartForm(maxMultipartForm)
	}
	v.r.Body = http.MaxBytesReader(v.w, v.r.Body, maxForm)
	return v.r.ParseForm()
}

// redirect answers 303 See Other to a path of the portal.
func (v *visit) redirect(path string) {
	http.Redirect(v.w, v.r, path, http.StatusSeeOther)
}

// localPath returns p if it is a path of this site (for ?next=), else
// "": it starts with one slash, and holds no backslash or control
// character, which browsers drop or read as a slash ("/\t/evil" is
// "//evil").
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") {
		return ""
	}
	for _, c := range p {
		if c == '\\' || c < 0x20 || c == 0x7f {
			return ""
		}
	}
	return p
}

// securityHeaders sets the headers every answer of the portal carries.
// wasm allows WebAssembly to compile, on the pages that seal or verify.
func securityHeaders(h http.Header, wasm bool) {
	script := "script-src 'self'"
	if wasm {
		script += " 'wasm-unsafe-eval'"
	}
	h.Set("Content-Security-Policy", "default-src 'none'; "+script+"; style-src 'self'; img-src 'self'; connect-src 'self'; "+
		"form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
}
