package main

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/tender"
	"github.com/segel-lpse/segel/timelock"
	"github.com/segel-lpse/segel/vault"
	"golang.org/x/mod/sumdb/note"
)

// deployment is one LPSE as an lpsed build would assemble it: a vault
// backend, the audit log on it, a local beacon and the engine. The engine
// and the beacon share one clock, real time plus a shift the harness sets
// to jump to an opening round instead of waiting for it.
type deployment struct {
	backend   vault.Backend
	log       *auditlog.Log
	beacon    *timelock.LocalBeacon
	engine    *tender.Engine
	blobs     *timedBlobs
	committee *age.HybridIdentity
	keys      auditlog.Keys // log and receipt verifier keys
	reportKey note.Verifier
	shift     atomic.Int64 // nanoseconds added to time.Now
}

var committee = []string{"pokja-1", "pokja-2", "pokja-3"}

func (d *deployment) now() time.Time { return time.Now().Add(time.Duration(d.shift.Load())) }

// jumpTo shifts the clock so that it reads t now.
func (d *deployment) jumpTo(t time.Time) {
	if delta := time.Until(t); delta > time.Duration(d.shift.Load()) {
		d.shift.Store(int64(delta))
	}
}

func deploy(ctx context.Context, c Config, dataDir string) (*deployment, error) {
	d := &deployment{}
	var err error
	if c.Postgres != "" {
		d.backend, err = vault.OpenPostgres(ctx, vault.PostgresConfig{DSN: c.Postgres, MaxConns: 16})
	} else {
		d.backend, err = vault.OpenEmbedded(ctx, vault.EmbeddedConfig{Dir: filepath.Join(dataDir, "vault")})
	}
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*deployment, error) { d.backend.Close(); return nil, err }

	key, err := timelock.GenerateLocalKey()
	if err != nil {
		return fail(err)
	}
	genesis := time.Now().Add(-time.Hour).Truncate(time.Second)
	d.beacon, err = timelock.NewLocalBeacon(timelock.LocalConfig{Key: key, Genesis: genesis, Period: c.Period, BeaconID: "segel-bench", Now: d.now})
	if err != nil {
		return fail(err)
	}
	// Every run gets its own log (one writer per log), so runs can share a
	// PostgreSQL database.
	origin := fmt.Sprintf("bench.segel.test/log/%d", time.Now().UnixNano())
	logS, logV, err := newKey(origin)
	if err != nil {
		return fail(err)
	}
	rcptS, rcptV, err := newKey("bench.segel.test/receipts")
	if err != nil {
		return fail(err)
	}
	repS, repV, err := newKey("bench.segel.test/reports")
	if err != nil {
		return fail(err)
	}
	d.keys, d.reportKey = auditlog.Keys{Log: logV, Receipt: rcptV}, repV
	d.log, err = auditlog.Open(ctx, auditlog.Config{Storage: d.backend.AuditLog(origin[len("bench.segel.test/"):]), Origin: origin, Signer: logS})
	if err != nil {
		return fail(err)
	}
	if d.committee, err = age.GenerateHybridIdentity(); err != nil {
		return fail(err)
	}
	workers := c.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	d.blobs = &timedBlobs{Blobs: d.backend}
	d.engine, err = tender.New(tender.Config{
		Records: d.backend, Blobs: d.blobs, Log: d.log,
		ReceiptSigner: rcptS, ReportSigner: repS,
		Beacon: d.beacon, Directory: admitAll{}, Now: d.now,
		MaxOfferSize: int64(c.MaxSize) + 1<<20, // the cap is on plaintext; headers and tags add a little
		OpenWorkers:  workers,
	})
	if err != nil {
		return fail(err)
	}
	return d, nil
}

func (d *deployment) Close() error { return d.backend.Close() }

func newKey(name string) (note.Signer, note.Verifier, error) {
	skey, vkey, err := auditlog.GenerateKey(name)
	if err != nil {
		return nil, nil, err
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, nil, err
	}
	v, err := auditlog.NewVerifier(vkey)
	return s, v, err
}

// announce publishes a tender whose submission window runs from now to
// deadline, opening one beacon period later, and registers bidders.
func (d *deployment) announce(ctx context.Context, title string, deadline time.Time, bidders []string) (*tender.Tender, error) {
	now := d.now()
	doc, err := d.backend.Put(ctx, stringsReader("Dokumen pemilihan: "+title), 1<<20)
	if err != nil {
		return nil, err
	}
	t, err := d.engine.Announce(ctx, committee[0], tender.Announcement{
		Title: title, Document: doc.Digest, Committee: committee,
		CommitteeKey: d.committee.Recipient().String(),
		Schedule: tender.Schedule{
			SubmissionStart: now, RegistrationEnd: deadline, ClarificationEnd: deadline,
			Deadline: deadline, Opening: deadline.Add(d.beacon.Chain().Period()), ObjectionDays: 3,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("announcing %s: %w", title, err)
	}
	for _, b := range bidders {
		if err := d.engine.Register(ctx, b, t.ID); err != nil {
			return nil, fmt.Errorf("registering %s for %s: %w", b, t.ID, err)
		}
	}
	return t, nil
}

// admitAll is the bench's tender.Directory: it admits every synthetic user
// as a verified provider, committee member and PPK. The bench measures the
// engine, not package registry's checks.
type admitAll struct{}

func (admitAll) CheckProvider(ctx context.Context, userID string) error { return nil }
func (admitAll) CheckRole(ctx context.Context, userID string, role tender.Role) error {
	return nil
}
func (admitAll) CheckAssignable(ctx context.Context, userID string, role tender.Role) error {
	return nil
}

// Committee has no committee to give: the bench announces tenders sealed
// to one committee key (version 1), whose members it names itself.
func (admitAll) Committee(ctx context.Context, id string) ([]tender.Member, error) {
	return nil, fmt.Errorf("the bench assigns no committee of members' keys to %s", id)
}
