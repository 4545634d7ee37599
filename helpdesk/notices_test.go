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

// TestWithdrawNotice withdraws a notice once, logged before it is
// recorded; refusals (not staff, no reason, a notice unknown) log and
// change nothing; of two withdrawals at once one is done and logged, the
// other refused as already withdrawn.
func TestWithdrawNotice(t *testing.T) {
	backends(t, func(t *testing.T, b vault.Backend) {
		e := newEnv(t, b)
		n, err := e.desk.PublishNotice(e.ctx, "lpse-admin", NoticeMaintenance, "Pemeliharaan Sabtu", "SPSE berhenti 22.00–24.00 WIB.")
		if err != nil {
			t.Fatal(err)
		}
		size0 := e.log.Size()
		for _, tt := range []struct {
			name, actor, id, reason string
			want                    error
		}{
			{"a provider", "penyedia-1", n.ID, "dibatalkan", ErrForbidden},
			{"no reason", "lpse-admin", n.ID, " ", ErrInvalid},
			{"a reason on two lines", "lpse-admin", n.ID, "dibatalkan\nkarena", ErrInvalid},
			{"a reason too long", "lpse-admin", n.ID, strings.Repeat("x", 1025), ErrInvalid},
			{"an unknown notice", "lpse-admin", "N-20260302-nothing0", "dibatalkan", ErrNotFound},
		} {
			if _, err := e.desk.WithdrawNotice(e.ctx, tt.actor, tt.id, tt.reason); !errors.Is(err, tt.want) {
				t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
			}
		}
		if e.log.Size() != size0 {
			t.Fatalf("refusals appended %d entries", e.log.Size()-size0)
		}
		e.set(testStart.Add(2 * time.Hour))
		done := make(chan error, 2)
		for range 2 {
			go func() {
				_, err := e.desk.WithdrawNotice(e.ctx, "lpse-helpdesk", n.ID, "Pemeliharaan dibatalkan.")
				done <- err
			}()
		}
		var ok int
		for range 2 {
			if err := <-done; err == nil {
				ok++
			} else if !errors.Is(err, ErrState) {
				t.Errorf("the second withdrawal: %v, want ErrState", err)
			}
		}
		if ok != 1 || e.log.Size() != size0+1 {
			t.Fatalf("two withdrawals at once: %d done, %d entries logged; want 1 and 1", ok, e.log.Size()-size0)
		}
		ent := e.lastEntry(t)
		if ent.Type != "notice-withdrawn" || ent.Value("notice") != n.ID || ent.Value("by") != "lpse-helpdesk" || ent.Value("reason") != "Pemeliharaan dibatalkan." {
			t.Errorf("log entry %+v", ent)
		}
		got, err := e.desk.Notices(e.ctx)
		if err != nil || len(got) != 1 || got[0].Withdrawn == nil || got[0].Withdrawn.By != "lpse-helpdesk" ||
			!got[0].Withdrawn.Time.Equal(testStart.Add(2*time.Hour)) || got[0].Withdrawn.Reason != "Pemeliharaan dibatalkan." {
			t.Fatalf("the notice withdrawn: %+v %v", got, err)
		}
		// Its text stays, for the record.
		if r, err := e.desk.NoticeText(e.ctx, n.ID); err != nil {
			t.Errorf("the withdrawn notice's text: %v", err)
		} else {
			r.Close()
		}
	})
}
