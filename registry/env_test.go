package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/vault"
	"github.com/segel-lpse/segel/vault/vaulttest"
)

// This file is the test harness: a Registry over a real vault backend, a fake
// clock, an appender that parses every entry, and snapshots of all state.

// fastPassword keeps argon2id cheap in tests; the benchmarks use the defaults.
var fastPassword = PasswordParams{Time: 1, MemoryKiB: 64, Threads: 1}

// backend names a way to open a fresh vault backend for one test.
type backend struct {
	name string
	open func(t testing.TB) vault.Backend
}

func backends() []backend {
	return []backend{
		{"embedded", func(t testing.TB) vault.Backend {
			b, err := vault.OpenEmbedded(t.Context(), vault.EmbeddedConfig{Dir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { b.Close() })
			return b
		}},
		{"postgres", func(t testing.TB) vault.Backend {
			dsn := vaulttest.PostgresDSN(t)
			b, err := vault.OpenPostgres(t.Context(), vault.PostgresConfig{DSN: dsn})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { b.Close() })
			return b
		}},
	}
}

// forEachBackend runs test once per vault backend.
func forEachBackend(t *testing.T, test func(t *testing.T, e *env)) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			test(t, newEnv(t, b.open(t), nil))
		})
	}
}

// clock is a settable fake clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// recorder is an Appender that checks every entry against entries.md and
// keeps it. fail makes it refuse appends.
type recorder struct {
	mu      sync.Mutex
	entries []auditlog.Entry
	fail    bool
}

func (r *recorder) Append(_ context.Context, entries ...[]byte) ([]int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail {
		return nil, errors.New("test: log unavailable")
	}
	var idx []int64
	for _, b := range entries {
		e, err := auditlog.ParseEntry(b)
		if err != nil {
			return nil, fmt.Errorf("test: registry appended an invalid entry %q: %v", b, err)
		}
		idx = append(idx, int64(len(r.entries)))
		r.entries = append(r.entries, e)
	}
	return idx, nil
}

func (r *recorder) all() []auditlog.Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]auditlog.Entry(nil), r.entries...)
}

// countingDocs counts Puts, so tests can prove a refusal stored nothing.
type countingDocs struct {
	DocumentStore
	mu   sync.Mutex
	puts int
}

func (c *countingDocs) Put(ctx context.Context, r io.Reader, max int64, ad []byte) (vault.BlobInfo, error) {
	c.mu.Lock()
	c.puts++
	c.mu.Unlock()
	return c.DocumentStore.Put(ctx, r, max, ad)
}

type env struct {
	t     testing.TB
	ctx   context.Context
	b     vault.Backend
	reg   *Registry
	log   *recorder
	docs  *countingDocs
	clock *clock
	cfg   Config
}

// newEnv builds a Registry over b; edit, if not nil, changes the Config.
func newEnv(t testing.TB, b vault.Backend, edit func(*Config)) *env {
	ctx := t.Context()
	kek, err := vault.ParseKEK(vault.GenerateKEK())
	if err != nil {
		t.Fatal(err)
	}
	keys, err := vault.NewKeyring(ctx, b, kek)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, ctx: ctx, b: b, log: &recorder{},
		docs:  &countingDocs{DocumentStore: vault.NewDocuments(b, keys, "registry-documents")},
		clock: &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}}
	e.cfg = Config{Records: b, Documents: e.docs, Log: e.log, Now: e.clock.Now,
		Password: fastPassword, MaxDocumentSize: 1024}
	if edit != nil {
		edit(&e.cfg)
	}
	if e.reg, err = New(e.cfg); err != nil {
		t.Fatal(err)
	}
	return e
}

const testPassword = "kata sandi yang panjang"

// doc returns a document of kind with a distinct body.
func doc(kind DocumentKind, body string) Document {
	return Document{Kind: kind, Body: bytes.NewReader([]byte(body))}
}

// Valid test identities. NIKs: Jakarta (31), Bandung (32 73), women's day +40.
var testNIKs = []string{
	"3171011203850001", "3273015708900002", "3578022501750003", "5171034410880004",
	"1101010101010005", "6471052912000006", "9471010606660007", "3201010707770008",
}

