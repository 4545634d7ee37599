package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/client"
	"github.com/segel-lpse/segel/member"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/server"
	"github.com/segel-lpse/segel/vault"
	"golang.org/x/mod/sumdb/tlog"
)

// TestOpeningV2Refusals runs a single-file tender with a 2-of-3 committee
// of members' own keys through the routes, on both backends, and checks
// the refusals of doc/spec/opening.md §4 as the API's codes: the v1
// ceremony (members-open), a batch for another member, a contribution
// computed from another file's header (other-offer), a completion short
// of k contributions (too-few-contributions, naming the file and who has
// not answered); and that nothing accepted before a refusal is lost: the
// completion with accept_failures opens the file that has k contributions
// and fails the other, with a witness report naming the committee.
func TestOpeningV2Refusals(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a beacon round")
	}
	backends(t, func(t *testing.T, b vault.Backend) {
		ctx := context.Background()
		f := newFixture(t, b, server.Config{})
		chain := f.s.Beacon.Chain()
		pinned, err := client.New(f.url, client.WithHTTPClient(f.hc)).Keys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		login := func(name string) *client.Client {
			t.Helper()
			c, err := client.New(f.url, client.WithHTTPClient(f.hc), client.WithChain(chain), client.WithLogKey(pinned.Log)).Login(ctx, name+"@lpse.test.go.id", testPassword)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		names := []string{"pokja", "pokja2", "pokja3"}
		members := map[string]*client.Client{}
		keys := map[string]*age.HybridIdentity{}
		for _, n := range names {
			members[n] = login(n)
			keys[n], _ = age.GenerateHybridIdentity()
			if _, err := members[n].RegisterMemberKey(ctx, keys[n]); err != nil {
				t.Fatal(err)
			}
		}
		const id = "T-V2-REFUSALS"
		f.mustJSON("pa-kpa", "POST", "/v1/committees/"+id, map[string]any{"members": f.ids(names...)}, nil)
		a := f.announcement(id, time.Now().Add(10*time.Second), keys["pokja"].Recipient())
		a["method"], a["threshold"] = "single-file", 2
		status, body := f.do("pokja", "POST", "/v1/tenders", "application/json", mustMarshal(t, a))
		if status != 400 || !bytes.Contains(body, []byte("not both")) {
			t.Errorf("committee_key with method: %d %s", status, body)
		}
		delete(a, "committee_key")
		var tv api.Tender
		f.mustJSON("pokja", "POST", "/v1/tenders", a, &tv)
		if tv.Method != api.MethodSingleFile || tv.Threshold != 2 || len(tv.Members) != 3 || tv.Parts[0].State != api.PartStateOpen {
			t.Fatalf("announced %+v", tv)
		}
		bidders := map[string]*client.Client{}
		for _, p := range []string{"provider", "provider2"} {
			f.mustJSON(p, "POST", "/v1/tenders/"+id+"/participants", nil, nil)
			bidders[p] = login(p)
			target, err := bidders[p].FileTarget(ctx, id, 1)
			if err != nil {
				t.Fatal(err)
			}
			var sealed bytes.Buffer
			if _, err := sealer.Seal(&sealed, strings.NewReader("penawaran "+p), target); err != nil {
				t.Fatal(err)
			}
			if _, err := bidders[p].SubmitFile(ctx, id, 1, &sealed); err != nil {
				t.Fatal(err)
			}
		}

		status, body = f.do("pokja", "POST", "/v1/tenders/"+id+"/open", "application/json",
			mustMarshal(t, api.OpenRequest{Identity: keys["pokja"].String(), Witnesses: f.ids(names...)}))
		wantCode(t, "the v1 ceremony", status, body, 409, api.CodeMembersOpen)

		time.Sleep(time.Until(chain.TimeOf(tv.Parts[0].Round)) + 200*time.Millisecond)
		if _, err := members["pokja"].StartOpening(ctx, id, 1); err != nil {
			t.Fatal(err)
		}
		// pokja contributes to both files; pokja2 claims provider2's wrap
		// does not open.
		trusted, err := client.New(f.url, client.WithHTTPClient(f.hc)).Keys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := members["pokja"].Contribute(ctx, id, 1, keys["pokja"], trusted.Log, nil); err != nil {
			t.Fatal(err)
		}
		answers, tm := f.answers(ctx, members["pokja2"], id, keys["pokja2"], trusted)
		p2 := f.users["provider2"].id
		for i := range answers {
			if answerBidder(t, members["pokja2"], id, answers[i].Index) == p2 {
				answers[i] = member.Answer{Index: answers[i].Index, Claim: audit.AnswerClaimedKey}
			}
		}
		me2 := tm.Committee.Index(keys["pokja2"].Recipient())
		batch := func(m int, as []member.Answer) []byte {
			text, err := (&member.Batch{Tender: id, File: 1, Member: m, Answers: as}).Marshal()
			if err != nil {
				t.Fatal(err)
			}
			return text
		}
		claims := []member.Answer{{Index: answers[0].Index, Claim: audit.AnswerClaimedShare}}
		status, body = f.do("pokja2", "POST", "/v1/tenders/"+id+"/files/1/contributions", "text/plain", batch(me2%3+1, claims))
		wantCode(t, "a batch for another member", status, body, 400, api.CodeInvalid)
		f.mustDo("pokja2", "POST", "/v1/tenders/"+id+"/files/1/contributions", "text/plain", batch(me2, answers), nil)

		// pokja3's contributions, each sent as the other file's.
		answers3, tm3 := f.answers(ctx, members["pokja3"], id, keys["pokja3"], trusted)
		swapped := []member.Answer{{Index: answers3[0].Index, Contribution: answers3[1].Contribution},
			{Index: answers3[1].Index, Contribution: answers3[0].Contribution}}
		status, body = f.do("pokja3", "POST", "/v1/tenders/"+id+"/files/1/contributions", "text/plain",
			batch(tm3.Committee.Index(keys["pokja3"].Recipient()), swapped))
		wantCode(t, "contributions computed from other headers", status, body, 422, api.CodeOtherOffer)

		status, body = f.do("pokja", "POST", "/v1/tenders/"+id+"/files/1/complete", "application/json", []byte(`{}`))
		wantCode(t, "a completion short of k", status, body, 409, api.CodeTooFewContributions)
		if !bytes.Contains(body, []byte(p2)) || !bytes.Contains(body, []byte(f.users["pokja3"].id)) {
			t.Errorf("the refusal does not name the file's bidder and the member who has not answered: %s", body)
		}
		// Failing provider2's file is the committee's decision: k = 2 of the
		// members who sent a batch must ask for it, pokja2 alone cannot.
		status, body = f.do("pokja2", "POST", "/v1/tenders/"+id+"/files/1/complete", "application/json",
			mustMarshal(t, api.CompleteRequest{AcceptFailures: true}))
		wantCode(t, "failures accepted by one member", status, body, 409, api.CodeWrongState)
		var op api.PartOpening
		f.mustJSON("pokja", "POST", "/v1/tenders/"+id+"/files/1/complete", api.CompleteRequest{AcceptFailures: true}, &op)
		if op.Opened != 1 || op.Failed != 1 {
			t.Fatalf("completion %+v, want provider's file opened (two contributions kept) and provider2's failed", op)
		}
		status, body = f.do("", "GET", "/v1/tenders/"+id+"/files/1/witness/"+p2, "", nil)
		if status != 200 {
			t.Fatalf("witness report: %d %s", status, body)
		}
		w, err := audit.VerifyWitnessReport(body, trusted.Report)
		if err != nil || w.Step != audit.StepContributions || w.Fault != audit.FaultCommittee {
			t.Errorf("witness report %+v, %v: want step contributions, fault committee", w, err)
		}
		var after api.Tender
		f.mustJSON("", "GET", "/v1/tenders/"+id, nil, &after)
		if after.State != api.StateOpened || after.Parts[0].State != api.PartStateOpened || after.Parts[0].OpeningReport.IsZero() {
			t.Errorf("after the completion: %+v", after)
		}
	})
}

