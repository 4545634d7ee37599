// Package demo runs a whole tender against a Segel server through its
// HTTP API, as the people of an LPSE would: registration and
// verification, members' own opening keys, committee assignment, a
// two-file announcement with a 3-of-5 committee, questions, a dozen
// bidders' sealed File I and File II (one File I deliberately broken),
// each part's opening from four members' contributions computed by their
// tools, the witness report, the File I evaluation failing two bidders
// whose prices stay sealed, the result and the award; then it fetches the
// audit bundle and verifies it offline against the published keys.
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
	// Window is the submission window; 10 s if zero: room for every
	// bidder to seal and submit two files to a committee of five. A slow
	// machine gets more: twice what registering the accounts took.
	Window time.Duration
}

// Result summarises a finished demo. Offers counts the sealed files
// received (two per bidder), Opened and Failed the files opened and
// failed over both parts, Withheld the File II files never opened.
type Result struct {
	Tender         string
	Offers, Opened int
	Failed         int
	Withheld       int
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
	{"ppk16@pemkot.demo.go.id", "PPK"},
	{"direktur@cv-contoh-0.demo.co.id", "provider (penyedia)"},
}

// NIKs valid under doc/spec/registry.md §4.2, one per account.
func nik(i int) string {
	return fmt.Sprintf("3171%02d1203850%03d", 1+i%90, 1+i)
}

