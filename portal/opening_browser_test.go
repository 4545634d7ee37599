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
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/internal/browsertest"
	"github.com/segel-lpse/segel/internal/openingtest"
)

// watch is the network between the browser and the server: it records
// every request body, for the test to search for what must never reach
// the server (a plaintext, a member's secret key).
type watch struct {
	h      http.Handler
	mu     sync.Mutex
	bodies [][]byte
	paths  []string
}

func (w *watch) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if r.Body != nil {
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		w.mu.Lock()
		w.bodies, w.paths = append(w.bodies, b), append(w.paths, r.Method+" "+r.URL.Path)
		w.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(b))
	}
	w.h.ServeHTTP(rw, r)
}

// carried returns the requests whose body holds s.
func (w *watch) carried(s []byte) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for i, b := range w.bodies {
		if bytes.Contains(b, s) {
			out = append(out, w.paths[i])
		}
	}
	return out
}

// switchTo signs the tab out (its cookies cleared) and in again as email,
// with the opening fixture's password.
func (b *tab) switchTo(email string) {
	b.t.Helper()
	if _, err := chromedp.Call(b.ctx, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
		b.t.Fatalf("signing out: %v", err)
	}
	b.open("/login")
	b.do("signing in as "+email,
		chromedp.SetValue(chromedp.CSS("#email"), email),
		chromedp.SetValue(chromedp.CSS("#password"), openingtest.Password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
	)
	b.waitFor("signing in", `!location.pathname.startsWith("/login")`)
}

var secretKeyLine = regexp.MustCompile(`(?m)^AGE-SECRET-KEY-PQ-1[0-9A-Z]+$`)

// TestBrowserOpeningV2 runs a two-file tender of a 3-of-5 committee
// through the portal's pages in headless Chromium, against a real server:
// five pokja members make their opening keys in the browser, download
// them and register them (the challenge answered in WebAssembly); three
// bidders seal File I and File II in the browser; File I is opened by
// three members contributing from three sessions, each choosing its key
// file (one member absent, one not needed); the evaluation fails one
// bidder; File II is opened for the two who passed, the failed bidder's
// price staying sealed. Every request body, the server's data directory
// and its log are searched for the documents' contents and for every
// member's secret key: none reached the server.
func TestBrowserOpeningV2(t *testing.T) {
	if testing.Short() {
		t.Skip("a two-file tender in a real browser: about two minutes")
	}
	ctx := context.Background()
	bctx := browsertest.New(t)
	warmUp()
	dataDir := t.TempDir()
	d := newDeploymentIn(t, dataDir)
	w := &watch{h: d.h}
	srv := httptest.NewServer(w)
	t.Cleanup(srv.Close)
	p, err := openingtest.Setup(ctx, srv.URL, 5, 3)
	if err != nil {
		t.Fatal(err)
	}
	downloads := t.TempDir()
	b := newTab(t, bctx, srv.URL, downloads)

	// 1. Every member makes a key in the browser, saves it, and registers
	// it from the saved file. The v1 tender of internal/demo's setup is
	// where their opening page is, before any v2 tender exists.
	v1, err := p.Anon.Tenders(ctx)
	if err != nil || len(v1) == 0 {
		t.Fatalf("no tender to start from: %v", err)
	}
	keyFiles := make([]string, len(p.Members))
	var secrets [][]byte
	for i, email := range p.Emails {
		b.switchTo(email)
		b.open("/tenders/" + v1[0].ID + "/opening")
		b.waitFor("the sealer", `!document.querySelector("#key-generate").disabled`)
		b.do("making a key", chromedp.Click(chromedp.CSS("#key-generate")))
		b.waitFor("the key", `!document.querySelector("#key-download").hidden`)
		name := eval[string](b, `document.querySelector("#key-download").download`)
		b.do("saving the key", chromedp.Click(chromedp.CSS("#key-download")))
		keyFiles[i] = filepath.Join(downloads, name)
		kf := waitFile(t, keyFiles[i])
		line := secretKeyLine.Find(kf)
		if line == nil {
			t.Fatalf("the downloaded key file has no key:\n%s", kf)
		}
		secrets = append(secrets, line)
		b.do("choosing the key file", chromedp.SetUploadFiles(chromedp.CSS("#register-key-file"), []string{keyFiles[i]}))
		b.do("registering", chromedp.Click(chromedp.CSS("#key-register")))
		b.waitFor("registered", `document.querySelector("#opening-status").textContent.includes("terdaftar")`)
		if i == 0 {
			b.shot("opening-key")
		}
	}

	// 2. The tender, announced through the API by its committee.
	tn, err := p.Announce(ctx, api.MethodTwoFile, 3, openingtest.Schedule{Window: 75 * time.Second, Opening: time.Second, FileII: time.Second})
	if err != nil {
		t.Fatal(err)
	}

	// 3. Each bidder seals File I and File II in the browser.
	var marks [][]byte
	docDir := t.TempDir()
	for i, email := range p.BEmails {
		b.switchTo(email)
		for file := 1; file <= 2; file++ {
			var r [16]byte
			rand.Read(r[:])
			mark := []byte(fmt.Sprintf("RAHASIA-FILE-%d-%s", file, hex.EncodeToString(r[:])))
			marks = append(marks, mark)
			doc := filepath.Join(docDir, fmt.Sprintf("bidder%d-file%d.pdf", i, file))
			if err := os.WriteFile(doc, bytes.Repeat(mark, 1000), 0o644); err != nil {
				t.Fatal(err)
			}
			b.open(fmt.Sprintf("/tenders/%s/offer?file=%d", tn.ID, file))
			b.waitFor("the check", `!document.querySelector("#offer-submit").disabled`)
			b.do("choosing the document",
				chromedp.SetUploadFiles(chromedp.CSS("#document"), []string{doc}),
				chromedp.Click(chromedp.CSS("#part-confirm")),
				chromedp.Click(chromedp.CSS("#offer-submit")),
			)
			b.waitFor("the receipt", `!document.querySelector("#offer-done").hidden || !document.querySelector("#offer-error").hidden`)
			if s := eval[string](b, `document.querySelector("#offer-error").hidden ? "" : document.querySelector("#offer-error").textContent`); s != "" {
				t.Fatalf("bidder %d, file %d: %s", i, file, s)
			}
			if i == 0 && file == 2 {
				b.shot("offer-file-ii")
			}
		}
	}

	// 4. File I: member 1 starts the opening once the round is out;
	// members 1, 3 and 5 contribute, each in its own session, with its
	// own key file; member 1 completes.
	time.Sleep(time.Until(tn.Parts[0].RoundTime.Add(500 * time.Millisecond)))
	contribute := func(i, file int, start, complete bool) {
		t.Helper()
		b.switchTo(p.Emails[i])
		b.open("/tenders/" + tn.ID + "/opening")
		part := fmt.Sprintf("#part-%d", file)
		b.waitFor("the page", `!document.querySelector("`+part+` .part-contribute").disabled`)
		if start {
			b.do("starting", chromedp.Click(chromedp.CSS(part+" .part-start")))
			b.waitFor("started", `document.querySelector("#opening-status").textContent.includes("dimulai") || !document.querySelector("#opening-error").hidden`)
		}
		if complete {
			// Two members contributed before: the page shows whose batches
			// the log holds.
			b.wantText("progress", "2 anggota telah berkontribusi; setiap berkas memerlukan 3.")
		}
		b.do("choosing the key file", chromedp.SetUploadFiles(chromedp.CSS("#key-file"), []string{keyFiles[i]}))
		b.do("contributing", chromedp.Click(chromedp.CSS(part+" .part-contribute")))
		b.waitFor("contributed", `document.querySelector("#opening-status").textContent.includes("Terkirim") || !document.querySelector("#opening-error").hidden`)
		if s := eval[string](b, `document.querySelector("#opening-error").hidden ? "" : document.querySelector("#opening-error").textContent`); s != "" {
			t.Fatalf("member %d, file %d: %s", i+1, file, s)
		}
		if complete {
			b.shot(fmt.Sprintf("opening-file-%d-contributed", file))
			b.do("completing", chromedp.Click(chromedp.CSS(part+" .part-complete")))
			b.waitFor("completed", `document.querySelector("`+part+`").dataset.state === "opened" || !document.querySelector("#opening-error").hidden`)
		}
	}
	contribute(2, 1, true, false)
	contribute(4, 1, false, false)
	contribute(0, 1, false, true)
	b.wantText("File I opened", "Dibuka: berita acara pembukaan yang ditandatangani memuat 3 berkas.")

	// 5. The evaluation: member 1 fails bidder 2; members 3 and 5 approve.
	failed := p.Bidders[1].UserID()
	b.do("evaluating", chromedp.Evaluate[chromedp.Void](`(() => {
		for (const row of document.querySelectorAll(".evaluation-row")) {
			const fail = row.dataset.bidder === `+"`"+failed+"`"+`;
			row.querySelector(".passed").checked = !fail;
			row.querySelector(".reasons").value = fail ? "Tidak memenuhi persyaratan teknis." : "Memenuhi persyaratan.";
		}
	})()`))
	b.shot("opening-evaluation")
	b.waitFor("the page", `!document.querySelector("#evaluation-propose").disabled`)
	b.do("proposing", chromedp.Click(chromedp.CSS("#evaluation-propose")))
	b.waitFor("proposed", `document.querySelector(".proposal")`)
	for _, i := range []int{2, 4} {
		b.switchTo(p.Emails[i])
		b.open("/tenders/" + tn.ID + "/opening")
		b.waitFor("the page", `document.querySelector(".approve") && !document.querySelector(".approve").disabled`)
		b.do("approving", chromedp.Click(chromedp.CSS(".approve")))
		b.waitFor("approved", `(!document.querySelector(".approve") && document.querySelector(".proposal")) || !document.querySelector("#opening-error").hidden`)
		if s := eval[string](b, `document.querySelector("#opening-error").hidden ? "" : document.querySelector("#opening-error").textContent`); s != "" {
			t.Fatalf("member %d approving: %s", i+1, s)
		}
	}
	b.wantText("evaluation fixed", "Ditetapkan: 2 lulus, 1 gugur.")

	// 6. File II, for the two who passed: members 3, 4 and 5.
	time.Sleep(time.Until(tn.Parts[1].RoundTime.Add(500 * time.Millisecond)))
	contribute(3, 2, true, false)
	contribute(4, 2, false, false)
	contribute(2, 2, false, true)
	b.wantText("File II opened", "tetap tersegel: tidak lulus File I")
	b.shot("opening")
	b.lang = "en"
	b.open("/tenders/" + tn.ID + "/opening?lang=en")
	b.wantText("in English", "stays sealed: did not pass File I", "Fixed: 2 passed, 1 failed.")
	b.shot("opening-en")

	// The failed bidder's price stayed sealed: the server never opened
	// it (its File II document is not served).
	var doc bytes.Buffer
	if _, err := p.Members[0].FileDocument(ctx, tn.ID, 2, failed, &doc, 1<<20); err == nil {
		t.Errorf("the failed bidder's File II was opened: %d bytes", doc.Len())
	}
	var passed bytes.Buffer
	if _, err := p.Members[0].FileDocument(ctx, tn.ID, 2, p.Bidders[0].UserID(), &passed, 1<<20); err != nil || !bytes.Contains(passed.Bytes(), marks[1]) {
		t.Errorf("a passed bidder's File II: %v", err)
	}

	// Nothing secret reached the server: no request carried a member's
	// key or a document, and neither is in its storage or its log.
	for i, s := range secrets {
		if c := w.carried(s); len(c) > 0 {
			t.Errorf("member %d's secret key was sent: %v", i+1, c)
		}
	}
	for _, m := range marks {
		if c := w.carried(m); len(c) > 0 {
			t.Errorf("a document's content was sent: %v", c)
		}
	}
	// Opened files are the server's to keep; the failed bidder's price
	// never opened, and no key was ever there.
	priceOfFailed := marks[1*2+1]
	never := append(append([][]byte{}, secrets...), priceOfFailed)
	n := 0
	err = filepath.WalkDir(dataDir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		for _, s := range never {
			if bytes.Contains(b, s) {
				t.Errorf("the server's %s holds %.30s…", path, s)
			}
		}
		return nil
	})
	if err != nil || n < 3 {
		t.Fatalf("searching the data directory: %d files, %v", n, err)
	}
	log := d.log.String()
	for _, s := range append(never, marks...) {
		if strings.Contains(log, string(s)) {
			t.Errorf("the server's log holds %.30s…", s)
		}
	}
}
