package tender

import (
	"testing"

	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/internal/canon"
)

// TestAboutTender checks the replay's pre-filter against the parser: it
// keeps exactly the entries whose tender field is the id, also for ids
// that are prefixes or suffixes of each other and ids that appear in
// other fields.
func TestAboutTender(t *testing.T) {
	ids := []string{"T-1", "T-10", "1", "T-1-x", "x-T-1"}
	var entries [][]byte
	for _, id := range ids {
		for _, bidder := range []string{"penyedia-1", "T-1"} {
			ent, err := entry("participant-registered", "tender", id, "bidder", bidder, "time", canon.FormatTime(testStart))
			if err != nil {
				t.Fatal(err)
			}
			entries = append(entries, ent)
		}
	}
	for _, id := range append(ids, "T", "-1", "T-1\n") {
		for _, data := range entries {
			ent, err := auditlog.ParseEntry(data)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := aboutTender(data, id), ent.Value("tender") == id; got != want {
				t.Errorf("aboutTender(%q, %q) = %v, the parser says %v", data, id, got, want)
			}
		}
	}
}
