package portal_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/client"
	"github.com/segel-lpse/segel/portal"
)

// TestTenderPage follows a tender's public page through its life: the
// schedule and document while offers are taken, a provider's question
// asked through the page and answered, then the opening report with its
// offers, the result, and the downloads.
func TestTenderPage(t *testing.T) {
	if testing.Short() {
		t.Skip("a real tender: waits for its deadline and opening round")
	}
	ctx := context.Background()
	d := newDeployment(t)
	tn := d.setup(2, 4*time.Second)
	path := "/tenders/" + tn.ID
	anon := d.browser()
	p := anon.get(path)
	checkPage(t, "GET "+path, p, 200, "id")
	s := text(p.body)
	for _, want := range []string{tn.ID, "menerima penawaran", "Batas akhir penawaran", "Unduh dokumen pemilihan", "Belum ada adendum", "Bundel audit tersedia setelah pembukaan"} {
		if !strings.Contains(s, want) {
			t.Errorf("GET %s: no %q in\n%s", path, want, s)
		}
	}
	if strings.Contains(p.body, `action="/tenders/`+tn.ID+`/questions"`) {
		t.Error("the question form is shown to the anonymous")
	}
	if p := anon.get("/tenders/T-NO-SUCH"); p.status != 404 || !strings.Contains(text(p.body), "Tidak ditemukan") {
		t.Errorf("an unknown tender: %d %s", p.status, text(p.body))
	}

	// A provider asks through the page; the committee answers.
	b := d.browser()
	b.login("direktur@cv-contoh-0.demo.co.id", demoPassword)
	p = b.get(path)
	if !strings.Contains(p.body, `action="/tenders/`+tn.ID+`/questions"`) || !strings.Contains(p.body, `href="/tenders/`+tn.ID+`/offer"`) {
		t.Fatalf("a registered provider is offered no question form or offer link:\n%s", text(p.body))
	}
	q := "Apakah jaminan penawaran wajib? <b>ya</b>"
	r := b.post(path+"/questions", url.Values{"text": {q}}, p)
	if r.status != 303 || !strings.HasSuffix(r.header.Get("Location"), "?ok=question#questions") {
		t.Fatalf("asking: %d %s", r.status, text(r.body))
	}
	pokja, err := client.New(d.url).Login(ctx, "pokja11@pemkot.demo.go.id", demoPassword)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := pokja.Messages(ctx, tn.ID, api.Question)
	if err != nil || len(ms) != 1 {
		t.Fatalf("questions: %v %v", ms, err)
	}
	if _, err := pokja.Reply(ctx, tn.ID, api.Question, ms[0].Document, "Ya, wajib."); err != nil {
		t.Fatal(err)
	}
	p = b.get(path + "?ok=question")
	if s := text(p.body); !strings.Contains(s, "Pertanyaan Anda terkirim") || !strings.Contains(s, q) || !strings.Contains(s, "Ya, wajib.") {
		t.Errorf("after the question: %s", s)
	}
	if strings.Contains(p.body, "<b>ya</b>") {
		t.Error("a question's text is not escaped")
	}
	// An empty question: the API's refusal in the page, the form again.
	r = b.post(path+"/questions", url.Values{"text": {"  "}}, p)
	checkPage(t, "an empty question", r, 400, "id")
	if !strings.Contains(text(r.body), "Ada isian yang tidak dapat diterima") {
		t.Errorf("an empty question: %s", text(r.body))
	}

	// Offers, closing, opening: the report and the downloads.
	for i, bd := range tn.Bidders {
		sealed, err := tn.Seal("Penawaran " + strings.Repeat("x", i))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := bd.Submit(ctx, tn.ID, sealed); err != nil {
			t.Fatal(err)
		}
	}
	p = b.get(path)
	if !strings.Contains(text(p.body), "Penawaran Anda diterima dan dicatat pada indeks log") {
		t.Errorf("the provider's page does not show its offer: %s", text(p.body))
	}
	time.Sleep(time.Until(tn.Deadline.Add(100 * time.Millisecond)))
	if _, err := tn.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := tn.Open(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := pokja.Result(ctx, tn.ID, tn.Bidders[1].ID, "Pemenang: CV Contoh 1."); err != nil {
		t.Fatal(err)
	}
	p = anon.get(path + "?lang=en")
	checkPage(t, "GET "+path+" after the result", p, 200, "en")
	s = text(p.body)
	for _, want := range []string{"result announced", "2 offers opened, 0 failed to open", tn.Bidders[0].ID, "Pemenang: CV Contoh 1.", "Audit bundle (.tar)", "Download the opening report"} {
		if !strings.Contains(s, want) {
			t.Errorf("after the result: no %q in\n%s", want, s)
		}
	}
	if strings.Contains(s, "Does not verify") {
		t.Errorf("the opening report does not verify: %s", s)
	}
	for _, link := range []string{`href="/v1/tenders/` + tn.ID + `/bundle"`, `href="/v1/tenders/` + tn.ID + `/ocds"`, `href="/v1/tenders/` + tn.ID + `/opening-report"`} {
		if !strings.Contains(p.body, link) {
			t.Errorf("after the result: no link %s", link)
		}
	}

	// The provider may object (sanggah) from the page; this tender's
	// objection period is zero days, so the API refuses, and the page
	// says so in its words and keeps the text.
	p = b.get(path + "?lang=id")
	if !strings.Contains(p.body, `action="/tenders/`+tn.ID+`/objections"`) {
		t.Fatalf("after the result, a bidder is offered no objection form: %s", text(p.body))
	}
	objection := "Evaluasi harga tidak sesuai dokumen pemilihan."
	r = b.post(path+"/objections", url.Values{"text": {objection}}, p)
	checkPage(t, "an objection after the period", r, 409, "id")
	if s := text(r.body); !strings.Contains(s, "Tidak dapat dilakukan pada tahap ini") || !strings.Contains(r.body, objection) {
		t.Errorf("an objection after the period: %s", s)
	}
}

// TestNoticesAndPlans checks the notices and the procurement plans, and
// the about page's build digest and pins.
func TestNoticesAndPlans(t *testing.T) {
	ctx := context.Background()
	d := newDeployment(t)
	d.setup(0, time.Hour)
	admin, err := client.New(d.url).Login(ctx, "admin@lpse.demo.go.id", demoPassword)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.PublishNotice(ctx, api.NoticeMaintenance, "Pemeliharaan Sabtu malam", "SPSE tidak tersedia 22.00–24.00 WIB."); err != nil {
		t.Fatal(err)
	}
	pa, err := client.New(d.url).Login(ctx, "pa-kpa10@pemkot.demo.go.id", demoPassword)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pa.AnnouncePlan(ctx, api.PlanAnnouncement{ID: "RUP-2026-7", Title: "Jembatan Kali Code", Budget: 2500000000, Text: "Rehabilitasi jembatan."}); err != nil {
		t.Fatal(err)
	}
	b := d.browser()
	p := b.get("/notices")
	checkPage(t, "GET /notices", p, 200, "id")
	if s := text(p.body); !strings.Contains(s, "Pemeliharaan Sabtu malam") || !strings.Contains(s, "SPSE tidak tersedia 22.00–24.00 WIB.") || !strings.Contains(s, "pemeliharaan") {
		t.Errorf("GET /notices: %s", s)
	}
	p = b.get("/")
	if !strings.Contains(text(p.body), "Pemeliharaan Sabtu malam") {
		t.Errorf("GET /: the latest notice is not shown: %s", text(p.body))
	}
	p = b.get("/plans")
	checkPage(t, "GET /plans", p, 200, "id")
	if s := text(p.body); !strings.Contains(s, "Jembatan Kali Code") || !strings.Contains(s, "Rp 2.500.000.000") {
		t.Errorf("GET /plans: %s", s)
	}
	p = b.get("/plans/RUP-2026-7?lang=en")
	checkPage(t, "GET /plans/RUP-2026-7", p, 200, "en")
	if s := text(p.body); !strings.Contains(s, "Rehabilitasi jembatan.") || !strings.Contains(s, "IDR 2,500,000,000") {
		t.Errorf("GET /plans/RUP-2026-7: %s", s)
	}
	if p := b.get("/plans/RUP-NONE"); p.status != 404 {
		t.Errorf("GET /plans/RUP-NONE: %d", p.status)
	}
	p = b.get("/about")
	checkPage(t, "GET /about", p, 200, "en")
	s := text(p.body)
	for _, want := range []string{portal.BuildDigest(), "segel.wasm", "segel-keys/v1", d.s.Beacon.Chain().HashHex(), "go run ./portal/internal/genstatic -digest",
		portal.BuildDigest() + " (this one)", "segel verify --trusted keys.txt builds.json"} {
		if !strings.Contains(s, want) {
			t.Errorf("GET /about: no %q", want)
		}
	}
}
