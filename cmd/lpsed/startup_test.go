package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segel-lpse/segel/internal/demo"
	"github.com/segel-lpse/segel/timelock"
	"github.com/segel-lpse/segel/vault"
	"github.com/segel-lpse/segel/vault/vaulttest"
)

// serveOnce runs lpsed with args (plus --addr) until it answers, reads
// its beacon chain's hash from /v1/chain, stops it and returns its stderr.
func serveOnce(t *testing.T, args ...string) (stderr, chainHash string) {
	t.Helper()
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var out, errOut bytes.Buffer
	go func() { done <- run(ctx, append([]string{"--addr", addr}, args...), &out, &errOut) }()
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	err := demo.WaitReady(wctx, "http://"+addr)
	wcancel()
	if err == nil {
		var resp *http.Response
		if resp, err = http.Get("http://" + addr + "/v1/chain"); err == nil {
			var info struct{ Hash string }
			err = json.NewDecoder(resp.Body).Decode(&info)
			resp.Body.Close()
			chainHash = info.Hash
		}
	}
	cancel()
	code := <-done
	if err != nil || code != 0 {
		t.Fatalf("lpsed %s: %v, exit %d\n%s", strings.Join(args, " "), err, code, errOut.String())
	}
	return errOut.String(), chainHash
}

// wantLines checks that log has a line with every field of each want.
func wantLines(t *testing.T, log string, want ...[]string) {
	t.Helper()
next:
	for _, fields := range want {
		for _, line := range strings.Split(log, "\n") {
			ok := true
			for _, f := range fields {
				ok = ok && strings.Contains(line, f)
			}
			if ok {
				continue next
			}
		}
		t.Errorf("no log line has all of %q; log:\n%s", fields, log)
	}
}

// TestStartupLogEmbedded: lpsed says what it runs on — name, backend,
// data directory, KEK source, chain — warns that a local beacon's holder
// can open offers early, and creates DATA/kek.txt once, loudly.
func TestStartupLogEmbedded(t *testing.T) {
	t.Setenv("SEGEL_KEK", "")
	t.Setenv("SEGEL_KEK_FILE", "")
	data := filepath.Join(t.TempDir(), "data")
	kekPath := filepath.Join(data, "kek.txt")
	log, chain := serveOnce(t, "--data", data, "--name", "lpse.startup")
	if len(chain) != 64 {
		t.Fatalf("/v1/chain hash %q", chain)
	}
	wantLines(t, log,
		[]string{"level=INFO", `msg="lpsed starting"`, "name=lpse.startup", "version=", `backend="embedded ` + data + `"`,
			"data=" + data, `kek="file ` + kekPath + ` (created now)"`},
		[]string{"level=WARN", "KEK created at " + kekPath + "; keep it apart from backups"},
		[]string{"level=WARN", "local beacon: whoever holds the vault and the KEK can open every offer before its deadline", "beacon=local", "chain=" + chain},
	)
	kek, err := os.ReadFile(kekPath)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(kekPath); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("kek.txt: %v, %v; want mode 0600", st.Mode(), err)
	}
	if _, err := vault.ParseKEK(string(kek)); err != nil {
		t.Fatalf("kek.txt: %v", err)
	}

	// Second start: the same KEK, read, not created.
	log, again := serveOnce(t, "--data", data, "--name", "lpse.startup")
	wantLines(t, log, []string{`msg="lpsed starting"`, `kek="file ` + kekPath + `"`}, []string{"beacon=local", "chain=" + chain})
	if strings.Contains(log, "KEK created") || again != chain {
		t.Errorf("second start: chain %s (first %s), log:\n%s", again, chain, log)
	}
	if b, err := os.ReadFile(kekPath); err != nil || !bytes.Equal(b, kek) {
		t.Errorf("kek.txt changed at the second start: %q, %v", b, err)
	}

	// A KEK given in the environment is used and named, and no file made.
	other := t.TempDir()
	t.Setenv("SEGEL_KEK", vault.GenerateKEK())
	log, _ = serveOnce(t, "--data", other)
	wantLines(t, log, []string{`msg="lpsed starting"`, "kek=SEGEL_KEK"})
	if _, err := os.Stat(filepath.Join(other, "kek.txt")); err == nil {
		t.Errorf("kek.txt written with SEGEL_KEK set")
	}
}

