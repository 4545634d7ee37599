package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segel-lpse/segel/client"
)

func goodState() *uploadState {
	return &uploadState{Format: stateFormat, LPSE: "https://lpse.example.go.id", Tender: "T-1", Upload: "up-0123",
		Sealed: "T-1.age", SHA256: strings.Repeat("ab", 32), Size: 1234, Document: strings.Repeat("cd", 32)}
}

func TestReadState(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "T-1.upload")
	if s, err := readState(name); s != nil || err != nil {
		t.Fatalf("no file: %v, %v; want nil, nil", s, err)
	}
	want := goodState()
	if err := want.write(name); err != nil {
		t.Fatal(err)
	}
	got, err := readState(name)
	if err != nil || *got != *want {
		t.Fatalf("read back %+v, %v; want %+v", got, err, want)
	}
	good, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	for what, b := range map[string][]byte{
		"empty":            nil,
		"not JSON":         []byte("up-0123\n"),
		"unknown field":    bytes.Replace(good, []byte(`"format"`), []byte(`"token": "x",`+"\n  "+`"format"`), 1),
		"another format":   bytes.Replace(good, []byte(stateFormat), []byte("segel-upload/v2"), 1),
		"uppercase digest": bytes.Replace(good, []byte(strings.Repeat("ab", 32)), []byte(strings.Repeat("AB", 32)), 1),
		"short digest":     bytes.Replace(good, []byte(strings.Repeat("ab", 32)), []byte(strings.Repeat("ab", 31)), 1),
		"no size":          bytes.Replace(good, []byte(`"size": 1234`), []byte(`"size": 0`), 1),
		"no tender":        bytes.Replace(good, []byte(`"tender": "T-1"`), []byte(`"tender": ""`), 1),
		"data after":       append(bytes.Clone(good), []byte("{}\n")...),
		"compact":          bytes.ReplaceAll(bytes.ReplaceAll(good, []byte("\n"), nil), []byte("  "), nil),
		"no final newline": bytes.TrimSuffix(good, []byte("\n")),
		"CRLF":             bytes.ReplaceAll(good, []byte("\n"), []byte("\r\n")),
		"too large":        append(bytes.Clone(good), bytes.Repeat([]byte(" "), maxStateSize)...),
	} {
		if err := os.WriteFile(name, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if s, err := readState(name); err == nil {
			t.Errorf("%s: accepted as %+v", what, s)
		} else if what != "too large" && !strings.Contains(err.Error(), "remove it to start the submission over") {
			t.Errorf("%s: %v, want it to say what to do", what, err)
		}
	}
}

func FuzzReadState(f *testing.F) {
	b, err := goodState().marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"format":"segel-upload/v1"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := parseState("fuzz.upload", b)
		if err != nil {
			return
		}
		again, err := s.marshal()
		if err != nil || !bytes.Equal(again, b) {
			t.Errorf("accepted %q, which marshals to %q (%v)", b, again, err)
		}
	})
}

func TestSizeFlag(t *testing.T) {
	for in, want := range map[string]int64{"1": 1, "4096": 4096, "64KiB": 64 << 10, "64K": 64 << 10, "1MiB": 1 << 20, "16M": 16 << 20} {
		var f sizeFlag
		if err := f.Set(in); err != nil || f.n != want {
			t.Errorf("Set(%q) = %d, %v; want %d", in, f.n, err, want)
		}
	}
	for _, in := range []string{"", "0", "-1", "+5", "1GB", "1 MiB", "MiB", "1.5MiB", "99999999999999MiB"} {
		var f sizeFlag
		if err := f.Set(in); err == nil {
			t.Errorf("Set(%q) = %d, want an error", in, f.n)
		}
	}
}

func TestLoadToken(t *testing.T) {
	dir := t.TempDir()
	file := func(content string) string {
		name := filepath.Join(dir, "token")
		if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return name
	}
	environ := func(v string) func(string) string {
		return func(k string) string {
			if k == tokenEnv {
				return v
			}
			return ""
		}
	}
	e := &env{getenv: environ("t-env.secret")}
	if tok, err := loadToken(e, "u", ""); err != nil || tok != "t-env.secret" {
		t.Errorf("from $%s: %q, %v", tokenEnv, tok, err)
	}
	if tok, err := loadToken(e, "u", file("# saved from POST /v1/login\nt-file.secret\n")); err != nil || tok != "t-file.secret" {
		t.Errorf("--token-file wins over the environment: %q, %v", tok, err)
	}
	var ue *usageError
	if _, err := loadToken(&env{}, "u", ""); !errors.As(err, &ue) {
		t.Errorf("no token: %v, want a usage error", err)
	}
	for _, bad := range []string{"", "t-a\nt-b\n", "t-a b\n", "t-\x01\n", "t-ä\n"} {
		if tok, err := loadToken(&env{}, "u", file(bad)); err == nil {
			t.Errorf("token file %q accepted as %q", bad, tok)
		}
	}
}

