package tender

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/sealer"
)

// The v2 test deployment: five pokja members with keys of their own, a
// 3-of-5 committee of them assigned to every tender.

// v2Members are the committee of v2 tests, in user id order.
var v2Members = []string{"pokja-1", "pokja-2", "pokja-3", "pokja-4", "pokja-5"}

// memberKeys gives each of v2Members an opening key, registered with the
// test directory, and assigns them as the committee of the tender ids.
func (e *env) memberKeys(t testing.TB, ids ...string) map[string]*age.HybridIdentity {
	t.Helper()
	e.dir.mu.Lock()
	defer e.dir.mu.Unlock()
	if e.members == nil {
		e.members = map[string]*age.HybridIdentity{}
		for _, m := range v2Members {
			id, err := age.GenerateHybridIdentity()
			if err != nil {
				t.Fatal(err)
			}
			e.members[m] = id
			e.dir.committee[m] = true
			e.dir.keys[m] = id.Recipient().String()
		}
	}
	for _, id := range ids {
		e.dir.committees[id] = v2Members
	}
	return e.members
}

// v2Schedule is announce's schedule, with File II opening an hour after
// File I for a two-file tender.
func v2Schedule(m Method) Schedule {
	s := Schedule{
		RegistrationEnd:  testStart.Add(90 * time.Minute),
		ClarificationEnd: testStart.Add(60 * time.Minute),
		SubmissionStart:  testStart,
		Deadline:         testStart.Add(2 * time.Hour),
		Opening:          testStart.Add(150 * time.Minute),
		ObjectionDays:    3,
	}
	if m == MethodTwoFile {
		s.FileIIOpening = testStart.Add(210 * time.Minute)
	}
	return s
}

// announceV2 announces v2 tender id with method m, a 3-of-5 committee.
func (e *env) announceV2(t testing.TB, id string, m Method) *Tender {
	t.Helper()
	e.memberKeys(t, id)
	doc, err := e.backend.Put(e.ctx, bytes.NewReader([]byte("Dokumen pemilihan "+id)), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	tn, err := e.engine.Announce(e.ctx, "pokja-1", Announcement{ID: id, Title: "Konsultan perencanaan " + id,
		Document: doc.Digest, Method: m, Schedule: v2Schedule(m)})
	if err != nil {
		t.Fatal(err)
	}
	return tn
}

// sealV2 seals doc as bidder's file part file of tender tn.
func (e *env) sealV2(t testing.TB, tn *Tender, bidder string, file int, doc string) []byte {
	t.Helper()
	target, err := tn.FileTarget(e.engine, bidder, file)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := sealer.Seal(&buf, bytes.NewReader([]byte(doc)), target); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func bidderN(i int) string { return fmt.Sprintf("penyedia-%d", i) }
