package portal_test

import (
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
	"testing"
	"time"

	"filippo.io/age"
	"github.com/chromedp/chromedp"

	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/client"
	"github.com/segel-lpse/segel/internal/browsertest"
)

// register registers provider i through /register with its documents,
// and returns the account's id as the page names it.
func (b *tab) register(i int) (id, email, password string) {
	b.t.Helper()
	fields, files := registration(i)
	dir := b.t.TempDir()
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
	for kind, content := range files {
		p := filepath.Join(dir, kind+".pdf")
		if err := os.WriteFile(p, content, 0o644); err != nil {
			b.t.Fatal(err)
		}
		b.do("choosing "+kind, chromedp.SetUploadFiles(chromedp.CSS("#doc-"+kind), []string{p}))
	}
	b.do("registering", chromedp.Click(chromedp.CSS(`form[action="/register"] button[type=submit]`)))
	b.waitFor("registering", `document.querySelector("p.ok")`)
	b.check("registered")
	b.wantText("registered", "Pendaftaran "+fields["name"]+" diterima dan menunggu verifikasi")
	return eval[string](b, `document.querySelector("dd code").textContent`), fields["email"], fields["password"]
}

// signInWith signs the tab in through the login page with a password
// other than the demo's.
func (b *tab) signInWith(email, password string) {
	b.t.Helper()
	b.open("/login")
	b.do("signing in as "+email,
		chromedp.SetValue(chromedp.CSS("#email"), email),
		chromedp.SetValue(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
	)
	b.waitFor("signing in as "+email, `location.pathname === "/account"`)
}

// damageNextSeal makes the page's sealer flip a byte near the end of the
// next sealed file, after sealing and before the upload, and hash the
// damaged file as the one sealed: the page uploads it and checks its
// receipt as it would a sound one, and the offer fails at opening.
func (b *tab) damageNextSeal() {
	b.t.Helper()
	if !eval[bool](b, `(async () => {
		const segel = await window.segelReady;
		const seal = segel.seal;
		segel.seal = async (...args) => {
			segel.seal = seal;
			const s = await seal(...args);
			const bytes = new Uint8Array(await s.sealed.arrayBuffer());
			bytes[bytes.length - 3] ^= 0x40;
			const sum = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
			s.sealed = new Blob([bytes], { type: "application/octet-stream" });
			s.sha256 = [...sum].map((x) => x.toString(16).padStart(2, "0")).join("");
			return s;
		};
		return true;
	})()`) {
		b.t.Fatal("damaging the sealer")
	}
}

// TestBrowserWholeTender takes one tender through all the portal's pages
// in headless Chromium, against a real server, as its users would (issue
// 17): three providers register through /register with their documents;
// a verifier approves them on /staff; the PA/KPA assigns the committee on
// /official/committees; a Pokja member announces the tender on its
// announcement page; a provider asks on the tender's page and the Pokja
// member answers; the three seal their offers in the browser on the offer
// page, the third's damaged after sealing and before the upload (it gets
// its receipt all the same); the Pokja member closes, opens with the v1
// ceremony's page (the damaged offer fails, its witness report shown) and
// announces the result; the PPK awards; an auditor verifies the bundle on
// /audit. Every request body, the server's data directory (database and
// blobs) and its log are searched for each offer's plaintext: the server
// never received one. Screenshots are saved as TestBrowserPortal's, with
// names starting "whole-".
func TestBrowserWholeTender(t *testing.T) {
	if testing.Short() {
		t.Skip("a whole tender in a real browser: about two minutes")
	}
	ctx := context.Background()
	bctx := browsertest.New(t)
	warmUp()
	dataDir := t.TempDir()
	d := newDeploymentIn(t, dataDir)
	d.setup(0, time.Hour) // the LPSE's staff and officials
	ppkEmail := newPPK(t, d)
	members := pokjaIDs(t, d)
	w := &watch{h: d.h}
	srv := httptest.NewServer(w)
	t.Cleanup(srv.Close)
	downloads := t.TempDir()
	b := newTab(t, bctx, srv.URL, downloads)
	id := "T-WHOLE-" + time.Now().UTC().Format("150405")
	anon := client.New(d.url)

	// 1. Three providers register, with their documents.
	type provider struct{ id, email, password string }
	var providers []provider
	for i := range 3 {
		var p provider
		p.id, p.email, p.password = b.register(21 + i)
		providers = append(providers, p)
		if i == 0 {
			b.shot("whole-registered")
		}
	}

	// 2. A verifier verifies their documents and approves them.
	b.signIn(verifierEmail)
	b.open("/staff")
	b.wantText("the queue", "CV Portal 21", "CV Portal 22", "CV Portal 23")
	for _, p := range providers {
		b.open("/staff/users/" + p.id)
		for _, kind := range []string{"akta-pendirian", "izin-usaha", "ktp", "npwp"} {
			b.do("verifying "+kind, chromedp.Click(chromedp.CSS("#verify-"+kind)))
			b.waitFor("verified "+kind, `!document.querySelector("#verify-`+kind+`") && document.querySelector("p.notice")`)
		}
		b.wantText("verified", "Semua dokumen terverifikasi")
		b.do("approving", chromedp.Click(chromedp.CSS("#approve")))
		b.waitFor("approved", `document.querySelector("#account-status").textContent === "aktif"`)
		b.check("the approved applicant")
	}
	b.shot("whole-staff")
	b.signOut()

	// 3. The PA/KPA assigns the committee.
	b.signIn(paEmail)
	b.open("/official/committees")
	b.do("filling in the committee", chromedp.SetValue(chromedp.CSS("#tender-id"), id))
	for _, m := range members {
		b.do("choosing "+m, chromedp.Click(chromedp.CSS("#member-"+m)))
	}
	b.do("assigning", chromedp.Click(chromedp.CSS(`form[action="/official/committees"] button[type=submit]`)))
	b.waitFor("assigning", `location.search.includes("ok=official.assigned")`)
	b.check("the committee assigned")
	b.wantText("the committee assigned", "Pokja sudah ditetapkan", id)
	b.signOut()

	// 4. A Pokja member announces the tender, with its document and the
	// committee's key.
	key, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	docPath, keyPath := filepath.Join(dir, "dokumen-pemilihan.pdf"), filepath.Join(dir, "pokja.key")
	if err := os.WriteFile(docPath, []byte("Dokumen Pemilihan "+id+": Pembangunan Gedung Puskesmas"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, []byte("# public key: "+key.Recipient().String()+"\n"+key.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b.signIn(pokjaEmail)
	b.open("/official/tenders/" + id + "/announce")
	now := time.Now().Truncate(time.Second)
	deadline := now.Add(45 * time.Second) // the offers take ~16 s; the rest is waiting
	b.do("filling in the announcement",
		chromedp.SetValue(chromedp.CSS("#title"), "Pembangunan Gedung Puskesmas"),
		chromedp.SetUploadFiles(chromedp.CSS("#document"), []string{docPath}),
		chromedp.SetValue(chromedp.CSS("#committee-key"), key.Recipient().String()),
		chromedp.SetValue(chromedp.CSS("#submission-start"), localTime(now)),
		chromedp.SetValue(chromedp.CSS("#registration-end"), localTime(deadline)),
		chromedp.SetValue(chromedp.CSS("#clarification-end"), localTime(deadline)),
		chromedp.SetValue(chromedp.CSS("#deadline"), localTime(deadline)),
		chromedp.SetValue(chromedp.CSS("#opening"), localTime(deadline.Add(time.Second))),
		chromedp.SetValue(chromedp.CSS("#objection-days"), "0"),
	)
	b.do("announcing", chromedp.Click(chromedp.CSS(`form[action$="/announce"] button[type=submit]`)))
	b.waitFor("announcing", `location.search.includes("ok=official.announced")`)
	b.check("the announced tender")
	b.wantText("the announced tender", "Tender sudah diumumkan", "menerima penawaran")
	b.signOut()

	// 5. A provider takes part and asks; the Pokja member answers.
	question, answer := "Apakah gambar kerja termasuk dalam dokumen?", "Ya, gambar kerja ada di lampiran 3."
	b.signInWith(providers[0].email, providers[0].password)
	b.open("/tenders/" + id)
	b.do("taking part", chromedp.Click(chromedp.CSS(`form[action$="/participate"] button`)))
	b.waitFor("taking part", `location.search.includes("ok=registered")`)
	b.do("asking",
		chromedp.SetValue(chromedp.CSS("#question"), question),
		chromedp.Click(chromedp.CSS(`form[action$="/questions"] button`)),
	)
	b.waitFor("the question sent", `location.search.includes("ok=question")`)
	b.wantText("asking", "Pertanyaan Anda terkirim", question)
	b.signOut()
	b.signIn(pokjaEmail)
	path := "/official/tenders/" + id
	b.open(path)
	b.wantText("the committee's page", question)
	b.do("answering",
		chromedp.SetValue(chromedp.CSS(`form[action$="/answers"] textarea`), answer),
		chromedp.Click(chromedp.CSS(`form[action$="/answers"] button[type=submit]`)),
	)
	b.waitFor("answering", `location.search.includes("ok=official.answered")`)
	b.check("the question answered")
	b.wantText("the question answered", "Jawaban sudah diterbitkan", answer)
	b.signOut()

	// 6. The three seal their offers in the browser; the third's sealed
	// file is damaged before its upload.
	var secrets [][]byte
	for i, p := range providers {
		var r [16]byte
		rand.Read(r[:])
		secret := []byte(fmt.Sprintf("RAHASIA-PENAWARAN-%d-%s", i, hex.EncodeToString(r[:])))
		secrets = append(secrets, secret)
		doc := filepath.Join(dir, fmt.Sprintf("penawaran-%d.pdf", i))
		if err := os.WriteFile(doc, []byte(strings.Repeat(string(secret)+"\n", 2000)), 0o644); err != nil {
			t.Fatal(err)
		}
		b.signInWith(p.email, p.password)
		b.open("/tenders/" + id)
		b.wantText("the answer, as a provider sees it", answer)
		if i > 0 {
			b.do("taking part", chromedp.Click(chromedp.CSS(`form[action$="/participate"] button`)))
			b.waitFor("taking part", `location.search.includes("ok=registered")`)
		}
		b.open("/tenders/" + id + "/offer")
		b.do("loading the sealer", chromedp.WaitEnabled(chromedp.CSS("#offer-submit")))
		if i == 2 {
			b.damageNextSeal()
		}
		b.do("sealing and uploading",
			chromedp.SetUploadFiles(chromedp.CSS("#document"), []string{doc}),
			chromedp.Click(chromedp.CSS("#offer-submit")),
		)
		b.waitFor("the receipt", `!document.querySelector("#offer-done").hidden || !document.querySelector("#offer-error").hidden`)
		if s := eval[string](b, `document.querySelector("#offer-error").hidden ? "" : document.querySelector("#offer-error").textContent`); s != "" {
			t.Fatalf("provider %d's offer: %s", i, s)
		}
		b.check("the offer sent")
		b.wantText("the offer sent", "Selesai: penawaran diterima dengan tanda terima terperiksa")
		if i == 2 {
			b.shot("whole-offer-damaged")
		}
		b.signOut()
	}
	// The watch sees what the browser sends: a registration's scan.
	if _, files := registration(21); len(w.carried(files["ktp"])) == 0 {
		t.Fatal("no request carried the registration's KTP scan: the search below would find nothing")
	}
	checkWatched(t, w, dataDir, d.log.String(), secrets)

	// 7. Closing after the deadline, the v1 ceremony after the round, its
	// witness report, the result.
	b.signIn(pokjaEmail)
	time.Sleep(time.Until(deadline.Add(300 * time.Millisecond)))
	b.open(path)
	b.do("closing", chromedp.Click(chromedp.CSS("#close-submit")))
	b.waitFor("closing", `location.search.includes("ok=official.closed")`)
	b.wantText("closed", "himpunan penawaran sudah tetap")
	b.do("to the opening", chromedp.Click(chromedp.CSS("#open-link")))
	b.waitFor("the opening page", `location.pathname.endsWith("/open")`)
	b.check("the opening page")
	tn, err := anon.Tender(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Until(tn.RoundTime.Add(300 * time.Millisecond)))
	b.do("opening",
		chromedp.SetUploadFiles(chromedp.CSS("#key-file"), []string{keyPath}),
		chromedp.Click(chromedp.CSS("#open-submit")),
	)
	b.waitFor("opening", `location.search.includes("ok=official.opened")`)
	b.check("the opened tender")
	b.wantText("the opened tender", "Upacara pembukaan selesai", "2 penawaran dibuka, 1 gagal dibuka",
		"Berita acara kesaksian: "+providers[2].id, "berkas penawaran")
	for _, p := range providers[:2] {
		if strings.Contains(b.text(), "Berita acara kesaksian: "+p.id) {
			t.Errorf("a witness report for %s, whose offer was sound", p.id)
		}
	}
	b.shot("whole-opened")
	b.do("announcing the result",
		chromedp.SetValue(chromedp.CSS("#winner"), providers[0].id),
		chromedp.SetValue(chromedp.CSS("#result-text"), "Pemenang: CV Portal 21."),
		chromedp.Click(chromedp.CSS(`form[action$="/result"] button[type=submit]`)),
	)
	b.waitFor("the result", `location.search.includes("ok=official.result")`)
	b.wantText("the result", "Hasil sudah diumumkan", "Pemenang: CV Portal 21.")
	b.signOut()

	// 8. The PPK awards.
	b.signIn(ppkEmail)
	b.open("/official/awards")
	b.do("awarding",
		chromedp.SetValue(chromedp.CSS("#award-text-"+id), "SPPBJ 071/WHOLE/2026"),
		chromedp.Click(chromedp.CSS(`form[action="/official/tenders/`+id+`/award"] button[type=submit]`)),
	)
	b.waitFor("awarding", `location.search.includes("ok=official.awarded")`)
	b.check("awarded")
	b.wantText("awarded", "Kontrak sudah ditetapkan", id)
	b.signOut()
	if tn, err := anon.Tender(ctx, id); err != nil || tn.State != api.StateAwarded {
		t.Errorf("the tender after the award: %+v %v", tn, err)
	}
	b.open("/tenders/" + id)
	b.wantText("the awarded tender", "2 penawaran dibuka, 1 gagal dibuka")

	// 9. The auditor verifies the bundle on the audit page, offline.
	bundle := filepath.Join(t.TempDir(), "bundle-"+id+".tar")
	resp, err := http.Get(d.url + "/v1/tenders/" + id + "/bundle")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("the bundle: %v %v", resp, err)
	}
	tar, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bundle, tar, 0o644); err != nil {
		t.Fatal(err)
	}
	b.open("/audit")
	b.do("loading the verifier", chromedp.WaitEnabled(chromedp.CSS("#audit-submit")))
	offline(t, bctx)
	b.do("verifying the bundle offline",
		chromedp.SetUploadFiles(chromedp.CSS("#bundle-tar"), []string{bundle}),
		chromedp.Click(chromedp.CSS("#audit-submit")),
		chromedp.WaitVisible(chromedp.CSS("#audit-result")),
	)
	online(t, bctx)
	b.check("the audit page")
	for el, want := range map[string]string{"r-tender": id, "r-offers": "3", "r-opened": "2", "r-failed": "1", "r-receipts": "3"} {
		if got := eval[string](b, `document.getElementById("`+el+`").textContent`); got != want {
			t.Errorf("the audit page's %s: %q, want %q", el, got, want)
		}
	}
	b.shot("whole-audit")

	// 10. No offer's plaintext reached the server: not a request, not its
	// storage, not its log, before the opening or after it.
	checkWatched(t, w, dataDir, d.log.String(), secrets)
}

// checkWatched fails if a secret reached the server: in a request body
// the watch saw, a file under its data directory (database, blobs,
// journals), or its log.
func checkWatched(t *testing.T, w *watch, dataDir, log string, secrets [][]byte) {
	t.Helper()
	for i, s := range secrets {
		if c := w.carried(s); len(c) > 0 {
			t.Errorf("offer %d's plaintext was sent: %v", i, c)
		}
		if strings.Contains(log, string(s)) {
			t.Errorf("the server's log holds offer %d's plaintext", i)
		}
	}
	n := 0
	err := filepath.WalkDir(dataDir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		content, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		n++
		for i, s := range secrets {
			if strings.Contains(string(content), string(s)) {
				t.Errorf("the server's %s holds offer %d's plaintext", p, i)
			}
		}
		return nil
	})
	if err != nil || n < 3 {
		t.Fatalf("searching the data directory: %d files, %v", n, err)
	}
}
