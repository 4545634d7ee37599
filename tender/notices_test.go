package tender

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/vault"
)

func TestNotices(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) vault.Backend) {
		e := newEnv(t, open(t))
		e.withRoles(t)
		maint, err := e.engine.PublishNotice(e.ctx, "lpse-admin", NoticeMaintenance, "Pemeliharaan server", "SPSE tidak tersedia Sabtu 22.00–24.00 WIB.")
		if err != nil {
			t.Fatal(err)
		}
		e.set(testStart.Add(time.Hour))
		outage, err := e.engine.PublishNotice(e.ctx, "lpse-helpdesk", NoticeOutage, "Gangguan jaringan", "Gangguan 09.00–09.40; jadwal diperpanjang.")
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.engine.Notices(e.ctx)
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
		if text := readBlob(t, e, maint.Document); text != "SPSE tidak tersedia Sabtu 22.00–24.00 WIB." {
			t.Errorf("notice text %q", text)
		}
		ent := lastEntry(t, e)
		if ent.Type != "notice-published" || ent.Value("notice") != outage.ID || ent.Value("kind") != "outage" ||
			ent.Value("by") != "lpse-helpdesk" || ent.Value("document") != hexEntry(outage.Document[:]) {
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
			if _, err := e.engine.PublishNotice(e.ctx, tt.actor, tt.kind, tt.title, tt.text); !errors.Is(err, tt.want) {
				t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
			}
		}
		e.dir.mu.Lock()
		e.dir.deactivated["lpse-admin"] = true
		e.dir.mu.Unlock()
		if _, err := e.engine.PublishNotice(e.ctx, "lpse-admin", NoticeGeneral, "x", "y"); !errors.Is(err, ErrForbidden) {
			t.Errorf("deactivated staff: err = %v, want ErrForbidden", err)
		}
		if got := e.log.Size(); got != size0 {
			t.Errorf("refusals appended %d log entries", got-size0)
		}
		if got, _ := e.engine.Notices(e.ctx); len(got) != 2 {
			t.Errorf("refusals changed the notices: %d", len(got))
		}
	})
}

