package portal_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"filippo.io/age"
	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/client"
	"github.com/segel-lpse/segel/internal/browsertest"
)

// EnvScreenshots names the directory the browser test saves its
// screenshots of the main pages in; a temporary directory if unset. The
// README's two come from it:
//
//	SEGEL_SCREENSHOTS=doc/img go test -run TestBrowserPortal ./portal
const envScreenshots = "SEGEL_SCREENSHOTS"

// wire is the network between the browser and the server, as the test
// controls it: it breaks the connection twice during the second chunk of
// an upload, and searches every request body for the plaintext that must
// never reach the server.
//
// The first break cuts the request: the server gets part of the chunk,
// the browser no answer. Chromium itself sends an idempotent request
// again when a reused connection breaks before any answer, so the page
// does not see this one. The second break cuts the answer: the server
// has stored the whole chunk, the browser gets half of the answer and a
// broken connection, which the page sees; it asks the server where the
// upload stands and resumes from there.
type wire struct {
	h       http.Handler
	secret  []byte
	puts    atomic.Int32
	breaks  atomic.Int32 // breaks decided
	cuts    atomic.Int32 // connections broken
	resyncs atomic.Int32 // GET /v1/uploads/{id}: the page asking where to resume
	leaked  atomic.Bool  // a request carried the secret
}

func (w *wire) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	r.Body = &scanner{r: r.Body, secret: w.secret, found: &w.leaked}
	if r.Method == "GET" && strings.HasPrefix(r.URL.Path, "/v1/uploads/") {
		w.resyncs.Add(1)
	}
	// Which break this request gets is decided as it arrives: Chromium
	// may send the first again before the first's handler has returned.
	var cut int32
	if r.Method == "PUT" && strings.HasPrefix(r.URL.Path, "/v1/uploads/") && w.puts.Add(1) >= 2 {
		cut = w.breaks.Add(1)
	}
	if cut < 1 || cut > 2 {
		w.h.ServeHTTP(rw, r)
		return
	}
	ans := httptest.NewRecorder()
	if cut == 1 {
		cut := r.Clone(r.Context())
		cut.Body = io.NopCloser(io.MultiReader(io.LimitReader(r.Body, 300<<10), errReader{}))
		w.h.ServeHTTP(ans, cut)
		ans.Body.Reset()
	} else {
		w.h.ServeHTTP(ans, r)
	}
	conn, buf, err := http.NewResponseController(rw).Hijack()
	if err != nil {
		panic(err)
	}
	if half := ans.Body.Bytes()[:ans.Body.Len()/2]; len(half) > 0 {
		fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
			ans.Code, http.StatusText(ans.Code), ans.Body.Len(), half)
		buf.Flush()
	}
	conn.Close()
	w.cuts.Add(1)
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

// scanner passes a body on and reports whether secret appears in it.
type scanner struct {
	r      io.ReadCloser
	secret []byte
	tail   []byte
	found  *atomic.Bool
}

func (s *scanner) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if n > 0 {
		s.tail = append(s.tail, p[:n]...)
		if bytes.Contains(s.tail, s.secret) {
			s.found.Store(true)
		}
		if keep := len(s.secret) - 1; len(s.tail) > keep {
			s.tail = append(s.tail[:0], s.tail[len(s.tail)-keep:]...)
		}
	}
	return n, err
}

func (s *scanner) Close() error { return s.r.Close() }

// tab is the browser with the test's helpers.
type tab struct {
	t        *testing.T
	ctx      context.Context
	base     string
	shots    string
	lang     string
	problems []string
}

func (b *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 90*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v\n%s", what, err, b.text())
	}
}