// Run runs the demo tender: a two-file tender (File I technical, File II
// the price) whose committee is five Pokja members with their own opening
// keys, any three of whom open a file (doc/spec/opening.md). Every member's
// key is made and registered on the member's side; each part opens from
// the contributions of four members, computed by the members' tools after
// they verified the log's evidence (the fifth is absent); one bidder's
// File I is damaged on purpose and gets a witness report; the File I
// evaluation fails it and one more, whose prices stay sealed.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Bidders == 0 {
		cfg.Bidders = 12
	}
	if cfg.Bidders < 3 {
		return nil, errors.New("demo: at least 3 bidders: one damaged, one failed, one winner")
	}
	if cfg.Window == 0 {
		cfg.Window = 10 * time.Second
	}
	out := cfg.Out
	if out == nil {
		out = io.Discard
	}
	say := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }
	begin := time.Now()
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
	pa, err := d.official(ctx, verifier, api.RolePAKPA, 10)
	if err != nil {
		return nil, err
	}
	var pokja []*client.Client
	for i := range 5 {
		c, err := d.official(ctx, verifier, api.RolePokja, 11+i)
		if err != nil {
			return nil, err
		}
		pokja = append(pokja, c)
	}
	ppk, err := d.official(ctx, verifier, api.RolePPK, 16)
	if err != nil {
		return nil, err
	}
	var bidders []*client.Client
	for i := range cfg.Bidders {
		c, err := d.provider(ctx, verifier, i)
		if err != nil {
			return nil, err
		}
		bidders = append(bidders, c)
	}
	say("registered and verified: 1 admin, 1 verifier, 1 PA/KPA, 5 pokja, 1 PPK, %d providers", len(bidders))

	// 2. Each member makes its opening key on its own device and registers
	// it by answering the LPSE's challenge there: the key never leaves it.
	keys := map[string]*age.HybridIdentity{}
	var members []string
	for _, c := range pokja {
		key, err := age.GenerateHybridIdentity()
		if err != nil {
			return nil, err
		}
		if _, err := c.RegisterMemberKey(ctx, key); err != nil {
			return nil, err
		}
		keys[c.UserID()] = key
		members = append(members, c.UserID())
	}
	say("5 pokja members registered their own opening keys, each proving possession (the keys stay on their devices)")

	// 3. The committee, the tender: two files, any 3 of the 5 open.
	id := "T-DEMO-" + time.Now().UTC().Format("20060102-150405")
	if err := pa.AssignCommittee(ctx, id, members); err != nil {
		return nil, err
	}
	doc, err := pokja[0].UploadDocument(ctx, strings.NewReader("Dokumen Pemilihan: Rehabilitasi Jembatan Kali Code, HPS Rp 2.500.000.000"))
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC().Truncate(time.Second)
	deadline := now.Add(paced(cfg.Window, begin))
	sched := api.Schedule{
		RegistrationEnd: deadline, ClarificationEnd: deadline, SubmissionStart: now,
		Deadline: deadline, Opening: deadline.Add(2 * time.Second), FileIIOpening: deadline.Add(4 * time.Second), ObjectionDays: 0,
	}
	tn, err := pokja[0].Announce(ctx, api.Announcement{
		ID: id, Title: "Rehabilitasi Jembatan Kali Code", Document: doc,
		Method: api.MethodTwoFile, Members: members, Threshold: 3, Schedule: sched,
	})
	if err != nil {
		return nil, err
	}
	say("tender %s announced, two files, committee %s (%d of %d): deadline %s, File I at round %d, File II (prices) at round %d",
		id, tn.CommitteeKeyID, tn.Threshold, len(tn.Members), deadline.Format(time.TimeOnly), tn.Parts[0].Round, tn.Parts[1].Round)

	// 4. Bidders register, one asks a question, the committee answers.
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

	// 5. Every bidder seals both files on its own machine and submits them.
	// FileTarget checks each part's round against the pinned chain, and
	// the committee and the round against the tender's log, verified with
	// the pinned log key (opening.md §2.2).
	pub, err := anon.Keys(ctx)
	if err != nil {
		return nil, err
	}
	chain, err := anon.Chain(ctx)
	if err != nil {
		return nil, err
	}
	broken, failing := len(bidders)/2, len(bidders)-1
	for i, b := range bidders {
		juta := 2100 + 37*i // millions of rupiah, written with Indonesian thousands separators
		docs := map[int]string{
			1: fmt.Sprintf("Dokumen administrasi dan teknis %s: metode kerja, 8 tenaga ahli, jadwal 120 hari", b.UserID()),
			2: fmt.Sprintf("Penawaran harga %s: Rp %d.%03d.000.000", b.UserID(), juta/1000, juta%1000),
		}
		for file := 1; file <= 2; file++ {
			target, err := b.FileTarget(ctx, id, file)
			if err != nil {
				return nil, err
			}
			var sealed bytes.Buffer
			if _, err := sealer.Seal(&sealed, strings.NewReader(docs[file]), target); err != nil {
				return nil, err
			}
			body := sealed.Bytes()
			if i == broken && file == 1 {
				// Damaged after sealing (a faulty upload tool, say): the header
				// still passes every check, the payload will not open.
				body[len(body)-3] ^= 0x40
			}
			rc, err := b.SubmitFile(ctx, id, file, bytes.NewReader(body))
			if err != nil {
				return nil, err
			}
			if _, err := auditlog.VerifyReceipt([]byte(rc.Receipt), pub.Receipt); err != nil {
				return nil, fmt.Errorf("demo: receipt of %s's file %d does not verify: %w", b.UserID(), file, err)
			}
			proof, err := anon.ProofFile(ctx, []byte(rc.Receipt))
			if err != nil {
				return nil, err
			}
			if _, _, err := auditlog.VerifyProofFile(proof, auditlog.Keys{Log: pub.Log, Receipt: pub.Receipt}); err != nil {
				return nil, fmt.Errorf("demo: proof file of %s's file %d does not verify: %w", b.UserID(), file, err)
			}
		}
	}
	say("%d bidders submitted File I and File II, sealed to 3 of 5 members' keys, each file with a signed receipt and a proof file that verify offline (bidder %d's File I damaged on purpose)",
		len(bidders), broken+1)

	// 6. File I's opening. Before the round, nobody can start it, whatever
	// anyone's clock says; then four members contribute from their own
	// tools (the fifth is away) and one completes it.
	if err := sleepUntil(ctx, deadline.Add(500*time.Millisecond)); err != nil {
		return nil, err
	}
	_, err = pokja[0].StartOpening(ctx, id, 1)
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.Code != api.CodeTooEarly {
		return nil, fmt.Errorf("demo: opening before the round: got %v, want too-early", err)
	}
	say("committee tries to open File I before round %d: refused (%s)", tn.Parts[0].Round, ae.Message)
	_, err = pokja[0].Open(ctx, id, keys[members[0]], members)
	if !errors.As(err, &ae) || ae.Code != api.CodeMembersOpen {
		return nil, fmt.Errorf("demo: the v1 ceremony with one key: got %v, want members-open", err)
	}
	say("one member's key handed to the server opens nothing: refused (%s)", ae.Code)
	open := func(file int, present []*client.Client) (*api.PartOpening, error) {
		if err := sleepUntil(ctx, chain.TimeOf(tn.Parts[file-1].Round).Add(200*time.Millisecond)); err != nil {
			return nil, err
		}
		if _, err := present[0].StartOpening(ctx, id, file); err != nil {
			return nil, err
		}
		for _, m := range present {
			ct, err := m.Contribute(ctx, id, file, keys[m.UserID()], pub.Log, nil)
			if err != nil {
				return nil, fmt.Errorf("demo: %s's contribution: %w", m.UserID(), err)
			}
			say("  member %d (%s) verified the log (tree size %d) and sent %d contributions for file %d",
				ct.Sent.Member, m.UserID(), ct.Tender.Size, ct.Sent.Contributed, file)
		}
		return present[1].CompleteOpening(ctx, id, file, false)
	}
	op1, err := open(1, pokja[:4])
	if err != nil {
		return nil, err
	}
	say("File I opened at round %d from members' contributions (%s absent): %d opened, %d failed", tn.Parts[0].Round, members[4], op1.Opened, op1.Failed)
	witness, err := anon.PartWitness(ctx, id, 1, bidders[broken].UserID())
	if err != nil {
		return nil, err
	}
	w, err := audit.VerifyWitnessReport(witness, pub.Report)
	if err != nil {
		return nil, err
	}
	say("witness report for %s's File I: step %s, fault lies with the %s", w.Bidder, w.Step, w.Fault)
	var plain bytes.Buffer
	if _, err := pokja[1].FileDocument(ctx, id, 1, bidders[0].UserID(), &plain, 1<<20); err != nil {
		return nil, err
	}
	say("committee reads %s's File I: %q", bidders[0].UserID(), plain.String())

	// 7. The File I evaluation: the damaged File I fails, and so does one
	// bidder on its merits; three approvals fix it.
	var results []api.BidderResult
	for i, b := range bidders {
		r := api.BidderResult{Bidder: b.UserID(), Passed: true, Reasons: "Memenuhi persyaratan administrasi dan teknis."}
		switch i {
		case broken:
			r.Passed, r.Reasons = false, "File I tidak dapat dibuka (laporan saksi)."
		case failing:
			r.Passed, r.Reasons = false, "Tenaga ahli tidak memenuhi persyaratan."
		}
		results = append(results, r)
	}
	prop, err := pokja[0].ProposeEvaluation(ctx, id, results)
	if err != nil {
		return nil, err
	}
	if _, err := pokja[2].ApproveEvaluation(ctx, id, prop.Digest); err != nil {
		return nil, err
	}
	if tn, err = pokja[3].ApproveEvaluation(ctx, id, prop.Digest); err != nil {
		return nil, err
	}
	say("File I evaluation %.16s… fixed by 3 approvals: %d passed, failed %v", prop.Digest, len(tn.Evaluation.Passed), tn.Evaluation.Failed)

	// 8. File II: opened for those who passed; the others' prices stay
	// sealed (withheld), which the members' tools would refuse to touch.
	op2, err := open(2, pokja[1:5])
	if err != nil {
		return nil, err
	}
	say("File II opened at round %d (%s absent): %d prices opened, %d withheld unopened", tn.Parts[1].Round, members[0], op2.Opened, op2.Withheld)
	plain.Reset()
	if _, err := pokja[1].FileDocument(ctx, id, 2, bidders[0].UserID(), &plain, 1<<20); err != nil {
		return nil, err
	}
	say("committee reads %s's price: %q", bidders[0].UserID(), plain.String())

	// 9. Result and award.
	winner := bidders[0].UserID()
	if _, err := pokja[0].Result(ctx, id, winner, "Pemenang: "+winner); err != nil {
		return nil, err
	}
	if tn, err = ppk.Award(ctx, id, "SPPBJ nomor 027/DEMO"); err != nil {
		return nil, err
	}
	say("result announced and contract awarded to %s (tender state: %s)", winner, tn.State)

	// 10. The audit bundle, verified offline against the published keys.
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
	res, err := audit.Verify(b, *pub)
	if err != nil {
		return nil, fmt.Errorf("demo: the audit bundle does not verify: %w", err)
	}
	say("audit bundle in %s verifies offline: %s, %d entries, %d checkpoints, %d receipts, %d files opened, %d failed, %d withheld",
		dir, res.Method, res.Entries, res.Checkpoints, res.Receipts, res.Opened, res.Failed, res.Withheld)
	return &Result{Tender: id, Offers: res.Receipts, Opened: res.Opened, Failed: res.Failed, Withheld: res.Withheld, Verified: res}, nil
}

func sleepUntil(ctx context.Context, t time.Time) error {
	select {
	case <-time.After(time.Until(t)):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
