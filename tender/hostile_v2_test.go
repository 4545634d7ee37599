package tender

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/internal/canon"
	"github.com/segel-lpse/segel/member"
)

// A hostile server (opening.md §11) holds the log key: it can append any
// entry it likes and show a member's tool any subset of the log. These
// tests play that server against package member, on a real engine and
// log: the tool must compute nothing it should not.

// fileIIStarted runs two-file tender id to File II's opening, started:
// three bidders, penyedia-2 failed in the fixed evaluation. It returns the
// bidders' sealed files.
func (e *env) fileIIStarted(t *testing.T, id string) (*Tender, map[string][2][]byte) {
	t.Helper()
	tn, files := e.inEvaluation(t, id)
	f1 := e.engine.File(tn.ID, 1)
	digest, err := f1.ProposeEvaluation(e.ctx, "pokja-1", []BidderResult{
		{Bidder: bidderN(1), Passed: true, Reasons: "lulus"}, {Bidder: bidderN(2), Passed: false, Reasons: "gugur"},
		{Bidder: bidderN(3), Passed: true, Reasons: "lulus"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range v2Members[1:3] {
		if _, err := f1.ApproveEvaluation(e.ctx, m, digest); err != nil {
			t.Fatal(err)
		}
	}
	e.set(e.beacon.Chain().TimeOf(tn.Parts[1].Round))
	if _, err := e.engine.File(tn.ID, 2).StartOpening(e.ctx, "pokja-1"); err != nil {
		t.Fatal(err)
	}
	tn, err = e.engine.Get(e.ctx, tn.ID)
	if err != nil {
		t.Fatal(err)
	}
	return tn, files
}

// inEvaluation runs two-file tender id to its File I evaluation: three
// bidders, File I opened by pokja-1 to -3. It returns the bidders' sealed
// files.
func (e *env) inEvaluation(t *testing.T, id string) (*Tender, map[string][2][]byte) {
	t.Helper()
	e.useSecrets(t)
	tn := e.announceV2(t, id, MethodTwoFile)
	e.set(testStart.Add(time.Minute))
	files := map[string][2][]byte{}
	for i := 1; i <= 3; i++ {
		b := bidderN(i)
		if err := e.engine.Register(e.ctx, b, tn.ID); err != nil {
			t.Fatal(err)
		}
		files[b] = [2][]byte{e.sealV2(t, tn, b, 1, "teknis "+b), e.sealV2(t, tn, b, 2, "harga "+b)}
		for file := 1; file <= 2; file++ {
			if _, err := e.engine.File(tn.ID, file).Submit(e.ctx, b, bytes.NewReader(files[b][file-1])); err != nil {
				t.Fatal(err)
			}
		}
	}
	// penyedia-1 supersedes its File II; files keeps the first under
	// "penyedia-1/old".
	old := files[bidderN(1)]
	idx := e.fileIndex(t, tn, bidderN(1), 2)
	files[bidderN(1)+"/old"] = old
	files[bidderN(1)] = [2][]byte{old[0], e.sealV2(t, tn, bidderN(1), 2, "harga baru")}
	if _, err := e.engine.File(tn.ID, 2).Submit(e.ctx, bidderN(1), bytes.NewReader(files[bidderN(1)][1])); err != nil {
		t.Fatal(err)
	}
	e.superseded = idx
	e.set(e.beacon.Chain().TimeOf(tn.Round))
	f1 := e.engine.File(tn.ID, 1)
	if _, err := f1.StartOpening(e.ctx, "pokja-1"); err != nil {
		t.Fatal(err)
	}
	for _, m := range v2Members[:3] {
		if _, err := e.memberTool(t, tn, 1, m); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f1.CompleteOpening(e.ctx, "pokja-1", Completion{Sink: &memSink{}}); err != nil {
		t.Fatal(err)
	}
	return tn, files
}

// hostileAppend appends entries to the log as a server that holds the log
// key can, bypassing the engine's rules.
func (e *env) hostileAppend(t *testing.T, typ string, kv ...string) int64 {
	t.Helper()
	ent, err := auditlog.MarshalEntry(typ, kv...)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := e.log.Append(e.ctx, ent)
	if err != nil {
		t.Fatal(err)
	}
	return idx[0]
}

// TestMemberToolHostileServer shows pokja-1's tool what a hostile server
// would: entries appended outside the engine's rules, entries left out of
// the evidence, headers presented as what they are not. The tool must
// refuse (member.ErrRefused, or an error) and compute nothing — never
// panic, and never answer for a file the log's rules do not make a
// current, passed bidder's file of the part.
func TestMemberToolHostileServer(t *testing.T) {
	at := canon.FormatTime(testStart)
	header := func(f []byte) []byte { return f[:headerLen(f)] }
	sum := func(b []byte) string { s := sha256.Sum256(b); return fmt.Sprintf("%x", s) }
	for _, tc := range []struct {
		name string
		// attack changes the log and returns the headers shown; edit, if
		// set, changes the evidence shown.
		attack func(t *testing.T, e *env, tn *Tender, files map[string][2][]byte) []member.Header
		edit   func(t *testing.T, e *env, tn *Tender, ev *member.Evidence)
		says   string
	}{
		{name: "a failed bidder passed outside the fixing append", says: "evaluation",
			attack: func(t *testing.T, e *env, tn *Tender, files map[string][2][]byte) []member.Header {
				e.hostileAppend(t, "bidder-evaluated", "tender", tn.ID, "bidder", bidderN(2), "result", "passed",
					"reasons", strings.Repeat("0", 64), "time", at)
				f := files[bidderN(2)][1]
				return []member.Header{{Bidder: bidderN(2), File: 2, Index: e.fileIndex(t, tn, bidderN(2), 2), Header: header(f)}}
			}},
		{name: "a second evaluation fixed, passing everyone", says: "evaluation",
			attack: func(t *testing.T, e *env, tn *Tender, files map[string][2][]byte) []member.Header {
				var text []byte
				ev2 := &audit.Evaluation{Tender: tn.ID}
				for i := 1; i <= 3; i++ {
					ev2.Bidders = append(ev2.Bidders, audit.EvaluatedBidder{Bidder: bidderN(i), Passed: true})
				}
				text, _ = ev2.Marshal()
				d := sum(text)
				for _, m := range v2Members[:3] {
					e.hostileAppend(t, "evaluation-approved", "tender", tn.ID, "evaluation", d, "by", m, "time", at)
				}
				ents := [][]byte{}
				for i := 1; i <= 3; i++ {
					ent, _ := auditlog.MarshalEntry("bidder-evaluated", "tender", tn.ID, "bidder", bidderN(i), "result", "passed",
						"reasons", strings.Repeat("0", 64), "time", at)
					ents = append(ents, ent)
				}
				fix, _ := auditlog.MarshalEntry("evaluation-fixed", "tender", tn.ID, "evaluation", d, "passed", "3", "failed", "0", "time", at)
				if _, err := e.log.Append(e.ctx, append(ents, fix)...); err != nil {
					t.Fatal(err)
				}
				f := files[bidderN(2)][1]
				return []member.Header{{Bidder: bidderN(2), File: 2, Index: e.fileIndex(t, tn, bidderN(2), 2), Header: header(f)}}
			}},
		{name: "a price substituted after the deadline", says: "window",
			attack: func(t *testing.T, e *env, tn *Tender, files map[string][2][]byte) []member.Header {
				// The server seals a price of its own for penyedia-1 (anyone
				// can seal to a target) and logs it as received.
				forged := e.sealV2(t, tn, bidderN(1), 2, "harga palsu")
				idx := e.hostileAppend(t, "file-received", "tender", tn.ID, "bidder", bidderN(1), "file", "2", "sha256", sum(forged),
					"size", fmt.Sprint(len(forged)), "header", sum(header(forged)), "received", at)
				return []member.Header{{Bidder: bidderN(1), File: 2, Index: idx, Header: header(forged)}}
			}},
		{name: "a header larger than any committee's", says: "more than any committee's header",
			attack: func(t *testing.T, e *env, tn *Tender, files map[string][2][]byte) []member.Header {
				f := files[bidderN(1)][1]
				big := append(bytes.Repeat([]byte("x"), member.MaxHeaderSize), header(f)...)
				return []member.Header{{Bidder: bidderN(1), File: 2, Index: e.fileIndex(t, tn, bidderN(1), 2), Header: big}}
			}},
		{name: "a passed bidder's header under another passed bidder's entry", says: "not the one logged",
			attack: func(t *testing.T, e *env, tn *Tender, files map[string][2][]byte) []member.Header {
				f := files[bidderN(1)][1]
				return []member.Header{{Bidder: bidderN(3), File: 2, Index: e.fileIndex(t, tn, bidderN(3), 2), Header: header(f)}}
			}},
		{name: "a failed bidder's File II as a passed bidder's", says: "not the one logged",
			attack: func(t *testing.T, e *env, tn *Tender, files map[string][2][]byte) []member.Header {
				f := files[bidderN(2)][1]
				return []member.Header{{Bidder: bidderN(1), File: 2, Index: e.fileIndex(t, tn, bidderN(1), 2), Header: header(f)}}
			}},
		{name: "a File I header as File II", says: "is not " + bidderN(1) + "'s current file 2",
			attack: func(t *testing.T, e *env, tn *Tender, files map[string][2][]byte) []member.Header {
				f := files[bidderN(1)][0]
				return []member.Header{{Bidder: bidderN(1), File: 2, Index: e.fileIndex(t, tn, bidderN(1), 1), Header: header(f)}}
			}},
		{name: "a superseded File II as current", says: "is not " + bidderN(1) + "'s current file 2",
			attack: func(t *testing.T, e *env, tn *Tender, files map[string][2][]byte) []member.Header {
				f := files[bidderN(1)+"/old"][1]
				return []member.Header{{Bidder: bidderN(1), File: 2, Index: e.superseded, Header: header(f)}}
			}},
		{name: "a file part 3", says: "file 3",
			attack: func(t *testing.T, e *env, tn *Tender, files map[string][2][]byte) []member.Header {
				e.hostileAppend(t, "file-received", "tender", tn.ID, "bidder", bidderN(1), "file", "3", "sha256", strings.Repeat("1", 64),
					"size", "100", "header", strings.Repeat("2", 64), "received", at)
				return nil
			}},
		{name: "a line of the evaluation's append left out", says: "evaluation",
			edit: func(t *testing.T, e *env, tn *Tender, ev *member.Evidence) {
				ev.Entries = slices.DeleteFunc(ev.Entries, func(le audit.LogEntry) bool {
					return bytes.Contains(le.Data, []byte("bidder-evaluated")) && bytes.Contains(le.Data, []byte(bidderN(2)))
				})
			}},
		{name: "a bidder's File I left out", says: "offers",
			edit: func(t *testing.T, e *env, tn *Tender, ev *member.Evidence) {
				idx := e.fileIndex(t, tn, bidderN(3), 1)
				ev.Entries = slices.DeleteFunc(ev.Entries, func(le audit.LogEntry) bool { return le.Index == idx })
			}},
		{name: "the announcement left out", says: "tender-announced",
			edit: func(t *testing.T, e *env, tn *Tender, ev *member.Evidence) {
				ev.Entries = ev.Entries[1:]
			}},
		{name: "a checkpoint older than one the tool saw", says: "does not extend",
			edit: func(t *testing.T, e *env, tn *Tender, ev *member.Evidence) {
				e.hostileAppend(t, "evaluation-approved", "tender", "T-LAIN", "evaluation", strings.Repeat("3", 64), "by", "pokja-1", "time", at)
				later, err := e.engine.File(tn.ID, 2).Evidence(e.ctx, "pokja-1", 0)
				if err != nil {
					t.Fatal(err)
				}
				ev.Previous = later.Checkpoint
			}},
		{name: "more entries than any tender's", says: "more than",
			edit: func(t *testing.T, e *env, tn *Tender, ev *member.Evidence) {
				ev.Entries = append(ev.Entries, make([]audit.LogEntry, audit.MaxTenderEntries)...)
			}},
		{name: "a second committee announced later", says: "committee",
			attack: func(t *testing.T, e *env, tn *Tender, files map[string][2][]byte) []member.Header {
				e.hostileAppend(t, "committee-member", "tender", tn.ID, "member", "6", "user", "pokja-9",
					"recipient", e.members["pokja-1"].Recipient().String(), "time", at)
				return nil
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, openEmbedded(t))
			tn, files := e.fileIIStarted(t, "T-HOSTILE")
			f2 := e.engine.File(tn.ID, 2)
			var shown []member.Header
			if tc.attack != nil {
				shown = tc.attack(t, e, tn, files)
			}
			ev, err := f2.Evidence(e.ctx, "pokja-1", 0)
			if err != nil {
				t.Fatal(err)
			}
			if tc.edit != nil {
				tc.edit(t, e, tn, ev)
			}
			var answers []member.Answer
			tv, err := func() (tv *member.Tender, err error) {
				defer func() {
					if r := recover(); r != nil {
						err = fmt.Errorf("panic: %v", r)
						t.Errorf("the member's tool panicked: %v", r)
					}
				}()
				return member.Verify(*ev, tn.ID, e.keys.Log, e.beacon.Chain())
			}()
			if err == nil && shown != nil {
				answers, err = tv.Answers(2, shown, e.members["pokja-1"])
			}
			if err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("the tool shown it: %v (answers %d), want a refusal saying %q", err, len(answers), tc.says)
			}
		})
	}
}