// answers is a member's tool's computation without the sending: the
// evidence verified, the answers computed with key.
func (f *fixture) answers(ctx context.Context, c *client.Client, id string, key *age.HybridIdentity, trusted *audit.Trusted) ([]member.Answer, *member.Tender) {
	f.t.Helper()
	ev, err := c.Evidence(ctx, id, 1, 0)
	if err != nil {
		f.t.Fatal(err)
	}
	mev := member.Evidence{Checkpoint: []byte(ev.Checkpoint)}
	for _, le := range ev.Entries {
		proof := make([]tlog.Hash, len(le.Inclusion))
		for i, h := range le.Inclusion {
			proof[i] = tlog.Hash(h)
		}
		mev.Entries = append(mev.Entries, audit.LogEntry{Index: le.Index, Data: []byte(le.Data), Inclusion: proof})
	}
	tm, err := member.Verify(mev, id, trusted.Log, f.s.Beacon.Chain())
	if err != nil {
		f.t.Fatal(err)
	}
	var hs []member.Header
	for _, h := range ev.Headers {
		hs = append(hs, member.Header{Bidder: h.Bidder, File: h.File, Index: h.Index, Header: []byte(h.Header)})
	}
	answers, err := tm.Answers(1, hs, key)
	if err != nil {
		f.t.Fatal(err)
	}
	return answers, tm
}

func answerBidder(t *testing.T, c *client.Client, id string, index int64) string {
	t.Helper()
	ev, err := c.Evidence(context.Background(), id, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range ev.Headers {
		if h.Index == index {
			return h.Bidder
		}
	}
	t.Fatalf("no header of entry %d", index)
	return ""
}

func wantCode(t *testing.T, what string, status int, body []byte, wantStatus int, code api.Code) {
	t.Helper()
	var e api.Error
	if status != wantStatus || json.Unmarshal(body, &e) != nil || e.Code != code {
		t.Errorf("%s: %d %s, want %d %s", what, status, body, wantStatus, code)
	}
}
