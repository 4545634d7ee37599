package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/segel-lpse/segel/auditlog"
	"golang.org/x/mod/sumdb/note"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"segel": func() {
			os.Exit(run(context.Background(), os.Args[1:], &env{
				stdin:  os.Stdin,
				stdout: os.Stdout,
				stderr: os.Stderr,
				getenv: os.Getenv,
			}))
		},
	})
}

func TestScript(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(e *testscript.Env) error {
			// A port for beacon serve, free when the script starts.
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return err
			}
			e.Setenv("PORT", strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
			return ln.Close()
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"mkproof":     cmdMkproof,
			"mkbundle":    cmdMkbundle,
			"waithttp":    cmdWaitHTTP,
			"mkfile":      cmdMkfile,
			"exits":       cmdExits,
			"corrupt":     cmdCorrupt,
			"truncate":    cmdTruncate,
			"lpsed":       cmdLpsed,
			"liar":        cmdLiar,
			"cutproxy":    cmdCutProxy,
			"waitfile":    cmdWaitFile,
			"lpsedv2":     cmdLpsedV2,
			"participate": cmdParticipate,
			"waituntil":   cmdWaitUntil,
			"envfile":     cmdEnvFile,
			"expand":      cmdExpand,
			"schedule":    cmdSchedule,
		},
	})
}

// cmdMkproof writes, into directory args[0], an audit log's pinned keys
// (trusted.keys), a receipt (receipt.txt), its proof file (proof.txt), and
// tampered copies of both (receipt-bad.txt, proof-bad.txt), made with
// package auditlog as a server would.
func cmdMkproof(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: mkproof DIR")
	}
	dir := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(dir, 0o777))
	ctx := context.Background()
	const origin = "lpse.example.go.id/log"
	logSkey, logVkey, err := auditlog.GenerateKey(origin)
	ts.Check(err)
	rSkey, rVkey, err := auditlog.GenerateKey("lpse.example.go.id/receipt")
	ts.Check(err)
	logSigner, err := note.NewSigner(logSkey)
	ts.Check(err)
	rSigner, err := note.NewSigner(rSkey)
	ts.Check(err)
	l, err := auditlog.Open(ctx, auditlog.Config{Storage: auditlog.NewMemoryStorage(), Origin: origin, Signer: logSigner})
	ts.Check(err)

	var receipt []byte
	for i := range 5 {
		r := auditlog.Receipt{
			Origin:   origin,
			Tender:   fmt.Sprintf("T-%d", i),
			Bidder:   "bidder-7",
			SHA256:   sha256.Sum256([]byte{byte(i)}),
			Size:     1234,
			Received: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		}
		e, err := r.Entry().Marshal()
		ts.Check(err)
		idx, err := l.Append(ctx, e)
		ts.Check(err)
		r.Index = idx[0]
		signed, err := auditlog.SignReceipt(r, rSigner)
		ts.Check(err)
		if i == 2 {
			receipt = signed
		}
	}
	proof, err := l.ProofFile(ctx, receipt)
	ts.Check(err)

	write := func(name string, b []byte) {
		ts.Check(os.WriteFile(filepath.Join(dir, name), b, 0o666))
	}
	write("trusted.keys", []byte("# pinned keys\n"+logVkey+"\n"+rVkey+"\n"))
	write("log.key", []byte(logVkey+"\n"))
	write("receipt.txt", receipt)
	write("proof.txt", proof)
	write("receipt-bad.txt", bytes.Replace(receipt, []byte("tender: T-2"), []byte("tender: T-3"), 1))
	// As jq -r prints a receipt taken from a JSON string, and as an
	// editor on Windows saves one.
	write("receipt-jq.txt", append(bytes.Clone(receipt), '\n'))
	write("receipt-crlf.txt", bytes.ReplaceAll(receipt, []byte("\n"), []byte("\r\n")))
	write("proof-jq.txt", append(bytes.Clone(proof), '\n'))
	write("proof-badreceipt.txt", bytes.Replace(proof, []byte("tender: T-2"), []byte("tender: T-3"), 1))
	// Change one inclusion proof hash: the line after "index N".
	lines := strings.SplitAfter(string(proof), "\n")
	for i, line := range lines {
		if strings.HasPrefix(line, "index ") {
			h := []byte(lines[i+1])
			if h[5] == 'A' {
				h[5] = 'B'
			} else {
				h[5] = 'A'
			}
			lines[i+1] = string(h)
			break
		}
	}
	write("proof-bad.txt", []byte(strings.Join(lines, "")))
}

// cmdWaitHTTP waits until URL answers 200 OK, for at most 10 seconds.
func cmdWaitHTTP(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waithttp URL")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(args[0])
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			ts.Fatalf("%s did not answer 200 OK in time (last error: %v)", args[0], err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// cmdMkfile writes a file of the given size with varied content.
func cmdMkfile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: mkfile NAME SIZE")
	}
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 7)
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), b, 0o666))
}

// cmdCorrupt flips the last byte of a file: the last payload chunk of an
// age file then fails authentication.
func cmdCorrupt(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: corrupt FILE")
	}
	name := ts.MkAbs(args[0])
	b, err := os.ReadFile(name)
	ts.Check(err)
	if len(b) == 0 {
		ts.Fatalf("%s is empty", args[0])
	}
	b[len(b)-1] ^= 1
	ts.Check(os.WriteFile(name, b, 0o666))
}

// cmdTruncate cuts a file to its first SIZE bytes.
func cmdTruncate(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: truncate FILE SIZE")
	}
	n, err := strconv.ParseInt(args[1], 10, 64)
	ts.Check(err)
	ts.Check(os.Truncate(ts.MkAbs(args[0]), n))
}

// cmdExits runs a command like exec and checks its exit code:
//
//	exits 3 segel open …
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE COMMAND [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("%v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("exit code %d, want %d", got, want)
	}
}