// company returns the application of a provider company numbered i.
func company(i int) Application {
	return Application{
		Role: RoleProvider, Email: fmt.Sprintf("Direktur%d@CV-Contoh.co.id", i), Password: testPassword,
		Name: fmt.Sprintf("CV Contoh %d", i), NIK: testNIKs[i%len(testNIKs)],
		Provider: &Provider{Kind: Company, NPWP: fmt.Sprintf("01.234.567.%d-012.000", i%10), Licence: "9120001234567"},
		Documents: []Document{doc(DocKTP, "ktp"), doc(DocAktaPendirian, "akta"),
			doc(DocNPWP, "npwp"), doc(DocIzinUsaha, "nib")},
	}
}

// official returns the application of a non-provider account numbered i.
func official(role Role, i int) Application {
	return Application{
		Role: role, Email: fmt.Sprintf("%s%d@pemkot.go.id", role, i), Password: testPassword,
		Name: fmt.Sprintf("%s %d", role, i), NIK: testNIKs[i%len(testNIKs)],
		Documents: []Document{doc(DocSuratTugas, "sk "+string(role))},
	}
}

func (e *env) must(err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
}

// bootstrap creates the first admin.
func (e *env) bootstrap() User {
	e.t.Helper()
	a := official(RoleAdmin, 7)
	a.Email = "admin@lpse.go.id"
	u, err := e.reg.Bootstrap(e.ctx, a)
	e.must(err)
	return u
}

// active registers app and has reviewer verify every document and approve it.
func (e *env) active(app Application, reviewer string) User {
	e.t.Helper()
	u, err := e.reg.Register(e.ctx, app)
	e.must(err)
	for _, d := range u.Documents {
		e.must(e.reg.VerifyDocument(e.ctx, reviewer, u.ID, d.Kind))
	}
	e.must(e.reg.Approve(e.ctx, reviewer, u.ID))
	u, err = e.reg.Lookup(e.ctx, u.ID)
	e.must(err)
	if u.Status != StatusActive {
		e.t.Fatalf("%s: status %s, want active", u.ID, u.Status)
	}
	return u
}

// cast is the usual cast of accounts: an admin, a verifier, a PA/KPA and a
// pokja member, all active.
type cast struct{ admin, verifier, pa, pokja User }

func (e *env) cast() cast {
	var c cast
	c.admin = e.bootstrap()
	c.verifier = e.active(official(RoleVerifier, 6), c.admin.ID)
	c.pa = e.active(official(RolePAKPA, 5), c.verifier.ID)
	c.pokja = e.active(official(RolePokja, 4), c.verifier.ID)
	return c
}

// snapshot is all registry state: every record, every entry, every stored
// document.
type snapshot struct {
	Tables  map[string]map[string]string
	Entries int
	Puts    int
}

func (e *env) snapshot() snapshot {
	e.t.Helper()
	s := snapshot{Tables: map[string]map[string]string{}, Entries: len(e.log.all())}
	err := e.b.View(e.ctx, func(tx vault.Tx) error {
		for _, table := range []string{tableUsers, tableEmails, tableNPWP, tableNIK, tableTokens, tableCommittees, tableOutbox, tableBlacklist,
			tableCommitteeKeys, tableKeyOwners, tableKeyChallenges} {
			m := map[string]string{}
			err := tx.Scan(table, "", func(k string, v []byte) error { m[k] = string(v); return nil })
			if err != nil {
				return err
			}
			s.Tables[table] = m
		}
		return nil
	})
	e.must(err)
	e.docs.mu.Lock()
	s.Puts = e.docs.puts
	e.docs.mu.Unlock()
	return s
}

// refused checks that err matches want and that nothing changed since before.
func (e *env) refused(name string, before snapshot, err, want error) {
	e.t.Helper()
	if !errors.Is(err, want) {
		e.t.Errorf("%s: got error %v, want %v", name, err, want)
		return
	}
	if diff := cmp.Diff(before, e.snapshot()); diff != "" {
		e.t.Errorf("%s: refused (%v) but state changed (-before +after):\n%s", name, err, diff)
	}
}
