package portal_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/client"
	"github.com/segel-lpse/segel/sealer"
)

// postFiles sends a multipart form as a browser does: fields (several
// values for a name, such as checkboxes) and files by field name.
func (b *browser) postFiles(path string, fields url.Values, files map[string][]byte, from page) page {
	b.d.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	if !fields.Has("csrf") {
		w.WriteField("csrf", csrfOf(b.d.t, from))
	}
	for k, vs := range fields {
		for _, v := range vs {
			w.WriteField(k, v)
		}
	}
	for k, v := range files {
		fw, _ := w.CreateFormFile(k, k+".txt")
		fw.Write(v)
	}
	w.Close()
	req := httptest.NewRequest("POST", path, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return b.do(req)
}

// approve verifies and approves the account of email (pending), as the
// LPSE's verifier does through the API.
func approve(t testing.TB, d *deployment, id string) {
	t.Helper()
	ctx := context.Background()
	verifier, err := client.New(d.url).Login(ctx, "verifier1@pemkot.demo.go.id", demoPassword)
	if err != nil {
		t.Fatal(err)
	}
	u, err := verifier.User(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range u.Documents {
		if err := verifier.VerifyDocument(ctx, id, doc.Kind); err != nil {
			t.Fatal(err)
		}
	}
	if err := verifier.Approve(ctx, id); err != nil {
		t.Fatal(err)
	}
}

// newPPK registers a PPK and has it approved; it returns its email.
func newPPK(t testing.TB, d *deployment) string {
	t.Helper()
	return newOfficial(t, d, api.RolePPK, "ppk20@pemkot.demo.go.id", "3471012001800020")
}

// newOfficial registers an official of role with its letter of
// assignment and has it approved; it returns its email.
func newOfficial(t testing.TB, d *deployment, role api.Role, email, nik string) string {
	t.Helper()
	a, err := client.New(d.url).Register(context.Background(), api.Registration{Role: role, Email: email, Password: demoPassword,
		Name: "Pejabat " + nik[12:], NIK: nik, Documents: map[api.DocumentKind][]byte{api.DocSuratTugas: []byte("SK " + string(role))}})
	if err != nil {
		t.Fatal(err)
	}
	approve(t, d, a.ID)
	return email
}

// pokjaIDs are the user ids of the demo's three pokja members.
func pokjaIDs(t testing.TB, d *deployment) []string {
	t.Helper()
	var ids []string
	for i := range 3 {
		c, err := client.New(d.url).Login(context.Background(), fmt.Sprintf("pokja%d@pemkot.demo.go.id", 11+i), demoPassword)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.UserID())
	}
	return ids
}

// regexp1 returns the first group of re's first match in s, or "".
func regexp1(re, s string) string {
	if m := regexp.MustCompile(re).FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return ""
}

// localTime is t as a datetime-local field holds it, in the portal's
// default zone (WIB).
func localTime(t time.Time) string {
	return t.In(time.FixedZone("WIB", 7*3600)).Format("2006-01-02T15:04:05")
}

// TestOfficialPages runs a tender through the officials' pages, without
// a browser: the PA/KPA announces a plan and assigns a committee (a
// refused assignment shows the form again), a Pokja member announces the
// tender with its document, answers a question, publishes an addendum,
// closes, opens with the committee's key after the round (refusals of a
// missing or wrong key first), sees a damaged offer's witness report and
// announces the result; the PPK awards. Every page is checked in both
// languages.
func TestOfficialPages(t *testing.T) {
	if testing.Short() {
		t.Skip("a real tender: waits for its deadline and opening round")
	}
	ctx := context.Background()
	d := newDeployment(t)
	demoTender := d.setup(2, time.Hour)
	ppkEmail := newPPK(t, d)
	pa, pokja, ppk, anon := d.browser(), d.browser(), d.browser(), d.browser()
	pa.login("pa-kpa10@pemkot.demo.go.id", demoPassword)
	pokja.login("pokja11@pemkot.demo.go.id", demoPassword)
	ppk.login(ppkEmail, demoPassword)
	both := func(b *browser, what, path string) page {
		t.Helper()
		en := b.get(path + "?lang=en")
		checkPage(t, what+" (en)", en, 200, "en")
		p := b.get(path + "?lang=id")
		checkPage(t, what, p, 200, "id")
		return p
	}

	// The navigation leads each official to their pages.
	for _, c := range []struct {
		b    *browser
		want string
	}{{pa, "/official/committees"}, {pokja, "/official/tenders"}, {ppk, "/official/awards"}} {
		if p := c.b.get("/official"); p.status != 303 || p.header.Get("Location") != c.want {
			t.Errorf("GET /official: %d %s, want 303 to %s", p.status, p.header.Get("Location"), c.want)
		}
		if p := c.b.get("/"); !strings.Contains(p.body, `href="`+c.want+`"`) {
			t.Errorf("the navigation has no link to %s", c.want)
		}
	}
	if p := anon.get("/"); strings.Contains(p.body, `href="/official`) {
		t.Error("the navigation offers the officials' pages to the anonymous")
	}

	// 1. The PA/KPA: a plan, a committee.
	p := both(pa, "the plans page", "/official/plans")
	r := pa.post("/official/plans", url.Values{"title": {"Rehabilitasi Jembatan"}, "budget": {"2.500.000.000"}, "text": {"RUP 2026."}, "id": {"RUP-OFF-1"}}, p)
	if r.status != 303 || !strings.Contains(r.header.Get("Location"), "ok=official.plan") {
		t.Fatalf("announcing a plan: %d %s", r.status, text(r.body))
	}
	p = pa.get(strings.Split(r.header.Get("Location"), "#")[0]) // a browser sends no fragment
	if s := text(p.body); !strings.Contains(s, "Rencana pengadaan sudah diumumkan") || !strings.Contains(s, "Rp 2.500.000.000") {
		t.Errorf("after the plan: %s", s)
	}
	r = pa.post("/official/plans", url.Values{"title": {"Tanpa pagu"}, "budget": {"nol"}, "text": {"x"}}, p)
	checkPage(t, "a plan without a budget", r, 400, "id")
	if !strings.Contains(text(r.body), "Pagu anggaran adalah jumlah rupiah yang positif") || !strings.Contains(r.body, `value="Tanpa pagu"`) {
		t.Errorf("a plan without a budget: %s", text(r.body))
	}

	p = both(pa, "the committees page", "/official/committees")
	members := pokjaIDs(t, d)
	for _, m := range members {
		if !strings.Contains(p.body, `value="`+m+`"`) {
			t.Errorf("the committees page offers no checkbox for pokja %s", m)
		}
	}
	if !strings.Contains(text(p.body), "pokja 11") || !strings.Contains(p.body, `id="committee-`+demoTender.ID+`"`) {
		t.Errorf("the committees page does not show the members' names and the demo's committee: %s", text(p.body))
	}
	id := "T-OFFICIAL-1"
	r = pa.post("/official/committees", url.Values{"tender": {id}, "member": members[:2]}, p)
	checkPage(t, "a committee of two", r, 400, "id")
	if !strings.Contains(r.body, `value="`+id+`"`) || !strings.Contains(r.body, `value="`+members[0]+`" checked`) {
		t.Errorf("a refused committee's form is not shown again as typed: %s", text(r.body))
	}
	r = pa.post("/official/committees", url.Values{"tender": {id}, "member": members}, p)
	if r.status != 303 || !strings.Contains(r.header.Get("Location"), "ok=official.assigned") {
		t.Fatalf("assigning: %d %s", r.status, text(r.body))
	}

	// 2. The Pokja member: the tender to announce, announced.
	p = both(pokja, "the pokja's tenders", "/official/tenders")
	if !strings.Contains(p.body, `href="/official/tenders/`+id+`/announce"`) {
		t.Fatalf("the pokja's tenders offer no announcement of %s: %s", id, text(p.body))
	}
	p = both(pokja, "the announcement page", "/official/tenders/"+id+"/announce")
	key, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Truncate(time.Second)
	deadline := now.Add(6 * time.Second)
	form := url.Values{"title": {"Rehabilitasi Jembatan Kali Code"}, "plan": {"RUP-OFF-1"}, "committee_key": {key.Recipient().String()},
		"submission_start": {localTime(now)}, "registration_end": {localTime(deadline)}, "clarification_end": {localTime(deadline)},
		"deadline": {localTime(deadline)}, "opening": {localTime(deadline.Add(time.Second))}, "objection_days": {"0"}}
	doc := []byte("Dokumen Pemilihan T-OFFICIAL-1")
	r = pokja.postFiles("/official/tenders/"+id+"/announce", form, nil, p)
	checkPage(t, "an announcement without its document", r, 400, "id")
	if !strings.Contains(text(r.body), "Pilih dokumen pemilihan") || !strings.Contains(r.body, key.Recipient().String()) {
		t.Errorf("an announcement without its document: %s", text(r.body))
	}
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("deadline", "besok")
	r = pokja.postFiles("/official/tenders/"+id+"/announce", bad, map[string][]byte{"document": doc}, p)
	checkPage(t, "an announcement with a bad time", r, 400, "id")
	if !strings.Contains(text(r.body), `"besok" bukan tanggal dan jam`) {
		t.Errorf("a bad time: %s", text(r.body))
	}
	r = pokja.postFiles("/official/tenders/"+id+"/announce", form, map[string][]byte{"document": doc}, p)
	if r.status != 303 || r.header.Get("Location") != "/official/tenders/"+id+"?ok=official.announced" {
		t.Fatalf("announcing: %d %s %s", r.status, r.header.Get("Location"), text(r.body))
	}
	if p := pokja.get("/official/tenders/" + id + "/announce"); p.status != 303 || p.header.Get("Location") != "/official/tenders/"+id {
		t.Errorf("the announcement page of an announced tender: %d %s, want 303 to its page", p.status, p.header.Get("Location"))
	}
	tn, err := client.New(d.url).Tender(ctx, id)
	if err != nil || tn.Plan != "RUP-OFF-1" || tn.CommitteeKey != key.Recipient().String() || !tn.Schedule.Deadline.Equal(deadline) {
		t.Fatalf("the announced tender: %+v %v", tn, err)
	}
	var got bytes.Buffer
	if _, err := client.New(d.url).TenderDocument(ctx, id, tn.Document, &got, 1<<20); err != nil || !bytes.Equal(got.Bytes(), doc) {
		t.Errorf("the tender document: %q %v", got.Bytes(), err)
	}

	// Bidders take part: a question, two offers, one damaged after sealing.
	chain, err := client.New(d.url).Chain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	target, err := client.New(d.url, client.WithChain(chain)).Target(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	for i, bd := range demoTender.Bidders {
		c := client.New(d.url, client.WithToken(bd.Token()))
		if err := c.RegisterForTender(ctx, id); err != nil {
			t.Fatal(err)
		}
		var sealed bytes.Buffer
		if _, err := sealer.Seal(&sealed, strings.NewReader(fmt.Sprint("Penawaran ", i)), target); err != nil {
			t.Fatal(err)
		}
		file := sealed.Bytes()
		if i == 1 {
			file[len(file)-3] ^= 0x40 // damaged after sealing: opens to a witness report
		}
		if _, err := c.SubmitOffer(ctx, id, bytes.NewReader(file)); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if _, err := c.Ask(ctx, id, api.Question, "Apakah jaminan penawaran wajib?"); err != nil {
				t.Fatal(err)
			}
		}
	}

	// 3. The committee's page: the question answered, an addendum.
	path := "/official/tenders/" + id
	p = both(pokja, "the tender's committee page", path)
	m := regexp1(`name="message" value="([0-9a-f]{64})"`, p.body)
	if m == "" {
		t.Fatalf("no answer form for the question: %s", text(p.body))
	}
	r = pokja.post(path+"/answers", url.Values{"kind": {"question"}, "message": {m}, "text": {"Ya, wajib."}}, p)
	if r.status != 303 {
		t.Fatalf("answering: %d %s", r.status, text(r.body))
	}
	if s := text(anon.get("/tenders/" + id).body); !strings.Contains(s, "Ya, wajib.") {
		t.Errorf("the public page does not show the answer: %s", s)
	}
	r = pokja.post(path+"/answers", url.Values{"kind": {"question"}, "message": {m}, "text": {"Lagi."}}, p)
	if r.status < 400 {
		t.Errorf("answering twice: %d", r.status)
	}
	r = pokja.postFiles(path+"/amend", url.Values{}, nil, p)
	checkPage(t, "an empty addendum", r, 400, "id")
	r = pokja.postFiles(path+"/amend", url.Values{}, map[string][]byte{"document": []byte("Adendum 1")}, p)
	if r.status != 303 {
		t.Fatalf("an addendum: %d %s", r.status, text(r.body))
	}
	if tn, _ := client.New(d.url).Tender(ctx, id); tn.Amendments != 1 {
		t.Errorf("%d amendments, want 1", tn.Amendments)
	}
	// The public page lists the addendum (it failed to render one: its
	// document's digest is hex text, which Short did not take).
	p = anon.get("/tenders/" + id)
	checkPage(t, "the public page with an addendum", p, 200, "id")
	if !strings.Contains(p.body, `download="dokumen-`+id+`">`) || strings.Contains(text(p.body), "Belum ada adendum") {
		t.Errorf("the public page does not list the addendum: %s", text(p.body))
	}
	checkPage(t, "the committee's page with an addendum", pokja.get(path), 200, "id")

	// A Pokja member of another committee sees none of this tender's
	// pages, nor its announcement page, and the API refuses their forms.
	outsider := d.browser()
	outsider.login(newOfficial(t, d, api.RolePokja, "pokja30@pemkot.demo.go.id", "3471013001800030"), demoPassword)
	for _, path := range []string{path, path + "/open", path + "/announce", "/official/tenders/T-OTHER/announce"} {
		p := outsider.get(path)
		checkPage(t, "an outsider's GET "+path, p, 403, "id")
		if !strings.Contains(text(p.body), "Anda bukan anggota Pokja tender") || strings.Contains(p.body, "Apakah jaminan") {
			t.Errorf("an outsider's GET %s: %s", path, text(p.body))
		}
	}
	if p := outsider.get("/official/tenders"); strings.Contains(p.body, id) {
		t.Errorf("an outsider's tenders list %s", id)
	}
	r = outsider.post(path+"/close", url.Values{}, outsider.get("/official/tenders"))
	if r.status != 403 {
		t.Errorf("an outsider closing: %d %s", r.status, text(r.body))
	}

	// Others' access: the anonymous sign in, other roles are refused.
	for _, c := range []struct {
		b    *browser
		path string
		want int
	}{{anon, path, 303}, {pa, path, 403}, {ppk, path, 403}, {pokja, "/official/plans", 403}, {ppk, "/official/committees", 403},
		{pa, "/official/awards", 403}, {pokja, "/official/tenders/" + demoTender.ID + "-NONE", 404}} {
		if p := c.b.get(c.path); p.status != c.want || strings.Contains(p.body, "Ya, wajib.") {
			t.Errorf("GET %s: %d, want %d without the data", c.path, p.status, c.want)
		}
	}

	// 4. Closing, then the opening ceremony.
	time.Sleep(time.Until(deadline.Add(200 * time.Millisecond)))
	p = pokja.get(path)
	r = pokja.post(path+"/close", url.Values{}, p)
	if r.status != 303 {
		t.Fatalf("closing: %d %s", r.status, text(r.body))
	}
	p = both(pokja, "the opening page", path+"/open")
	for _, m := range members {
		if !strings.Contains(p.body, `value="`+m+`" checked`) {
			t.Errorf("the opening page does not offer witness %s", m)
		}
	}
	if !strings.Contains(text(p.body), "Tender versi 2 dibuka tanpa mengirim kunci") {
		t.Errorf("the opening page does not say v2 tenders open without a key: %s", text(p.body))
	}
	open := url.Values{"witness": members}
	r = pokja.postFiles(path+"/open", open, nil, p)
	checkPage(t, "opening without a key", r, 400, "id")
	open.Set("key", "AGE-SECRET-KEY-1-bukan")
	r = pokja.postFiles(path+"/open", open, nil, p)
	if !strings.Contains(text(r.body), "Ini bukan kunci rahasia age pascakuantum") || strings.Contains(r.body, "AGE-SECRET-KEY-1-bukan") {
		t.Errorf("a wrong key: %d %s", r.status, text(r.body))
	}
	open.Set("key", key.String())
	r = pokja.postFiles(path+"/open", open, map[string][]byte{"key_file": []byte(key.String())}, p)
	if !strings.Contains(text(r.body), "jangan keduanya") {
		t.Errorf("a key both chosen and pasted: %d %s", r.status, text(r.body))
	}
	open.Del("key")
	tn, _ = client.New(d.url).Tender(ctx, id)
	time.Sleep(time.Until(tn.RoundTime.Add(300 * time.Millisecond)))
	r = pokja.postFiles(path+"/open", open, map[string][]byte{"key_file": []byte("# created: 2026\n# public key: " + key.Recipient().String() + "\n" + key.String() + "\n")}, p)
	if r.status != 303 || r.header.Get("Location") != path+"?ok=official.opened#opening" {
		t.Fatalf("opening: %d %s", r.status, text(r.body))
	}
	if strings.Contains(d.log.String(), key.String()) {
		t.Error("the server's log holds the committee's key")
	}
	p = both(pokja, "the opened tender", path)
	s := text(p.body)
	for _, want := range []string{"1 penawaran dibuka, 1 gagal dibuka", "Berita acara kesaksian", demoTender.Bidders[1].ID, "Umumkan hasil"} {
		if !strings.Contains(s, want) {
			t.Errorf("the opened tender: no %q in %s", want, s)
		}
	}
	if strings.Contains(p.body, key.String()) {
		t.Error("the page shows the committee's key")
	}
	if strings.Contains(p.body, `<option value="`+demoTender.Bidders[1].ID+`"`) {
		t.Error("the result form offers the bidder whose offer failed to open")
	}

	// 5. The result, then the PPK's award.
	r = pokja.post(path+"/result", url.Values{"winner": {demoTender.Bidders[0].ID}, "text": {"Pemenang: CV Contoh 0."}}, p)
	if r.status != 303 {
		t.Fatalf("the result: %d %s", r.status, text(r.body))
	}
	p = both(ppk, "the awards page", "/official/awards")
	if !strings.Contains(p.body, `action="/official/tenders/`+id+`/award"`) {
		t.Fatalf("the awards page offers no award of %s: %s", id, text(p.body))
	}
	r = ppk.post(path+"/award", url.Values{"text": {""}}, p)
	checkPage(t, "an empty award", r, 400, "id")
	r = ppk.post(path+"/award", url.Values{"text": {"SPPBJ 027/2026"}}, p)
	if r.status != 303 {
		t.Fatalf("the award: %d %s", r.status, text(r.body))
	}
	if tn, _ := client.New(d.url).Tender(ctx, id); tn.State != api.StateAwarded {
		t.Errorf("the tender is %s, want awarded", tn.State)
	}
	p = both(ppk, "the awards page after the award", "/official/awards")
	if s := text(p.body); !strings.Contains(s, "Kontrak sudah ditetapkan") && !strings.Contains(s, id) {
		t.Errorf("after the award: %s", s)
	}
}
