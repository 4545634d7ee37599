// Package demo runs a whole tender against a Segel server through its
// HTTP API, as the people of an LPSE would: registration and
// verification, committee assignment, announcement, questions, a dozen
// sealed offers (one deliberately broken), closing, the opening
// ceremony, the witness report, the result and the award; then it fetches
// the audit bundle and verifies it offline against the published keys.
// lpsed demo and the server's tests run it.
package demo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/client"
	"github.com/segel-lpse/segel/sealer"
)

// Config configures Run.
type Config struct {
	// URL is the server's base URL, such as "http://127.0.0.1:8080".
	URL string
	// Out receives the narration; nothing if nil.
	Out io.Writer
	// BundleDir, if set, receives the tender's audit bundle (a new or
	// empty directory), ready for segel verify.
	BundleDir string
	// Bidders is the number of providers making offers; 12 if zero.
	Bidders int
	// Window is the submission window; 6 s if zero.
	Window time.Duration
}

// Result summarises a finished demo.
type Result struct {
	Tender         string
	Offers, Opened int
	Failed         int
	Verified       *audit.Result
}

const password = "rahasia-demo-segel-2026"

// Password is every demo account's password: lpsed demo --keep prints it
// for signing in to the web portal.
const Password = password

// An Account is a demo account that signs in to the portal.
type Account struct{ Email, Role string }

// Accounts are some of the accounts Run makes, one per kind of person.
var Accounts = []Account{
	{"admin@lpse.demo.go.id", "admin (LPSE)"},
	{"verifier1@pemkot.demo.go.id", "verifier (LPSE)"},
	{"pa-kpa10@pemkot.demo.go.id", "PA/KPA"},
	{"pokja11@pemkot.demo.go.id", "Pokja"},
	{"ppk14@pemkot.demo.go.id", "PPK"},
	{"direktur@cv-contoh-0.demo.co.id", "provider (penyedia)"},
}

// NIKs valid under doc/spec/registry.md §4.2, one per account.
func nik(i int) string {
	return fmt.Sprintf("3171%02d1203850%03d", 1+i%90, 1+i)
}

