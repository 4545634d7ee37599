package helpdesk

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/segel-lpse/segel/vault"
)

func TestNotices(t *testing.T) {
	backends(t, func(t *testing.T, b vault.Backend) {
		e := newEnv(t, b)
		maint, err := e.desk.PublishNotice(e.ctx, "lpse-admin", NoticeMaintenance, "Pemeliharaan server", "SPSE tidak tersedia Sabtu 22.00–24.00 WIB.")
		if err != nil {
			t.Fatal(err)
		}
		e.set(testStart.Add(time.Hour))
		outage, err := e.desk.PublishNotice(e.ctx, "lpse-helpdesk", NoticeOutage, "Gangguan jaringan", "Gangguan 09.00–09.40; jadwal diperpanjang.")
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.desk.Notices(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].ID != outage.ID || got[1].ID != maint.ID {
			t.Fatalf("Notices = %+v, want the outage then the maintenance notice", got)
		}
		if got[1] != *maint {
			t.Errorf("stored notice %+v, want %+v", got[1], *maint)
		}
		// The text is in Blobs, the log has its digest.
		if text := e.readBlob(t, maint.Document); text != "SPSE tidak tersedia Sabtu 22.00–24.00 WIB." {
			t.Errorf("notice text %q", text)
		}
		ent := e.lastEntry(t)
		if ent.Type != "notice-published" || ent.Value("notice") != outage.ID || ent.Value("kind") != "outage" ||
			ent.Value("by") != "lpse-helpdesk" || ent.Value("document") != hexEntry(outage.Document) {
			t.Errorf("log entry %+v", ent)
		}

		size0 := e.log.Size()
		tests := []struct {
			name        string
			actor       string
			kind        NoticeKind
			title, text string
			want        error
		}{
			{"committee member", "pokja-1", NoticeGeneral, "x", "y", ErrForbidden},
			{"provider", "penyedia-1", NoticeGeneral, "x", "y", ErrForbidden},
			{"unknown user", "nobody", NoticeGeneral, "x", "y", ErrForbidden},
			{"unknown kind", "lpse-admin", "holiday", "x", "y", ErrInvalid},
			{"empty title", "lpse-admin", NoticeGeneral, " ", "y", ErrInvalid},
			{"long title", "lpse-admin", NoticeGeneral, strings.Repeat("x", maxTitle+1), "y", ErrInvalid},
			{"title on two lines", "lpse-admin", NoticeGeneral, "x\ny", "y", ErrInvalid},
			{"empty text", "lpse-admin", NoticeGeneral, "x", "\n", ErrInvalid},
			{"long text", "lpse-admin", NoticeGeneral, "x", strings.Repeat("y", maxText+1), ErrInvalid},
			{"bad actor id", "lpse admin", NoticeGeneral, "x", "y", ErrForbidden},
		}
		for _, tt := range tests {
			if _, err := e.desk.PublishNotice(e.ctx, tt.actor, tt.kind, tt.title, tt.text); !errors.Is(err, tt.want) {
				t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
			}
		}
		e.dir.deactivate("lpse-admin")
		if _, err := e.desk.PublishNotice(e.ctx, "lpse-admin", NoticeGeneral, "x", "y"); !errors.Is(err, ErrForbidden) {
			t.Errorf("deactivated staff: err = %v, want ErrForbidden", err)
		}
		if got := e.log.Size(); got != size0 {
			t.Errorf("refusals appended %d log entries", got-size0)
		}
		if got, _ := e.desk.Notices(e.ctx); len(got) != 2 {
			t.Errorf("refusals changed the notices: %d", len(got))
		}
	})
}

// TestNoticeLimits checks the title and text limits at n-1, n and n+1
// bytes.
func TestNoticeLimits(t *testing.T) {
	backends(t, func(t *testing.T, b vault.Backend) {
		e := newEnv(t, b)
		for _, tt := range []struct {
			name                  string
			titleLen, textLen     int
			wantTitleOK, wantText bool
		}{
			{"title at limit-1", maxTitle - 1, 1, true, true},
			{"title at limit", maxTitle, 1, true, true},
			{"title over limit", maxTitle + 1, 1, false, true},
			{"text at limit-1", 1, maxText - 1, true, true},
			{"text at limit", 1, maxText, true, true},
			{"text over limit", 1, maxText + 1, true, false},
		} {
			_, err := e.desk.PublishNotice(e.ctx, "lpse-admin", NoticeGeneral, strings.Repeat("j", tt.titleLen), strings.Repeat("t", tt.textLen))
			if ok := tt.wantTitleOK && tt.wantText; ok != (err == nil) || !ok && !errors.Is(err, ErrInvalid) {
				t.Errorf("%s: err = %v", tt.name, err)
			}
		}
	})
}

func TestNoticeText(t *testing.T) {
	backends(t, func(t *testing.T, b vault.Backend) {
		e := newEnv(t, b)
		const text = "Gangguan 09.00–09.40; jadwal diperpanjang."
		n, err := e.desk.PublishNotice(e.ctx, "lpse-admin", NoticeOutage, "Gangguan", text)
		if err != nil {
			t.Fatal(err)
		}
		r, err := e.desk.NoticeText(e.ctx, n.ID)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil || string(got) != text {
			t.Errorf("NoticeText = %q, %v; want %q", got, err, text)
		}
		if _, err := e.desk.NoticeText(e.ctx, "N-none"); !errors.Is(err, ErrNotFound) {
			t.Errorf("NoticeText of an unknown notice: err = %v, want ErrNotFound", err)
		}
	})
}
