package portal

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/client"
)

// The pages are html/template files under templates/: layout.html, the
// frame of every page, the partials part-*.html, and one file per page
// defining "content". Templates hold no visible text: every text comes
// from the catalogue through the view's T (TestTemplatesText).

//go:embed templates
var templateFiles embed.FS

type templateSet = template.Template

func loadTemplates() (map[string]*templateSet, error) {
	base, err := template.New("").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/part-*.html")
	if err != nil {
		return nil, fmt.Errorf("portal: templates: %w", err)
	}
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	sets := map[string]*templateSet{}
	for _, name := range names {
		stem := strings.TrimSuffix(path.Base(name), ".html")
		if stem == "layout" || strings.HasPrefix(stem, "part-") {
			continue
		}
		t, err := base.Clone()
		if err == nil {
			_, err = t.ParseFS(templateFiles, name)
		}
		if err != nil {
			return nil, fmt.Errorf("portal: template %s: %w", name, err)
		}
		sets[stem] = t
	}
	return sets, nil
}

// funcs are the templates' functions besides the view's methods.
var funcs = template.FuncMap{
	// args passes a partial template the view and its items:
	// {{template "tender-table" (args $ .Tenders)}}.
	"args":      func(v *view, items any) partial { return partial{V: v, Items: items} },
	"hasPrefix": strings.HasPrefix,
	"has":       func(list []string, s string) bool { return slices.Contains(list, s) },
}

// partial is what a partial template is executed with.
type partial struct {
	V     *view
	Items any
}

// A view is what a page's template is executed with: the page's own Data
// and what every page shows (language, visitor, build). Templates reach
// it as $ and call its methods: {{$.T "key"}}, {{$.Time .Deadline}}.
type view struct {
	Title string
	// Page names the page's template, for the navigation to mark the
	// current item.
	Page string
	// Scripts are the page's own scripts in the static files, loaded
	// with Subresource Integrity after the portal's common one; WASM
	// loads the WebAssembly (wasm_exec.js, segel.js) and pinned.js first.
	Scripts []string
	WASM    bool
	// Error is a refusal to show above the page's content, Notice a
	// message (a done action, a session that ended).
	Error  *shownError
	Notice string
	Data   any

	v *visit
}

// shownError is an error as a page shows it: in the page's language, and
// the API's own words when the catalogue has only a summary.
type shownError struct {
	Text, Detail string
}

// render executes page name and answers it with status.
func (v *visit) render(status int, name string, vw view) {
	t, ok := v.site.tmpl[name]
	if !ok {
		v.site.log.Error("portal: no template", "name", name)
		http.Error(v.w, "internal error", http.StatusInternalServerError)
		return
	}
	vw.v, vw.Page = v, name
	if vw.Notice == "" {
		vw.Notice = v.notice
	}
	if vw.Notice == "" {
		if key := okKey(v.r.URL.Query().Get("ok")); key != "" && v.cat.Has(key) {
			vw.Notice = v.cat.T(key)
		}
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", &vw); err != nil {
		v.site.log.Error("portal: rendering", "page", name, "err", err)
		http.Error(v.w, "internal error", http.StatusInternalServerError)
		return
	}
	securityHeaders(v.w.Header(), vw.WASM)
	v.w.Header().Set("Content-Type", "text/html; charset=utf-8")
	v.w.WriteHeader(status)
	if v.r.Method != http.MethodHead {
		v.w.Write(buf.Bytes())
	}
}

// okKey is the catalogue key of a done action's ?ok=: "ok.<key>", or for
// a persona's pages, whose keys carry its prefix, "<persona>.ok.<key>"
// (?ok=staff.approved is "staff.ok.approved").
func okKey(ok string) string {
	if ok == "" {
		return ""
	}
	if persona, key, found := strings.Cut(ok, "."); found {
		return persona + ".ok." + key
	}
	return "ok." + ok
}

// renderError answers an error page.
func (v *visit) renderError(status int, text, detail string) {
	v.render(status, "error", view{Title: v.cat.T("error.title"), Error: &shownError{Text: text, Detail: detail}})
}

// fail answers err: a refusal of the API with its status and words, a
// fault of the portal as such (logged).
func (v *visit) fail(err error) {
	if se := v.shown(err); se != nil {
		v.render(v.status(err), "error", view{Title: v.cat.T("error.title"), Error: se})
		return
	}
	v.site.log.Error("portal: page failed", "method", v.r.Method, "path", v.r.URL.Path, "err", err)
	v.renderError(http.StatusInternalServerError, v.cat.T("error.internal"), "")
}

