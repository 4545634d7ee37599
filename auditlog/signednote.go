package auditlog

import (
	"errors"
	"fmt"

	"github.com/segel-lpse/segel/internal/canon"

	"golang.org/x/mod/sumdb/note"
)

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

// signNote signs text, which must end in a newline, with s.
func signNote(text []byte, s note.Signer) ([]byte, error) {
	return note.Sign(&note.Note{Text: string(text)}, s)
}

// unverifiedText returns the text of a signed note the caller produced itself,
// without verifying it.
func unverifiedText(msg []byte) ([]byte, error) {
	b, err := canon.NoteText(msg)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return b, nil
}
