package demo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/client"
	"github.com/segel-lpse/segel/sealer"
)

// Tender is a tender announced by Setup and open for submission, with the
// people taking part in it, for tests that drive a server from outside
// (lpsed's crash tests kill and restart the server between calls).
type Tender struct {
	ID       string
	Deadline time.Time
	// Target is what offers must be sealed to.
	Target sealer.Target
	// Keys are the deployment's published keys (GET /v1/keys).
	Keys *audit.Trusted
	// Committee is the committee's key, presented at the opening.
	Committee *age.HybridIdentity
	Bidders   []*Bidder

	pokja   []*client.Client
	anon    *client.Client
	members []string
}

// Bidder is a verified provider registered for the tender.
type Bidder struct {
	ID string
	c  *client.Client
}

// Setup registers and verifies an admin, the officials and bidders
// providers at the server at url, and announces a tender whose submission
// window of the given length (more on a slow machine: see paced) starts
// now, with every bidder registered for it. Bidders' and officials' API
// tokens survive server restarts as long as the server's storage does.
func Setup(ctx context.Context, url string, bidders int, window time.Duration) (*Tender, error) {
	begin := time.Now()
	d, err := newRun(ctx, url, &http.Client{Timeout: time.Minute})
	if err != nil {
		return nil, err
	}
	admin, err := d.bootstrap(ctx)
	if err != nil {
		return nil, err
	}
	verifier, err := d.official(ctx, admin, "verifier", 1)
	if err != nil {
		return nil, err
	}
	pa, err := d.official(ctx, verifier, "pa-kpa", 10)
	if err != nil {
		return nil, err
	}
	t := &Tender{anon: d.anon}
	for i := range 3 {
		c, err := d.official(ctx, verifier, "pokja", 11+i)
		if err != nil {
			return nil, err
		}
		t.pokja = append(t.pokja, c)
		t.members = append(t.members, c.UserID())
	}
	for i := range bidders {
		c, err := d.provider(ctx, verifier, i)
		if err != nil {
			return nil, err
		}
		t.Bidders = append(t.Bidders, &Bidder{ID: c.UserID(), c: c})
	}
	t.ID = "T-SETUP-" + time.Now().UTC().Format("20060102-150405.000")
	t.ID = strings.ReplaceAll(t.ID, ".", "-")
	if err := pa.AssignCommittee(ctx, t.ID, t.members); err != nil {
		return nil, err
	}
	if t.Committee, err = age.GenerateHybridIdentity(); err != nil {
		return nil, err
	}
	doc, err := t.pokja[0].UploadDocument(ctx, strings.NewReader("Dokumen Pemilihan "+t.ID))
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC().Truncate(time.Second)
	t.Deadline = now.Add(paced(window, begin))
	_, err = t.pokja[0].Announce(ctx, api.Announcement{
		ID: t.ID, Title: "Tender " + t.ID, Document: doc, CommitteeKey: t.Committee.Recipient().String(),
		Schedule: api.Schedule{
			RegistrationEnd: t.Deadline, ClarificationEnd: t.Deadline, SubmissionStart: now,
			Deadline: t.Deadline, Opening: t.Deadline.Add(2 * time.Second),
		},
	})
	if err != nil {
		return nil, err
	}
	for _, b := range t.Bidders {
		if err := b.c.RegisterForTender(ctx, t.ID); err != nil {
			return nil, err
		}
	}
	if t.Keys, err = t.anon.Keys(ctx); err != nil {
		return nil, err
	}
	if t.Target, err = t.anon.Target(ctx, t.ID); err != nil {
		return nil, err
	}
	return t, nil
}

// Token is the bidder's API token, for tools that take one (segel submit).
func (b *Bidder) Token() string { return b.c.Token() }

// Submit posts a sealed offer and returns the signed receipt, unverified.
func (b *Bidder) Submit(ctx context.Context, tenderID string, sealed []byte) ([]byte, error) {
	rc, err := b.c.SubmitOffer(ctx, tenderID, bytes.NewReader(sealed))
	if err != nil {
		return nil, err
	}
	return []byte(rc.Receipt), nil
}

// Close closes submission (after the deadline) and returns the number of
// offers current at closing.
func (t *Tender) Close(ctx context.Context) (int, error) {
	tn, err := t.pokja[0].Close(ctx, t.ID)
	if err != nil {
		return 0, err
	}
	if tn.Offers == nil {
		return 0, errors.New("demo: closing answered without an offer count")
	}
	return *tn.Offers, nil
}