// shown returns err as a page shows it above a form, or nil for a fault
// that is not the visitor's to fix (fail logs those).
func (v *visit) shown(err error) *shownError {
	var ae *client.APIError
	var fe *formError
	switch {
	case errors.As(err, &fe):
		return &shownError{Text: fe.text}
	case errors.As(err, &ae) && ae.Status < 500 || errors.As(err, &ae) && ae.Code == api.CodeStorage:
		se := &shownError{Text: v.apiMessage(ae)}
		if se.Text != ae.Message {
			se.Detail = ae.Message
		}
		return se
	}
	return nil
}

func (v *visit) status(err error) int {
	var ae *client.APIError
	if errors.As(err, &ae) {
		return ae.Status
	}
	return http.StatusBadRequest
}

// apiMessage is the API's refusal in the page's language: the
// catalogue's text for its code, or the API's own words.
func (v *visit) apiMessage(ae *client.APIError) string {
	if key := "error." + string(ae.Code); ae.Code != "" && v.cat.Has(key) {
		return v.cat.T(key)
	}
	return ae.Message
}

// formError is a form's input refused by the portal itself, before the
// API (a file over the cap): its text is in the page's language.
type formError struct{ text string }

func (e *formError) Error() string { return e.text }

// T returns the text of key in the page's language.
func (vw *view) T(key string, args ...any) string { return vw.v.cat.T(key, args...) }

// Lang is the page's language.
func (vw *view) Lang() string { return vw.v.cat.lang }

// User is the signed-in visitor, or nil.
func (vw *view) User() *api.User { return vw.v.user }

// CSRF is the token the page's forms carry.
func (vw *view) CSRF() string { return vw.v.csrf() }

// Site is the deployment's name.
func (vw *view) Site() string { return vw.v.site.cfg.Name }

// Digest is the build digest of the static files the page loads.
func (vw *view) Digest() string { return BuildDigest() }

// Integrity returns a static file's Subresource Integrity value.
func (vw *view) Integrity(name string) string {
	v, _ := Integrity(name)
	return v
}

// PinnedIntegrity is pinned.js's Subresource Integrity value.
func (vw *view) PinnedIntegrity() string { return vw.v.site.pinnedSR }

// JSMessages are the catalogue's texts for page scripts: the "js." keys
// (and the officials' pages' "official.js." keys), and the API's error
// codes ("error." keys).
func (vw *view) JSMessages() map[string]string {
	return vw.v.cat.prefixed("js.", "error.", "official.js.")
}

// LangURL is the page's own URL in another language.
func (vw *view) LangURL(lang string) string {
	q := vw.v.r.URL.Query()
	q.Set("lang", lang)
	q.Del("ok")
	return vw.v.r.URL.Path + "?" + q.Encode()
}

// Path is the page's path, for ?next= of the sign-in link.
func (vw *view) Path() string { return url.QueryEscape(vw.v.r.URL.RequestURI()) }

// Time shows t in the deployment's zone, with the month's name in the
// page's language: "2 Maret 2026, 17.00 WIB".
func (vw *view) Time(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	t = t.In(vw.v.site.loc)
	sep := vw.T("time.clock-separator")
	clock := fmt.Sprintf("%02d%s%02d", t.Hour(), sep, t.Minute())
	if t.Second() != 0 {
		clock += fmt.Sprintf("%s%02d", sep, t.Second())
	}
	zone, _ := t.Zone()
	return vw.T("time.format", t.Day(), vw.T(fmt.Sprintf("month.%d", t.Month())), t.Year(), clock, zone)
}

// Zone is the name of the deployment's time zone now, such as "WIB", and
// ZoneOffset its offset east of UTC in seconds, for page scripts to show
// times as the server does.
func (vw *view) Zone() string {
	name, _ := vw.v.site.now().In(vw.v.site.loc).Zone()
	return name
}

func (vw *view) ZoneOffset() int {
	_, off := vw.v.site.now().In(vw.v.site.loc).Zone()
	return off
}

// RFC3339 is t for a <time datetime> attribute and for scripts.
func (vw *view) RFC3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// Size shows a size in bytes, KiB or MiB, with the page's decimal sign.
func (vw *view) Size(n int64) string {
	var s string
	switch {
	case n < 1<<10:
		return vw.T("size.bytes", n)
	case n < 1<<20:
		s = fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	default:
		s = fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return strings.Replace(s, ".", vw.T("number.decimal"), 1)
}

// Short is the first 12 hex digits of a digest (a Digest or its hex), for
// a table; the whole is shown where it is to be compared.
func (vw *view) Short(d any) string {
	s := fmt.Sprint(d)
	if len(s) > 12 {
		return s[:12] + "…"
	}
	return s
}

// Rupiah shows an amount in rupiah with the page's thousands separator:
// "Rp 2.500.000.000".
func (vw *view) Rupiah(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(vw.T("number.thousands"))
		}
		b.WriteRune(c)
	}
	if neg {
		return vw.T("money.rupiah", "-"+b.String())
	}
	return vw.T("money.rupiah", b.String())
}
