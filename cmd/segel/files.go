package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"filippo.io/age/armor"
	"golang.org/x/term"
)

// openInput opens name for reading, or returns standard input for "" and "-".
// The caller must call the returned close function.
func openInput(e *env, name string) (io.Reader, func(), error) {
	if name == "" || name == "-" {
		return e.stdin, func() {}, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, fmt.Errorf("failed to open input file: %w", err)
	}
	// A read-only file has nothing to flush: a Close error cannot lose data.
	return f, func() { f.Close() }, nil
}

// dearmor returns r, reading through an age ASCII armor decoder if the input
// starts with the armor header.
func dearmor(r io.Reader) io.Reader {
	br := bufio.NewReader(r)
	if start, _ := br.Peek(len(armor.Header)); string(start) == armor.Header {
		return armor.NewReader(br)
	}
	return br
}

// output is where a command writes its result: a file named with -o, created
// only when the first byte is written (so a command that fails before writing
// leaves an existing file alone), or standard output.
//
// The caller defers abort, which removes a partially written file, and calls
// commit once everything is written, which closes the file and reports the
// Close error: a file that fails to close is a failure, and is removed too.
type output struct {
	name   string
	stdout io.Writer
	perm   os.FileMode
	excl   bool // refuse to overwrite an existing file
	f      *os.File
	err    error
	done   bool
}

// newOutput returns the output named name ("" or "-" for standard output).
// If binary is set, writing to a terminal is refused unless "-" was given
// explicitly, as age does.
func newOutput(e *env, name string, binary bool) (*output, error) {
	if name == "" || name == "-" {
		if binary && name == "" && isTerminal(e.stdout) {
			return nil, errors.New("refusing to write binary data to a terminal: use -o FILE, or \"-o -\" to force it")
		}
		return &output{stdout: e.stdout}, nil
	}
	return &output{name: name, perm: 0o666}, nil
}

// newKeyOutput returns an output for a secret key file: mode 0600, never
// overwriting an existing file.
func newKeyOutput(e *env, name string) (*output, error) {
	if name == "" || name == "-" {
		return &output{stdout: e.stdout}, nil
	}
	if _, err := os.Lstat(name); err == nil {
		return nil, fmt.Errorf("output file %q exists: refusing to overwrite a key file", name)
	}
	return &output{name: name, perm: 0o600, excl: true}, nil
}

func (o *output) Write(p []byte) (int, error) {
	if o.stdout != nil {
		return o.stdout.Write(p)
	}
	if o.f == nil && o.err == nil {
		flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
		if o.excl {
			flags = os.O_WRONLY | os.O_CREATE | os.O_EXCL
		}
		o.f, o.err = os.OpenFile(o.name, flags, o.perm)
		if o.err != nil {
			o.err = fmt.Errorf("failed to create output file: %w", o.err)
		}
	}
	if o.err != nil {
		return 0, o.err
	}
	return o.f.Write(p)
}

// commit finishes the output. An empty result still creates the file.
func (o *output) commit() error {
	if o.stdout != nil {
		o.done = true
		return nil
	}
	if o.f == nil && o.err == nil {
		if _, err := o.Write(nil); err != nil {
			return err
		}
	}
	if o.err != nil {
		return o.err
	}
	if err := o.f.Close(); err != nil {
		os.Remove(o.name)
		o.done = true
		return fmt.Errorf("failed to write output file: %w", err)
	}
	o.done = true
	return nil
}

// abort removes a file that was created but not committed.
func (o *output) abort() {
	if o.done || o.f == nil {
		return
	}
	o.f.Close()
	os.Remove(o.name)
	o.done = true
}

// isTerminal reports whether w is a terminal. (A character device test would
// also refuse /dev/null.)
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// readSmallFile reads a file of at most max bytes, for keys and chain info.
func readSmallFile(name string, max int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, max)
	}
	return b, nil
}

// contentLines returns the lines of a key file that are neither empty nor
// comments ("#…"), trimmed of a trailing CR.
func contentLines(b []byte) []string {
	var lines []string
	for l := range strings.Lines(string(b)) {
		l = strings.TrimRight(l, "\r\n")
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		lines = append(lines, l)
	}
	return lines
}