func TestProgressLine(t *testing.T) {
	began := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	p := &progressBar{label: "T-1.age", total: 3 << 20, held: 1 << 20, flight: 512 << 10, from: 1 << 19, began: began}
	got := p.line(began.Add(2 * time.Second))
	want := "segel: T-1.age [============>           ]  50%  1.5 of 3.0 MiB  512.0 KiB/s"
	if got != want {
		t.Errorf("line =\n%q, want\n%q", got, want)
	}
	p = &progressBar{label: "x.age", total: 100, held: 100, began: began}
	if got, want := p.line(began), "segel: x.age [========================] 100%  100 of 100 B"; got != want {
		t.Errorf("line =\n%q, want\n%q", got, want)
	}
	// Drawn only on a terminal: a nil bar is quiet, and says nothing.
	var out bytes.Buffer
	if bar := newProgressBar(&out); bar != nil {
		t.Fatal("a bar on a buffer")
	}
	var bar *progressBar
	bar.start("x", 1, 0)
	bar.sent(1)
	bar.set(1)
	bar.stop()
}

// TestWatchTransport: a request whose body the server stops taking, or
// whose answer does not come, is abandoned as stalled, and that is a
// failure to retry; one that moves slowly is not.
func TestWatchTransport(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/stuck": // reads nothing
			select {
			case <-release:
			case <-r.Context().Done():
			}
		case "/no-answer":
			select {
			case <-release:
			case <-r.Context().Done():
			}
		case "/slow-answer": // takes the body, thinks, answers
			io.Copy(io.Discard, r.Body)
			time.Sleep(500 * time.Millisecond)
			w.Write([]byte("ok"))
		case "/trickle":
			for range 6 {
				w.Write([]byte("x"))
				w.(http.Flusher).Flush()
				time.Sleep(60 * time.Millisecond)
			}
		}
	}))
	defer srv.Close()
	defer close(release)
	var sent int64
	hc := &http.Client{Transport: &watchTransport{base: http.DefaultTransport, idle: 200 * time.Millisecond, sent: func(n int) { sent += int64(n) }}}

	big := bytes.NewReader(make([]byte, 256<<20)) // more than the socket buffers hold
	req, _ := http.NewRequestWithContext(context.Background(), "PUT", srv.URL+"/stuck", io.NopCloser(big))
	req.ContentLength = big.Size()
	if _, err := hc.Do(req); !errors.Is(err, errStalled) || !client.Retryable(err) {
		t.Errorf("a body nobody reads: %v, want errStalled, retryable", err)
	}
	if sent == 0 || sent == big.Size() {
		t.Errorf("%d bytes counted as sent", sent)
	}
	resp, err := hc.Get(srv.URL + "/no-answer")
	if err == nil {
		resp.Body.Close()
	}
	if !errors.Is(err, errStalled) {
		t.Errorf("an answer that does not come: %v, want errStalled", err)
	}
	// A body all sent may wait longer for its answer.
	resp, err = hc.Post(srv.URL+"/slow-answer", "text/plain", strings.NewReader("the whole chunk"))
	if err != nil {
		t.Errorf("an answer that comes late after the whole body: %v", err)
	} else {
		resp.Body.Close()
	}
	resp, err = hc.Get(srv.URL + "/trickle")
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || string(b) != "xxxxxx" {
		t.Errorf("a slow but moving answer: %q, %v", b, err)
	}
	// The caller's own cancellation stays a cancellation, not a stall.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req, _ = http.NewRequestWithContext(ctx, "GET", srv.URL+"/trickle", nil)
	if _, err := hc.Do(req); !errors.Is(err, context.Canceled) || client.Retryable(err) {
		t.Errorf("canceled by the caller: %v", err)
	}
}
