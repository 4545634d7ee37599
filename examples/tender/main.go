// Command tender runs one two-file tender from announcement to result
// through Segel's library alone — no HTTP — on the embedded backend in a
// temporary directory, with a 3-of-5 committee whose members open the
// offers on their own keys (doc/spec/opening.md), one of them absent, and
// verifies its audit bundle offline.
//
//	go run ./examples/tender
package main

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/directory"
	"github.com/segel-lpse/segel/member"
	"github.com/segel-lpse/segel/registry"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/tender"
	"github.com/segel-lpse/segel/timelock"
	"github.com/segel-lpse/segel/vault"
	"golang.org/x/mod/sumdb/note"
)

func main() {
	if err := run(context.Background()); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "segel-example-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	// Storage, keys, the audit log, a local beacon with a 1 s period.
	store, err := vault.OpenEmbedded(ctx, vault.EmbeddedConfig{Dir: dir})
	if err != nil {
		return err
	}
	defer store.Close()
	kek, _ := vault.ParseKEK(vault.GenerateKEK())
	keyring, err := vault.NewKeyring(ctx, store, kek)
	if err != nil {
		return err
	}
	secrets, err := keyring.AEAD(ctx, "tender-contributions")
	if err != nil {
		return err
	}
	logS, logV := newKey("example.lpse/log")
	rcptS, rcptV := newKey("example.lpse/receipts")
	repS, repV := newKey("example.lpse/reports")
	auditLog, err := auditlog.Open(ctx, auditlog.Config{Storage: store.AuditLog("main"), Origin: "example.lpse/log", Signer: logS})
	if err != nil {
		return err
	}
	beaconKey, _ := timelock.GenerateLocalKey()
	beacon, err := timelock.NewLocalBeacon(timelock.LocalConfig{Key: beaconKey, Genesis: time.Now().Add(-time.Minute), Period: time.Second})
	if err != nil {
		return err
	}
	keys := must(audit.NewTrusted(logV, rcptV, repV, beacon.Chain().HashHex()))
	logKey := must(auditlog.NewVerifier(logV))

	// Users: five committee members, each with an opening key of its own
	// registered with proof of possession, and three providers.
	reg, err := registry.New(registry.Config{Records: store, Documents: vault.NewDocuments(store, keyring, "docs"), Log: auditLog})
	if err != nil {
		return err
	}
	admin := must(reg.Bootstrap(ctx, official(registry.RoleAdmin, 0)))
	verifier := enrol(ctx, reg, admin.ID, official(registry.RoleVerifier, 1))
	kpa := enrol(ctx, reg, verifier.ID, official(registry.RolePAKPA, 2))
	var pokja []string
	memberKeys := map[string]*age.HybridIdentity{}
	for i := 3; i < 8; i++ {
		u := enrol(ctx, reg, verifier.ID, official(registry.RolePokja, i)).ID
		pokja = append(pokja, u)
		key, _ := age.GenerateHybridIdentity() // on the member's own device
		ch := must(reg.ChallengeKey(ctx, u, key.Recipient().String()))
		answer := must(member.AnswerKeyChallenge(ch.File, key)) // on the member's own device
		must(reg.RegisterKey(ctx, u, answer))
		memberKeys[u] = key
	}
	var bidders []string
	for i := range 3 {
		bidders = append(bidders, enrol(ctx, reg, verifier.ID, company(i)).ID)
	}
	fmt.Printf("registry: %d pokja members with their own opening keys, %d providers\n", len(pokja), len(bidders))

	// The engine; its Directory is the registry's.
	engine, err := tender.New(tender.Config{
		Records: store, Blobs: store, Log: auditLog, ReceiptSigner: rcptS, ReportSigner: repS,
		Beacon: beacon, Directory: directory.New(reg), Secrets: secrets,
	})
	if err != nil {
		return err
	}
	id := "T-EXAMPLE-1"
	if err := reg.AssignCommittee(ctx, kpa.ID, id, pokja); err != nil {
		return err
	}
	doc := must(store.Put(ctx, strings.NewReader("Dokumen pemilihan jasa konsultansi"), 1<<20))
	now := time.Now().UTC().Truncate(time.Second)
	t := must(engine.Announce(ctx, pokja[0], tender.Announcement{
		ID: id, Title: "Jasa Konsultansi Perencanaan Jembatan", Document: doc.Digest, Method: tender.MethodTwoFile,
		Schedule: tender.Schedule{RegistrationEnd: now.Add(3 * time.Second), ClarificationEnd: now.Add(3 * time.Second),
			SubmissionStart: now, Deadline: now.Add(3 * time.Second), Opening: now.Add(4 * time.Second),
			FileIIOpening: now.Add(6 * time.Second)},
	}))
	fmt.Printf("announced %s: two files, committee %s (%d of %d), File I at round %d, File II at round %d\n",
		t.ID, t.CommitteeID, t.Threshold, len(t.Members), t.Parts[0].Round, t.Parts[1].Round)

	// Offers, sealed on the bidders' machines: File I (technical) and File
	// II (price), each to its own round and to the committee.
	for i, b := range bidders {
		if err := engine.Register(ctx, b, id); err != nil {
			return err
		}
		for file, text := range map[int]string{1: "dokumen teknis " + b, 2: fmt.Sprintf("harga Rp %d", 300_000_000+i*7_000_000)} {
			target := must(t.FileTarget(engine, b, file))
			var sealed bytes.Buffer
			if _, err := sealer.Seal(&sealed, strings.NewReader(text), target); err != nil {
				return err
			}
			rc := must(engine.File(id, file).Submit(ctx, b, &sealed))
			fmt.Printf("file %d of %s received: log index %d, version 2 receipt signed\n", file, b, rc.Index)
		}
	}

	// Each part opens at its round, from the contributions of four members
	// (the fifth is away), computed on their own devices.
	open := func(file int) (*tender.Opening, error) {
		round := t.Parts[file-1].Round
		time.Sleep(time.Until(beacon.Chain().TimeOf(round)) + 100*time.Millisecond)
		f := engine.File(id, file)
		if _, err := f.StartOpening(ctx, pokja[0]); err != nil {
			return nil, err
		}
		for _, u := range pokja[:4] {
			if err := contribute(ctx, engine, f, t, u, memberKeys[u], logKey, beacon.Chain()); err != nil {
				return nil, fmt.Errorf("%s: %w", u, err)
			}
		}
		return f.CompleteOpening(ctx, pokja[1], tender.Completion{})
	}
	op1, err := open(1)
	if err != nil {
		return err
	}
	fmt.Printf("File I opened: %d files, %d failed\n", len(op1.Report.Offers), len(op1.Witness))

	// The File I evaluation: the third bidder fails; three approvals fix it.
	f1 := engine.File(id, 1)
	var results []tender.BidderResult
	for i, b := range bidders {
		results = append(results, tender.BidderResult{Bidder: b, Passed: i != 2, Reasons: "hasil evaluasi administrasi dan teknis"})
	}
	digest := must(f1.ProposeEvaluation(ctx, pokja[0], results))
	must(f1.ApproveEvaluation(ctx, pokja[1], digest))
	t = must(f1.ApproveEvaluation(ctx, pokja[2], digest))
	fmt.Printf("evaluation fixed: passed %v, failed %v\n", t.Evaluation.Passed, t.Evaluation.Failed)

	op2, err := open(2)
	if err != nil {
		return err
	}
	for _, o := range op2.Report.Offers {
		fmt.Printf("File II of %s: %s\n", o.Bidder, o.Outcome)
	}
	must(engine.AnnounceResult(ctx, pokja[0], id, bidders[0], "Pemenang: "+bidders[0]))

	// The audit bundle, written and verified offline.
	b := must(engine.Bundle(ctx, id, keys, true))
	bdir := filepath.Join(dir, "bundle")
	if err := b.WriteDir(bdir); err != nil {
		return err
	}
	res := must(audit.Verify(must(audit.ReadDir(bdir)), *keys))
	fmt.Printf("audit bundle verifies: %s, %d opened, %d withheld, %d entries, %d sealed files\n",
		res.Method, res.Opened, res.Withheld, res.Entries, res.Sealed)
	return nil
}

