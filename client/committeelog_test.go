package client_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/client"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/timelock"
)

// TestFileTargetRefusesServersCommittee checks opening.md §2.2: a bidder's
// tool seals a v2 tender's file part to the committee and the round the
// log names, verified with the pinned log key, not to what GET
// /v1/tenders/{t} says. A server that names a committee of its own keys,
// with its canonical text, digest, id and members all consistent, or that
// moves a part's opening and round together (both pass the pinned chain's
// checks), is refused; so is a client with no log key pinned.
func TestFileTargetRefusesServersCommittee(t *testing.T) {
	ctx := context.Background()
	real := startServer(t)
	chain := must(client.New(real.URL).Chain(ctx))
	pinned := must(client.New(real.URL).Keys(ctx))
	anon := client.New(real.URL, client.WithChain(chain), client.WithLogKey(pinned.Log))
	boot := official("admin", 0)
	if _, err := anon.Bootstrap(ctx, boot); err != nil {
		t.Fatal(err)
	}
	admin := must(anon.Login(ctx, boot.Email, password))
	verifier := must(enrol(ctx, anon, admin, official("verifier", 1)))
	pa := must(enrol(ctx, anon, verifier, official("pa-kpa", 2)))
	var ids []string
	for i := range 3 {
		c := must(enrol(ctx, anon, verifier, official("pokja", 4+i)))
		key, _ := age.GenerateHybridIdentity()
		must(c.RegisterMemberKey(ctx, key))
		ids = append(ids, c.UserID())
	}
	announcer := must(anon.Login(ctx, official("pokja", 4).Email, password))
	bidder := must(enrol(ctx, anon, verifier, provider(0)))
	const id = "T-LOG-COMMITTEE"
	if err := pa.AssignCommittee(ctx, id, ids); err != nil {
		t.Fatal(err)
	}
	doc := must(announcer.UploadDocument(ctx, strings.NewReader("Dokumen pemilihan")))
	now := time.Now().UTC().Truncate(time.Second)
	deadline := now.Add(time.Hour)
	must(announcer.Announce(ctx, api.Announcement{ID: id, Title: "Satu File", Document: doc, Method: api.MethodSingleFile,
		Members: ids, Threshold: 2,
		Schedule: api.Schedule{RegistrationEnd: deadline, ClarificationEnd: deadline, SubmissionStart: now, Deadline: deadline,
			Opening: deadline.Add(time.Second)}}))
	if err := bidder.RegisterForTender(ctx, id); err != nil {
		t.Fatal(err)
	}
	token := bidder.Token()

	// The server's own committee: three keys it holds, 2 of 3.
	var theirs []*age.HybridRecipient
	for range 3 {
		k, _ := age.GenerateHybridIdentity()
		theirs = append(theirs, k.Recipient())
	}
	own, err := sealer.NewCommittee(2, theirs)
	if err != nil {
		t.Fatal(err)
	}
	ownText, _ := own.MarshalText()
	swap := func(tn *api.Tender) {
		tn.CommitteeText, tn.CommitteeDigest, tn.CommitteeKeyID = string(ownText), api.Digest(sha256.Sum256(ownText)), own.ID()
		for i, r := range own.Members() {
			tn.Members[i].Recipient = r.String()
		}
	}
	later := func(tn *api.Tender) {
		p := &tn.Parts[0]
		p.Opening = p.Opening.Add(time.Hour)
		p.Round = chain.RoundAt(p.Opening)
		p.RoundTime = chain.TimeOf(p.Round)
		tn.Schedule.Opening, tn.Round, tn.RoundTime = p.Opening, p.Round, p.RoundTime
	}
	as := func(url string, opts ...client.Option) *client.Client {
		return client.New(url, append([]client.Option{client.WithChain(chain), client.WithToken(token)}, opts...)...)
	}

	// The honest answer, through the same proxy, is the log's.
	honest := must(as(liar(t, real, timelock.Chain{}, func(*api.Tender) {}).URL, client.WithLogKey(pinned.Log)).FileTarget(ctx, id, 1))
	lg := must(anon.TenderLog(ctx, id))
	if lg.Tender != id || len(lg.Entries) == 0 || !strings.Contains(lg.Checkpoint, "\n\n") {
		t.Errorf("TenderLog = %+v", lg)
	}
	if honest.Members == nil || honest.Members.Threshold() != 2 || len(honest.Members.Members()) != 3 {
		t.Fatalf("honest FileTarget = %+v", honest)
	}

	for _, tt := range []struct {
		name string
		lie  func(*api.Tender)
		opts []client.Option
		want []string
	}{
		{"the server's own committee", swap, []client.Option{client.WithLogKey(pinned.Log)},
			[]string{"names committee " + own.ID(), "its log", "names committee " + honest.Members.ID(), "do not seal"}},
		{"a later opening and round", later, []client.Option{client.WithLogKey(pinned.Log)},
			[]string{"names round " + itoa(honest.Round+uint64(time.Hour/chain.Period())), "names round " + itoa(honest.Round)}},
		{"another log key", func(*api.Tender) {}, []client.Option{client.WithLogKey(pinned.Receipt)},
			[]string{"does not verify against the pinned log key"}},
		{"no log key", func(*api.Tender) {}, nil,
			[]string{"log key is not pinned", "WithLogKey", "--trusted"}},
	} {
		_, err := as(liar(t, real, timelock.Chain{}, tt.lie).URL, tt.opts...).FileTarget(ctx, id, 1)
		if !errors.Is(err, client.ErrUnsafeTarget) {
			t.Errorf("%s: FileTarget = %v, want ErrUnsafeTarget", tt.name, err)
			continue
		}
		for _, s := range tt.want {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: %v\ndoes not say %q", tt.name, err, s)
			}
		}
	}

	// Once a bidder has submitted, the public log still names no bidder
	// and no file before the opening (ocds.md §4): only the announcement's
	// entries, which are all the check above needs.
	var sealed bytes.Buffer
	if _, err := sealer.Seal(&sealed, strings.NewReader("Penawaran: Rp 1.234.000.000"), honest); err != nil {
		t.Fatal(err)
	}
	receipt := must(as(real.URL, client.WithLogKey(pinned.Log)).SubmitFile(ctx, id, 1, &sealed))
	after := must(anon.TenderLog(ctx, id))
	if len(after.Entries) != len(lg.Entries) {
		t.Errorf("the public log of %s has %d entries after a submission, %d before: a file's entry is shown before the opening",
			id, len(after.Entries), len(lg.Entries))
	}
	for _, le := range after.Entries {
		if text := le.Data; strings.Contains(text, bidder.UserID()) || strings.Contains(text, receipt.SHA256.String()) {
			t.Errorf("the public log names the bidder or its file before the opening:\n%s", text)
		}
	}
	must(as(real.URL, client.WithLogKey(pinned.Log)).FileTarget(ctx, id, 1)) // still enough for the check
}
