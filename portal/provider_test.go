package portal_test

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"mime/multipart"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/segel-lpse/segel/client"
	"github.com/segel-lpse/segel/portal"
)

// postMultipart sends the registration form as a browser does: fields,
// and files by field name.
func (b *browser) postMultipart(path string, fields map[string]string, files map[string][]byte, from page) page {
	b.d.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	if _, ok := fields["csrf"]; !ok {
		w.WriteField("csrf", csrfOf(b.d.t, from))
	}
	for k, v := range fields {
		w.WriteField(k, v)
	}
	for k, v := range files {
		fw, _ := w.CreateFormFile(k, k+".pdf")
		fw.Write(v)
	}
	w.Close()
	req := httptest.NewRequest("POST", path, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return b.do(req)
}

// registration is a provider's registration form, valid.
func registration(i int) (map[string]string, map[string][]byte) {
	fields := map[string]string{
		"kind": "company", "name": fmt.Sprintf("CV Portal %d", i), "email": fmt.Sprintf("direktur@cv-portal-%d.example.co.id", i),
		"nik": fmt.Sprintf("3171%02d1203850%03d", 60+i, 200+i), "npwp": fmt.Sprintf("02.345.%03d.6-789.000", i), "licence": fmt.Sprintf("91200077%05d", i),
		"password": "rahasia-portal-2026", "password2": "rahasia-portal-2026",
	}
	files := map[string][]byte{}
	for _, k := range []string{"ktp", "akta-pendirian", "npwp", "izin-usaha"} {
		files[k] = []byte(fmt.Sprintf("%%PDF-1.4 pindaian %s CV Portal %d", k, i))
	}
	return fields, files
}

var accountID = regexp.MustCompile(`<code>(u-[a-z0-9]+)</code>`)

// TestRegistration registers a provider through the page, with its
// documents; staff verify it through the API; the account page shows
// its status and serves its own documents.
func TestRegistration(t *testing.T) {
	ctx := context.Background()
	d := newDeployment(t)
	d.setup(0, time.Hour)
	b := d.browser()
	form := b.get("/register")
	checkPage(t, "GET /register", form, 200, "id")
	for _, want := range []string{`enctype="multipart/form-data"`, `name="ktp" type="file"`, `name="izin-usaha" type="file"`, `<label for="doc-ktp">`} {
		if !strings.Contains(form.body, want) {
			t.Errorf("the registration form has no %s", want)
		}
	}
	fields, files := registration(1)

	// Refusals keep what was typed (not the password).
	bad := map[string]string{}
	for k, v := range fields {
		bad[k] = v
	}
	bad["password2"] = "lain-lain-lain-lain"
	p := b.postMultipart("/register", bad, files, form)
	checkPage(t, "passwords differ", p, 400, "id")
	if !strings.Contains(text(p.body), "Kedua kata sandi tidak sama") || !strings.Contains(p.body, `value="CV Portal 1"`) || strings.Contains(p.body, "rahasia-portal-2026") {
		t.Errorf("passwords differ: %s", text(p.body))
	}
	noNPWP := map[string][]byte{"ktp": files["ktp"], "akta-pendirian": files["akta-pendirian"], "izin-usaha": files["izin-usaha"]}
	p = b.postMultipart("/register", fields, noNPWP, form)
	checkPage(t, "no NPWP scan", p, 400, "id")
	if s := text(p.body); !strings.Contains(s, "Ada isian yang tidak dapat diterima") || !strings.Contains(s, "npwp") {
		t.Errorf("no NPWP scan: %s", s)
	}

	p = b.postMultipart("/register", fields, files, form)
	checkPage(t, "POST /register", p, 201, "id")
	if s := text(p.body); !strings.Contains(s, "Pendaftaran CV Portal 1 diterima dan menunggu verifikasi") {
		t.Errorf("POST /register: %s", s)
	}
	m := accountID.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("the page names no account id: %s", text(p.body))
	}
	id := m[1]
	p = b.postMultipart("/register", fields, files, b.get("/register"))
	if p.status != 409 || !strings.Contains(text(p.body), "Email ini sudah terdaftar") {
		t.Errorf("registering twice: %d %s", p.status, text(p.body))
	}
	// Before approval the API refuses the login, in the page's words.
	form = b.get("/login")
	p = b.post("/login", url.Values{"email": {fields["email"]}, "password": {fields["password"]}}, form)
	if p.status != 403 || !strings.Contains(text(p.body), "Akun Anda belum diverifikasi dan disetujui LPSE") {
		t.Errorf("signing in before approval: %d %s", p.status, text(p.body))
	}

	// The verifier finds the account by the id the page showed, with the
	// documents as the form sent them.
	verifier, err := client.New(d.url).Login(ctx, "verifier1@pemkot.demo.go.id", demoPassword)
	if err != nil {
		t.Fatal(err)
	}
	acct, err := verifier.User(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(acct.Documents) != 4 {
		t.Errorf("the API holds %d documents, want 4", len(acct.Documents))
	}
	for _, doc := range acct.Documents {
		var got bytes.Buffer
		if _, err := verifier.UserDocument(ctx, id, doc.Kind, &got, 1<<20); err != nil || !bytes.Equal(got.Bytes(), files[string(doc.Kind)]) {
			t.Errorf("document %s: %q, %v; the form sent %q", doc.Kind, got.Bytes(), err, files[string(doc.Kind)])
		}
		if err := verifier.VerifyDocument(ctx, id, doc.Kind); err != nil {
			t.Fatal(err)
		}
	}
	if err := verifier.Approve(ctx, id); err != nil {
		t.Fatal(err)
	}
	b.login(fields["email"], fields["password"])
	p = b.get("/account")
	checkPage(t, "GET /account", p, 200, "id")
	if s := text(p.body); !strings.Contains(s, "aktif") || !strings.Contains(s, "Disetujui") || !strings.Contains(s, "023450016789000") {
		t.Errorf("GET /account: %s", s)
	}
	p = b.get("/account/documents/ktp")
	if p.status != 200 || p.body != string(files["ktp"]) || p.header.Get("Content-Disposition") == "" {
		t.Errorf("GET /account/documents/ktp: %d %q", p.status, p.body)
	}
	if p := b.get("/account/documents/surat-tugas"); p.status != 404 {
		t.Errorf("a document the account lacks: %d", p.status)
	}
}

// TestPageAccess checks who may use the provider's pages: the anonymous
// are sent to sign in (a form is refused), other roles refused, the
// provider served.
func TestPageAccess(t *testing.T) {
	d := newDeployment(t)
	tn := d.setup(1, time.Hour)
	anon, provider, pokja := d.browser(), d.browser(), d.browser()
	provider.login("direktur@cv-contoh-0.demo.co.id", demoPassword)
	pokja.login("pokja11@pemkot.demo.go.id", demoPassword)
	base := "/tenders/" + tn.ID
	for _, path := range []string{base + "/offer", base + "/receipt", "/account"} {
		p := anon.get(path)
		if p.status != 303 || p.header.Get("Location") != "/login?next="+url.QueryEscape(path) {
			t.Errorf("anonymous GET %s: %d to %q, want 303 to sign in", path, p.status, p.header.Get("Location"))
		}
	}
	for _, path := range []string{base + "/offer", base + "/receipt"} {
		p := pokja.get(path)
		checkPage(t, "pokja GET "+path, p, 403, "id")
		if !strings.Contains(text(p.body), "Halaman ini bukan untuk peran Anda (Pokja pemilihan)") {
			t.Errorf("pokja GET %s: %s", path, text(p.body))
		}
		checkPage(t, "provider GET "+path, provider.get(path), 200, "id")
	}
	checkPage(t, "pokja GET /account", pokja.get("/account"), 200, "id")
	for _, path := range []string{base + "/participate", base + "/questions", base + "/objections"} {
		p := anon.post(path, url.Values{"text": {"x"}}, anon.get("/login"))
		checkPage(t, "anonymous POST "+path, p, 401, "id")
		p = pokja.post(path, url.Values{"text": {"x"}}, pokja.get("/"))
		checkPage(t, "pokja POST "+path, p, 403, "id")
	}
	p := provider.post(base+"/participate", url.Values{}, provider.get(base))
	if p.status != 303 || !strings.HasSuffix(p.header.Get("Location"), "?ok=registered") {
		t.Errorf("provider POST participate: %d %s", p.status, text(p.body))
	}
}

// TestWASMPages checks the pages that seal and verify in the browser:
// WebAssembly allowed by their policy (and by no other page's), every
// script loaded with its Subresource Integrity, pinned.js pinning the
// deployment's chain and keys.
func TestWASMPages(t *testing.T) {
	d := newDeployment(t)
	tn := d.setup(1, time.Hour)
	b := d.browser()
	b.login("direktur@cv-contoh-0.demo.co.id", demoPassword)
	pinned := b.get("/portal/pinned.js")
	if pinned.status != 200 || pinned.header.Get("Content-Type") != "text/javascript; charset=utf-8" ||
		!strings.Contains(pinned.body, d.s.Beacon.Chain().HashHex()) || !strings.Contains(pinned.body, `segel-keys/v1\nlog: lpse.test/log+`) {
		t.Fatalf("GET /portal/pinned.js: %d %s\n%s", pinned.status, pinned.header.Get("Content-Type"), pinned.body)
	}
	for _, path := range []string{"/tenders/" + tn.ID + "/offer", "/audit"} {
		p := b.get(path)
		checkPage(t, "GET "+path, p, 200, "id")
		p.body = html.UnescapeString(p.body) // html/template writes + as &#43; in attributes
		if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self' 'wasm-unsafe-eval';") {
			t.Errorf("GET %s: %q allows no WebAssembly", path, csp)
		}
		for _, name := range []string{"wasm_exec.js", "segel.js", "portal.js"} {
			v, _ := portal.Integrity(name)
			if !strings.Contains(p.body, `src="/portal/static/`+name+`" integrity="`+v+`"`) {
				t.Errorf("GET %s: %s not loaded with integrity %s", path, name, v)
			}
		}
		v, _ := portal.Integrity("segel.wasm")
		if !strings.Contains(p.body, `data-wasm-integrity="`+v+`"`) {
			t.Errorf("GET %s: segel.wasm's integrity is not named", path)
		}
		if !strings.Contains(p.body, `src="/portal/pinned.js" integrity="`+sri([]byte(pinned.body))+`"`) {
			t.Errorf("GET %s: pinned.js not loaded with its integrity", path)
		}
	}
	p := b.get("/tenders/" + tn.ID)
	if csp := p.header.Get("Content-Security-Policy"); csp != pageCSP {
		t.Errorf("the tender's page, which runs no WebAssembly: %q", csp)
	}
	p = b.get("/tenders/" + tn.ID + "/receipt")
	if s := text(p.body); !strings.Contains(s, "Anda belum mengirim penawaran untuk tender ini") {
		t.Errorf("the receipt page before an offer: %s", s)
	}
}
