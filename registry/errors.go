package registry

import (
	"errors"
	"time"
)

// ErrInvalid is the class of every caller mistake in an argument: a
// malformed or missing field, a weak password, an unknown role or kind, a
// document not expected or empty, a bad reason, period, committee or tender
// reference. Such errors are *FieldError values naming the field; a server
// answers them all the same way (HTTP 400), whatever the field.
var ErrInvalid = errors.New("registry: invalid input")

// A FieldError says which field of an application or request is wrong and
// what to do. It matches ErrInvalid, and Err if set.
type FieldError struct {
	Field  string // e.g. "email", "nik", "provider", "document ktp", "reason"
	Reason string // what was wrong and what to do
	Err    error  // a more specific outcome callers branch on, or nil
}

func (e *FieldError) Error() string { return "registry: " + e.Field + ": " + e.Reason }

// Is reports whether target is ErrInvalid.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

// Unwrap returns Err.
func (e *FieldError) Unwrap() error { return e.Err }

func invalid(field, reason string) error { return &FieldError{Field: field, Reason: reason} }

// Sentinel errors for outcomes callers branch on, with errors.Is. The
// registry wraps them with a message saying what was wrong and what to do.
var (
	// Bad input with an answer of its own: a conflict with another
	// account, or a document over the size cap (also ErrInvalid).
	ErrDuplicateEmail   = errors.New("registry: email already registered")
	ErrDuplicateNPWP    = errors.New("registry: NPWP already registered")
	ErrDocumentTooLarge = errors.New("registry: document too large")

	// Authority and state.
	ErrForbidden           = errors.New("registry: not allowed for this user")
	ErrUnknownUser         = errors.New("registry: no such user")
	ErrWrongState          = errors.New("registry: not possible in the account's current state")
	ErrDocumentsUnverified = errors.New("registry: not every document is verified")
	ErrRoleMismatch        = errors.New("registry: user does not have the role")
	ErrSeparationOfDuties  = errors.New("registry: LPSE staff may not be assigned (art. 21.3)")
	ErrNoCommitteeKey      = errors.New("registry: no committee key registered")

	// Account status, as seen by login, tokens, CanSubmit and CheckAssignable.
	ErrNotVerified = errors.New("registry: account not yet verified and approved")
	ErrRejected    = errors.New("registry: account registration was rejected")
	ErrDeactivated = errors.New("registry: account deactivated")
	ErrBlacklisted = errors.New("registry: account blacklisted")

	// Authentication.
	ErrBadCredentials = errors.New("registry: wrong email or password")
	ErrLockedOut      = errors.New("registry: account locked after repeated failed logins")
	ErrBadToken       = errors.New("registry: invalid token")
	ErrTokenExpired   = errors.New("registry: token expired")
	ErrTokenRevoked   = errors.New("registry: token revoked")

	// ErrAuditLog reports a decision that was recorded but whose log entry
	// could not be appended yet; FlushAudit appends it later.
	ErrAuditLog = errors.New("registry: decision recorded but not yet in the audit log")
)

// LockedOutError is returned by Login while an account is locked. It matches
// ErrLockedOut.
type LockedOutError struct {
	Until time.Time // when the next attempt is allowed
}

func (e *LockedOutError) Error() string {
	return ErrLockedOut.Error() + " until " +
		e.Until.UTC().Format(time.RFC3339) + "; try again then or ask the LPSE to help"
}

// Unwrap returns ErrLockedOut.
func (e *LockedOutError) Unwrap() error { return ErrLockedOut }
