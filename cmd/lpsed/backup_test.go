package main

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/google/go-cmp/cmp"
	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/internal/demo"
	"github.com/segel-lpse/segel/server"
	"github.com/segel-lpse/segel/vault"
	"github.com/segel-lpse/segel/vault/vaulttest"
)

// The kinds of deployment, as backup archives name them, and names in
// archives that tests edit (doc/spec/backup.md).
const (
	kindEmbedded = "embedded"
	kindPostgres = "postgres"
	sumsName     = "SHA256SUMS"
	dbName       = "vault.db"
)

// deployment is a server under test on one backend.
type deployment struct {
	kind    string // kindEmbedded or kindPostgres
	loc     string // data directory or DSN
	kekFile string
	kek     *vault.KEK
	backend vault.Backend
	s       *server.Server
	url     string
}

func newDeployment(t *testing.T, kind, loc string) *deployment {
	t.Helper()
	ctx := context.Background()
	d := &deployment{kind: kind, loc: loc, kekFile: filepath.Join(t.TempDir(), "kek.txt")}
	if err := os.WriteFile(d.kekFile, []byte(vault.GenerateKEK()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var err error
	if d.kek, err = vault.LoadKEKFile(d.kekFile); err != nil {
		t.Fatal(err)
	}
	d.backend = openBackend(t, kind, loc)
	d.s, err = server.Build(ctx, server.Config{Backend: d.backend, KEK: d.kek, Name: "lpse.backup.test", LocalPeriod: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(d.s.Handler())
	t.Cleanup(hs.Close)
	d.url = hs.URL
	return d
}

func openBackend(t *testing.T, kind, loc string) vault.Backend {
	t.Helper()
	var b vault.Backend
	var err error
	if kind == kindPostgres {
		b, err = vault.OpenPostgres(context.Background(), vault.PostgresConfig{DSN: loc})
	} else {
		b, err = vault.OpenEmbedded(context.Background(), vault.EmbeddedConfig{Dir: loc})
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// backupArgs selects d's backend for lpsed backup.
func (d *deployment) backupArgs() []string {
	if d.kind == kindPostgres {
		return []string{"--postgres", d.loc}
	}
	return []string{"--postgres=", "--data", d.loc}
}

// keys makes an age identity file and returns its path and recipient.
func newIdentity(t *testing.T) (string, string) {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "backup-key.txt")
	if err := os.WriteFile(path, []byte(id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, id.Recipient().String()
}

func lpsed(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errOut := lpsed(t, args...)
	if code != 0 {
		t.Fatalf("lpsed %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

func TestBackupRestoreEmbedded(t *testing.T) {
	testRoundTrip(t, kindEmbedded, t.TempDir(), func() string { return t.TempDir() + "/restored" })
}

func TestBackupRestorePostgres(t *testing.T) {
	vaulttest.PostgresDSN(t) // skips loudly, or fails in CI, without PostgreSQL
	testRoundTrip(t, kindPostgres, vaulttest.PostgresDSN(t), func() string { return vaulttest.PostgresDSN(t) })
}

// testRoundTrip runs a tender through a live deployment, backs it up while
// it serves (once in the middle of the tender, once after), restores both
// archives into new targets and checks the restored deployments.
func testRoundTrip(t *testing.T, kind, loc string, newTarget func() string) {
	ctx := context.Background()
	d := newDeployment(t, kind, loc)
	identity, recipient := newIdentity(t)
	dir := t.TempDir()

	done := make(chan error, 1)
	var res *demo.Result
	go func() {
		var err error
		res, err = demo.Run(ctx, demo.Config{URL: d.url, Bidders: 3, Window: 8 * time.Second})
		done <- err
	}()
	// Mid-tender: the server is writing while the snapshot is taken.
	for d.s.Log.Size() < 12 {
		time.Sleep(20 * time.Millisecond)
	}
	mid := filepath.Join(dir, "mid.age")
	mustRun(t, append([]string{"backup", "--to", mid, "--recipient", recipient}, d.backupArgs()...)...)
	if err := <-done; err != nil {
		t.Fatalf("demo: %v", err)
	}
	final := filepath.Join(dir, "final.age")
	start := time.Now()
	out := mustRun(t, append([]string{"backup", "--to", final, "--recipient", recipient, "--server", d.url}, d.backupArgs()...)...)
	st, _ := os.Stat(final)
	t.Logf("%s (%d bytes in %v): %s", kind, st.Size(), time.Since(start).Round(time.Millisecond), out)
	if _, err := os.Stat(final + ".tmp"); !os.IsNotExist(err) {
		t.Errorf("%s.tmp left behind: %v", final, err)
	}

	restoreArgs := func(from, target string) []string {
		args := []string{"restore", "--from", from, "--identity", identity, "--kek-file", d.kekFile}
		if kind == kindPostgres {
			return append(args, "--postgres", target)
		}
		return append(args, "--data", target)
	}
	t.Run("mid-tender", func(t *testing.T) {
		out := mustRun(t, restoreArgs(mid, newTarget())...)
		if !strings.Contains(out, "verified: log") {
			t.Errorf("restore output: %s", out)
		}
	})

	target := newTarget()
	out = mustRun(t, restoreArgs(final, target)...)
	t.Logf("restore: %s", out)
	if strings.Contains(out, "not yet covered") {
		t.Errorf("with --server the checkpoint should cover the whole log: %s", out)
	}

	// The restored deployment, rebuilt with the same KEK, is the original:
	// the same records, blobs and logs, the same keys, tenders and bundle.
	rb := openBackend(t, kind, target)
	if diff := cmp.Diff(contentsOf(t, d.backend), contentsOf(t, rb)); diff != "" {
		t.Errorf("restored vault differs (-original +restored):\n%s", diff)
	}
	r, err := server.Build(ctx, server.Config{Backend: rb, KEK: d.kek, Name: "lpse.backup.test", LocalPeriod: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if r.Log.Size() != d.s.Log.Size() {
		t.Errorf("log size: restored %d, original %d", r.Log.Size(), d.s.Log.Size())
	}
	gotKeys, _ := r.Keys.Marshal()
	wantKeys, _ := d.s.Keys.Marshal()
	if !bytes.Equal(gotKeys, wantKeys) {
		t.Errorf("keys: restored\n%s\noriginal\n%s", gotKeys, wantKeys)
	}
	got, err := r.Engine.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want, err := d.s.Engine.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tenders differ (-original +restored):\n%s", diff)
	}
	b, err := r.Engine.Bundle(ctx, res.Tender, r.Keys, true)
	if err != nil {
		t.Fatal(err)
	}
	bdir := filepath.Join(t.TempDir(), "bundle")
	if err := b.WriteDir(bdir); err != nil {
		t.Fatal(err)
	}
	rb2, err := audit.ReadDir(bdir)
	if err != nil {
		t.Fatal(err)
	}
	v, err := audit.Verify(rb2, *d.s.Keys)
	if err != nil {
		t.Fatalf("the restored tender's bundle does not verify against the original keys: %v", err)
	}
	if v.Receipts != res.Offers || v.Opened != res.Opened || v.Failed != res.Failed || v.Sealed != res.Offers {
		t.Errorf("restored bundle: %+v; the demo had %d offers, %d opened, %d failed", v, res.Offers, res.Opened, res.Failed)
	}

	t.Run("non-empty-target", func(t *testing.T) {
		code, _, errOut := lpsed(t, restoreArgs(final, target)...)
		if code != 1 || !strings.Contains(errOut, "not empty") {
			t.Errorf("restore into the restored target: exit %d, %s", code, errOut)
		}
	})
}

// contentsOf describes what b stores: the counts and log states of a
// snapshot's manifest.
func contentsOf(t *testing.T, b vault.Backend) vault.Manifest {
	t.Helper()
	m, err := b.Snapshot(context.Background(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return vault.Manifest{Kind: m.Kind, Schema: m.Schema, Logs: m.Logs, Records: m.Records, Blobs: m.Blobs, BlobBytes: m.BlobBytes}
}

// TestRestoreRefuses checks that restore refuses bad archives, wrong keys
// and targets, and leaves no restored directory behind.
func TestRestoreRefuses(t *testing.T) {
	ctx := context.Background()
	d := newDeployment(t, kindEmbedded, t.TempDir())
	if _, err := demo.Setup(ctx, d.url, 1, time.Minute); err != nil {
		t.Fatal(err)
	}
	identity, recipient := newIdentity(t)
	archive := filepath.Join(t.TempDir(), "b.age")
	mustRun(t, "backup", "--postgres=", "--data", d.loc, "--to", archive, "--recipient", recipient, "--server", d.url)
	good, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	id, err := age.ParseX25519Identity(strings.TrimSpace(string(mustRead(t, identity))))
	if err != nil {
		t.Fatal(err)
	}
	// rewrite decrypts the archive, lets edit change files, and encrypts
	// it again to the same recipient: an archive age accepts.
	rewrite := func(t *testing.T, edit func(name string, b []byte) []byte) string {
		ar, err := age.Decrypt(bytes.NewReader(good), id)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "edited.age")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		aw, err := age.Encrypt(f, id.Recipient())
		if err != nil {
			t.Fatal(err)
		}
		tr, tw := tar.NewReader(ar), tar.NewWriter(aw)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			} else if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			b = edit(h.Name, b)
			h.Size = int64(len(b))
			if err := tw.WriteHeader(h); err != nil {
				t.Fatal(err)
			}
			tw.Write(b)
		}
		if err := tw.Close(); err != nil {
			t.Fatal(err)
		}
		if err := aw.Close(); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		return path
	}
	writeTemp := func(t *testing.T, b []byte) string {
		p := filepath.Join(t.TempDir(), "x.age")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	otherID, _ := newIdentity(t)
	otherKEK := filepath.Join(t.TempDir(), "other-kek.txt")
	os.WriteFile(otherKEK, []byte(vault.GenerateKEK()), 0o600)
	nonEmpty := t.TempDir()
	os.WriteFile(filepath.Join(nonEmpty, "keep.txt"), []byte("mine"), 0o600)

	tests := []struct {
		name     string
		from     func(t *testing.T) string
		identity string
		kek      string
		target   string
		code     int
		want     string
	}{
		{"wrong identity", func(*testing.T) string { return archive }, otherID, d.kekFile, "", 1, "identity did not match"},
		{"flipped byte", func(t *testing.T) string {
			b := bytes.Clone(good)
			b[len(b)/2] ^= 1
			return writeTemp(t, b)
		}, identity, d.kekFile, "", 1, "tampered"},
		{"truncated", func(t *testing.T) string { return writeTemp(t, good[:len(good)-100]) }, identity, d.kekFile, "", 1, "tampered"},
		{"sum mismatch", func(t *testing.T) string {
			return rewrite(t, func(name string, b []byte) []byte {
				if name == sumsName {
					i := bytes.Index(b, []byte("  "+dbName)) - 64 // vault.db's sum
					b = bytes.Clone(b)
					if b[i] == '0' {
						b[i] = '1'
					} else {
						b[i] = '0'
					}
				}
				return b
			})
		}, identity, d.kekFile, "", 1, "vault.db: SHA-256"},
		{"blob changed", func(t *testing.T) string {
			return rewrite(t, func(name string, b []byte) []byte {
				if strings.HasPrefix(name, "blobs/") {
					b = append(bytes.Clone(b), 'x')
				}
				return b
			})
		}, identity, d.kekFile, "", 1, "does not hash to its name"},
		{"no sums", func(t *testing.T) string {
			return rewrite(t, func(name string, b []byte) []byte {
				if name == sumsName {
					return nil
				}
				return b
			})
		}, identity, d.kekFile, "", 1, "SHA256SUMS"},
		{"wrong KEK", func(*testing.T) string { return archive }, identity, otherKEK, "", 1, "does not open"},
		{"no KEK", func(*testing.T) string { return archive }, identity, "", "", 2, "KEK is needed"},
		{"non-empty directory", func(*testing.T) string { return archive }, identity, d.kekFile, nonEmpty, 1, "not empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := tt.target
			if target == "" {
				target = filepath.Join(t.TempDir(), "restored")
			}
			code, _, errOut := lpsed(t, "restore", "--from", tt.from(t), "--identity", tt.identity, "--kek-file", tt.kek, "--data", target)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, errOut, tt.code, tt.want)
			}
			if tt.target == "" {
				if _, err := os.Stat(target); !os.IsNotExist(err) {
					t.Errorf("a refused restore left %s behind (%v)", target, err)
				}
			}
		})
	}
	if b, _ := os.ReadFile(filepath.Join(nonEmpty, "keep.txt")); string(b) != "mine" {
		t.Errorf("the non-empty directory was changed")
	}
	if entries, _ := os.ReadDir(nonEmpty); len(entries) != 1 {
		t.Errorf("the non-empty directory has %d entries, want 1", len(entries))
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBackupUsage(t *testing.T) {
	for _, args := range [][]string{
		{"backup"},
		{"backup", "--to", filepath.Join(t.TempDir(), "x.age")},
		{"backup", "--to", "x", "--recipient", "not-a-recipient"},
		{"restore", "--from", "x"},
		{"restore", "--from", "x", "--identity", "y", "--data", "a", "--postgres", "b"},
	} {
		if code, _, errOut := lpsed(t, args...); code != 2 {
			t.Errorf("lpsed %v: exit %d, want 2 (%s)", args, code, errOut)
		}
	}
}

// TestBackupRefusesExisting: backup --to never replaces a file (an older
// archive may be the last good one), never writes into another backup's
// FILE.tmp, and leaves both as they were.
func TestBackupRefusesExisting(t *testing.T) {
	d := newDeployment(t, kindEmbedded, t.TempDir())
	_, recipient := newIdentity(t)
	dir := t.TempDir()
	older := filepath.Join(dir, "segel.age")
	if err := os.WriteFile(older, []byte("an older archive"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := lpsed(t, append([]string{"backup", "--to", older, "--recipient", recipient}, d.backupArgs()...)...)
	if code != 1 || !strings.Contains(errOut, older+" exists: backup never replaces an archive") {
		t.Errorf("backup --to EXISTING: exit %d, %q; want 1 and a refusal", code, errOut)
	}
	if got := mustRead(t, older); string(got) != "an older archive" {
		t.Errorf("backup --to EXISTING replaced it: %d bytes", len(got))
	}

	// A FILE.tmp being written (or left by a killed backup) is not reused.
	fresh := filepath.Join(dir, "fresh.age")
	if err := os.WriteFile(fresh+".tmp", []byte("another backup's bytes"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = lpsed(t, append([]string{"backup", "--to", fresh, "--recipient", recipient}, d.backupArgs()...)...)
	if code != 1 || !strings.Contains(errOut, fresh+".tmp exists") {
		t.Errorf("backup with FILE.tmp present: exit %d, %q; want 1 and a refusal", code, errOut)
	}
	if got := mustRead(t, fresh+".tmp"); string(got) != "another backup's bytes" {
		t.Errorf("backup wrote into another's FILE.tmp")
	}
	if _, err := os.Stat(fresh); err == nil {
		t.Errorf("backup wrote %s although it refused", fresh)
	}

	// The name taken while the archive was being written.
	tmp := filepath.Join(dir, "late.age.tmp")
	late := filepath.Join(dir, "late.age")
	for path, text := range map[string]string{tmp: "complete archive", late: "written meanwhile"} {
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := publish(tmp, late); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("publish over an existing file: %v, want a refusal", err)
	}
	if got := mustRead(t, late); string(got) != "written meanwhile" {
		t.Errorf("publish replaced an existing file")
	}
}
