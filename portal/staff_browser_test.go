package portal_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/internal/browsertest"
)

// scanPNG is a small real PNG: a KTP scan as a phone takes it.
func scanPNG(t testing.TB) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 64, 40))
	for x := range 64 {
		for y := range 40 {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 6), 160, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestBrowserStaff runs a verifier's day through the staff's pages in
// headless Chromium, against a real server: two providers have
// registered; the verifier signs in with the keyboard, finds them in the
// queue, opens one's KTP scan (shown as an image, under a sandbox),
// verifies its documents and approves it, rejects the other with a
// reason; each provider then sees where it stands. Every staff page is
// checked (one h1, headings in order, labels, lang, no CSP violation)
// at 1100 and 360 px, and screenshotted; the README's come from it:
//
//	SEGEL_SCREENSHOTS=/tmp/shots go test -run TestBrowserStaff ./portal && cp /tmp/shots/staff-{queue,applicant}.png doc/img/
func TestBrowserStaff(t *testing.T) {
	if testing.Short() {
		t.Skip("a real browser")
	}
	ctx := context.Background()
	bctx := browsertest.New(t)
	warmUp()
	d := newDeployment(t)
	d.setup(1, time.Hour)
	good := applicant(t, d, 37, map[string][]byte{"ktp": scanPNG(t)})
	bad := applicant(t, d, 38, nil)
	// Something on every desk page: a notice, a blacklist request, a
	// complaint.
	if _, err := login(t, d, adminEmail).PublishNotice(ctx, api.NoticeMaintenance, "Pemeliharaan server Sabtu 22.00–24.00 WIB",
		"Layanan SPSE tidak tersedia selama pemeliharaan."); err != nil {
		t.Fatal(err)
	}
	provider := login(t, d, providerEmail)
	if _, err := login(t, d, paEmail).RequestBlacklist(ctx, provider.UserID(), "Wanprestasi kontrak 2025.", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := provider.FileComplaint(ctx, "Tidak dapat mengunggah penawaran", "Unggahan berhenti di 80% sejak pukul 09.00."); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(d.h)
	t.Cleanup(srv.Close)
	b := newTab(t, bctx, srv.URL, "")

	// The verifier signs in with the keyboard and is sent on to the
	// queue it asked for.
	b.do("opening the queue", chromedp.Navigate(b.base+"/staff"), chromedp.WaitReady(chromedp.CSS("footer")))
	b.waitFor("sent to sign in", `location.pathname === "/login"`)
	b.do("signing in",
		chromedp.Focus(chromedp.CSS("#email")), chromedp.KeyEvent(verifierEmail),
		chromedp.Focus(chromedp.CSS("#password")), chromedp.KeyEvent(demoPassword+"\r"),
	)
	b.waitFor("signing in", `location.pathname === "/staff"`)
	b.check("the queue")
	b.wantText("the queue", "Antrean verifikasi", "CV Portal 37", "CV Portal 38", "0 dari 4 terverifikasi")
	b.shot("staff-queue")

	// The applicant, its KTP scan shown as an image.
	b.do("opening the applicant", chromedp.Click(chromedp.CSS(`a[href="/staff/users/`+good+`"]`)))
	b.waitFor("the applicant's page", `location.pathname === "/staff/users/`+good+`"`)
	b.check("the applicant")
	href := eval[string](b, `document.querySelector("#doc-ktp").getAttribute("href")`)
	b.do("opening the KTP scan", chromedp.Navigate(b.base+href))
	b.waitFor("the KTP scan", `document.images.length === 1 && document.images[0].complete`)
	if w := eval[int](b, `document.images[0].naturalWidth`); w != 64 {
		t.Errorf("the KTP scan shows %d px wide, want the scan's 64", w)
	}
	if n := eval[int](b, `document.scripts.length`); n != 0 {
		t.Errorf("the scan's page runs %d scripts", n)
	}

	// Each document verified, with the keyboard: Tab to the button,
	// Enter.
	b.do("back to the applicant", chromedp.Navigate(b.base+"/staff/users/"+good), chromedp.WaitReady(chromedp.CSS("footer")))
	for _, kind := range []string{"akta-pendirian", "izin-usaha", "ktp", "npwp"} {
		b.do("verifying "+kind, chromedp.Focus(chromedp.CSS("#verify-"+kind)), chromedp.KeyEvent("\r"))
		b.waitFor("verified "+kind, `!document.querySelector("#verify-`+kind+`") && document.querySelector("p.notice")`)
	}
	b.check("the applicant, verified")
	b.wantText("verified", "Dokumen ditandai terverifikasi", "Semua dokumen terverifikasi")
	b.shot("staff-applicant")
	b.do("approving", chromedp.Click(chromedp.CSS("#approve")))
	b.waitFor("approved", `document.querySelector("#account-status").textContent === "aktif"`)
	b.wantText("approved", "Pendaftaran disetujui: akun aktif")
	if s := eval[string](b, `document.querySelector("#account-status").textContent`); s != "aktif" {
		t.Errorf("the approved account's status: %q", s)
	}

	// The other rejected with a reason; without one the browser asks
	// for it first (required), and the server refuses too.
	b.open("/staff/users/" + bad)
	if !eval[bool](b, `document.querySelector("#reject-reason").required`) {
		t.Error("the rejection's reason is not required")
	}
	b.do("rejecting", chromedp.SetValue(chromedp.CSS("#reject-reason"), "Dokumen NPWP tidak terbaca."), chromedp.Click(chromedp.CSS("#reject")))
	b.waitFor("rejected", `document.querySelector("p.notice")`)
	b.check("the rejected applicant")
	b.wantText("rejected", "Pendaftaran ditolak", "Dokumen NPWP tidak terbaca.")

	// The other staff pages, in both languages, and at 360 px.
	for _, lang := range []string{"en", "id"} {
		b.lang = lang
		for _, path := range []string{"/staff/users?lang=" + lang, "/staff/blacklist", "/staff/notices", "/staff/complaints"} {
			b.open(path)
		}
	}
	b.open("/staff/notices")
	b.shot("staff-notices")
	b.open("/staff/blacklist")
	b.shot("staff-blacklist")
	b.do("a phone's screen", chromedp.EmulateViewport(360, 740))
	for _, path := range []string{"/staff", "/staff/users?status=active", "/staff/users/" + bad, "/staff/blacklist", "/staff/notices", "/staff/complaints", "/staff/users/" + good} {
		b.open(path)
	}
	b.shot("staff-applicant-360")
	b.do("the desktop", chromedp.EmulateViewport(1100, 900))
	b.do("signing out", chromedp.Click(chromedp.CSS(`form.signout button`)))
	b.waitFor("signed out", `document.querySelector("p.notice")`)

	// The providers see where they stand.
	for _, c := range []struct {
		i     int
		done  string // when the page after signing in is there
		wants []string
	}{
		{37, `location.pathname === "/account"`, []string{"aktif", "Disetujui"}},
		{38, `location.pathname === "/login" && document.querySelector("div.error")`, []string{"ditolak"}},
	} {
		fields, _ := registration(c.i)
		b.open("/login")
		b.do("signing in as provider", chromedp.SetValue(chromedp.CSS("#email"), fields["email"]),
			chromedp.SetValue(chromedp.CSS("#password"), fields["password"]), chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)))
		b.waitFor("provider signed in", c.done)
		b.check("provider " + fields["name"])
		b.wantText("provider", c.wants...)
		if c.i == 37 {
			b.do("signing out", chromedp.Click(chromedp.CSS(`form.signout button`)))
			b.waitFor("signed out", `document.querySelector("p.notice")`)
		}
	}
	u, err := login(t, d, adminEmail).User(ctx, good)
	if err != nil || u.Status != api.StatusActive {
		t.Errorf("the approved account, as the API says: %+v %v", u, err)
	}
}
