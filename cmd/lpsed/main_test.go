package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestDemo runs lpsed demo with --keep: the whole tender, then the web
// portal kept up (its pages answer, in Bahasa Indonesia) until the demo
// is interrupted, when it exits 0.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a whole tender in real time (~15 s)")
	}
	var out, errOut lockedBuffer
	bundle := filepath.Join(t.TempDir(), "bundle")
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"demo", "--data", t.TempDir(), "--bundle", bundle, "--addr", addr, "--keep"}, &out, &errOut)
	}()
	deadline := time.Now().Add(3 * time.Minute)
	for !strings.Contains(out.String(), "until Ctrl-C") {
		select {
		case code := <-done:
			t.Fatalf("lpsed demo exited %d before keeping the portal up: %s\n%s", code, errOut.String(), out.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("lpsed demo did not finish its tender:\n%s", out.String())
		}
	}
	for _, want := range []string{"web portal: http://" + addr + "/", "refused (timelock: too early", "witness report for", "bundle verified",
		"direktur@cv-contoh-0.demo.co.id", "rahasia-demo-segel-2026"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out.String())
		}
	}
	if _, err := os.Stat(filepath.Join(bundle, "opening-report.txt")); err != nil {
		t.Errorf("--bundle: %v", err)
	}
	tenderURL := regexp.MustCompile(`stays up at (http://\S+/tenders/\S+) `).FindStringSubmatch(out.String())
	if tenderURL == nil {
		t.Fatalf("no tender URL in:\n%s", out.String())
	}
	for _, u := range []string{"http://" + addr + "/", tenderURL[1]} {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Contains(body, []byte(`<html lang="id">`)) {
			t.Errorf("GET %s after the demo: %d\n%.400s", u, resp.StatusCode, body)
		}
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("lpsed demo --keep exited %d when interrupted: %s", code, errOut.String())
	}
}

// lockedBuffer is a bytes.Buffer safe for a writer and a reader at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
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
