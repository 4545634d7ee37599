package auditlog

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/note"
)

// openNote verifies msg, a signed note of at most max bytes, against the one
// pinned key v and returns its text.
//
// note.Open decodes signatures with lenient base64 (non-zero trailing padding
// bits are accepted), so the same signature has several encodings. Segel
// accepts only the canonical one, so that every byte of a signed note matters
// (doc/spec/auditlog.md §3.1); openNote checks that before note.Open.
func openNote(msg []byte, max int, v note.Verifier) (string, error) {
	if v == nil {
		return "", fmt.Errorf("%w: no key to verify against", ErrSignature)
	}
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
		if len(fields) != 3 || string(fields[0]) != "—" {
			return "", fmt.Errorf("%w: malformed signature line", ErrMalformed)
		}
		if !isCanonicalBase64(string(fields[2])) {
			return "", fmt.Errorf("%w: signature is not canonical base64", ErrMalformed)
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

// signNote signs text, which must end in a newline, with s.
func signNote(text []byte, s note.Signer) ([]byte, error) {
	return note.Sign(&note.Note{Text: string(text)}, s)
}

// isCanonicalBase64 reports whether s is the standard, padded base64 encoding
// of some byte string, with zero padding bits.
func isCanonicalBase64(s string) bool {
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	return err == nil && base64.StdEncoding.EncodeToString(b) == s
}

// unverifiedText returns the text of a signed note without verifying it: only
// for notes the caller produced itself.
func unverifiedText(msg []byte) ([]byte, error) {
	i := bytes.LastIndex(msg, []byte("\n\n"))
	if i < 0 {
		return nil, fmt.Errorf("%w: signed note has no signature block", ErrMalformed)
	}
	return msg[:i+1], nil
}
