package helpdesk

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/vault"
	"github.com/segel-lpse/segel/vault/vaulttest"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// env is a deployment for tests: a real vault backend, a real audit log
// on it (whose storage can be made to refuse appends), and one clock.
type env struct {
	ctx     context.Context
	desk    *Desk
	backend vault.Backend
	log     *auditlog.Log
	logs    *faultyStorage
	dir     *testDirectory

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
func backends(t *testing.T, f func(t *testing.T, b vault.Backend)) {
	t.Run("embedded", func(t *testing.T) {
		b, err := vault.OpenEmbedded(t.Context(), vault.EmbeddedConfig{Dir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		f(t, b)
	})
	t.Run("postgres", func(t *testing.T) {
		b, err := vault.OpenPostgres(t.Context(), vault.PostgresConfig{DSN: vaulttest.PostgresDSN(t)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		f(t, b)
	})
}

var testStart = time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)

func newEnv(t *testing.T, backend vault.Backend) *env {
	t.Helper()
	e := &env{ctx: t.Context(), backend: backend, now: testStart, dir: newTestDirectory()}
	skey, _, err := auditlog.GenerateKey("lpse.test/log")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	e.logs = &faultyStorage{Storage: backend.AuditLog("main")}
	e.log, err = auditlog.Open(e.ctx, auditlog.Config{Storage: e.logs, Origin: "lpse.test/log", Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	e.desk, err = New(Config{Records: backend, Blobs: backend, Log: e.log, Directory: e.dir, Now: e.clock})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// faultyStorage is a log's storage that refuses appends while fail is set,
// as a full disk or a lost database connection would.
type faultyStorage struct {
	auditlog.Storage
	fail atomic.Bool
}

var errStorageDown = errors.New("test: storage refuses appends")

func (s *faultyStorage) Append(ctx context.Context, n int64, entries [][]byte, hashes []tlog.Hash) error {
	if s.fail.Load() {
		return errStorageDown
	}
	return s.Storage.Append(ctx, n, entries, hashes)
}

// testDirectory stands in for package registry's answers (package
// directory's TestHelpdesk checks those against a real registry): LPSE
// staff, other users in good standing or not, and deactivations.
type testDirectory struct {
	mu          sync.Mutex
	staff       map[string]bool
	users       map[string]error // nil: verified and active
	deactivated map[string]bool
}

func newTestDirectory() *testDirectory {
	d := &testDirectory{staff: map[string]bool{"lpse-admin": true, "lpse-helpdesk": true}, users: map[string]error{}, deactivated: map[string]bool{}}
	for i := 1; i <= 3; i++ {
		d.users[fmt.Sprintf("penyedia-%d", i)] = nil
		d.users[fmt.Sprintf("pokja-%d", i)] = nil
	}
	d.users["penyedia-unverified"] = errors.New("registration not yet verified")
	return d
}

func (d *testDirectory) CheckStaff(ctx context.Context, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.staff[id] || d.deactivated[id] {
		return fmt.Errorf("%q is not active LPSE staff", id)
	}
	return nil
}

func (d *testDirectory) CheckUser(ctx context.Context, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	err, known := d.users[id]
	switch {
	case d.deactivated[id]:
		return fmt.Errorf("%q is deactivated (blacklist)", id)
	case d.staff[id]:
		return nil
	case !known:
		return fmt.Errorf("%q is not a user", id)
	}
	return err
}

func (d *testDirectory) deactivate(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.deactivated[id] = true
}

func (e *env) readBlob(t *testing.T, d [32]byte) string {
	t.Helper()
	r, err := e.backend.Open(e.ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func (e *env) lastEntry(t *testing.T) auditlog.Entry {
	t.Helper()
	n := e.log.Size()
	ents, err := e.log.Entries(e.ctx, n-1, n)
	if err != nil {
		t.Fatal(err)
	}
	ent, err := auditlog.ParseEntry(bytes.Clone(ents[0]))
	if err != nil {
		t.Fatal(err)
	}
	return ent
}
