package portal_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/chromedp/chromedp"

	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/client"
	"github.com/segel-lpse/segel/internal/browsertest"
	"github.com/segel-lpse/segel/sealer"
)

// signIn signs the tab in through the login page, with the keyboard.
func (b *tab) signIn(email string) {
	b.t.Helper()
	b.open("/login")
	b.do("signing in as "+email,
		chromedp.Focus(chromedp.CSS("#email")), chromedp.KeyEvent(email),
		chromedp.Focus(chromedp.CSS("#password")), chromedp.KeyEvent(demoPassword+"\r"),
	)
	b.waitFor("signing in as "+email, `location.pathname === "/account"`)
}

// signOut signs the tab out with the header's button.
func (b *tab) signOut() {
	b.t.Helper()
	b.do("signing out", chromedp.Click(chromedp.CSS(`form.signout button`)))
	b.waitFor("signing out", `location.search.includes("ok=signed-out")`)
}

// narrow opens paths at a phone's width (360 px), where nothing may
// scroll sideways, and returns to the desktop's.
func (b *tab) narrow(paths ...string) {
	b.t.Helper()
	b.do("a phone's screen", chromedp.EmulateViewport(360, 740))
	for _, p := range paths {
		b.open(p)
	}
	b.do("a desktop's screen", chromedp.EmulateViewport(1100, 900))
}