// contribute is what a member's tool does, on the member's own device: it
// checks what the server shows it against the log, computes its answers
// with its own key, and sends them as one batch.
func contribute(ctx context.Context, engine *tender.Engine, f tender.File, t *tender.Tender, user string,
	key *age.HybridIdentity, logKey note.Verifier, chain timelock.Chain) error {
	ev, err := f.Evidence(ctx, user, 0)
	if err != nil {
		return err
	}
	tv, err := member.Verify(*ev, t.ID, logKey, chain)
	if err != nil {
		return err
	}
	served, err := f.Headers(ctx, user)
	if err != nil {
		return err
	}
	var headers []member.Header
	for _, h := range served {
		headers = append(headers, member.Header{Bidder: h.Bidder, File: h.File, Index: h.LogIndex, Header: h.Header})
	}
	file := 1
	if len(served) > 0 {
		file = served[0].File
	}
	answers, err := tv.Answers(file, headers, key)
	if err != nil {
		return err
	}
	var batch []tender.FileAnswer
	for _, a := range answers {
		batch = append(batch, tender.FileAnswer{Index: a.Index, Contribution: a.Contribution, Claim: a.Claim})
	}
	_, err = f.Contribute(ctx, user, batch)
	return err
}

func must[T any](v T, err error) T {
	if err != nil {
		log.Fatal(err)
	}
	return v
}

