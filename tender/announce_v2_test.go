package tender

import (
	"crypto/sha256"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/internal/canon"
	"github.com/segel-lpse/segel/vault"
)

// TestAnnounceV2 announces a two-file tender with a 3-of-5 committee of
// members' own keys and checks what is recorded and logged
// (doc/spec/opening.md §2.2, entries.md §5).
func TestAnnounceV2(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) vault.Backend) {
		e := newEnv(t, open(t))
		tn := e.announceV2(t, "T-2F", MethodTwoFile)
		c, err := tn.KeyCommittee(e.engine)
		if err != nil {
			t.Fatal(err)
		}
		if !tn.V2() || tn.Method != MethodTwoFile || tn.Threshold != 3 || len(tn.Members) != 5 || tn.CommitteeID != c.ID() ||
			tn.State != StateAnnounced || tn.Part != 1 {
			t.Fatalf("announced %+v", tn)
		}
		for i, r := range c.Members() {
			if tn.Members[i] != r.String() || e.members[tn.Committee[i]].Recipient().String() != r.String() {
				t.Errorf("member %d: %s with key %.20s…, want the %d-th key in byte order", i+1, tn.Committee[i], tn.Members[i], i+1)
			}
		}
		if !slices.IsSorted(tn.Members) {
			t.Error("members are not in the byte order of their keys")
		}
		p1, p2 := tn.Parts[0], tn.Parts[1]
		if p1.Round != tn.Round || p2.Round != e.beacon.Chain().RoundAt(tn.Schedule.FileIIOpening) || p2.Round <= p1.Round ||
			!p2.Deadline.Equal(tn.Schedule.Deadline) {
			t.Errorf("parts %+v, %+v", p1, p2)
		}

		entries, err := e.log.Entries(e.ctx, tn.LogStart, e.log.Size())
		if err != nil {
			t.Fatal(err)
		}
		var types []string
		var parsed []auditlog.Entry
		for _, b := range entries {
			ent, err := auditlog.ParseEntry(b)
			if err != nil {
				t.Fatal(err)
			}
			types = append(types, ent.Type)
			parsed = append(parsed, ent)
		}
		want := []string{"tender-announced", "tender-committee", "committee-member", "committee-member", "committee-member",
			"committee-member", "committee-member", "file-ii-scheduled"}
		if !slices.Equal(types, want) {
			t.Fatalf("logged %v, want %v", types, want)
		}
		text, _ := c.MarshalText()
		digest := sha256.Sum256(text)
		if got := parsed[0].Value("committee-key"); got != c.ID() {
			t.Errorf("tender-announced committee-key %s, want the committee id %s", got, c.ID())
		}
		tc := parsed[1]
		if tc.Value("method") != "two-file" || tc.Value("committee") != hexEntry(digest[:]) || tc.Value("threshold") != "3" || tc.Value("members") != "5" {
			t.Errorf("tender-committee %+v", tc)
		}
		for i, m := range parsed[2:7] {
			if m.Value("member") != uintEntry(i+1) || m.Value("user") != tn.Committee[i] || m.Value("recipient") != tn.Members[i] {
				t.Errorf("committee-member %d: %+v", i+1, m)
			}
		}
		if f := parsed[7]; f.Value("opening") != canon.FormatTime(tn.Schedule.FileIIOpening) || f.Value("round") != uintEntry(p2.Round) {
			t.Errorf("file-ii-scheduled %+v", f)
		}

		// An addendum repeats the committee id and moves both parts' deadline.
		e.set(testStart.Add(time.Minute))
		tn, err = e.engine.Amend(e.ctx, "pokja-2", tn.ID, Amendment{Deadline: testStart.Add(130 * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		last, _ := e.log.Entries(e.ctx, e.log.Size()-1, e.log.Size())
		ent, _ := auditlog.ParseEntry(last[0])
		if ent.Type != "tender-amended" || ent.Value("committee-key") != c.ID() {
			t.Errorf("amendment logged %+v", ent)
		}
		if d := testStart.Add(130 * time.Minute); !tn.Parts[0].Deadline.Equal(d) || !tn.Parts[1].Deadline.Equal(d) {
			t.Errorf("after the addendum the parts close at %v and %v, want %v", tn.Parts[0].Deadline, tn.Parts[1].Deadline, d)
		}
		// And the other methods.
		if tn := e.announceV2(t, "T-1F", MethodSingleFile); len(tn.Parts) != 1 {
			t.Errorf("single-file parts %+v", tn.Parts)
		}
		if tn := e.announceV2(t, "T-2S", MethodTwoStage); len(tn.Parts) != 2 || tn.Parts[1].Round != 0 {
			t.Errorf("two-stage parts %+v: stage 2 is not scheduled at announcement", tn.Parts)
		}
	})
}

// TestAnnounceV2Refusals refuses every wrong v2 announcement, naming what
// is wrong, before anything is recorded or logged.
func TestAnnounceV2Refusals(t *testing.T) {
	e := newEnv(t, openEmbedded(t))
	e.memberKeys(t, "T-X")
	doc, err := e.backend.Put(e.ctx, strings.NewReader("dokumen"), 1<<10)
	if err != nil {
		t.Fatal(err)
	}
	base := Announcement{ID: "T-X", Title: "Konsultan", Document: doc.Digest, Method: MethodTwoFile, Schedule: v2Schedule(MethodTwoFile)}
	set := func(f func(d *testDirectory)) func() {
		return func() { e.dir.mu.Lock(); defer e.dir.mu.Unlock(); f(e.dir) }
	}
	key1 := e.dir.keys["pokja-1"]
	for _, tc := range []struct {
		name   string
		actor  string
		edit   func(a *Announcement)
		before func()
		after  func()
		want   error
		says   string
	}{
		{name: "a minority threshold", edit: func(a *Announcement) { a.Threshold = 2 }, want: ErrInvalid, says: "3 to 5"},
		{name: "more than n", edit: func(a *Announcement) { a.Threshold = 6 }, want: ErrInvalid, says: "3 to 5"},
		{name: "an unknown method", edit: func(a *Announcement) { a.Method = "three-file" }, want: ErrInvalid, says: "three-file"},
		{name: "two-file without File II's opening", edit: func(a *Announcement) { a.Schedule.FileIIOpening = time.Time{} }, want: ErrInvalid, says: "FileIIOpening"},
		{name: "single-file with File II's opening", edit: func(a *Announcement) { a.Method = MethodSingleFile }, want: ErrInvalid, says: "only a two-file"},
		{name: "File II in File I's round", edit: func(a *Announcement) {
			// Both within the same beacon period: the same round.
			a.Schedule.Opening = a.Schedule.Opening.Add(time.Millisecond)
			a.Schedule.FileIIOpening = a.Schedule.Opening.Add(time.Millisecond)
		}, want: ErrInvalid, says: "must be later"},
		{name: "File II before File I", edit: func(a *Announcement) { a.Schedule.FileIIOpening = a.Schedule.Opening.Add(-time.Minute) }, want: ErrInvalid, says: "not after"},
		{name: "no id", edit: func(a *Announcement) { a.ID = "" }, want: ErrInvalid, says: "needs its id"},
		{name: "no committee assigned", edit: func(a *Announcement) { a.ID = "T-Y" }, want: ErrForbidden, says: "no committee"},
		{name: "another committee named", edit: func(a *Announcement) { a.Committee = v2Members[:3] }, want: ErrInvalid, says: "names committee"},
		{name: "by a non-member", actor: "pokja-9", want: ErrForbidden, says: "not on the committee"},
		{name: "a member without a key", before: set(func(d *testDirectory) { delete(d.keys, "pokja-4") }),
			after: set(func(d *testDirectory) { d.keys["pokja-4"] = e.members["pokja-4"].Recipient().String() }), want: ErrInvalid, says: "pokja-4"},
		{name: "two members with one key", before: set(func(d *testDirectory) { d.keys["pokja-2"] = key1 }),
			after: set(func(d *testDirectory) { d.keys["pokja-2"] = e.members["pokja-2"].Recipient().String() }), want: ErrInvalid, says: "same opening key"},
		{name: "two members with one key, spelt differently", before: set(func(d *testDirectory) { d.keys["pokja-2"] = strings.ToUpper(key1) }),
			after: set(func(d *testDirectory) { d.keys["pokja-2"] = e.members["pokja-2"].Recipient().String() }), want: ErrInvalid, says: "pokja-2"},
		{name: "one user in two seats", before: set(func(d *testDirectory) { d.committees["T-X"] = append(slices.Clone(v2Members), "pokja-1") }),
			after: set(func(d *testDirectory) { d.committees["T-X"] = v2Members }), want: ErrInvalid, says: "pokja-1 is on the committee twice"},
		{name: "LPSE staff on the committee", before: set(func(d *testDirectory) { d.staff["pokja-5"] = true }),
			after: set(func(d *testDirectory) { delete(d.staff, "pokja-5") }), want: ErrForbidden, says: "pokja-5"},
		{name: "a v1 key with a method", edit: func(a *Announcement) { a.CommitteeKey = e.committee.Recipient().String() }, want: ErrInvalid, says: "single-file"},
	} {
		a := base
		if tc.edit != nil {
			tc.edit(&a)
		}
		actor := "pokja-1"
		if tc.actor != "" {
			actor = tc.actor
		}
		if tc.before != nil {
			tc.before()
		}
		size := e.log.Size()
		_, err := e.engine.Announce(e.ctx, actor, a)
		if tc.after != nil {
			tc.after()
		}
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: %v, want %v saying %q", tc.name, err, tc.want, tc.says)
		}
		if e.log.Size() != size {
			t.Errorf("%s: refused but logged", tc.name)
		}
		if _, err := e.engine.Get(e.ctx, a.ID); !errors.Is(err, ErrNotFound) && a.ID != "" {
			t.Errorf("%s: refused but recorded (%v)", tc.name, err)
		}
	}
	if _, err := e.engine.Announce(e.ctx, "pokja-1", base); err != nil {
		t.Errorf("the announcement itself: %v", err)
	}
}

func openEmbedded(t *testing.T) vault.Backend {
	b, err := vault.OpenEmbedded(t.Context(), vault.EmbeddedConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}
