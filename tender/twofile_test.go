package tender

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/member"
	"github.com/segel-lpse/segel/vault"
)

// memberTool is what a committee member's tool does for a part's opening,
// on the member's own device: get the evidence and the headers, check them
// against the log with package member, compute its answers with its own
// key, send them, and check the batch's list in the log.
func (e *env) memberTool(t testing.TB, tn *Tender, file int, user string) (*Batch, error) {
	t.Helper()
	f := e.engine.File(tn.ID, file)
	ev, err := f.Evidence(e.ctx, user, 0)
	if err != nil {
		return nil, err
	}
	headers, err := f.Headers(e.ctx, user)
	if err != nil {
		return nil, err
	}
	tv, err := member.Verify(*ev, tn.ID, e.keys.Log, e.beacon.Chain())
	if err != nil {
		return nil, err
	}
	var hs []member.Header
	for _, h := range headers {
		hs = append(hs, member.Header{Bidder: h.Bidder, File: h.File, Index: h.LogIndex, Header: h.Header})
	}
	answers, err := tv.Answers(file, hs, e.members[user])
	if err != nil {
		return nil, err
	}
	// Sent as the batch's text, which the server parses.
	text, err := (&member.Batch{Tender: tn.ID, File: file, Member: tn.MemberIndex(user), Answers: answers}).Marshal()
	if err != nil {
		return nil, err
	}
	sent, err := member.ParseBatch(text)
	if err != nil {
		return nil, err
	}
	var batch []FileAnswer
	for _, a := range sent.Answers {
		batch = append(batch, FileAnswer{Index: a.Index, Contribution: a.Contribution, Claim: a.Claim})
	}
	b, err := f.Contribute(e.ctx, user, batch)
	if err != nil {
		return nil, err
	}
	if b.List != member.ListDigest(answers) {
		t.Errorf("%s: the logged list of its batch is not the one its tool computes", user)
	}
	return b, nil
}

// cutPayload damages a sealed file's last payload byte: the header, its
// size and every share are fine, the document does not authenticate.
func cutPayload(f []byte) []byte {
	f = bytes.Clone(f)
	f[len(f)-3] ^= 0x40
	return f
}

