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
	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/tender"
	"github.com/segel-lpse/segel/timelock"
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

	pokja   []*userClient
	anon    *client
	members []string
}

// Bidder is a verified provider registered for the tender.
type Bidder struct {
	ID string
	c  *userClient
}

// Setup registers and verifies an admin, the officials and bidders
// providers at the server at url, and announces a tender whose submission
// window of the given length starts now, with every bidder registered for
// it. Bidders' and officials' API tokens survive server restarts as long
// as the server's storage does.
func Setup(ctx context.Context, url string, bidders int, window time.Duration) (*Tender, error) {
	d := &run{cfg: Config{URL: url}, hc: &http.Client{Timeout: time.Minute}}
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
	t := &Tender{anon: d.client("")}
	for i := range 3 {
		c, err := d.official(ctx, verifier, "pokja", 11+i)
		if err != nil {
			return nil, err
		}
		t.pokja = append(t.pokja, c)
		t.members = append(t.members, c.user)
	}
	for i := range bidders {
		c, err := d.provider(ctx, verifier, i)
		if err != nil {
			return nil, err
		}
		t.Bidders = append(t.Bidders, &Bidder{ID: c.user, c: c})
	}
	t.ID = "T-SETUP-" + time.Now().UTC().Format("20060102-150405.000")
	t.ID = strings.ReplaceAll(t.ID, ".", "-")
	if err := pa.postJSON(ctx, "/v1/committees/"+t.ID, map[string]any{"members": t.members}, nil); err != nil {
		return nil, err
	}
	if t.Committee, err = age.GenerateHybridIdentity(); err != nil {
		return nil, err
	}
	var doc struct{ SHA256 string }
	err = t.pokja[0].do(ctx, "POST", "/v1/documents", "application/octet-stream", strings.NewReader("Dokumen Pemilihan "+t.ID), &doc)
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC().Truncate(time.Second)
	t.Deadline = now.Add(window)
	sched := tender.Schedule{
		RegistrationEnd: t.Deadline, ClarificationEnd: t.Deadline, SubmissionStart: now,
		Deadline: t.Deadline, Opening: t.Deadline.Add(2 * time.Second),
	}
	var tn tenderView
	err = t.pokja[0].postJSON(ctx, "/v1/tenders", map[string]any{
		"id": t.ID, "title": "Tender " + t.ID, "document": doc.SHA256,
		"committee_key": t.Committee.Recipient().String(), "schedule": sched,
	}, &tn)
	if err != nil {
		return nil, err
	}
	for _, b := range t.Bidders {
		if err := b.c.postJSON(ctx, "/v1/tenders/"+t.ID+"/participants", nil, nil); err != nil {
			return nil, err
		}
	}
	var chainInfo, keysText []byte
	if err := t.anon.get(ctx, "/v1/chain", &chainInfo); err != nil {
		return nil, err
	}
	chain, err := timelock.ParseChainInfo(chainInfo)
	if err != nil {
		return nil, err
	}
	if err := t.anon.get(ctx, "/v1/keys", &keysText); err != nil {
		return nil, err
	}
	if t.Keys, err = audit.ParseTrusted(keysText); err != nil {
		return nil, err
	}
	t.Target = sealer.Target{Chain: chain, Round: tn.Round, Committee: t.Committee.Recipient()}
	return t, nil
}

// Submit posts a sealed offer and returns the signed receipt, unverified.
func (b *Bidder) Submit(ctx context.Context, tenderID string, sealed []byte) ([]byte, error) {
	var rc struct{ Receipt string }
	if err := b.c.do(ctx, "POST", "/v1/tenders/"+tenderID+"/offers", "application/octet-stream", bytes.NewReader(sealed), &rc); err != nil {
		return nil, err
	}
	return []byte(rc.Receipt), nil
}

// Close closes submission (after the deadline) and returns the number of
// offers current at closing.
func (t *Tender) Close(ctx context.Context) (int, error) {
	var tn tenderView
	if err := t.pokja[0].postJSON(ctx, "/v1/tenders/"+t.ID+"/close", nil, &tn); err != nil {
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
	var res struct{ Opened, Failed int }
	req := map[string]any{"identity": t.Committee.String(), "witnesses": t.members}
	if err := t.pokja[0].postJSON(ctx, "/v1/tenders/"+t.ID+"/open", req, &res); err != nil {
		return 0, 0, err
	}
	return res.Opened, res.Failed, nil
}

// Bundle fetches the audit bundle of the opened tender into dir, a new
// directory, and reads it back (unverified: call audit.Verify).
func (t *Tender) Bundle(ctx context.Context, dir string) (*audit.Bundle, error) {
	var tarball bytes.Buffer
	if err := t.anon.get(ctx, "/v1/tenders/"+t.ID+"/bundle", &tarball); err != nil {
		return nil, err
	}
	if err := untar(&tarball, dir); err != nil {
		return nil, err
	}
	return audit.ReadDir(dir)
}

// Document returns the opened offer document of bidder, as the committee
// reads it.
func (t *Tender) Document(ctx context.Context, bidder string) ([]byte, error) {
	var plain []byte
	err := t.pokja[1].get(ctx, "/v1/tenders/"+t.ID+"/offers/"+bidder+"/document", &plain)
	return plain, err
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
	c := &http.Client{Timeout: 2 * time.Second}
	for {
		req, err := http.NewRequestWithContext(ctx, "GET", url+"/healthz", nil)
		if err != nil {
			return err
		}
		resp, err := c.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("demo: %s not ready: %w (last error: %v)", url, ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
