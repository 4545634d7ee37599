package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a whole tender in real time (~15 s)")
	}
	var out, errOut bytes.Buffer
	bundle := filepath.Join(t.TempDir(), "bundle")
	if code := run(context.Background(), []string{"demo", "--data", t.TempDir(), "--bundle", bundle}, &out, &errOut); code != 0 {
		t.Fatalf("lpsed demo exited %d: %s\n%s", code, errOut.String(), out.String())
	}
	for _, want := range []string{"refused (timelock: too early", "witness report for", "bundle verified"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out.String())
		}
	}
	if _, err := os.Stat(filepath.Join(bundle, "opening-report.txt")); err != nil {
		t.Errorf("--bundle: %v", err)
	}
}

func TestUsage(t *testing.T) {
	tests := []struct {
		args []string
		code int
	}{
		{[]string{"help"}, 0},
		{[]string{"--help"}, 0},
		{[]string{"--no-such-flag"}, 2},
		{[]string{"--addr", "127.0.0.1:0", "stray-argument"}, 2},
		{[]string{"demo", "--no-such-flag"}, 2},
		{[]string{"--beacon", "moon", "--data", t.TempDir()}, 1},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), tt.args, &out, &errOut); code != tt.code {
			t.Errorf("lpsed %s: exit %d, want %d (%s)", strings.Join(tt.args, " "), code, tt.code, errOut.String())
		}
	}
}

// TestServe starts the server on a free port, waits until it answers,
// and stops it with the context, as SIGINT/SIGTERM do.
// TestServe serves, with profiles on a separate address, and shuts down.
func TestServe(t *testing.T) {
	addr, debug := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var out, errOut bytes.Buffer
	go func() {
		done <- run(ctx, []string{"--addr", addr, "--data", t.TempDir(), "--debug-addr", debug}, &out, &errOut)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not answer: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	status := func(url string) int {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := status("http://" + debug + "/debug/pprof/goroutine?debug=1"); code != http.StatusOK {
		t.Errorf("--debug-addr: /debug/pprof/goroutine answered %d", code)
	}
	if code := status("http://" + addr + "/debug/pprof/goroutine?debug=1"); code == http.StatusOK {
		t.Errorf("the API address serves profiles")
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("serve exited %d: %s", code, errOut.String())
	}
}

// TestDiagnostics checks that lpsed's own diagnostics, flag errors
// included, carry the "lpsed:" prefix, and that --version prints one line.
func TestDiagnostics(t *testing.T) {
	for _, args := range [][]string{
		{"--no-such-flag"},
		{"--addr"},
		{"demo", "--no-such-flag"},
		{"backup", "--no-such-flag"},
		{"restore", "--no-such-flag"},
		{"kek", "--no-such-flag"},
	} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), args, &out, &errOut); code != 2 {
			t.Errorf("lpsed %s: exit %d, want 2", strings.Join(args, " "), code)
		}
		if first, _, _ := strings.Cut(errOut.String(), "\n"); !strings.HasPrefix(first, "lpsed: ") {
			t.Errorf("lpsed %s: first line of stderr %q, want the lpsed: prefix", strings.Join(args, " "), first)
		}
	}
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"--version"}, &out, &errOut); code != 0 {
		t.Fatalf("lpsed --version: exit %d: %s", code, errOut.String())
	}
	if v := out.String(); !strings.HasPrefix(v, "lpsed ") || strings.Count(v, "\n") != 1 || len(v) < len("lpsed x\n") {
		t.Errorf("lpsed --version printed %q, want one line \"lpsed VERSION\"", v)
	}
}