// Open waits for the opening round and runs the opening ceremony.
func (t *Tender) Open(ctx context.Context) (opened, failed int, err error) {
	if err := sleepUntil(ctx, t.Target.Chain.TimeOf(t.Target.Round).Add(200*time.Millisecond)); err != nil {
		return 0, 0, err
	}
	op, err := t.pokja[0].Open(ctx, t.ID, t.Committee, t.members)
	if err != nil {
		return 0, 0, err
	}
	return op.Opened, op.Failed, nil
}

// Bundle fetches the audit bundle of the opened tender into dir, a new
// directory, and reads it back (unverified: call audit.Verify).
func (t *Tender) Bundle(ctx context.Context, dir string) (*audit.Bundle, error) {
	return t.anon.Bundle(ctx, t.ID, dir)
}

// Document returns the opened offer document of bidder, as the committee
// reads it.
func (t *Tender) Document(ctx context.Context, bidder string) ([]byte, error) {
	var plain bytes.Buffer
	_, err := t.pokja[1].OfferDocument(ctx, t.ID, bidder, &plain, 64<<20)
	return plain.Bytes(), err
}

// Seal seals document to the tender's target.
func (t *Tender) Seal(document string) ([]byte, error) {
	var file bytes.Buffer
	if _, err := sealer.Seal(&file, strings.NewReader(document), t.Target); err != nil {
		return nil, fmt.Errorf("demo: sealing: %w", err)
	}
	return file.Bytes(), nil
}

// WaitReady polls url's /healthz until it answers 200 or ctx ends. lpsed
// listens only once its deployment is built, so that is enough to serve.
// (/readyz would be the better probe, but it answers 503 while the probe
// record is absent: it compares a wrapped vault.ErrNotFound with ==.)
func WaitReady(ctx context.Context, url string) error {
	return client.New(url, client.WithHTTPClient(&http.Client{Timeout: 2 * time.Second})).WaitReady(ctx)
}

// People are verified accounts at a server, for tools that drive a v2
// tender from outside (segel's testscripts): n pokja members assigned as
// the committee of tender ID, and providers; no member has a key and
// nothing is announced: the tools do that.
type People struct {
	ID      string   // the tender id the committee is assigned to
	Pokja   []Person // the committee, in the order made
	Bidders []Person
}

// Person is an account and its API token.
type Person struct {
	ID, Token string
}

// SetupPeople registers and verifies at the server at url an admin, a
// verifier, a PA/KPA, n pokja members and bidders providers, and has the
// PA/KPA assign the pokja members as the committee of tender id.
func SetupPeople(ctx context.Context, url, id string, n, bidders int) (*People, error) {
	d, err := newRun(ctx, url, &http.Client{Timeout: time.Minute})
	if err != nil {
		return nil, err
	}
	admin, err := d.bootstrap(ctx)
	if err != nil {
		return nil, err
	}
	verifier, err := d.official(ctx, admin, "verifier", 1)
	if err != nil {
		return nil, err
	}
	pa, err := d.official(ctx, verifier, "pa-kpa", 10)
	if err != nil {
		return nil, err
	}
	p := &People{ID: id}
	var members []string
	for i := range n {
		c, err := d.official(ctx, verifier, "pokja", 11+i)
		if err != nil {
			return nil, err
		}
		p.Pokja = append(p.Pokja, Person{ID: c.UserID(), Token: c.Token()})
		members = append(members, c.UserID())
	}
	for i := range bidders {
		c, err := d.provider(ctx, verifier, i)
		if err != nil {
			return nil, err
		}
		p.Bidders = append(p.Bidders, Person{ID: c.UserID(), Token: c.Token()})
	}
	if err := pa.AssignCommittee(ctx, id, members); err != nil {
		return nil, err
	}
	return p, nil
}

// paced returns the submission window to announce: window, or twice what
// the setup since begin took if that is longer. Submitting every offer
// costs about what registering every account did, so a machine slowed by
// load (a CI run beside other jobs, -race) still submits them all before
// the deadline; on a quiet machine the window is as asked.
func paced(window time.Duration, begin time.Time) time.Duration {
	return max(window, 2*time.Since(begin).Round(time.Second))
}
