// Command tender runs one tender from announcement to award through
// Segel's library alone — no HTTP — on the embedded backend in a
// temporary directory, and verifies its audit bundle offline.
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

	// Users.
	reg, err := registry.New(registry.Config{Records: store, Documents: vault.NewDocuments(store, keyring, "docs"), Log: auditLog})
	if err != nil {
		return err
	}
	admin := must(reg.Bootstrap(ctx, official(registry.RoleAdmin, 0)))
	verifier := enrol(ctx, reg, admin.ID, official(registry.RoleVerifier, 1))
	kpa := enrol(ctx, reg, verifier.ID, official(registry.RolePAKPA, 2))
	var pokja []string
	for i := 3; i < 6; i++ {
		pokja = append(pokja, enrol(ctx, reg, verifier.ID, official(registry.RolePokja, i)).ID)
	}
	var bidders []string
	for i := range 3 {
		bidders = append(bidders, enrol(ctx, reg, verifier.ID, company(i)).ID)
	}
	fmt.Printf("registry: admin, verifier, PA/KPA, 3 pokja and %d providers, all verified\n", len(bidders))

	// The engine.
	engine, err := tender.New(tender.Config{
		Records: store, Blobs: store, Log: auditLog, ReceiptSigner: rcptS, ReportSigner: repS,
		Beacon: beacon, Directory: directory.New(reg),
	})
	if err != nil {
		return err
	}
	id := "T-EXAMPLE-1"
	if err := reg.AssignCommittee(ctx, kpa.ID, id, pokja); err != nil {
		return err
	}
	committee, _ := age.GenerateHybridIdentity()
	doc := must(store.Put(ctx, strings.NewReader("Dokumen pemilihan"), 1<<20))
	now := time.Now().UTC().Truncate(time.Second)
	t := must(engine.Announce(ctx, pokja[0], tender.Announcement{
		ID: id, Title: "Pengadaan Laptop Sekolah", Document: doc.Digest, Committee: pokja,
		CommitteeKey: committee.Recipient().String(),
		Schedule: tender.Schedule{RegistrationEnd: now.Add(3 * time.Second), ClarificationEnd: now.Add(3 * time.Second),
			SubmissionStart: now, Deadline: now.Add(3 * time.Second), Opening: now.Add(4 * time.Second)},
	}))
	fmt.Printf("announced %s: opens at round %d (%s)\n", t.ID, t.Round, beacon.Chain().TimeOf(t.Round).Format(time.TimeOnly))

	// Offers, sealed on the bidders' machines.
	target := must(t.Target(engine))
	for i, b := range bidders {
		if err := engine.Register(ctx, b, id); err != nil {
			return err
		}
		var sealed bytes.Buffer
		if _, err := sealer.Seal(&sealed, strings.NewReader(fmt.Sprintf("harga Rp %d", 300_000_000+i*7_000_000)), target); err != nil {
			return err
		}
		rc := must(engine.Submit(ctx, b, id, &sealed))
		fmt.Printf("offer of %s received: log index %d, receipt signed\n", b, rc.Index)
	}

	// Opening at the round, then result.
	time.Sleep(time.Until(beacon.Chain().TimeOf(t.Round)) + 100*time.Millisecond)
	op := must(engine.Open(ctx, pokja[0], id, tender.Ceremony{Committee: committee, Witnesses: pokja}))
	fmt.Printf("opened %d offers, %d failed\n", len(op.Report.Offers)-len(op.Witness), len(op.Witness))
	must(engine.AnnounceResult(ctx, pokja[0], id, bidders[0], "Pemenang: "+bidders[0]))

	// The audit bundle, written and verified offline.
	keys := must(audit.NewTrusted(logV, rcptV, repV, beacon.Chain().HashHex()))
	b := must(engine.Bundle(ctx, id, keys, true))
	bdir := filepath.Join(dir, "bundle")
	if err := b.WriteDir(bdir); err != nil {
		return err
	}
	res := must(audit.Verify(must(audit.ReadDir(bdir)), *keys))
	fmt.Printf("audit bundle verifies: %d offers, %d entries, %d checkpoints\n", res.Offers, res.Entries, res.Checkpoints)
	return nil
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