// Run runs the demo tender.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Bidders == 0 {
		cfg.Bidders = 12
	}
	if cfg.Window == 0 {
		cfg.Window = 6 * time.Second
	}
	out := cfg.Out
	if out == nil {
		out = io.Discard
	}
	say := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }
	d, err := newRun(ctx, cfg.URL, &http.Client{Timeout: time.Minute})
	if err != nil {
		return nil, err
	}
	anon := d.anon

	// 1. Accounts: the first admin, staff, officials, providers.
	admin, err := d.bootstrap(ctx)
	if err != nil {
		return nil, err
	}
	verifier, err := d.official(ctx, admin, "verifier", 1)
	if err != nil {
		return nil, err
	}
	officials := map[string]*client.Client{}
	for i, role := range []api.Role{api.RolePAKPA, api.RolePokja, api.RolePokja, api.RolePokja, api.RolePPK} {
		c, err := d.official(ctx, verifier, role, 10+i)
		if err != nil {
			return nil, err
		}
		officials[fmt.Sprintf("%s-%d", role, i)] = c
	}
	pa, ppk := officials["pa-kpa-0"], officials["ppk-4"]
	pokja := []*client.Client{officials["pokja-1"], officials["pokja-2"], officials["pokja-3"]}
	var bidders []*client.Client
	for i := range cfg.Bidders {
		c, err := d.provider(ctx, verifier, i)
		if err != nil {
			return nil, err
		}
		bidders = append(bidders, c)
	}
	say("registered and verified: 1 admin, 1 verifier, 1 PA/KPA, 3 pokja, 1 PPK, %d providers", len(bidders))

	// 2. Committee, its key (made on the committee's own machine), the tender.
	id := "T-DEMO-" + time.Now().UTC().Format("20060102-150405")
	members := []string{pokja[0].UserID(), pokja[1].UserID(), pokja[2].UserID()}
	if err := pa.AssignCommittee(ctx, id, members); err != nil {
		return nil, err
	}
	committee, err := age.GenerateHybridIdentity()
	if err != nil {
		return nil, err
	}
	doc, err := pokja[0].UploadDocument(ctx, strings.NewReader("Dokumen Pemilihan: Rehabilitasi Jembatan Kali Code, HPS Rp 2.500.000.000"))
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC().Truncate(time.Second)
	deadline := now.Add(cfg.Window)
	sched := api.Schedule{
		RegistrationEnd: deadline, ClarificationEnd: deadline, SubmissionStart: now,
		Deadline: deadline, Opening: deadline.Add(2 * time.Second), ObjectionDays: 0,
	}
	tn, err := pokja[0].Announce(ctx, api.Announcement{
		ID: id, Title: "Rehabilitasi Jembatan Kali Code", Document: doc,
		CommitteeKey: committee.Recipient().String(), Schedule: sched,
	})
	if err != nil {
		return nil, err
	}
	say("tender %s announced: deadline %s, opening %s = beacon round %d", id,
		deadline.Format(time.TimeOnly), sched.Opening.Format(time.TimeOnly), tn.Round)

	// 3. Bidders register, one asks a question, the committee answers.
	for _, b := range bidders {
		if err := b.RegisterForTender(ctx, id); err != nil {
			return nil, err
		}
	}
	q, err := bidders[0].Ask(ctx, id, api.Question, "Apakah jaminan penawaran wajib?")
	if err != nil {
		return nil, err
	}
	if _, err := pokja[1].Reply(ctx, id, api.Question, q.Document, "Tidak, untuk nilai di bawah Rp 10 miliar."); err != nil {
		return nil, err
	}

	// 4. Every bidder seals on their own machine and submits. Target
	// checks the tender against the pinned chain: its chain, its round
	// (RoundAt(opening)), an opening after the deadline, a future round.
	target, err := anon.Target(ctx, id)
	if err != nil {
		return nil, err
	}
	if target.Committee.String() != committee.Recipient().String() {
		return nil, errors.New("demo: the tender names another committee key than the committee made")
	}
	chain := target.Chain
	keys, err := anon.Keys(ctx)
	if err != nil {
		return nil, err
	}
	broken := len(bidders) / 2
	for i, b := range bidders {
		var file bytes.Buffer
		juta := 2100 + 37*i // millions of rupiah, written with Indonesian thousands separators
		offer := fmt.Sprintf("Penawaran %s: harga Rp %d.%03d.000.000, masa pelaksanaan 120 hari", b.UserID(), juta/1000, juta%1000)
		if _, err := sealer.Seal(&file, strings.NewReader(offer), target); err != nil {
			return nil, err
		}
		sealed := file.Bytes()
		if i == broken {
			// Damaged after sealing (a faulty upload tool, say): the header
			// still passes every check, the payload will not open.
			sealed[len(sealed)-3] ^= 0x40
		}
		rc, err := b.SubmitOffer(ctx, id, bytes.NewReader(sealed))
		if err != nil {
			return nil, err
		}
		if _, err := auditlog.VerifyReceipt([]byte(rc.Receipt), keys.Receipt); err != nil {
			return nil, fmt.Errorf("demo: receipt of %s does not verify: %w", b.UserID(), err)
		}
		proof, err := anon.ProofFile(ctx, []byte(rc.Receipt))
		if err != nil {
			return nil, err
		}
		if _, _, err := auditlog.VerifyProofFile(proof, auditlog.Keys{Log: keys.Log, Receipt: keys.Receipt}); err != nil {
			return nil, fmt.Errorf("demo: proof file of %s does not verify: %w", b.UserID(), err)
		}
	}
	say("%d sealed offers submitted, each with a signed receipt and a proof file that verify offline (offer %d damaged on purpose)", len(bidders), broken+1)

	// 5. Closing and opening.
	if err := sleepUntil(ctx, deadline.Add(500*time.Millisecond)); err != nil {
		return nil, err
	}
	if tn, err = pokja[0].Close(ctx, id); err != nil {
		return nil, err
	}
	say("submission closed with %d offers", *tn.Offers)

	// Too early: closed, but the round's signature does not exist yet, so
	// nobody can open, whatever anyone's clock says.
	_, err = pokja[0].Open(ctx, id, committee, members)
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.Code != api.CodeTooEarly {
		return nil, fmt.Errorf("demo: opening before the round: got %v, want too-early", err)
	}
	say("committee tries to open before round %d: refused (%s)", tn.Round, ae.Message)
	if err := sleepUntil(ctx, chain.TimeOf(tn.Round).Add(200*time.Millisecond)); err != nil {
		return nil, err
	}
	opening, err := pokja[0].Open(ctx, id, committee, members)
	if err != nil {
		return nil, err
	}
	say("opened at round %d: %d offers opened, %d failed", tn.Round, opening.Opened, opening.Failed)
	witness, err := anon.Witness(ctx, id, bidders[broken].UserID())
	if err != nil {
		return nil, err
	}
	w, err := audit.VerifyWitnessReport(witness, keys.Report)
	if err != nil {
		return nil, err
	}
	say("witness report for %s: step %s, fault lies with the %s", w.Bidder, w.Step, w.Fault)
	var plain bytes.Buffer
	if _, err := pokja[1].OfferDocument(ctx, id, bidders[0].UserID(), &plain, 1<<20); err != nil {
		return nil, err
	}
	say("committee reads %s's offer: %q", bidders[0].UserID(), plain.String())

	// 6. Result and award.
	winner := bidders[0].UserID()
	if _, err := pokja[0].Result(ctx, id, winner, "Pemenang: "+winner); err != nil {
		return nil, err
	}
	if tn, err = ppk.Award(ctx, id, "SPPBJ nomor 027/DEMO"); err != nil {
		return nil, err
	}
	say("result announced and contract awarded to %s (tender state: %s)", winner, tn.State)

	// 7. The audit bundle, verified offline against the published keys.
	dir := cfg.BundleDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "segel-demo-bundle-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		dir = filepath.Join(tmp, "bundle")
	}
	b, err := anon.Bundle(ctx, id, dir)
	if err != nil {
		return nil, err
	}
	res, err := audit.Verify(b, *keys)
	if err != nil {
		return nil, fmt.Errorf("demo: the audit bundle does not verify: %w", err)
	}
	say("audit bundle in %s verifies offline: %d entries, %d checkpoints, %d receipts, %d opened, %d failed",
		dir, res.Entries, res.Checkpoints, res.Receipts, res.Opened, res.Failed)
	return &Result{Tender: id, Offers: res.Offers, Opened: res.Opened, Failed: res.Failed, Verified: res}, nil
}

func sleepUntil(ctx context.Context, t time.Time) error {
	select {
	case <-time.After(time.Until(t)):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