// TestTwoFile runs a two-file tender with a 3-of-5 committee, one member
// absent throughout, at library level on both backends (issue 16): keys,
// announcement, both files submitted (one File I cut short and refused,
// one sealed wrong so that it fails at opening), File I opened from four
// members' contributions, the evaluation fixed by k approvals (one bidder
// failed), File II opened for the bidders who passed and withheld for the
// others, whose File II no member's tool computes anything for.
func TestTwoFile(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) vault.Backend) {
		e := newEnv(t, open(t))
		e.useSecrets(t)
		tn := e.announceV2(t, "T-DUA-FILE", MethodTwoFile)
		e.set(testStart.Add(time.Minute))
		prices := map[string]string{}
		files := map[string][2][]byte{}
		for i := 1; i <= 4; i++ {
			b := bidderN(i)
			if err := e.engine.Register(e.ctx, b, tn.ID); err != nil {
				t.Fatal(err)
			}
			prices[b] = fmt.Sprintf("harga penawaran %s: Rp %d.000.000", b, 700+i)
			f1 := e.sealV2(t, tn, b, 1, strings.Repeat("dokumen teknis "+b+" ", 200))
			f2 := e.sealV2(t, tn, b, 2, prices[b])
			files[b] = [2][]byte{f1, f2}
		}
		// penyedia-3's File I is cut short in upload: refused, no receipt;
		// it uploads the whole file again.
		cut := files[bidderN(3)][0]
		if _, err := e.engine.Submit(e.ctx, bidderN(3), tn.ID, bytes.NewReader(cut[:len(cut)-512])); !errors.Is(err, ErrWrongSeal) ||
			!strings.Contains(err.Error(), "cut short") {
			t.Fatalf("a File I cut short: %v, want ErrWrongSeal saying it was cut short", err)
		}
		// penyedia-4's File I is sealed wrong: it passes every check at
		// submission and fails at opening.
		files[bidderN(4)] = [2][]byte{cutPayload(files[bidderN(4)][0]), files[bidderN(4)][1]}
		for i := 1; i <= 4; i++ {
			b := bidderN(i)
			for file := 1; file <= 2; file++ {
				if _, err := e.engine.File(tn.ID, file).Submit(e.ctx, b, bytes.NewReader(files[b][file-1])); err != nil {
					t.Fatalf("%s file %d: %v", b, file, err)
				}
			}
		}

		// File I, at its round: four members contribute, pokja-5 is absent.
		e.set(e.beacon.Chain().TimeOf(tn.Round))
		f1 := e.engine.File(tn.ID, 1)
		if _, err := e.engine.File(tn.ID, 2).StartOpening(e.ctx, "pokja-1"); !errors.Is(err, ErrState) {
			t.Errorf("File II before the evaluation: %v, want ErrState", err)
		}
		if _, err := f1.StartOpening(e.ctx, "pokja-1"); err != nil {
			t.Fatal(err)
		}
		for _, m := range v2Members[:4] {
			if _, err := e.memberTool(t, tn, 1, m); err != nil {
				t.Fatalf("%s: %v", m, err)
			}
		}
		op1, err := f1.CompleteOpening(e.ctx, "pokja-2", Completion{Sink: &memSink{}})
		if err != nil {
			t.Fatal(err)
		}
		outcome := map[string]audit.OpenedOffer{}
		for _, o := range op1.Report.Offers {
			outcome[o.Bidder] = o
		}
		var four []int // the positions of pokja-1 to -4, by their keys' order
		for _, m := range v2Members[:4] {
			four = append(four, tn.MemberIndex(m))
		}
		slices.Sort(four)
		for i := 1; i <= 3; i++ {
			if o := outcome[bidderN(i)]; o.Outcome != audit.OutcomeOpened || !slices.Equal(o.Contributors, four) {
				t.Errorf("%s's File I: %s with contributors %v", bidderN(i), o.Outcome, o.Contributors)
			}
		}
		bad := outcome[bidderN(4)]
		if bad.Outcome != audit.OutcomeFailed {
			t.Fatalf("penyedia-4's File I: %s, want failed", bad.Outcome)
		}
		w, err := audit.VerifyWitnessReport(op1.Witness[bidderN(4)], e.reportKey)
		if err != nil {
			t.Fatal(err)
		}
		if w.File != 1 || w.Step != audit.StepPayload || w.Fault != audit.FaultFile || len(w.Members) != 5 ||
			!slices.Equal(w.Witnesses, v2Members[:4]) {
			t.Errorf("witness report: %+v", w)
		}
		e.checkBids(t, tn.ID, "opened:tenderUpdate", map[string]string{bidderN(1): "pending", bidderN(2): "pending",
			bidderN(3): "pending", bidderN(4): "disqualified"})
		for _, m := range w.Members {
			want := audit.AnswerContributed
			if tn.Committee[m.Member-1] == "pokja-5" {
				want = audit.AnswerAbsent
			}
			if m.Answer != want || m.User != tn.Committee[m.Member-1] {
				t.Errorf("witness report's member %d: %+v, want %s", m.Member, m, want)
			}
		}

		// The evaluation: penyedia-2 fails; penyedia-4, whose File I did not
		// open, must fail.
		results := []BidderResult{
			{Bidder: bidderN(1), Passed: true, Reasons: "memenuhi persyaratan administrasi dan teknis"},
			{Bidder: bidderN(2), Passed: false, Reasons: "tenaga ahli tidak memenuhi kualifikasi"},
			{Bidder: bidderN(3), Passed: true, Reasons: "memenuhi persyaratan"},
			{Bidder: bidderN(4), Passed: true, Reasons: "x"},
		}
		if _, err := f1.ProposeEvaluation(e.ctx, "pokja-1", results); !errors.Is(err, ErrInvalid) {
			t.Errorf("passing a bidder whose File I did not open: %v, want ErrInvalid", err)
		}
		results[3] = BidderResult{Bidder: bidderN(4), Passed: false, Reasons: "dokumen penawaran tidak dapat dibuka (berita acara kesaksian)"}
		if _, err := f1.ProposeEvaluation(e.ctx, "pokja-1", results[:3]); !errors.Is(err, ErrInvalid) {
			t.Errorf("an evaluation without penyedia-4: %v, want ErrInvalid", err)
		}
		digest, err := f1.ProposeEvaluation(e.ctx, "pokja-1", results)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f1.ApproveEvaluation(e.ctx, "pokja-1", digest); !errors.Is(err, ErrDuplicate) {
			t.Errorf("approving one's own proposal again: %v, want ErrDuplicate", err)
		}
		if _, err := f1.ApproveEvaluation(e.ctx, "pokja-2", digest); err != nil {
			t.Fatal(err)
		}
		fixed, err := f1.ApproveEvaluation(e.ctx, "pokja-4", digest)
		if err != nil {
			t.Fatal(err)
		}
		if fixed.Evaluation == nil || fixed.State != StateClosed || fixed.Part != 2 ||
			!slices.Equal(fixed.Evaluation.Passed, []string{bidderN(1), bidderN(3)}) || fixed.Evaluation.Digest != digest {
			t.Fatalf("after the third approval: %s part %d, evaluation %+v", fixed.State, fixed.Part, fixed.Evaluation)
		}
		doc, err := e.engine.readBlob(e.ctx, digest)
		if err != nil {
			t.Fatal(err)
		}
		if ev, err := audit.ParseEvaluation(doc); err != nil || len(ev.Bidders) != 4 || sha256.Sum256(doc) != digest {
			t.Errorf("the stored evaluation: %v", err)
		}
		last := e.lastEntries(t, 6)
		for i, typ := range []string{"evaluation-approved", "bidder-evaluated", "bidder-evaluated", "bidder-evaluated", "bidder-evaluated", "evaluation-fixed"} {
			if last[i].Type != typ {
				t.Errorf("entry %d from the end is %s, want %s", 6-i, last[i].Type, typ)
			}
		}
		e.checkBids(t, tn.ID, "evaluated:tenderUpdate", map[string]string{bidderN(1): "pending", bidderN(2): "disqualified",
			bidderN(3): "pending", bidderN(4): "disqualified"})
		if _, err := f1.ApproveEvaluation(e.ctx, "pokja-3", digest); !errors.Is(err, ErrState) {
			t.Errorf("an approval after the evaluation is fixed: %v, want ErrState", err)
		}

		// File II at its round: served only for penyedia-1 and -3.
		f2 := e.engine.File(tn.ID, 2)
		if _, err := f2.StartOpening(e.ctx, "pokja-1"); err == nil {
			t.Error("File II started before its round")
		}
		e.set(e.beacon.Chain().TimeOf(tn.Parts[1].Round))
		if _, err := f2.StartOpening(e.ctx, "pokja-3"); err != nil {
			t.Fatal(err)
		}
		headers, err := f2.Headers(e.ctx, "pokja-1")
		if err != nil {
			t.Fatal(err)
		}
		var served []string
		for _, h := range headers {
			served = append(served, h.Bidder)
		}
		if !slices.Equal(served, []string{bidderN(1), bidderN(3)}) {
			t.Errorf("File II headers served for %v, want the two who passed", served)
		}
		// A member's tool shown penyedia-2's File II — by a server that
		// serves it — computes nothing for it.
		ev, err := f2.Evidence(e.ctx, "pokja-1", 0)
		if err != nil {
			t.Fatal(err)
		}
		tv, err := member.Verify(*ev, tn.ID, e.keys.Log, e.beacon.Chain())
		if err != nil {
			t.Fatal(err)
		}
		failedF2 := files[bidderN(2)][1]
		idx := e.fileIndex(t, tn, bidderN(2), 2)
		refused := member.Header{Bidder: bidderN(2), File: 2, Index: idx, Header: failedF2[:headerLen(failedF2)]}
		if _, err := tv.Answers(2, append([]member.Header{{Bidder: headers[0].Bidder, File: 2, Index: headers[0].LogIndex, Header: headers[0].Header}}, refused),
			e.members["pokja-1"]); !errors.Is(err, member.ErrRefused) || !strings.Contains(err.Error(), "did not pass") {
			t.Errorf("a member's tool shown a failed bidder's File II: %v, want ErrRefused", err)
		}
		// Nor does the server take anything for it.
		if _, err := f2.Contribute(e.ctx, "pokja-1", []FileAnswer{{Index: idx, Claim: audit.AnswerClaimedKey}}); !errors.Is(err, ErrInvalid) {
			t.Errorf("an answer for a failed bidder's File II: %v, want ErrInvalid", err)
		}
		// Two members are fewer than k: nothing opens.
		for _, m := range []string{"pokja-1", "pokja-3"} {
			if _, err := e.memberTool(t, tn, 2, m); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := f2.CompleteOpening(e.ctx, "pokja-1", Completion{AcceptFailures: true}); !errors.Is(err, ErrState) {
			t.Errorf("completing File II with 2 of 3: %v, want ErrState", err)
		}
		if _, err := e.memberTool(t, tn, 2, "pokja-4"); err != nil {
			t.Fatal(err)
		}
		sink := &memSink{}
		op2, err := f2.CompleteOpening(e.ctx, "pokja-4", Completion{Sink: sink})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range op2.Report.Offers {
			want := audit.OutcomeWithheld
			if o.Bidder == bidderN(1) || o.Bidder == bidderN(3) {
				want = audit.OutcomeOpened
				if got := sink.docs[o.Bidder].String(); got != prices[o.Bidder] {
					t.Errorf("%s's price: %q", o.Bidder, got)
				}
			}
			if o.Outcome != want {
				t.Errorf("%s's File II: %s, want %s", o.Bidder, o.Outcome, want)
			}
		}
		if _, ok := sink.docs[bidderN(2)]; ok {
			t.Error("the failed bidder's price was opened")
		}
		done, err := e.engine.Get(e.ctx, tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		if done.State != StateOpened {
			t.Errorf("after File II: %s, want opened", done.State)
		}
		var withheld int
		for _, ent := range e.lastEntries(t, 5) {
			if ent.Type == "file-withheld" {
				withheld++
			}
		}
		if withheld != 2 {
			t.Errorf("%d file-withheld entries, want 2", withheld)
		}
		export := e.checkBids(t, tn.ID, "price-opened:tenderUpdate", map[string]string{bidderN(1): "valid", bidderN(2): "disqualified",
			bidderN(3): "valid", bidderN(4): "disqualified"})
		for _, bid := range export.Releases[len(export.Releases)-1].Bids.Details {
			if len(bid.Identifiers) != 2 {
				t.Errorf("bid %s names %d files, want File I's and File II's digests", bid.ID, len(bid.Identifiers))
			}
		}
		if ids := releaseIDs(export); !slices.Equal(ids, []string{"tender:tender", "closed:tenderUpdate", "opened:tenderUpdate",
			"evaluated:tenderUpdate", "price-opened:tenderUpdate"}) {
			t.Errorf("releases %v", ids)
		}
		// The winner is a bidder whose price was opened.
		if _, err := e.engine.AnnounceResult(e.ctx, "pokja-1", tn.ID, bidderN(2), "Pemenang"); !errors.Is(err, ErrInvalid) {
			t.Errorf("a failed bidder announced as winner: %v, want ErrInvalid", err)
		}
		if _, err := e.engine.AnnounceResult(e.ctx, "pokja-1", tn.ID, bidderN(3), "Pemenang: "+bidderN(3)); err != nil {
			t.Fatal(err)
		}
		if doc, _ := e.export(t, tn.ID); doc.Releases[len(doc.Releases)-1].Awards[0].RelatedBids[0] != export.Releases[5-1].Bids.Details[2].ID {
			t.Errorf("the award's related bid is not penyedia-3's")
		}
		// The bundle verifies offline, its sealed files included.
		res := e.verifyBundle(t, tn.ID)
		if res.Method != "two-file" || res.Opened != 5 || res.Failed != 1 || res.Withheld != 2 || res.Sealed != 8 {
			t.Errorf("Verify = %+v", res)
		}
	})
}

