package client_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/client"
	"github.com/segel-lpse/segel/sealer"
)

// TestTwoFileTender runs a two-file tender with a 3-of-5 committee of
// members' own keys through the HTTP API, as the members' and bidders'
// tools do (doc/spec/opening.md): keys registered with proof of
// possession, both files sealed per part, each part opened from the
// contributions of four members computed on their side (the fifth is
// absent), the File I evaluation failing one bidder, whose File II is
// withheld, and the audit bundle verified offline. On the way it checks
// the refusals of opening.md §4.
func TestTwoFileTender(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for real beacon rounds")
	}
	ctx := context.Background()
	ts := startServer(t)
	chain, err := client.New(ts.URL).Chain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pinned := must(client.New(ts.URL).Keys(ctx))
	anon := client.New(ts.URL, client.WithChain(chain), client.WithLogKey(pinned.Log))
	boot := official("admin", 0)
	if _, err := anon.Bootstrap(ctx, boot); err != nil {
		t.Fatal(err)
	}
	admin := must(anon.Login(ctx, boot.Email, password))
	verifier := must(enrol(ctx, anon, admin, official("verifier", 1)))
	pa := must(enrol(ctx, anon, verifier, official("pa-kpa", 2)))
	var pokja []*client.Client
	var ids []string
	keys := map[string]*age.HybridIdentity{}
	for i := range 5 {
		c := must(enrol(ctx, anon, verifier, official("pokja", 4+i)))
		pokja = append(pokja, c)
		ids = append(ids, c.UserID())
		key, _ := age.GenerateHybridIdentity()
		keys[c.UserID()] = key
	}
	var bidders []*client.Client
	for i := range 3 {
		bidders = append(bidders, must(enrol(ctx, anon, verifier, provider(i))))
	}

	// Opening keys: a wrong answer is refused and registers nothing; the
	// member's tool answers with its key, which never leaves it.
	ch := must(pokja[0].ChallengeKey(ctx, keys[ids[0]].Recipient().String()))
	if !strings.HasPrefix(ch.Challenge, "-----BEGIN AGE ENCRYPTED FILE-----") {
		t.Errorf("challenge %.60q is not an armored age file", ch.Challenge)
	}
	wrong := make([]byte, 16)
	rand.Read(wrong)
	_, err = pokja[0].AnswerKeyChallenge(ctx, wrong)
	if client.ErrorCode(err) == "" || client.ErrorCode(err) == api.CodeInternal {
		t.Errorf("a wrong answer: %v, want a refusal", err)
	}
	if got := must(pokja[0].CommitteeKeys(ctx, client.Me)); len(got) != 0 {
		t.Errorf("after a wrong answer, %d keys registered", len(got))
	}
	for _, c := range pokja {
		k := must(c.RegisterMemberKey(ctx, keys[c.UserID()]))
		if k.Recipient != keys[c.UserID()].Recipient().String() || k.KeyID != sealer.KeyID(keys[c.UserID()].Recipient()) {
			t.Errorf("registered %+v, want %s's recipient", k, c.UserID())
		}
	}

	// The announcement: two files, 3 of 5.
	id := "T-DUA-FILE"
	if err := pa.AssignCommittee(ctx, id, ids); err != nil {
		t.Fatal(err)
	}
	doc := must(pokja[0].UploadDocument(ctx, strings.NewReader("Dokumen pemilihan dua file")))
	now := time.Now().UTC().Truncate(time.Second)
	deadline := now.Add(10 * time.Second)
	_, err = pokja[0].Announce(ctx, api.Announcement{ID: id, Title: "Jasa Konsultansi", Document: doc, Method: api.MethodTwoFile, Threshold: 2,
		Schedule: api.Schedule{RegistrationEnd: deadline, ClarificationEnd: deadline, SubmissionStart: now, Deadline: deadline,
			Opening: deadline.Add(time.Second), FileIIOpening: deadline.Add(2 * time.Second)}})
	wantAPIError(t, "a minority threshold", err, 400, api.CodeInvalid, "majority")
	tv := must(pokja[0].Announce(ctx, api.Announcement{ID: id, Title: "Jasa Konsultansi", Document: doc, Method: api.MethodTwoFile,
		Members: ids, Threshold: 3,
		Schedule: api.Schedule{RegistrationEnd: deadline, ClarificationEnd: deadline, SubmissionStart: now, Deadline: deadline,
			Opening: deadline.Add(time.Second), FileIIOpening: deadline.Add(2 * time.Second)}}))
	if tv.Method != api.MethodTwoFile || tv.Threshold != 3 || len(tv.Members) != 5 || len(tv.Parts) != 2 || tv.CommitteeKey != "" ||
		tv.Parts[1].Round <= tv.Parts[0].Round || tv.CommitteeDigest != api.Digest(sha256.Sum256([]byte(tv.CommitteeText))) {
		t.Fatalf("announced %+v", tv)
	}
	for _, b := range bidders {
		if err := b.RegisterForTender(ctx, id); err != nil {
			t.Fatal(err)
		}
	}

	// Offers: File I and File II of each bidder, each sealed to its part.
	// A File I sent as File II is refused while the bidder can fix it.
	texts := map[string]string{}
	for i, b := range bidders {
		for file := 1; file <= 2; file++ {
			target := must(b.FileTarget(ctx, id, file))
			text := fmt.Sprintf("file %d of %s: harga Rp %d", file, b.UserID(), 100+i)
			texts[fmt.Sprint(b.UserID(), file)] = text
			var sealed bytes.Buffer
			if _, err := sealer.Seal(&sealed, strings.NewReader(text), target); err != nil {
				t.Fatal(err)
			}
			if file == 1 && i == 0 {
				_, err := b.SubmitFile(ctx, id, 2, bytes.NewReader(sealed.Bytes()))
				wantAPIError(t, "File I uploaded as File II", err, 422, api.CodeWrongSeal)
			}
			rc := must(b.SubmitFile(ctx, id, file, &sealed))
			if rc.File != file {
				t.Errorf("receipt of file %d says file %d", file, rc.File)
			}
			signed := must(b.FileReceipt(ctx, id, file, client.Me))
			if string(signed) != rc.Receipt {
				t.Errorf("the receipt of file %d fetched again differs", file)
			}
		}
	}
	_, err = pokja[0].Open(ctx, id, keys[ids[0]], ids[:3])
	wantAPIError(t, "the v1 opening of a v2 tender", err, 409, api.CodeMembersOpen, "contributions", "/files/")

	trusted := must(anon.Keys(ctx))
	open := func(file int, present []*client.Client, absent *client.Client) *api.PartOpening {
		t.Helper()
		round := tv.Parts[file-1].Round
		time.Sleep(time.Until(chain.TimeOf(round)) + 200*time.Millisecond)
		_, err := pokja[0].Evidence(ctx, id, file, 0)
		wantAPIError(t, "evidence before the start", err, 409, api.CodeWrongState)
		must(pokja[0].StartOpening(ctx, id, file))
		var kept []byte
		for i, c := range present {
			ct := must(c.Contribute(ctx, id, file, keys[c.UserID()], trusted.Log, kept))
			kept = ct.Checkpoint
			if i == 1 {
				_, err := c.CompleteOpening(ctx, id, file, false)
				wantAPIError(t, "a completion with two of three", err, 409, api.CodeWrongState, "at least 3")
			}
		}
		_, err = absent.CompleteOpening(ctx, id, file, false)
		wantAPIError(t, "a completion by an absent member", err, 403, api.CodeForbidden)
		return must(present[1].CompleteOpening(ctx, id, file, false))
	}
	op1 := open(1, pokja[:4], pokja[4])
	if op1.Opened != 3 || op1.Failed != 0 || len(op1.Offers) != 3 {
		t.Fatalf("File I: %+v", op1)
	}
	for _, o := range op1.Offers {
		if len(o.Contributors) != 4 {
			t.Errorf("File I of %s: contributors %v, want the four present", o.Bidder, o.Contributors)
		}
	}
	if _, err := pokja[0].StartOpening(ctx, id, 2); client.ErrorCode(err) != api.CodeWrongState {
		t.Errorf("File II started before the evaluation: %v", err)
	}

	// The evaluation: the third bidder fails; three approvals fix it.
	var results []api.BidderResult
	for i, b := range bidders {
		results = append(results, api.BidderResult{Bidder: b.UserID(), Passed: i != 2, Reasons: "evaluasi teknis"})
	}
	p := must(pokja[0].ProposeEvaluation(ctx, id, results))
	if p.Fixed || len(p.Approvals) != 1 {
		t.Errorf("proposal %+v", p)
	}
	must(pokja[1].ApproveEvaluation(ctx, id, p.Digest))
	tv = must(pokja[2].ApproveEvaluation(ctx, id, p.Digest))
	if tv.Evaluation == nil || len(tv.Evaluation.Passed) != 2 || len(tv.Evaluation.Failed) != 1 || tv.Evaluation.Failed[0] != bidders[2].UserID() {
		t.Fatalf("evaluation %+v", tv.Evaluation)
	}

	op2 := open(2, pokja[1:5], pokja[0])
	if op2.Opened != 2 || op2.Withheld != 1 {
		t.Fatalf("File II: %+v", op2)
	}
	for _, o := range op2.Offers {
		if (o.Outcome == api.OutcomeWithheld) != (o.Bidder == bidders[2].UserID()) {
			t.Errorf("File II of %s: %s", o.Bidder, o.Outcome)
		}
	}
	var price bytes.Buffer
	if _, err := pokja[0].FileDocument(ctx, id, 2, bidders[0].UserID(), &price, 1<<20); err != nil {
		t.Fatal(err)
	}
	if price.String() != texts[fmt.Sprint(bidders[0].UserID(), 2)] {
		t.Errorf("File II of the first bidder opened as %q", price.String())
	}
	if _, err := pokja[0].FileDocument(ctx, id, 2, bidders[2].UserID(), &price, 1<<20); client.ErrorCode(err) != api.CodeNotFound {
		t.Errorf("the failed bidder's File II: %v, want not found: it is never opened", err)
	}
	rep := must(anon.PartOpeningReport(ctx, id, 2))
	if r, err := audit.VerifyOpeningReport(rep, trusted.Report); err != nil || r.File != 2 {
		t.Errorf("File II's report: %v", err)
	}

	// Result, and the bundle verified offline.
	must(pokja[0].Result(ctx, id, bidders[0].UserID(), "Pemenang"))
	dir := t.TempDir()
	b := must(anon.Bundle(ctx, id, dir))
	res, err := audit.Verify(b, *trusted)
	if err != nil {
		t.Fatal(err)
	}
	if res.Withheld != 1 || res.Opened != 5 {
		t.Errorf("audit result %+v, want 5 opened, 1 withheld", res)
	}
}

// must panics on err: the test fails there, with the stack.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
