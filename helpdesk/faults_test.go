package helpdesk

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/segel-lpse/segel/vault"
)

// TestLogRefuses makes the log's storage refuse appends: every change is
// refused, and none is left in the records, since the log does not show
// it. Once the storage is back, the same requests succeed.
func TestLogRefuses(t *testing.T) {
	backends(t, func(t *testing.T, b vault.Backend) {
		e := newEnv(t, b)
		c, err := e.desk.FileComplaint(e.ctx, "penyedia-1", "Unggahan", "Unggahan gagal.")
		if err != nil {
			t.Fatal(err)
		}
		e.logs.fail.Store(true)
		if _, err := e.desk.PublishNotice(e.ctx, "lpse-admin", NoticeOutage, "Gangguan", "Gangguan jaringan."); !errors.Is(err, errStorageDown) {
			t.Errorf("PublishNotice: err = %v, want the storage's", err)
		}
		if _, err := e.desk.FileComplaint(e.ctx, "penyedia-2", "Akun", "Akun terkunci."); !errors.Is(err, errStorageDown) {
			t.Errorf("FileComplaint: err = %v, want the storage's", err)
		}
		if _, err := e.desk.UpdateComplaint(e.ctx, "lpse-admin", c.ID, ComplaintInProgress, "Diperiksa."); !errors.Is(err, errStorageDown) {
			t.Errorf("UpdateComplaint: err = %v, want the storage's", err)
		}
		if n, _ := e.desk.Notices(e.ctx); len(n) != 0 {
			t.Errorf("a notice the log refused is listed: %+v", n)
		}
		cs, _ := e.desk.Complaints(e.ctx, "lpse-admin")
		if len(cs) != 1 || cs[0].Status != ComplaintOpen || len(cs[0].Updates) != 0 {
			t.Errorf("complaints after the log refused: %+v, want only %s, open", cs, c.ID)
		}

		e.logs.fail.Store(false)
		if _, err := e.desk.PublishNotice(e.ctx, "lpse-admin", NoticeOutage, "Gangguan", "Gangguan jaringan."); err != nil {
			t.Error(err)
		}
		if _, err := e.desk.UpdateComplaint(e.ctx, "lpse-admin", c.ID, ComplaintInProgress, "Diperiksa."); err != nil {
			t.Error(err)
		}
	})
}

// TestTakenID gives the desk a random source that repeats itself: a taken
// id is replaced by a fresh one, and a source that gives only taken ids
// is refused with an error, not a record stored twice.
func TestTakenID(t *testing.T) {
	backends(t, func(t *testing.T, b vault.Backend) {
		e := newEnv(t, b)
		same := bytes.Repeat([]byte{7}, 5)
		e.desk.rand = bytes.NewReader(bytes.Repeat(same, 2))
		first, err := e.desk.PublishNotice(e.ctx, "lpse-admin", NoticeGeneral, "Satu", "Pertama.")
		if err != nil {
			t.Fatal(err)
		}
		// The next id read is the same; the one after it is fresh.
		e.desk.rand = bytes.NewReader(append(bytes.Clone(same), 1, 2, 3, 4, 5))
		second, err := e.desk.PublishNotice(e.ctx, "lpse-admin", NoticeGeneral, "Dua", "Kedua.")
		if err != nil {
			t.Fatal(err)
		}
		if second.ID == first.ID {
			t.Fatalf("two notices with id %s", first.ID)
		}
		size := e.log.Size()
		e.desk.rand = bytes.NewReader(bytes.Repeat(same, 3))
		if _, err := e.desk.PublishNotice(e.ctx, "lpse-admin", NoticeGeneral, "Tiga", "Ketiga."); err == nil || !strings.Contains(err.Error(), "taken") {
			t.Errorf("only taken ids: err = %v, want one saying so", err)
		}
		if e.log.Size() != size {
			t.Error("a refused notice was logged")
		}
		n, err := e.desk.Notices(e.ctx)
		if err != nil || len(n) != 2 || n[0].Title != "Dua" && n[1].Title != "Dua" {
			t.Errorf("notices %+v, %v; want the first two, unchanged", n, err)
		}
		e.desk.rand = strings.NewReader("")
		if _, err := e.desk.FileComplaint(e.ctx, "penyedia-1", "x", "y"); err == nil {
			t.Error("filed a complaint with no random bits for its id")
		}
	})
}