// TestBrowserOfficials runs a tender through the officials' pages in
// headless Chromium against a real server: the PA/KPA assigns a
// committee; a Pokja member announces the tender with its document,
// answers a bidder's question, closes submission, opens the offers with
// the committee's key file after the opening round, sees the witness
// report of an offer damaged after sealing, and announces the result;
// the PPK awards. The bidders act through the API. Every page is
// checked for its language, headings, labels, policy and a 360 px
// screen; screenshots of the main ones are saved as TestBrowserPortal's.
func TestBrowserOfficials(t *testing.T) {
	if testing.Short() {
		t.Skip("a real tender in a real browser: about a minute")
	}
	ctx := context.Background()
	bctx := browsertest.New(t)
	d := newDeployment(t)
	demoTender := d.setup(2, time.Hour)
	ppkEmail := newPPK(t, d)
	members := pokjaIDs(t, d)
	// The opening ceremony's request is held 5 s before it reaches the
	// server, for the test to see the page's progress while it runs.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/open") {
			time.Sleep(5 * time.Second)
		}
		d.h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	b := newTab(t, bctx, srv.URL, "")
	id := "T-BROWSER-" + time.Now().UTC().Format("150405")

	// 1. The PA/KPA assigns the committee.
	b.signIn("pa-kpa10@pemkot.demo.go.id")
	b.open("/official/committees")
	b.do("filling in the committee", chromedp.SetValue(chromedp.CSS("#tender-id"), id))
	for _, m := range members {
		b.do("choosing "+m, chromedp.Click(chromedp.CSS("#member-"+m)))
	}
	b.do("assigning", chromedp.Click(chromedp.CSS(`form[action="/official/committees"] button[type=submit]`)))
	b.waitFor("assigning", `location.search.includes("ok=official.assigned")`)
	b.check("the committee assigned")
	b.wantText("the committee assigned", "Pokja sudah ditetapkan", id, "pokja 11", "belum diumumkan")
	b.shot("official-committees")
	b.narrow("/official/committees", "/official/plans")
	b.signOut()

	// 2. A Pokja member announces it, with its document and the
	// committee's key.
	key, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	docPath, keyPath := filepath.Join(dir, "dokumen-pemilihan.pdf"), filepath.Join(dir, "pokja.key")
	doc := []byte("Dokumen Pemilihan " + id + ": Rehabilitasi Jembatan Kali Code")
	if err := os.WriteFile(docPath, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, []byte("# public key: "+key.Recipient().String()+"\n"+key.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b.signIn("pokja11@pemkot.demo.go.id")
	b.open("/official/tenders")
	b.do("to the announcement", chromedp.Click(chromedp.CSS(`a[href="/official/tenders/`+id+`/announce"]`)))
	b.waitFor("the announcement page", `location.pathname.endsWith("/announce")`)
	b.check("the announcement page")
	now := time.Now().Truncate(time.Second)
	deadline := now.Add(30 * time.Second)
	b.do("filling in the announcement",
		chromedp.SetValue(chromedp.CSS("#title"), "Rehabilitasi Jembatan Kali Code"),
		chromedp.SetUploadFiles(chromedp.CSS("#document"), []string{docPath}),
		chromedp.SetValue(chromedp.CSS("#committee-key"), key.Recipient().String()),
		chromedp.SetValue(chromedp.CSS("#submission-start"), localTime(now)),
		chromedp.SetValue(chromedp.CSS("#registration-end"), localTime(deadline)),
		chromedp.SetValue(chromedp.CSS("#clarification-end"), localTime(deadline)),
		chromedp.SetValue(chromedp.CSS("#deadline"), localTime(deadline)),
		chromedp.SetValue(chromedp.CSS("#opening"), localTime(deadline.Add(time.Second))),
		chromedp.SetValue(chromedp.CSS("#objection-days"), "0"),
	)
	b.shot("official-announce")
	b.do("announcing", chromedp.Click(chromedp.CSS(`form[action$="/announce"] button[type=submit]`)))
	b.waitFor("announcing", `location.search.includes("ok=official.announced")`)
	b.check("the announced tender")
	b.wantText("the announced tender", "Tender sudah diumumkan", "menerima penawaran")
	anon := client.New(d.url)
	tn, err := anon.Tender(ctx, id)
	if err != nil || tn.CommitteeKey != key.Recipient().String() || !tn.Schedule.Deadline.Equal(deadline) {
		t.Fatalf("the tender announced through the page: %+v %v", tn, err)
	}
	var stored bytes.Buffer
	if _, err := anon.TenderDocument(ctx, id, tn.Document, &stored, 1<<20); err != nil || !bytes.Equal(stored.Bytes(), doc) {
		t.Errorf("the tender document stored: %q %v", stored.Bytes(), err)
	}

	// The bidders, through the API: a question, two offers, the second
	// damaged after sealing.
	chain, err := anon.Chain(ctx)
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
		if _, err := sealer.Seal(&sealed, strings.NewReader(fmt.Sprint("Penawaran harga ", i)), target); err != nil {
			t.Fatal(err)
		}
		file := sealed.Bytes()
		if i == 1 {
			file[len(file)-3] ^= 0x40
		}
		if _, err := c.SubmitOffer(ctx, id, bytes.NewReader(file)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := client.New(d.url, client.WithToken(demoTender.Bidders[0].Token())).Ask(ctx, id, api.Question, "Apakah jaminan penawaran wajib?"); err != nil {
		t.Fatal(err)
	}

	// 3. The question answered on the committee's page.
	path := "/official/tenders/" + id
	b.open(path)
	b.wantText("the committee's page", "Apakah jaminan penawaran wajib?")
	b.do("answering",
		chromedp.SetValue(chromedp.CSS(`form[action$="/answers"] textarea`), "Ya, wajib, 1% dari HPS."),
		chromedp.Click(chromedp.CSS(`form[action$="/answers"] button[type=submit]`)),
	)
	b.waitFor("answering", `location.search.includes("ok=official.answered")`)
	b.check("the question answered")
	b.wantText("the question answered", "Jawaban sudah diterbitkan", "Ya, wajib, 1% dari HPS.")
	b.shot("official-tender")
	b.narrow("/official/tenders", path, path+"/announce")

	// 4. Closing after the deadline; the opening ceremony after the round.
	time.Sleep(time.Until(deadline.Add(300 * time.Millisecond)))
	b.open(path)
	b.do("closing", chromedp.Click(chromedp.CSS("#close-submit")))
	b.waitFor("closing", `location.search.includes("ok=official.closed")`)
	b.wantText("closed", "himpunan penawaran sudah tetap")
	b.do("to the opening", chromedp.Click(chromedp.CSS("#open-link")))
	b.waitFor("the opening page", `location.pathname.endsWith("/open")`)
	b.check("the opening page")
	b.wantText("the opening page", "dikirim sekali", "Tender versi 2 dibuka tanpa mengirim kunci")
	if n := eval[int](b, `document.querySelectorAll('input[name="witness"]:checked').length`); n != 3 {
		t.Errorf("%d witnesses checked, want the committee's 3", n)
	}
	b.shot("official-open")
	b.narrow(path + "/open")
	tn, _ = anon.Tender(ctx, id)
	time.Sleep(time.Until(tn.RoundTime.Add(300 * time.Millisecond)))
	// While the ceremony runs, the page says so, with the time taken and
	// the tender's state as the API gives it (polled), and its button is
	// disabled so that the key is not sent twice: what it showed is kept
	// in the tab's session storage, which outlives the navigation.
	if !eval[bool](b, `(() => {
		const el = document.getElementById("open-progress");
		new MutationObserver(() => {
			const log = JSON.parse(sessionStorage.getItem("progress") || "[]");
			log.push(el.textContent + (document.getElementById("open-submit").disabled ? " [disabled]" : ""));
			sessionStorage.setItem("progress", JSON.stringify(log));
		}).observe(el, { childList: true, characterData: true, subtree: true });
		return true;
	})()`) {
		t.Fatal("watching the progress")
	}
	b.do("opening",
		chromedp.SetUploadFiles(chromedp.CSS("#key-file"), []string{keyPath}),
		chromedp.Click(chromedp.CSS("#open-submit")),
	)
	b.waitFor("opening", `location.search.includes("ok=official.opened")`)
	progress := strings.Join(eval[[]string](b, `JSON.parse(sessionStorage.getItem("progress") || "[]")`), "\n")
	if !strings.Contains(progress, "Upacara pembukaan berlangsung: 2 detik") || !strings.Contains(progress, "Tender: ditutup. [disabled]") {
		t.Errorf("the ceremony's progress as the page showed it:\n%s", progress)
	}
	b.check("the opened tender")
	b.wantText("the opened tender", "Upacara pembukaan selesai", "1 penawaran dibuka, 1 gagal dibuka",
		"Berita acara kesaksian", demoTender.Bidders[1].ID, "berkas penawaran")
	if strings.Contains(b.text(), key.String()) || strings.Contains(d.log.String(), key.String()) {
		t.Error("the committee's key is shown by the page or written to the server's log")
	}
	if v := eval[string](b, `document.documentElement.outerHTML`); strings.Contains(v, "AGE-SECRET-KEY") {
		t.Error("the page holds the committee's key")
	}
	b.shot("official-opened")

	// 5. The result.
	b.do("announcing the result",
		chromedp.SetValue(chromedp.CSS("#winner"), demoTender.Bidders[0].ID),
		chromedp.SetValue(chromedp.CSS("#result-text"), "Pemenang: CV Contoh 0."),
		chromedp.Click(chromedp.CSS(`form[action$="/result"] button[type=submit]`)),
	)
	b.waitFor("the result", `location.search.includes("ok=official.result")`)
	b.wantText("the result", "Hasil sudah diumumkan", "Pemenang: CV Contoh 0.")
	b.signOut()

	// 6. The PPK awards.
	b.signIn(ppkEmail)
	b.open("/official/awards")
	b.do("awarding",
		chromedp.SetValue(chromedp.CSS("#award-text-"+id), "SPPBJ 027/DEMO/2026"),
		chromedp.Click(chromedp.CSS(`form[action="/official/tenders/`+id+`/award"] button[type=submit]`)),
	)
	b.waitFor("awarding", `location.search.includes("ok=official.awarded")`)
	b.check("awarded")
	b.wantText("awarded", "Kontrak sudah ditetapkan", id)
	b.shot("official-awards")
	b.narrow("/official/awards")
	if tn, err := anon.Tender(ctx, id); err != nil || tn.State != api.StateAwarded {
		t.Errorf("the tender after the award: %+v %v", tn, err)
	}
	// The PPK may not use the committee's pages: a clear refusal.
	b.open(path)
	b.wantText("the PPK on a committee page", "Halaman ini bukan untuk peran Anda")
}
