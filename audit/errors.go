package audit

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error this package returns wraps one of them.
var (
	// ErrMalformed means a file or report does not parse, is not canonical,
	// or exceeds its size cap.
	ErrMalformed = errors.New("audit: malformed")
	// ErrMissingFile means a bundle lacks a file its layout requires.
	ErrMissingFile = errors.New("audit: missing file")
	// ErrUnknownFile means a bundle directory holds a file its layout does
	// not define.
	ErrUnknownFile = errors.New("audit: unknown file")
	// ErrSignature means a signed note has no valid signature by the pinned
	// key, or an invalid one.
	ErrSignature = errors.New("audit: signature verification failed")
	// ErrProof means an inclusion, consistency or receipt proof does not
	// prove what it claims.
	ErrProof = errors.New("audit: invalid proof")
	// ErrMismatch means files of a bundle, each valid alone, disagree with
	// each other or with the pinned keys.
	ErrMismatch = errors.New("audit: mismatch")
)

// An Error is a failed check of an audit bundle. It names the file and the
// check (doc/spec/audit-bundle.md §4) and wraps one of the sentinel errors.
type Error struct {
	File  string // path inside the bundle, such as "receipts/12.txt"
	Check string // name of the check, such as "receipt"
	Err   error
}

func (e *Error) Error() string {
	return fmt.Sprintf("audit: %s: %s: %v", e.File, e.Check, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// fail returns an *Error for file and check wrapping sentinel with a message.
func fail(file, check string, sentinel error, format string, args ...any) *Error {
	return &Error{File: file, Check: check, Err: fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))}
}
