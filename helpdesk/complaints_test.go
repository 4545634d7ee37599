package helpdesk

import (
	"crypto/sha256"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segel-lpse/segel/vault"
)

func TestComplaints(t *testing.T) {
	backends(t, func(t *testing.T, b vault.Backend) {
		e := newEnv(t, b)
		c1, err := e.desk.FileComplaint(e.ctx, "penyedia-1", "Tidak bisa mengunggah", "Unggahan berhenti di 80%.")
		if err != nil {
			t.Fatal(err)
		}
		if c1.Status != ComplaintOpen || c1.By != "penyedia-1" {
			t.Errorf("filed complaint %+v", c1)
		}
		if ent := e.lastEntry(t); ent.Type != "complaint-filed" || ent.Value("complaint") != c1.ID ||
			ent.Value("document") != hexEntry(c1.Document) {
			t.Errorf("log entry %+v", ent)
		}
		e.set(testStart.Add(time.Minute))
		c2, err := e.desk.FileComplaint(e.ctx, "pokja-2", "Akun terkunci", "Akun saya terkunci setelah ganti kata sandi.")
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
			cs, err := e.desk.Complaints(e.ctx, tt.user)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, c := range cs {
				ids = append(ids, c.ID)
			}
			if !slices.Equal(ids, tt.want) {
				t.Errorf("Complaints(%s) = %v, want %v", tt.user, ids, tt.want)
			}
		}

		// open → in-progress → resolved.
		e.set(testStart.Add(time.Hour))
		c, err := e.desk.UpdateComplaint(e.ctx, "lpse-helpdesk", c1.ID, ComplaintInProgress, "Sedang diperiksa.")
		if err != nil {
			t.Fatal(err)
		}
		if c.Status != ComplaintInProgress || len(c.Updates) != 1 {
			t.Errorf("after update: %+v", c)
		}
		if ent := e.lastEntry(t); ent.Type != "complaint-updated" || ent.Value("status") != "in-progress" ||
			ent.Value("by") != "lpse-helpdesk" || ent.Value("document") != hexEntry(c.Updates[0].Document) {
			t.Errorf("log entry %+v", ent)
		}
		if c, err = e.desk.UpdateComplaint(e.ctx, "lpse-admin", c1.ID, ComplaintResolved, "Batas unggah diperbaiki."); err != nil {
			t.Fatal(err)
		}
		if e.readBlob(t, c.Updates[1].Document) != "Batas unggah diperbaiki." {
			t.Errorf("response not stored")
		}
		if _, err := e.desk.UpdateComplaint(e.ctx, "lpse-admin", c2.ID, ComplaintInProgress, "Diperiksa."); err != nil {
			t.Fatal(err)
		}
		if _, err := e.desk.UpdateComplaint(e.ctx, "lpse-admin", c2.ID, ComplaintRejected, "Bukan wewenang LPSE."); err != nil {
			t.Fatal(err)
		}
		c3, err := e.desk.FileComplaint(e.ctx, "penyedia-3", "Jadwal", "Mohon perpanjangan.")
		if err != nil {
			t.Fatal(err)
		}

		size0 := e.log.Size()
		before, _ := e.desk.Complaints(e.ctx, "lpse-admin")
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
			if _, err := e.desk.UpdateComplaint(e.ctx, tt.staff, tt.id, tt.status, tt.text); !errors.Is(err, tt.want) {
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
			{"subject on two lines", "penyedia-1", "x\ny", "y", ErrInvalid},
			{"empty text", "penyedia-1", "x", "", ErrInvalid},
			{"long text", "penyedia-1", "x", strings.Repeat("y", maxText+1), ErrInvalid},
		}
		for _, tt := range files {
			if _, err := e.desk.FileComplaint(e.ctx, tt.user, tt.subject, tt.text); !errors.Is(err, tt.want) {
				t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
			}
		}
		e.dir.deactivate("penyedia-1")
		if _, err := e.desk.FileComplaint(e.ctx, "penyedia-1", "x", "y"); !errors.Is(err, ErrForbidden) {
			t.Errorf("blacklisted provider: err = %v, want ErrForbidden", err)
		}
		if got := e.log.Size(); got != size0 {
			t.Errorf("refusals appended %d log entries", got-size0)
		}
		after, _ := e.desk.Complaints(e.ctx, "lpse-admin")
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

// TestComplaintDocument checks who may read a complaint's texts: its filer
// and LPSE staff, and only texts of that complaint.
func TestComplaintDocument(t *testing.T) {
	backends(t, func(t *testing.T, b vault.Backend) {
		e := newEnv(t, b)
		c, err := e.desk.FileComplaint(e.ctx, "penyedia-1", "Unggahan", "Unggahan gagal.")
		if err != nil {
			t.Fatal(err)
		}
		c, err = e.desk.UpdateComplaint(e.ctx, "lpse-admin", c.ID, ComplaintInProgress, "Diperiksa.")
		if err != nil {
			t.Fatal(err)
		}
		other, err := e.desk.FileComplaint(e.ctx, "penyedia-2", "Lain", "Keluhan lain.")
		if err != nil {
			t.Fatal(err)
		}
		response := c.Updates[0].Document
		for _, tt := range []struct {
			name, user, id string
			digest         [32]byte
			want           string
			err            error
		}{
			{"filer, text", "penyedia-1", c.ID, c.Document, "Unggahan gagal.", nil},
			{"filer, response", "penyedia-1", c.ID, response, "Diperiksa.", nil},
			{"staff, text", "lpse-helpdesk", c.ID, c.Document, "Unggahan gagal.", nil},
			{"another user", "penyedia-2", c.ID, c.Document, "", ErrForbidden},
			{"another complaint's text", "penyedia-1", c.ID, other.Document, "", ErrNotFound},
			{"a digest of nothing", "lpse-admin", c.ID, sha256.Sum256([]byte("x")), "", ErrNotFound},
			{"unknown complaint, user", "penyedia-1", "C-none", c.Document, "", ErrForbidden},
			{"unknown complaint, staff", "lpse-admin", "C-none", c.Document, "", ErrNotFound},
		} {
			r, err := e.desk.ComplaintDocument(e.ctx, tt.user, tt.id, tt.digest)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Errorf("%s: err = %v, want %v", tt.name, err, tt.err)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
				continue
			}
			got, err := io.ReadAll(r)
			r.Close()
			if err != nil || string(got) != tt.want {
				t.Errorf("%s: read %q, %v; want %q", tt.name, got, err, tt.want)
			}
		}
	})
}
