package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segel-lpse/segel/timelock"
)

func TestParseInterleaved(t *testing.T) {
	tests := []struct {
		args    []string
		wantPos []string
		wantO   string
	}{
		{[]string{"in.txt"}, []string{"in.txt"}, ""},
		{[]string{"-o", "out", "in.txt"}, []string{"in.txt"}, "out"},
		{[]string{"in.txt", "-o", "out"}, []string{"in.txt"}, "out"},
		{[]string{"in.txt", "--o=out", "x"}, []string{"in.txt", "x"}, "out"},
		{[]string{"-"}, []string{"-"}, ""},
		{[]string{"--", "-o"}, []string{"-o"}, ""},
		{[]string{"a", "--", "-o", "b"}, []string{"a", "-o", "b"}, ""},
	}
	for _, tt := range tests {
		fs := newFlagSet("test")
		var o string
		fs.StringVar(&o, "o", "", "")
		pos, err := parse(&env{stdout: new(bytes.Buffer)}, fs, "usage", tt.args)
		if err != nil {
			t.Errorf("parse(%q): %v", tt.args, err)
			continue
		}
		if strings.Join(pos, "|") != strings.Join(tt.wantPos, "|") || o != tt.wantO {
			t.Errorf("parse(%q) = %q, -o %q; want %q, -o %q", tt.args, pos, o, tt.wantPos, tt.wantO)
		}
	}
}

func TestParseErrors(t *testing.T) {
	fs := newFlagSet("test")
	fs.String("o", "", "")
	var round roundFlag
	fs.Var(&round, "round", "")
	var at timeFlag
	fs.Var(&at, "time", "")
	for _, args := range [][]string{
		{"-nosuch"},
		{"-o"},
		{"--round", "0"},
		{"--round", "01"},
		{"--round", "-1"},
		{"--round", "18446744073709551616"},
		{"--time", "yesterday"},
		{"--time", "+5"},
	} {
		_, err := parse(&env{stdout: new(bytes.Buffer)}, fs, "the usage", args)
		var ue *usageError
		if !errors.As(err, &ue) || ue.usage != "the usage" {
			t.Errorf("parse(%q) = %v, want a usage error", args, err)
		}
	}
	var out bytes.Buffer
	if _, err := parse(&env{stdout: &out}, newFlagSet("test"), "the usage", []string{"--help"}); !errors.Is(err, errHelp) || out.String() != "the usage" {
		t.Errorf("--help: %v, printed %q", err, out.String())
	}
}

