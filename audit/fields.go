package audit

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
)

// This file holds the value kinds of doc/spec/entries.md §2, shared by the
// reports and the bundle's small text files, and the strict opening of signed
// notes. auditlog has the same rules but does not export them.

const (
	maxIDLen   = 64
	maxHexLen  = 1024
	maxTextLen = 1024
)

func checkID(v string) error {
	if len(v) == 0 || len(v) > maxIDLen || !isAlnum(v[0]) {
		return fmt.Errorf("id %q must be 1 to %d bytes starting with a letter or digit", v, maxIDLen)
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; !isAlnum(c) && c != '.' && c != '_' && c != '/' && c != '-' {
			return fmt.Errorf("id contains %q", c)
		}
	}
	return nil
}

func checkText(v string) error {
	if len(v) == 0 || len(v) > maxTextLen || !utf8.ValidString(v) {
		return fmt.Errorf("text must be 1 to %d bytes of UTF-8", maxTextLen)
	}
	if strings.IndexFunc(v, unicode.IsControl) >= 0 {
		return fmt.Errorf("text contains a control character")
	}
	first, _ := utf8.DecodeRuneInString(v)
	last, _ := utf8.DecodeLastRuneInString(v)
	if unicode.IsSpace(first) || unicode.IsSpace(last) {
		return fmt.Errorf("text starts or ends with white space")
	}
	return nil
}

func checkHex(v string) error {
	if len(v) == 0 || len(v) > maxHexLen || len(v)%2 != 0 || !isLowerHex(v) {
		return fmt.Errorf("hex must be an even number (2 to %d) of lowercase hex digits", maxHexLen)
	}
	return nil
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// parseUint parses a canonical decimal in [0, 2^63-1].
func parseUint(s string) (int64, error) {
	if s == "" || len(s) > 1 && s[0] == '0' || len(s) > 19 {
		return 0, fmt.Errorf("number %q is not canonical decimal", s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("number %q is not canonical decimal", s)
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("number %q out of range", s)
	}
	return n, nil
}

func formatUint(n int64) string { return strconv.FormatInt(n, 10) }

// parseSHA256 parses 64 lowercase hex digits.
func parseSHA256(s string) ([32]byte, error) {
	var h [32]byte
	if len(s) != 64 || !isLowerHex(s) {
		return h, fmt.Errorf("sha256 %q must be 64 lowercase hex digits", s)
	}
	for i := range h {
		h[i] = unhex(s[2*i])<<4 | unhex(s[2*i+1])
	}
	return h, nil
}

func unhex(c byte) byte {
	if c <= '9' {
		return c - '0'
	}
	return c - 'a' + 10
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// parseTime parses a canonical RFC 3339 UTC time.
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Location() != time.UTC || formatTime(t) != s || len(s) < 20 {
		return time.Time{}, fmt.Errorf("time %q is not canonical RFC 3339 UTC", s)
	}
	return t, nil
}

// lines is a cursor over "key: value\n" lines.
type lines struct{ text string }

// next returns the value of the next line if it has key, and advances.
func (l *lines) next(key string) (string, error) {
	line, rest, ok := strings.Cut(l.text, "\n")
	if !ok {
		return "", fmt.Errorf("missing %q line", key)
	}
	v, ok := strings.CutPrefix(line, key+": ")
	if !ok {
		return "", fmt.Errorf("line %q: want %q", line, key)
	}
	l.text = rest
	return v, nil
}

// peek reports whether the next line has key.
func (l *lines) peek(key string) bool { return strings.HasPrefix(l.text, key+": ") }

func (l *lines) end() error {
	if l.text != "" {
		return fmt.Errorf("unexpected text after the last line")
	}
	return nil
}

// openNote verifies msg, a signed note of at most max bytes, against the one
// pinned key v and returns its text. Signature lines must be canonical
// base64 (note.Open accepts non-zero padding bits), so that every byte of a
// signed report matters.
func openNote(msg []byte, max int, v note.Verifier) (string, error) {
	if len(msg) > max {
		return "", fmt.Errorf("%w: signed note is %d bytes, more than %d", ErrMalformed, len(msg), max)
	}
	split := bytes.LastIndex(msg, []byte("\n\n"))
	if split < 0 {
		return "", fmt.Errorf("%w: signed note has no signature block", ErrMalformed)
	}
	for sigs := msg[split+2:]; len(sigs) > 0; {
		line, rest, ok := bytes.Cut(sigs, []byte("\n"))
		if !ok {
			return "", fmt.Errorf("%w: signed note does not end with a newline", ErrMalformed)
		}
		sigs = rest
		fields := bytes.Split(line, []byte(" "))
		if len(fields) != 3 || string(fields[0]) != "—" || !isCanonicalBase64(string(fields[2])) {
			return "", fmt.Errorf("%w: malformed signature line", ErrMalformed)
		}
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		switch {
		case errors.As(err, &unverified):
			return "", fmt.Errorf("%w: no signature by %s", ErrSignature, v.Name())
		case errors.As(err, &invalid):
			return "", fmt.Errorf("%w: invalid signature by %s", ErrSignature, v.Name())
		}
		return "", fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return n.Text, nil
}

func isCanonicalBase64(s string) bool {
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	return err == nil && base64.StdEncoding.EncodeToString(b) == s
}

// noteText returns the text of a signed note without verifying it: for
// writers handling notes they produced, never for verification.
func noteText(msg []byte) ([]byte, error) {
	i := bytes.LastIndex(msg, []byte("\n\n"))
	if i < 0 {
		return nil, fmt.Errorf("%w: signed note has no signature block", ErrMalformed)
	}
	return msg[:i+1], nil
}
