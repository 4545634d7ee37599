// Package canon holds the canonical text encodings shared by Segel's
// signed formats (doc/spec/entries.md §2): value kinds, and the strict
// opening of signed notes. auditlog and audit both parse with it, so a
// value or a signature means the same bytes in every format.
package canon

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// IsAlnum reports whether c is an ASCII letter or digit.
func IsAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// MaxTenderID is the length limit of a tender id, in bytes.
const MaxTenderID = 64

// IsTenderID reports whether s is a tender id: 1 to MaxTenderID ASCII
// letters, digits, '.', '_' or '-', the first a letter or digit
// (doc/spec/entries.md §2; SPSE's kode tender, all digits, is one). It is
// the "id" kind without '/': a tender's records are stored under keys
// "<id>/…" and found by that prefix, and without '/' in ids no tender's
// prefix can match another tender's keys.
func IsTenderID(s string) bool {
	if s == "" || len(s) > MaxTenderID || !IsAlnum(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !IsAlnum(c) && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// IsLowerHex reports whether s has only lowercase hex digits.
func IsLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// ParseUint parses a canonical decimal in [0, 2^63-1]: digits only, no
// leading zero.
func ParseUint(s string) (int64, error) {
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

// FormatTime returns the canonical encoding of t: RFC 3339 in UTC, as
// time.RFC3339Nano prints it.
func FormatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// ParseTime parses a canonical time (FormatTime's output, and only that).
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Location() != time.UTC || FormatTime(t) != s || len(s) < 20 {
		return time.Time{}, fmt.Errorf("time %q is not canonical RFC 3339 UTC", s)
	}
	return t, nil
}

// IsCanonicalBase64 reports whether s is the standard, padded base64
// encoding of some byte string, with zero padding bits.
func IsCanonicalBase64(s string) bool {
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	return err == nil && base64.StdEncoding.EncodeToString(b) == s
}

// A NoteError says why OpenNote refused a note: a bad signature
// (Signature) or a malformed note. Callers wrap it in their own sentinels.
type NoteError struct {
	Signature bool
	Msg       string
}

func (e *NoteError) Error() string { return e.Msg }

func malformed(format string, args ...any) error {
	return &NoteError{Msg: "signed note: " + fmt.Sprintf(format, args...)}
}

// OpenNote verifies msg, a signed note of at most max bytes, against the
// one pinned key v and returns its text. note.Open decodes signatures with
// lenient base64 (non-zero padding bits pass), so the same signature would
// have several encodings; OpenNote accepts only the canonical one, so that
// every byte of a signed note matters. Errors are *NoteError.
func OpenNote(msg []byte, max int, v note.Verifier) (string, error) {
	if v == nil {
		return "", &NoteError{Signature: true, Msg: "no key to verify against"}
	}
	if len(msg) > max {
		return "", malformed("%d bytes, more than %d", len(msg), max)
	}
	split := bytes.LastIndex(msg, []byte("\n\n"))
	if split < 0 {
		return "", malformed("no signature block")
	}
	for sigs := msg[split+2:]; len(sigs) > 0; {
		line, rest, ok := bytes.Cut(sigs, []byte("\n"))
		if !ok {
			return "", malformed("does not end with a newline")
		}
		sigs = rest
		fields := bytes.Split(line, []byte(" "))
		if len(fields) != 3 || string(fields[0]) != "—" {
			return "", malformed("malformed signature line")
		}
		if !IsCanonicalBase64(string(fields[2])) {
			return "", malformed("signature is not canonical base64")
		}
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		switch {
		case errors.As(err, &unverified):
			return "", &NoteError{Signature: true, Msg: "no signature by " + v.Name()}
		case errors.As(err, &invalid):
			return "", &NoteError{Signature: true, Msg: "invalid signature by " + v.Name()}
		}
		return "", malformed("%v", err)
	}
	return n.Text, nil
}

// NoteText returns the text of a signed note without verifying it: only
// for notes the caller produced itself, never for verification.
func NoteText(msg []byte) ([]byte, error) {
	i := bytes.LastIndex(msg, []byte("\n\n"))
	if i < 0 {
		return nil, malformed("no signature block")
	}
	return msg[:i+1], nil
}