func eval[T any](b *tab, expr string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// text is the page's visible text, for failure messages.
func (b *tab) text() string {
	s, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	return s
}

// open navigates to path and checks the page: its language, headings,
// labels, and that it fits a 360 px screen.
func (b *tab) open(path string) {
	b.t.Helper()
	b.do("opening "+path, chromedp.Navigate(b.base+path), chromedp.WaitReady(chromedp.CSS("footer")))
	b.check(path)
}

// check checks the page as it stands: one h1, headings in order, a label
// for every field, <html lang>, no horizontal scrolling at the
// viewport's width, and no violation of the Content-Security-Policy.
func (b *tab) check(what string) {
	b.t.Helper()
	problems := eval[[]string](b, `(() => {
		const problems = [];
		if (document.documentElement.lang !== `+"`"+b.lang+"`"+`) problems.push("html lang " + document.documentElement.lang);
		const visible = (el) => !el.closest("[hidden]");
		const hs = [...document.querySelectorAll("h1,h2,h3,h4,h5,h6")].filter(visible);
		if (hs.filter((h) => h.tagName === "H1").length !== 1) problems.push("not exactly one h1");
		let last = 0;
		for (const h of hs) {
			const l = +h.tagName[1];
			if (l > last + 1) problems.push("heading " + h.tagName + " after h" + last + ": " + h.textContent.trim());
			last = l;
		}
		for (const el of document.querySelectorAll("input:not([type=hidden]), select, textarea")) {
			if (!(el.labels && el.labels.length) && !el.getAttribute("aria-label")) problems.push("no label: " + (el.id || el.name));
		}
		if (document.documentElement.scrollWidth > window.innerWidth + 1) {
			const wide = [...document.body.querySelectorAll("*")].filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1);
			const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className ? "." + el.className : "");
			problems.push("wider than the screen: " + document.documentElement.scrollWidth + " > " + window.innerWidth + ": " + wide.slice(-3).map(name).join(", "));
		}
		for (const v of window.__csp || []) problems.push("CSP violation: " + v);
		return problems;
	})()`)
	for _, p := range problems {
		b.t.Errorf("%s: %s", what, p)
	}
}

// shot saves a screenshot of the whole page as name.png.
func (b *tab) shot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	p := filepath.Join(b.shots, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s (%d bytes)", p, len(png))
}

// waitFor waits until expr, evaluated in the page, is true (a page
// loaded after a form's redirect).
func (b *tab) waitFor(what, expr string) {
	b.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		// An evaluation fails while the page navigates: try again.
		ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`(() => { try { return !!(`+expr+`) && document.readyState === "complete"; } catch (e) { return false; } })()`))
		if err == nil && ok {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.t.Fatalf("%s: waiting for %s\n%s", what, expr, b.text())
}

func (b *tab) wantText(what string, wants ...string) {
	b.t.Helper()
	s := b.text()
	for _, w := range wants {
		if !strings.Contains(s, w) {
			b.t.Errorf("%s: the page does not say %q:\n%s", what, w, s)
		}
	}
}

