package tender

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/timelock"
	"github.com/segel-lpse/segel/vault"
	"github.com/segel-lpse/segel/vault/vaulttest"
	"golang.org/x/mod/sumdb/note"
)

// env is a whole deployment for tests: a real vault backend, a real audit
// log on it, a local beacon, and one clock for the engine and the beacon.
type env struct {
	ctx        context.Context
	engine     *Engine
	backend    vault.Backend
	log        *auditlog.Log
	beacon     *timelock.LocalBeacon
	dir        *testDirectory
	committee  *age.HybridIdentity
	keys       auditlog.Keys
	reportKey  note.Verifier
	logSigner  note.Signer
	vkeys      [3]string                      // log, receipt, report verifier keys
	members    map[string]*age.HybridIdentity // v2 members' own keys, see memberKeys
	superseded int64                          // a superseded file's log index, see inEvaluation

	mu  sync.Mutex
	now time.Time
}

func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *env) set(t time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = t
}

// backends runs f on the embedded backend and on PostgreSQL.
func backends(t *testing.T, f func(t *testing.T, open func(t *testing.T) vault.Backend)) {
	t.Run("embedded", func(t *testing.T) {
		f(t, func(t *testing.T) vault.Backend {
			b, err := vault.OpenEmbedded(context.Background(), vault.EmbeddedConfig{Dir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { b.Close() })
			return b
		})
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := vaulttest.PostgresDSN(t)
		f(t, func(t *testing.T) vault.Backend {
			b, err := vault.OpenPostgres(context.Background(), vault.PostgresConfig{DSN: dsn})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { b.Close() })
			return b
		})
	})
}

var testStart = time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)

func newEnv(t testing.TB, backend vault.Backend) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{ctx: ctx, backend: backend, now: testStart}
	key, err := timelock.GenerateLocalKey()
	if err != nil {
		t.Fatal(err)
	}
	e.beacon, err = timelock.NewLocalBeacon(timelock.LocalConfig{Key: key, Genesis: testStart.Add(-time.Hour), Period: 3 * time.Second, Now: e.clock})
	if err != nil {
		t.Fatal(err)
	}
	logSigner, logKey, lv := newKey(t, "lpse.test/log")
	rcptSigner, rcptKey, rv := newKey(t, "lpse.test/receipts")
	reportSigner, reportKey, pv := newKey(t, "lpse.test/reports")
	e.vkeys = [3]string{lv, rv, pv}
	e.keys = auditlog.Keys{Log: logKey, Receipt: rcptKey}
	e.reportKey, e.logSigner = reportKey, logSigner
	e.log, err = auditlog.Open(ctx, auditlog.Config{Storage: backend.AuditLog("main"), Origin: "lpse.test/log", Signer: logSigner})
	if err != nil {
		t.Fatal(err)
	}
	e.committee, err = age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	e.dir = newTestDirectory()
	e.engine, err = New(Config{
		Records: backend, Blobs: backend, Log: e.log,
		ReceiptSigner: rcptSigner, ReportSigner: reportSigner,
		Beacon: e.beacon, Directory: e.dir, Now: e.clock,
		MaxOfferSize: 1 << 20,
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func newKey(t testing.TB, name string) (note.Signer, note.Verifier, string) {
	t.Helper()
	skey, vkey, err := auditlog.GenerateKey(name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := auditlog.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return s, v, vkey
}

// announce stores a tender document and announces a tender whose
// submission window is testStart..+2h and whose opening is at +2h30m.
func (e *env) announce(t testing.TB) *Tender {
	t.Helper()
	tn, err := e.announceAs("", "Pembangunan Jembatan Kali Code", "Dokumen pemilihan: pembangunan jembatan")
	if err != nil {
		t.Fatal(err)
	}
	return tn
}

// announceAs is announce with the tender id (generated if empty), title
// and document text given.
func (e *env) announceAs(id, title, document string) (*Tender, error) {
	doc, err := e.backend.Put(e.ctx, bytes.NewReader([]byte(document)), 1<<20)
	if err != nil {
		return nil, err
	}
	return e.engine.Announce(e.ctx, "pokja-1", Announcement{
		ID:           id,
		Title:        title,
		Document:     doc.Digest,
		Committee:    []string{"pokja-1", "pokja-2", "pokja-3"},
		CommitteeKey: e.committee.Recipient().String(),
		Schedule: Schedule{
			RegistrationEnd:  testStart.Add(90 * time.Minute),
			ClarificationEnd: testStart.Add(60 * time.Minute),
			SubmissionStart:  testStart,
			Deadline:         testStart.Add(2 * time.Hour),
			Opening:          testStart.Add(150 * time.Minute),
			ObjectionDays:    3,
		},
	})
}

// sealFor seals doc as a bidder would, to tender tn.
func (e *env) sealFor(t testing.TB, tn *Tender, doc string) []byte {
	t.Helper()
	target, err := tn.Target(e.engine)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := sealer.Seal(&buf, bytes.NewReader([]byte(doc)), target); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// testDirectory stands in for package registry's answers: users, their
// roles, and who is LPSE staff or blacklisted.
type testDirectory struct {
	mu          sync.Mutex
	providers   map[string]error // nil = verified and active
	committee   map[string]bool
	staff       map[string]bool
	deactivated map[string]bool
	ppks        map[string]bool
	pakpa       map[string]bool
	committees  map[string][]string // tender id → members, as the registry assigns them
	keys        map[string]string   // member → opening key in force
}

func newTestDirectory() *testDirectory {
	d := &testDirectory{providers: map[string]error{}, committee: map[string]bool{}, staff: map[string]bool{}, deactivated: map[string]bool{}, ppks: map[string]bool{},
		committees: map[string][]string{}, keys: map[string]string{}}
	for _, m := range []string{"pokja-1", "pokja-2", "pokja-3"} {
		d.committee[m] = true
	}
	for i := 1; i <= 20; i++ {
		d.providers[fmt.Sprintf("penyedia-%d", i)] = nil
	}
	d.providers["penyedia-unverified"] = errors.New("registration not yet verified")
	d.staff["lpse-admin"] = true
	return d
}

func (d *testDirectory) CheckProvider(ctx context.Context, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	err, ok := d.providers[id]
	switch {
	case !ok:
		return fmt.Errorf("%q is not a provider", id)
	case d.deactivated[id]:
		return fmt.Errorf("%q is deactivated (blacklist)", id)
	}
	return err
}

func (d *testDirectory) CheckRole(ctx context.Context, id string, role Role) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if role == RoleCommittee && d.committee[id] && !d.deactivated[id] {
		return nil
	}
	if (role == RolePPK && d.ppks[id] || role == RolePAKPA && d.pakpa[id]) && !d.deactivated[id] {
		return nil
	}
	return fmt.Errorf("%q does not hold role %s", id, role)
}

func (d *testDirectory) CheckAssignable(ctx context.Context, id string, role Role) error {
	d.mu.Lock()
	staff := d.staff[id]
	d.mu.Unlock()
	if staff {
		return fmt.Errorf("%q is LPSE staff and may not sit on a committee (art. 21.3)", id)
	}
	return d.CheckRole(ctx, id, role)
}

func (d *testDirectory) Committee(ctx context.Context, id string) ([]Member, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	users, ok := d.committees[id]
	if !ok {
		return nil, fmt.Errorf("no committee is assigned to tender %s", id)
	}
	var out []Member
	for _, u := range users {
		out = append(out, Member{User: u, Key: d.keys[u]})
	}
	return out, nil
}

func (d *testDirectory) ppk(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.ppks[id] = true
}

var b64 = base64.RawStdEncoding
