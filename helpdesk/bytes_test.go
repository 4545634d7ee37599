package helpdesk

import (
	"crypto/sha256"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/segel-lpse/segel/vault"
)

// TestPinnedBytes pins the bytes notices and complaints leave behind: log
// entries as doc/spec/entries.md writes them, and records in the tables
// a deployment already holds.
func TestPinnedBytes(t *testing.T) {
	backends(t, func(t *testing.T, b vault.Backend) {
		e := newEnv(t, b)
		e.set(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
		const ntext = "SPSE tidak tersedia Sabtu 22.00–24.00 WIB."
		n, err := e.desk.PublishNotice(e.ctx, "lpse-admin", NoticeMaintenance, "Pemeliharaan", ntext)
		if err != nil {
			t.Fatal(err)
		}
		checkID(t, n.ID, "N")
		nd := sha256.Sum256([]byte(ntext))
		checkLast(t, e, fmt.Sprintf("segel-entry/v1 notice-published\nnotice: %s\nkind: maintenance\nby: lpse-admin\ndocument: %x\ntime: 2026-12-01T09:00:00Z\n", n.ID, nd))
		checkRecord(t, e, "tender_notices", n.ID, fmt.Sprintf(`{"ID":%q,"Kind":"maintenance","Title":"Pemeliharaan","By":"lpse-admin","Document":%s,"Time":"2026-12-01T09:00:00Z"}`, n.ID, jsonBytes(nd)))

		const ctext = "Unggahan berhenti di 80%."
		c, err := e.desk.FileComplaint(e.ctx, "penyedia-1", "Tidak bisa mengunggah", ctext)
		if err != nil {
			t.Fatal(err)
		}
		checkID(t, c.ID, "C")
		cd := sha256.Sum256([]byte(ctext))
		checkLast(t, e, fmt.Sprintf("segel-entry/v1 complaint-filed\ncomplaint: %s\nby: penyedia-1\ndocument: %x\ntime: 2026-12-01T09:00:00Z\n", c.ID, cd))
		checkRecord(t, e, "tender_complaints", c.ID, fmt.Sprintf(`{"ID":%q,"By":"penyedia-1","Subject":"Tidak bisa mengunggah","Document":%s,"Filed":"2026-12-01T09:00:00Z","Status":"open"}`, c.ID, jsonBytes(cd)))

		e.set(time.Date(2026, 12, 1, 9, 30, 0, 500_000_000, time.UTC))
		const rtext = "Sedang diperiksa."
		if _, err := e.desk.UpdateComplaint(e.ctx, "lpse-helpdesk", c.ID, ComplaintInProgress, rtext); err != nil {
			t.Fatal(err)
		}
		rd := sha256.Sum256([]byte(rtext))
		checkLast(t, e, fmt.Sprintf("segel-entry/v1 complaint-updated\ncomplaint: %s\nby: lpse-helpdesk\nstatus: in-progress\ndocument: %x\ntime: 2026-12-01T09:30:00.5Z\n", c.ID, rd))
		checkRecord(t, e, "tender_complaints", c.ID, fmt.Sprintf(`{"ID":%q,"By":"penyedia-1","Subject":"Tidak bisa mengunggah","Document":%s,"Filed":"2026-12-01T09:00:00Z","Status":"in-progress",`+
			`"Updates":[{"By":"lpse-helpdesk","Status":"in-progress","Document":%s,"Time":"2026-12-01T09:30:00.5Z"}]}`, c.ID, jsonBytes(cd), jsonBytes(rd)))
	})
}

// checkID checks the shape of an id: prefix, the day, 40 random bits in
// lowercase base32, as in "N-20261201-abcdefgh".
func checkID(t *testing.T, id, prefix string) {
	t.Helper()
	if !regexp.MustCompile(`^` + prefix + `-20261201-[a-z2-7]{8}$`).MatchString(id) {
		t.Errorf("id %q, want %s-20261201- and 8 of a–z 2–7", id, prefix)
	}
}

func checkLast(t *testing.T, e *env, want string) {
	t.Helper()
	n := e.log.Size()
	ents, err := e.log.Entries(e.ctx, n-1, n)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(ents[0]); got != want {
		t.Errorf("logged\n%s\nwant\n%s", got, want)
	}
}

func checkRecord(t *testing.T, e *env, table, key, want string) {
	t.Helper()
	var got []byte
	err := e.backend.View(e.ctx, func(tx vault.Tx) error {
		var err error
		got, err = tx.Get(table, key)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("stored %s/%s\n%s\nwant\n%s", table, key, got, want)
	}
}

func jsonBytes(b [32]byte) string {
	s := make([]string, len(b))
	for i, c := range b {
		s[i] = fmt.Sprint(c)
	}
	return "[" + strings.Join(s, ",") + "]"
}