// TestBrowserPortal runs a provider's and an auditor's part of a real
// tender through the portal's pages in headless Chromium, against a real
// server: a provider registers with its documents through the pages (the
// LPSE's staff act through the API), signs in, takes part, asks a
// question, seals an offer in the browser and uploads it while the
// connection is cut in the middle of a chunk (the upload resumes), sees
// its receipt verified and downloads it with its proof; the committee
// opens the offer to the same bytes; an auditor verifies the audit
// bundle on the audit page with the network off. Every request body, the
// server's data directory and its log are searched for the document's
// content: the server never received it.
func TestBrowserPortal(t *testing.T) {
	if testing.Short() {
		t.Skip("a real tender in a real browser: about a minute")
	}
	ctx := context.Background()
	bctx := browsertest.New(t)
	warmUp()
	dataDir := t.TempDir()
	d := newDeploymentIn(t, dataDir)
	d.setup(0, time.Hour) // the LPSE's staff and officials

	// The offer's document: a marker that cannot occur by chance, around
	// random bytes.
	var mark [16]byte
	rand.Read(mark[:])
	secret := []byte("RAHASIA-PENAWARAN-" + hex.EncodeToString(mark[:]))
	doc := make([]byte, 3<<20)
	rand.Read(doc)
	doc = append(append(append([]byte{}, secret...), doc...), secret...)
	w := &wire{h: d.h, secret: secret}
	srv := httptest.NewServer(w)
	t.Cleanup(srv.Close)

	downloads := t.TempDir()
	b := newTab(t, bctx, srv.URL, downloads)

	// 1. The provider registers with its documents.
	fields, files := registration(7)
	docDir := t.TempDir()
	b.open("/register")
	b.do("filling in the registration",
		chromedp.Click(chromedp.CSS("#kind-company")),
		chromedp.SetValue(chromedp.CSS("#name"), fields["name"]),
		chromedp.SetValue(chromedp.CSS("#nik"), fields["nik"]),
		chromedp.SetValue(chromedp.CSS("#npwp"), fields["npwp"]),
		chromedp.SetValue(chromedp.CSS("#licence"), fields["licence"]),
		chromedp.SetValue(chromedp.CSS("#email"), fields["email"]),
		chromedp.SetValue(chromedp.CSS("#password"), fields["password"]),
		chromedp.SetValue(chromedp.CSS("#password2"), fields["password2"]),
	)
	for kind, b0 := range files {
		p := filepath.Join(docDir, kind+".pdf")
		if err := os.WriteFile(p, b0, 0o644); err != nil {
			t.Fatal(err)
		}
		b.do("choosing "+kind, chromedp.SetUploadFiles(chromedp.CSS("#doc-"+kind), []string{p}))
	}
	b.shot("register")
	b.do("registering", chromedp.Click(chromedp.CSS(`form[action="/register"] button[type=submit]`)))
	b.waitFor("registering", `document.querySelector("p.ok")`)
	b.check("registered")
	b.wantText("registered", "Pendaftaran "+fields["name"]+" diterima dan menunggu verifikasi")
	id := eval[string](b, `document.querySelector("dd code").textContent`)

	// The LPSE verifies it (staff pages come later: the API for now).
	verifier, err := client.New(d.url).Login(ctx, "verifier1@pemkot.demo.go.id", demoPassword)
	if err != nil {
		t.Fatal(err)
	}
	acct, err := verifier.User(ctx, id)
	if err != nil {
		t.Fatalf("the account %q the page named: %v", id, err)
	}
	for _, doc := range acct.Documents {
		var got bytes.Buffer
		if _, err := verifier.UserDocument(ctx, id, doc.Kind, &got, 1<<20); err != nil || !bytes.Equal(got.Bytes(), files[string(doc.Kind)]) {
			t.Errorf("the scan of %s as the LPSE reads it: %q %v", doc.Kind, got.Bytes(), err)
		}
		if err := verifier.VerifyDocument(ctx, id, doc.Kind); err != nil {
			t.Fatal(err)
		}
	}
	if len(acct.Documents) != 4 {
		t.Errorf("%d documents registered, want 4", len(acct.Documents))
	}
	if err := verifier.Approve(ctx, id); err != nil {
		t.Fatal(err)
	}

	// The committee announces a tender, its window open from now.
	tender := announce(t, d, 40*time.Second)

	// 2. The provider signs in (with the keyboard), takes part, asks.
	b.open("/login")
	b.do("signing in",
		chromedp.Focus(chromedp.CSS("#email")), chromedp.KeyEvent(fields["email"]),
		chromedp.Focus(chromedp.CSS("#password")), chromedp.KeyEvent(fields["password"]+"\r"),
	)
	b.waitFor("signing in", `location.pathname === "/account"`)
	b.check("the account page")
	b.wantText("the account page", "aktif", "Masuk sebagai "+fields["name"])
	cookies := eval[[]string](b, `document.cookie.split("; ").filter(Boolean)`)
	for _, c := range cookies {
		if strings.HasPrefix(c, "segel_session=") {
			t.Errorf("the session cookie is readable by scripts: %s", c)
		}
	}

	b.open("/tenders/" + tender.id)
	b.do("taking part", chromedp.Click(chromedp.CSS(`form[action$="/participate"] button`)))
	b.waitFor("taking part", `location.search.includes("ok=registered")`)
	b.wantText("taking part", "Anda terdaftar sebagai peserta tender ini")
	b.do("asking",
		chromedp.SetValue(chromedp.CSS("#question"), "Apakah jaminan penawaran wajib?"),
		chromedp.Click(chromedp.CSS(`form[action$="/questions"] button`)),
	)
	b.waitFor("the question sent", `location.search.includes("ok=question")`)
	b.check("the tender's page")
	b.wantText("asking", "Pertanyaan Anda terkirim", "Apakah jaminan penawaran wajib?")
	b.shot("tender")

	// 3. The offer, sealed in the browser and uploaded through a cut.
	docPath := filepath.Join(t.TempDir(), "penawaran.pdf")
	if err := os.WriteFile(docPath, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	b.open("/tenders/" + tender.id + "/offer")
	b.do("loading the sealer", chromedp.WaitEnabled(chromedp.CSS("#offer-submit")))
	b.wantText("the tender's check", "sesuai: dibuka paling cepat", tender.keyID, "rantai beacon milik LPSE ini ("+d.s.Beacon.Chain().HashHex()+")")
	start := time.Now()
	b.do("sealing and uploading",
		chromedp.SetUploadFiles(chromedp.CSS("#document"), []string{docPath}),
		chromedp.Click(chromedp.CSS("#offer-submit")),
		chromedp.WaitVisible(chromedp.CSS("#offer-done")),
	)
	t.Logf("sealed %d bytes and uploaded them through a cut connection in %v", len(doc), time.Since(start).Round(time.Millisecond))
	b.check("the offer page")
	b.wantText("the offer page", "Selesai: penawaran diterima dengan tanda terima terperiksa")
	if w.cuts.Load() != 2 || w.resyncs.Load() == 0 {
		t.Errorf("%d cut connections, %d times the page asked where the upload stands; want 2 cuts and the page resuming after them", w.cuts.Load(), w.resyncs.Load())
	}
	b.shot("offer")
	b.do("downloading the receipt", chromedp.Click(chromedp.CSS("#dl-receipt")))
	b.do("downloading the proof", chromedp.Click(chromedp.CSS("#dl-proof")))
	receipt := waitFile(t, filepath.Join(downloads, tender.id+".receipt"))
	proof := waitFile(t, filepath.Join(downloads, tender.id+".proof"))
	keys := auditlog.Keys{Log: d.s.Keys.Log, Receipt: d.s.Keys.Receipt}
	rc, err := auditlog.VerifyReceipt(receipt, d.s.Keys.Receipt)
	if err != nil {
		t.Fatalf("the downloaded receipt: %v", err)
	}
	if rc.Tender != tender.id || rc.Bidder != id {
		t.Errorf("the receipt binds %s/%s, want %s/%s", rc.Tender, rc.Bidder, tender.id, id)
	}
	if prc, _, err := auditlog.VerifyProofFile(proof, keys); err != nil || prc != rc {
		t.Errorf("the downloaded proof file: %v (%+v)", err, prc)
	}
	if shown := eval[string](b, `document.getElementById("rc-sha256").textContent`); shown != hex.EncodeToString(rc.SHA256[:]) {
		t.Errorf("the page shows SHA-256 %s, the receipt binds %x", shown, rc.SHA256)
	}

	// The receipt page verifies it again, from the server's copy.
	b.open("/tenders/" + tender.id + "/receipt")
	b.do("checking the stored receipt", chromedp.WaitVisible(chromedp.CSS("#receipt-status.ok")))
	b.wantText("the receipt page", "Tanda terima dan berkas bukti terperiksa di peramban ini", fmt.Sprint(rc.Index))

	// 4. Nothing of the document reached the server: not a request, not
	// its storage, not its log.
	checkNoPlaintext(t, w, dataDir, d.log.String(), secret)

	// 5. The committee opens it after the opening round, to the same bytes.
	time.Sleep(time.Until(tender.deadline.Add(200 * time.Millisecond)))
	if _, err := tender.pokja.Close(ctx, tender.id); err != nil {
		t.Fatal(err)
	}
	tender.open(t)
	var opened bytes.Buffer
	if _, err := tender.pokja.OfferDocument(ctx, tender.id, id, &opened, 64<<20); err != nil || !bytes.Equal(opened.Bytes(), doc) {
		t.Errorf("the committee opens %d bytes (%v); the browser sealed %d", opened.Len(), err, len(doc))
	}
	checkNoPlaintext(t, w, dataDir, d.log.String(), secret)

	b.open("/tenders/" + tender.id)
	b.wantText("the opened tender", "1 penawaran dibuka, 0 gagal dibuka")

	// 6. The auditor verifies the bundle on the audit page, offline.
	bundle, err := os.Create(filepath.Join(t.TempDir(), "bundle-"+tender.id+".tar"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(d.url + "/v1/tenders/" + tender.id + "/bundle")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("the bundle: %v %v", resp, err)
	}
	io.Copy(bundle, resp.Body)
	resp.Body.Close()
	bundle.Close()
	b.lang = "en"
	b.open("/audit?lang=en")
	b.do("loading the verifier", chromedp.WaitEnabled(chromedp.CSS("#audit-submit")))
	offline(t, bctx)
	b.do("verifying the bundle offline",
		chromedp.SetUploadFiles(chromedp.CSS("#bundle-tar"), []string{bundle.Name()}),
		chromedp.Click(chromedp.CSS("#audit-submit")),
		chromedp.WaitVisible(chromedp.CSS("#audit-result")),
	)
	b.check("the audit page")
	b.wantText("the audit page", "The bundle verifies against the pinned keys", tender.id)
	if got := eval[string](b, `document.getElementById("r-opened").textContent`); got != "1" {
		t.Errorf("the audit page: %s opened, want 1", got)
	}
	b.shot("audit")

	// 7. The main pages at 360 px wide: nothing scrolls sideways.
	online(t, bctx)
	b.lang = "id"
	b.do("a phone's screen", chromedp.EmulateViewport(360, 740))
	for _, path := range []string{"/tenders?lang=id", "/tenders/" + tender.id, "/tenders/" + tender.id + "/offer", "/audit", "/register", "/about", "/account", "/"} {
		b.open(path)
	}
	b.shot("home-360")
	b.do("the home page", chromedp.EmulateViewport(1100, 900))
	b.open("/")
	b.shot("home")
}

// checkNoPlaintext fails if the secret reached the server: in a request
// body, a file under its data directory (database, blobs, journals), or
// its log.
func checkNoPlaintext(t *testing.T, w *wire, dataDir, log string, secret []byte) {
	t.Helper()
	if w.leaked.Load() {
		t.Error("a request to the server carried the document's content")
	}
	n := 0
	err := filepath.WalkDir(dataDir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		n++
		if bytes.Contains(b, secret) {
			t.Errorf("the server's %s holds the document's content", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 3 {
		t.Errorf("only %d files in the data directory: is it the server's?", n)
	}
	if strings.Contains(log, string(secret)) {
		t.Error("the server's log holds the document's content")
	}
}

func waitFile(t *testing.T, p string) []byte {
	t.Helper()
	for range 100 {
		if b, err := os.ReadFile(p); err == nil && len(b) > 0 {
			return b
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no download %s", p)
	return nil
}

// A portalTender is a tender the test announces through the API as the
// committee (their pages are not built yet).
type portalTender struct {
	id, keyID string
	deadline  time.Time
	pokja     *client.Client
	members   []string
	key       *age.HybridIdentity
	round     time.Time
}

func announce(t *testing.T, d *deployment, window time.Duration) *portalTender {
	t.Helper()
	ctx := context.Background()
	anon := client.New(d.url)
	pa, err := anon.Login(ctx, "pa-kpa10@pemkot.demo.go.id", demoPassword)
	if err != nil {
		t.Fatal(err)
	}
	tn := &portalTender{id: "T-PORTAL-" + time.Now().UTC().Format("150405")}
	for i := range 3 {
		c, err := anon.Login(ctx, fmt.Sprintf("pokja%d@pemkot.demo.go.id", 11+i), demoPassword)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			tn.pokja = c
		}
		tn.members = append(tn.members, c.UserID())
	}
	if err := pa.AssignCommittee(ctx, tn.id, tn.members); err != nil {
		t.Fatal(err)
	}
	if tn.key, err = age.GenerateHybridIdentity(); err != nil {
		t.Fatal(err)
	}
	docDigest, err := tn.pokja.UploadDocument(ctx, strings.NewReader("Dokumen Pemilihan: Rehabilitasi Jembatan Kali Code"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	tn.deadline = now.Add(window)
	at, err := tn.pokja.Announce(ctx, api.Announcement{
		ID: tn.id, Title: "Rehabilitasi Jembatan Kali Code", Document: docDigest, CommitteeKey: tn.key.Recipient().String(),
		Schedule: api.Schedule{RegistrationEnd: tn.deadline, ClarificationEnd: tn.deadline, SubmissionStart: now,
			Deadline: tn.deadline, Opening: tn.deadline.Add(2 * time.Second), ObjectionDays: 3},
	})
	if err != nil {
		t.Fatal(err)
	}
	tn.keyID, tn.round = at.CommitteeKeyID, at.RoundTime
	return tn
}

// open waits for the opening round and opens the offers.
func (tn *portalTender) open(t *testing.T) {
	t.Helper()
	time.Sleep(time.Until(tn.round.Add(300 * time.Millisecond)))
	op, err := tn.pokja.Open(context.Background(), tn.id, tn.key, tn.members)
	if err != nil {
		t.Fatal(err)
	}
	if op.Opened != 1 || op.Failed != 0 {
		t.Errorf("opening: %d opened, %d failed; want 1 opened", op.Opened, op.Failed)
	}
}

// online undoes offline.
func online(t testing.TB, ctx context.Context) {
	t.Helper()
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			MatchedNetworkConditions: []*network.Conditions{{Offline: false, DownloadThroughput: -1, UploadThroughput: -1}},
		})
		if err != nil {
			return err
		}
		_, err = chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: false, DownloadThroughput: -1, UploadThroughput: -1})
		return err
	}))
	if err != nil {
		t.Fatalf("going online: %v", err)
	}
}

// newTab returns a tab on base in the browser context bctx, as every
// browser test starts one: screenshots into $SEGEL_SCREENSHOTS (a
// temporary directory if unset), every page recording its policy's
// violations from before its own scripts run (DevTools' injection is not
// subject to the policy), downloads into downloads unless it is "", and a
// desktop's viewport.
func newTab(t *testing.T, bctx context.Context, base, downloads string) *tab {
	t.Helper()
	shots := os.Getenv(envScreenshots)
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	b := &tab{t: t, ctx: bctx, base: base, shots: shots, lang: "id"}
	if _, err := chromedp.Call(bctx, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{
		Source: `window.__csp = []; document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(e.violatedDirective + " " + e.blockedURI));`,
	}); err != nil {
		t.Fatal(err)
	}
	if downloads != "" {
		if _, err := chromedp.CallBrowser(bctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
			Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads,
		}); err != nil {
			t.Fatal(err)
		}
	}
	b.do("viewport", chromedp.EmulateViewport(1100, 900))
	return b
}