// verifyBundle builds tender id's audit bundle with its sealed files,
// writes it, reads it back and verifies it against the pinned keys.
func (e *env) verifyBundle(t *testing.T, id string) *audit.Result {
	t.Helper()
	b, err := e.engine.Bundle(e.ctx, id, e.trusted(t), true)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := b.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	read, err := audit.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	res, err := audit.Verify(read, *e.trusted(t))
	if err != nil {
		t.Fatalf("the bundle of %s: %v", id, err)
	}
	return res
}

// checkBids exports tender id to OCDS (validated against the schemas),
// and checks that its last release is stage and that its bids have the
// statuses want, by bidder.
func (e *env) checkBids(t *testing.T, id, stage string, want map[string]string) *ocdsDoc {
	t.Helper()
	doc, _ := e.export(t, id)
	last := doc.Releases[len(doc.Releases)-1]
	if ids := releaseIDs(doc); ids[len(ids)-1] != stage {
		t.Errorf("last release %s, want %s", ids[len(ids)-1], stage)
	}
	got := map[string]string{}
	for _, bid := range last.Bids.Details {
		got[bid.Tenderers[0].ID] = bid.Status
	}
	if !maps.Equal(got, want) {
		t.Errorf("%s: bid statuses %v, want %v", stage, got, want)
	}
	return doc
}

// fileIndex returns the log index of bidder's current file of part file.
func (e *env) fileIndex(t testing.TB, tn *Tender, bidder string, file int) int64 {
	t.Helper()
	var o Offer
	err := e.backend.View(e.ctx, func(tx vault.Tx) error { return getJSON(tx, tableOffers, offerKey(tn, file, bidder), &o) })
	if err != nil {
		t.Fatal(err)
	}
	return o.LogIndex
}

// headerLen returns the length of a sealed file's age header.
func headerLen(f []byte) int {
	end := bytes.Index(f, []byte("\n--- "))
	return end + 1 + bytes.IndexByte(f[end+1:], '\n') + 1
}