func TestComplaints(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) vault.Backend) {
		e := newEnv(t, open(t))
		e.withRoles(t)
		c1, err := e.engine.FileComplaint(e.ctx, "penyedia-1", "Tidak bisa mengunggah", "Unggahan berhenti di 80%.")
		if err != nil {
			t.Fatal(err)
		}
		if c1.Status != ComplaintOpen || c1.By != "penyedia-1" {
			t.Errorf("filed complaint %+v", c1)
		}
		if ent := lastEntry(t, e); ent.Type != "complaint-filed" || ent.Value("complaint") != c1.ID ||
			ent.Value("document") != hexEntry(c1.Document[:]) {
			t.Errorf("log entry %+v", ent)
		}
		e.set(testStart.Add(time.Minute))
		c2, err := e.engine.FileComplaint(e.ctx, "pokja-2", "Akun terkunci", "Akun saya terkunci setelah ganti kata sandi.")
		if err != nil {
			t.Fatal(err)
		}

		// Own complaints, or all for staff.
		for _, tt := range []struct {
			user string
			want []string
		}{
			{"penyedia-1", []string{c1.ID}},
			{"pokja-2", []string{c2.ID}},
			{"penyedia-2", nil},
			{"lpse-admin", []string{c1.ID, c2.ID}},
		} {
			cs, err := e.engine.Complaints(e.ctx, tt.user)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, c := range cs {
				ids = append(ids, c.ID)
			}
			if !equal(ids, tt.want) {
				t.Errorf("Complaints(%s) = %v, want %v", tt.user, ids, tt.want)
			}
		}

		// open → in-progress → resolved.
		e.set(testStart.Add(time.Hour))
		c, err := e.engine.UpdateComplaint(e.ctx, "lpse-helpdesk", c1.ID, ComplaintInProgress, "Sedang diperiksa.")
		if err != nil {
			t.Fatal(err)
		}
		if c.Status != ComplaintInProgress || len(c.Updates) != 1 {
			t.Errorf("after update: %+v", c)
		}
		if ent := lastEntry(t, e); ent.Type != "complaint-updated" || ent.Value("status") != "in-progress" ||
			ent.Value("by") != "lpse-helpdesk" || ent.Value("document") != hexEntry(c.Updates[0].Document[:]) {
			t.Errorf("log entry %+v", ent)
		}
		if c, err = e.engine.UpdateComplaint(e.ctx, "lpse-admin", c1.ID, ComplaintResolved, "Batas unggah diperbaiki."); err != nil {
			t.Fatal(err)
		}
		if readBlob(t, e, c.Updates[1].Document) != "Batas unggah diperbaiki." {
			t.Errorf("response not stored")
		}
		if _, err := e.engine.UpdateComplaint(e.ctx, "lpse-admin", c2.ID, ComplaintInProgress, "Diperiksa."); err != nil {
			t.Fatal(err)
		}
		if _, err := e.engine.UpdateComplaint(e.ctx, "lpse-admin", c2.ID, ComplaintRejected, "Bukan wewenang LPSE."); err != nil {
			t.Fatal(err)
		}
		c3, err := e.engine.FileComplaint(e.ctx, "penyedia-3", "Jadwal", "Mohon perpanjangan.")
		if err != nil {
			t.Fatal(err)
		}

		size0 := e.log.Size()
		before, _ := e.engine.Complaints(e.ctx, "lpse-admin")
		updates := []struct {
			name   string
			staff  string
			id     string
			status ComplaintStatus
			text   string
			want   error
		}{
			{"resolved again", "lpse-admin", c1.ID, ComplaintResolved, "x", ErrState},
			{"resolved reopened", "lpse-admin", c1.ID, ComplaintOpen, "x", ErrState},
			{"rejected to in-progress", "lpse-admin", c2.ID, ComplaintInProgress, "x", ErrState},
			{"open straight to resolved", "lpse-admin", c3.ID, ComplaintResolved, "x", ErrState},
			{"open to open", "lpse-admin", c3.ID, ComplaintOpen, "x", ErrState},
			{"unknown status", "lpse-admin", c3.ID, "closed", "x", ErrInvalid},
			{"not staff", "pokja-1", c3.ID, ComplaintInProgress, "x", ErrForbidden},
			{"complainant", "penyedia-3", c3.ID, ComplaintInProgress, "x", ErrForbidden},
			{"unknown complaint", "lpse-admin", "C-none", ComplaintInProgress, "x", ErrNotFound},
			{"no response", "lpse-admin", c3.ID, ComplaintInProgress, " ", ErrInvalid},
		}
		for _, tt := range updates {
			if _, err := e.engine.UpdateComplaint(e.ctx, tt.staff, tt.id, tt.status, tt.text); !errors.Is(err, tt.want) {
				t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
			}
		}
		files := []struct {
			name, user, subject, text string
			want                      error
		}{
			{"unknown user", "nobody", "x", "y", ErrForbidden},
			{"unverified provider", "penyedia-unverified", "x", "y", ErrForbidden},
			{"empty subject", "penyedia-1", "", "y", ErrInvalid},
			{"empty text", "penyedia-1", "x", "", ErrInvalid},
			{"long text", "penyedia-1", "x", strings.Repeat("y", maxText+1), ErrInvalid},
		}
		for _, tt := range files {
			if _, err := e.engine.FileComplaint(e.ctx, tt.user, tt.subject, tt.text); !errors.Is(err, tt.want) {
				t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
			}
		}
		e.dir.mu.Lock()
		e.dir.deactivated["penyedia-1"] = true
		e.dir.mu.Unlock()
		if _, err := e.engine.FileComplaint(e.ctx, "penyedia-1", "x", "y"); !errors.Is(err, ErrForbidden) {
			t.Errorf("blacklisted provider: err = %v, want ErrForbidden", err)
		}
		if got := e.log.Size(); got != size0 {
			t.Errorf("refusals appended %d log entries", got-size0)
		}
		after, _ := e.engine.Complaints(e.ctx, "lpse-admin")
		if len(after) != len(before) {
			t.Fatalf("refusals changed the complaints: %d, then %d", len(before), len(after))
		}
		for i := range after {
			if after[i].Status != before[i].Status || len(after[i].Updates) != len(before[i].Updates) {
				t.Errorf("refusals changed complaint %s: %+v", after[i].ID, after[i])
			}
		}
	})
}

func readBlob(t *testing.T, e *env, d [32]byte) string {
	t.Helper()
	r, err := e.backend.Open(e.ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func lastEntry(t *testing.T, e *env) auditlog.Entry {
	t.Helper()
	n := e.log.Size()
	ents, err := e.log.Entries(e.ctx, n-1, n)
	if err != nil {
		t.Fatal(err)
	}
	return mustParse(t, bytes.Clone(ents[0]))
}
