package audit

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/segel-lpse/segel/internal/canon"

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
	if len(v) == 0 || len(v) > maxIDLen || !canon.IsAlnum(v[0]) {
		return fmt.Errorf("id %q must be 1 to %d bytes starting with a letter or digit", v, maxIDLen)
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; !canon.IsAlnum(c) && c != '.' && c != '_' && c != '/' && c != '-' {
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
	if len(v) == 0 || len(v) > maxHexLen || len(v)%2 != 0 || !canon.IsLowerHex(v) {
		return fmt.Errorf("hex must be an even number (2 to %d) of lowercase hex digits", maxHexLen)
	}
	return nil
}

func formatUint(n int64) string { return strconv.FormatInt(n, 10) }

// parseSHA256 parses 64 lowercase hex digits.
func parseSHA256(s string) ([32]byte, error) {
	var h [32]byte
	if len(s) != 64 || !canon.IsLowerHex(s) {
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

// openNote verifies a signed note strictly (canon.OpenNote) against the
// pinned key v and returns its text, with this package's sentinels.
func openNote(msg []byte, max int, v note.Verifier) (string, error) {
	text, err := canon.OpenNote(msg, max, v)
	var ne *canon.NoteError
	if errors.As(err, &ne) && ne.Signature {
		return "", fmt.Errorf("%w: %s", ErrSignature, ne.Msg)
	} else if err != nil {
		return "", fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return text, nil
}

// noteText returns the text of a signed note the caller produced itself,
// without verifying it.
func noteText(msg []byte) ([]byte, error) {
	b, err := canon.NoteText(msg)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return b, nil
}
