package canon

import (
	"bytes"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/note"
)

// OpenNote verifies msg, a signed note of at most max bytes, against the
// one pinned key v and returns its text. note.Open decodes signatures with
// lenient base64 (non-zero padding bits pass), so the same signature would
// have several encodings; OpenNote accepts only the canonical one, so that
// every byte of a signed note matters.
//
// The caller names its own sentinels: an error wraps errSignature when the
// note has no valid signature by v, or an invalid one, and errMalformed
// when the note does not parse, is not canonical or exceeds max.
func OpenNote(msg []byte, max int, v note.Verifier, errSignature, errMalformed error) (string, error) {
	malformed := func(format string, args ...any) error {
		return fmt.Errorf("%w: signed note: %s", errMalformed, fmt.Sprintf(format, args...))
	}
	if v == nil {
		return "", fmt.Errorf("%w: no key to verify against", errSignature)
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
			return "", fmt.Errorf("%w: no signature by %s", errSignature, v.Name())
		case errors.As(err, &invalid):
			return "", fmt.Errorf("%w: invalid signature by %s", errSignature, v.Name())
		}
		return "", malformed("%v", err)
	}
	return n.Text, nil
}

// NoteText returns the text of a signed note without verifying it: only
// for notes the caller produced itself, never for verification. Errors
// wrap errMalformed.
func NoteText(msg []byte, errMalformed error) ([]byte, error) {
	i := bytes.LastIndex(msg, []byte("\n\n"))
	if i < 0 {
		return nil, fmt.Errorf("%w: signed note: no signature block", errMalformed)
	}
	return msg[:i+1], nil
}