func newKey(name string) (note.Signer, string) {
	skey, vkey := must2(auditlog.GenerateKey(name))
	return must(note.NewSigner(skey)), vkey
}

func must2(a, b string, err error) (string, string) {
	if err != nil {
		log.Fatal(err)
	}
	return a, b
}

func enrol(ctx context.Context, reg *registry.Registry, verifier string, app registry.Application) registry.User {
	u := must(reg.Register(ctx, app))
	for _, d := range u.Documents {
		if err := reg.VerifyDocument(ctx, verifier, u.ID, d.Kind); err != nil {
			log.Fatal(err)
		}
	}
	if err := reg.Approve(ctx, verifier, u.ID); err != nil {
		log.Fatal(err)
	}
	return u
}

const password = "contoh-kata-sandi-2026"

func official(role registry.Role, i int) registry.Application {
	return registry.Application{Role: role, Email: fmt.Sprintf("%s%d@example.go.id", role, i), Password: password,
		Name: fmt.Sprintf("%s %d", role, i), NIK: fmt.Sprintf("31710112038500%02d", 10+i),
		Documents: []registry.Document{{Kind: registry.DocSuratTugas, Body: strings.NewReader("surat tugas")}}}
}

func company(i int) registry.Application {
	docs := []registry.Document{}
	for _, k := range []registry.DocumentKind{registry.DocKTP, registry.DocAktaPendirian, registry.DocNPWP, registry.DocIzinUsaha} {
		docs = append(docs, registry.Document{Kind: k, Body: strings.NewReader("scan " + string(k))})
	}
	return registry.Application{Role: registry.RoleProvider, Email: fmt.Sprintf("direktur%d@contoh.co.id", i), Password: password,
		Name: fmt.Sprintf("PT Contoh %d", i), NIK: fmt.Sprintf("31710112038500%02d", 50+i),
		Provider:  &registry.Provider{Kind: registry.Company, NPWP: fmt.Sprintf("01.234.567.%d-012.000", i), Licence: "9120001234567"},
		Documents: docs}
}