// TestPostgresNeedsKEK: on PostgreSQL, lpsed refuses to start without a
// KEK, writes nothing into its working directory, and says how to make
// one; given one, it logs the database without the password.
func TestPostgresNeedsKEK(t *testing.T) {
	dsn := vaulttest.PostgresDSN(t)
	t.Setenv("SEGEL_KEK", "")
	t.Setenv("SEGEL_KEK_FILE", "")
	cwd := t.TempDir()
	t.Chdir(cwd)
	// Bounded, so that a server that starts anyway ends with exit 0.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	if code := run(ctx, []string{"--addr", freeAddr(t), "--postgres", dsn}, &out, &errOut); code != 1 {
		t.Fatalf("lpsed --postgres without a KEK: exit %d, want 1\n%s", code, errOut.String())
	}
	for _, want := range []string{"--postgres needs the deployment's key-encryption key", "lpsed kek -o FILE", "--kek-file FILE"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("refusal %q lacks %q", errOut.String(), want)
		}
	}
	if entries, err := os.ReadDir(cwd); err != nil || len(entries) > 0 {
		t.Fatalf("lpsed wrote into its working directory: %v, %v", entries, err)
	}

	// The file an earlier lpsed wrote there is pointed at, not used.
	old := filepath.Join(defaultData, "kek.txt")
	if err := os.Mkdir(defaultData, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := writeNewKEK(old); err != nil {
		t.Fatal(err)
	}
	errOut.Reset()
	if code := run(ctx, []string{"--addr", freeAddr(t), "--postgres", dsn}, &out, &errOut); code != 1 ||
		!strings.Contains(errOut.String(), "pass --kek-file "+old) {
		t.Fatalf("lpsed --postgres with an old %s: exit %d, want 1 and a hint at it: %s", old, code, errOut.String())
	}

	kekFile := filepath.Join(t.TempDir(), "kek.txt")
	if code := run(context.Background(), []string{"kek", "-o", kekFile}, &out, &errOut); code != 0 {
		t.Fatalf("lpsed kek -o: exit %d: %s", code, errOut.String())
	}
	// Only letters and digits: a '/' or '+' from base64 would make the
	// DSN unparsable, and the test fail for another reason.
	secret := "pw-" + strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return 'x'
	}, vault.GenerateKEK()[:12])
	dsnPW := strings.Replace(dsn, "postgres@", "postgres:"+secret+"@", 1) // trust auth ignores it
	log, _ := serveOnce(t, "--postgres", dsnPW, "--kek-file", kekFile)
	wantLines(t, log, []string{`msg="lpsed starting"`, `backend="postgres postgres@`, "data=none", `kek="file ` + kekFile + `"`})
	if !strings.Contains(dsnPW, secret) || strings.Contains(log, secret) {
		t.Errorf("the log shows the DSN's password (or the test did not put one in %s):\n%s", dsnPW, log)
	}
}

// TestKEKCommand: lpsed kek prints a KEK, or writes one to a new file
// only, mode 0600.
func TestKEKCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"kek"}, &out, &errOut); code != 0 {
		t.Fatalf("lpsed kek: exit %d: %s", code, errOut.String())
	}
	if _, err := vault.ParseKEK(out.String()); err != nil {
		t.Errorf("lpsed kek printed %q: %v", out.String(), err)
	}
	path := filepath.Join(t.TempDir(), "kek.txt")
	if code := run(context.Background(), []string{"kek", "-o", path}, &out, &errOut); code != 0 {
		t.Fatalf("lpsed kek -o: exit %d: %s", code, errOut.String())
	}
	if _, err := vault.LoadKEKFile(path); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("lpsed kek -o: mode %v, %v; want 0600", st.Mode(), err)
	}
	before, _ := os.ReadFile(path)
	errOut.Reset()
	if code := run(context.Background(), []string{"kek", "-o", path}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), path+" exists") {
		t.Errorf("lpsed kek -o EXISTING: exit %d, %q; want 1 and a refusal", code, errOut.String())
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Errorf("lpsed kek -o EXISTING changed the file")
	}
}

// TestSecondProcessRefused runs two real lpsed processes on one data
// directory: the second exits 1, naming the directory and the first's pid,
// and the first keeps serving.
func TestSecondProcessRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs lpsed; skipped with -short")
	}
	bin := buildLpsed(t)
	data, kek := t.TempDir(), vault.GenerateKEK()
	first := startLpsed(t, bin, freeAddr(t), data, "", kek, "lpsed-first.log")
	cmd := exec.Command(bin, "--addr", freeAddr(t), "--data", data)
	cmd.Env = append(os.Environ(), "SEGEL_KEK="+kek)
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if cmd.ProcessState.ExitCode() != 1 {
			t.Fatalf("second lpsed on %s: %v, want exit 1\n%s", data, err, errOut.String())
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("a second lpsed on %s kept running\n%s", data, errOut.String())
	}
	for _, want := range []string{data, "in use by another process", fmt.Sprintf("pid %d", first.cmd.Process.Pid)} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("second lpsed's error %q lacks %q", errOut.String(), want)
		}
	}
	resp, err := http.Get(first.url + "/readyz")
	if err != nil {
		t.Fatalf("the first lpsed after the refused second: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the first lpsed after the refused second: /readyz %s", resp.Status)
	}
}

// TestLogChainQuicknet: drand's quicknet is logged as such, with its hash,
// and without the local beacon's warning.
func TestLogChainQuicknet(t *testing.T) {
	var buf bytes.Buffer
	logChain(slog.New(slog.NewTextHandler(&buf, nil)), timelock.Quicknet, false)
	wantLines(t, buf.String(), []string{"level=INFO", `beacon="drand quicknet"`, "chain=" + timelock.Quicknet.HashHex(), "period=3s"})
	if strings.Contains(buf.String(), "WARN") {
		t.Errorf("quicknet logged with a warning: %s", buf.String())
	}
}