func TestParseTime(t *testing.T) {
	for in, want := range map[string]int64{
		"1700000000":                1700000000,
		"2023-11-14T22:13:20Z":      1700000000,
		"2023-11-15T05:13:20+07:00": 1700000000,
	} {
		got, err := parseTime(in)
		if err != nil || got.Unix() != want {
			t.Errorf("parseTime(%q) = %v, %v; want unix %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "2023-11-14", "1.5", "+1", "2023-11-14 22:13:20"} {
		if _, err := parseTime(in); err == nil {
			t.Errorf("parseTime(%q) succeeded", in)
		}
	}
}

// TestExitCodes runs whole command lines in-process and checks the exit
// code and the first line of stderr.
func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	offer := filepath.Join(dir, "offer.txt")
	if err := os.WriteFile(offer, []byte("offer"), 0o666); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args   []string
		code   int
		stderr string
	}{
		{nil, exitUsage, "Usage:"},
		{[]string{"nope"}, exitUsage, `segel: unknown command "nope"`},
		{[]string{"seal", "--chain", "quicknet", "--round", "1", offer}, exitUsage, "segel: missing --committee"},
		{[]string{"seal", "--chain", "quicknet", "--committee", "age1pq1x", offer}, exitUsage, "segel: give exactly one of --round and --time"},
		{[]string{"seal", "--chain", "quicknet", "--round", "1", "--committee", "age1pq1x", offer, offer}, exitUsage, "segel: too many arguments"},
		{[]string{"seal", "--chain", "quicknet", "--round", "1", "--committee", "age1pq1x", offer}, exitFailure, "segel: invalid committee recipient"},
		{[]string{"seal", "--chain", "nosuch.json", "--round", "1", "--committee", "age1pq1x", offer}, exitFailure, "segel: --chain nosuch.json: no such file, and not a built-in chain"},
		{[]string{"open", "--chain", "quicknet", offer}, exitUsage, "segel: missing -i KEYFILE"},
		{[]string{"open", "--chain", "quicknet", "-i", "k", "--genesis", "1", "--signature", "00", offer}, exitUsage, "segel: --genesis and --period go with --local-beacon"},
		{[]string{"open", "--chain", "quicknet", "-i", "k", "--signature", "00", "--local-beacon", "k", offer}, exitUsage, "segel: give exactly one of"},
		{[]string{"open", "--chain", "quicknet", "-i", "nosuch", "--signature", "00", offer}, exitFailure, "segel: failed to read committee key"},
		{[]string{"tlock", "decrypt", "--chain", "quicknet", "--beacon", "ftp://x", offer}, exitFailure, "segel: " + offer + ": not an age file"},
		{[]string{"inspect", "--chain", "quicknet", "--round", "1"}, exitUsage, "segel: flag provided but not defined: -round"},
		{[]string{"verify", "--trusted"}, exitUsage, "segel: flag needs an argument: -trusted"},
		{[]string{"beacon", "serve"}, exitUsage, "segel: missing --key"},
		{[]string{"keygen", "-y", "a", "b"}, exitUsage, "segel: too many arguments"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), tt.args, &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr})
		if code != tt.code || !strings.HasPrefix(stderr.String(), tt.stderr) {
			t.Errorf("segel %q: exit %d, stderr %q; want exit %d, stderr starting %q", tt.args, code, stderr.String(), tt.code, tt.stderr)
		}
	}
}

func TestReportTooEarly(t *testing.T) {
	var stderr bytes.Buffer
	err := &tooEarlyError{what: "offer", round: 5, at: time.Now().Add(time.Hour)}
	if !errors.Is(err, timelock.ErrTooEarly) {
		t.Fatal("tooEarlyError does not wrap timelock.ErrTooEarly")
	}
	if code := report(&env{stderr: &stderr}, err); code != exitTooEarly {
		t.Errorf("exit code %d, want %d", code, exitTooEarly)
	}
	if code := report(&env{stderr: &stderr}, flag.ErrHelp); code != exitFailure {
		t.Errorf("a stray flag.ErrHelp: exit code %d, want %d", code, exitFailure)
	}
}

func TestOutputRemovedOnAbort(t *testing.T) {
	name := filepath.Join(t.TempDir(), "out")
	o, err := newOutput(&env{}, name, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.Write([]byte("partial")); err != nil {
		t.Fatal(err)
	}
	o.abort()
	if _, err := os.Stat(name); !os.IsNotExist(err) {
		t.Errorf("partial output not removed: %v", err)
	}

	// A command that fails before writing leaves an existing file alone.
	if err := os.WriteFile(name, []byte("old"), 0o666); err != nil {
		t.Fatal(err)
	}
	o, _ = newOutput(&env{}, name, true)
	o.abort()
	if b, _ := os.ReadFile(name); string(b) != "old" {
		t.Errorf("existing output changed to %q", b)
	}

	// An empty result still creates the file.
	empty := filepath.Join(t.TempDir(), "empty")
	o, _ = newOutput(&env{}, empty, true)
	if err := o.commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(empty); err != nil {
		t.Errorf("empty output not created: %v", err)
	}

	// A file that cannot be created is an error at commit.
	o, _ = newOutput(&env{}, filepath.Join(t.TempDir(), "no", "such", "dir"), true)
	if err := o.commit(); err == nil {
		t.Error("commit to a missing directory succeeded")
	}
}

func TestIsTerminal(t *testing.T) {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	if isTerminal(null) {
		t.Errorf("%s is taken for a terminal: seal > %s would be refused", os.DevNull, os.DevNull)
	}
	if isTerminal(new(bytes.Buffer)) {
		t.Error("a bytes.Buffer is taken for a terminal")
	}
}
