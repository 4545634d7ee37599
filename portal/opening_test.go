package portal_test

import (
	"context"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/internal/openingtest"
	"github.com/segel-lpse/segel/portal/wasmapi"
)

// TestOpeningPage renders the opening page of a v2 tender for a member of
// its committee, in both languages, and the links to it and to the two
// file parts' offer pages.
func TestOpeningPage(t *testing.T) {
	ctx := context.Background()
	d := newDeployment(t)
	p, err := openingtest.Setup(ctx, d.url, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range p.Members {
		kf, _ := wasmapi.GenerateKey(time.Now())
		ch, err := m.ChallengeKey(ctx, kf.Recipient)
		if err != nil {
			t.Fatal(err)
		}
		a, err := wasmapi.AnswerChallenge([]byte(ch.Challenge), ch.Recipient, []byte(kf.File))
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := hex.DecodeString(a.Answer)
		if _, err := m.AnswerKeyChallenge(ctx, raw); err != nil {
			t.Fatal(err)
		}
	}
	tn, err := p.Announce(ctx, api.MethodTwoFile, 2, openingtest.Schedule{Window: time.Hour, Opening: time.Minute, FileII: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	member := d.browser()
	member.login(p.Emails[1], demoPassword)
	for _, tc := range []struct {
		lang  string
		wants []string
	}{
		{"id", []string{"Pembukaan penawaran", "2 dari 3 anggota membuka setiap berkas", "File I: administrasi dan teknis", "File II: harga",
			"menerima berkas", "Mulai pembukaan", "Berkontribusi dengan kunci saya", "didaftarkan", "Evaluasi File I"}},
		{"en", []string{"Opening the offers", "any 2 of 3 members open a file", "File I: administration and technical", "File II: the price",
			"taking files", "Start the opening", "Contribute with my key", "registered", "The File I evaluation"}},
	} {
		pg := member.get("/tenders/" + tn.ID + "/opening?lang=" + tc.lang)
		checkPage(t, "opening page "+tc.lang, pg, 200, tc.lang)
		txt := text(pg.body)
		for _, w := range tc.wants {
			if !strings.Contains(txt, w) {
				t.Errorf("%s: the opening page does not say %q:\n%s", tc.lang, w, brief(txt))
			}
		}
		if !strings.Contains(pg.body, `data-member="`) || strings.Contains(pg.body, `data-member="0"`) {
			t.Errorf("%s: the page does not know the visitor is a member", tc.lang)
		}
	}
	// The tender page links a member to it; a provider gets the two parts.
	if pg := member.get("/tenders/" + tn.ID); !strings.Contains(pg.body, `href="/tenders/`+tn.ID+`/opening"`) {
		t.Error("the tender page does not link a member to the opening page")
	}
	bidder := d.browser()
	bidder.login(p.BEmails[0], demoPassword)
	if pg := bidder.get("/tenders/" + tn.ID); strings.Contains(pg.body, "/opening") {
		t.Error("the tender page links a provider to the opening page")
	}
	for _, tc := range []struct{ file, want, other string }{
		{"1", "BUKAN harga", `href="/tenders/` + tn.ID + `/offer?file=2"`},
		{"2", "Pilih dokumen HARGA", `href="/tenders/` + tn.ID + `/offer?file=1"`},
	} {
		pg := bidder.get("/tenders/" + tn.ID + "/offer?file=" + tc.file)
		checkPage(t, "offer page file "+tc.file, pg, 200, "id")
		if !strings.Contains(text(pg.body), tc.want) || !strings.Contains(pg.body, `data-file="`+tc.file+`"`) || !strings.Contains(pg.body, tc.other) {
			t.Errorf("offer page of file %s:\n%s", tc.file, brief(text(pg.body)))
		}
	}
}
