package registry

import (
	"errors"
	"time"
)

// Sentinel errors that callers branch on, with errors.Is. The registry wraps
// them with a message naming the field and what to do.
var (
	// Bad input.
	ErrBadEmail           = errors.New("malformed email address")
	ErrBadNIK             = errors.New("malformed NIK")
	ErrBadNPWP            = errors.New("malformed NPWP")
	ErrBadLicence         = errors.New("malformed business licence number")
	ErrBadName            = errors.New("malformed name")
	ErrBadReason          = errors.New("malformed reason")
	ErrBadPeriod          = errors.New("malformed period")
	ErrBadCommittee       = errors.New("malformed committee")
	ErrBadRef             = errors.New("malformed reference")
	ErrMissingField       = errors.New("required field missing")
	ErrWeakPassword       = errors.New("password does not meet the policy")
	ErrUnknownRole        = errors.New("unknown role")
	ErrDuplicateEmail     = errors.New("email already registered")
	ErrDuplicateNPWP      = errors.New("NPWP already registered")
	ErrMissingDocument    = errors.New("required document missing")
	ErrUnexpectedDocument = errors.New("document not expected")
	ErrEmptyDocument      = errors.New("document is empty")
	ErrDocumentTooLarge   = errors.New("document too large")

	// Authority and state.
	ErrForbidden           = errors.New("not allowed for this user")
	ErrUnknownUser         = errors.New("no such user")
	ErrWrongState          = errors.New("not possible in the account's current state")
	ErrDocumentsUnverified = errors.New("not every document is verified")
	ErrRoleMismatch        = errors.New("user does not have the role")
	ErrSeparationOfDuties  = errors.New("LPSE staff may not be assigned (art. 21.3)")

	// Account status, as seen by login, tokens, CanSubmit and CheckAssignable.
	ErrNotVerified = errors.New("account not yet verified and approved")
	ErrRejected    = errors.New("account registration was rejected")
	ErrDeactivated = errors.New("account deactivated")
	ErrBlacklisted = errors.New("account blacklisted")

	// Authentication.
	ErrBadCredentials = errors.New("wrong email or password")
	ErrLockedOut      = errors.New("account locked after repeated failed logins")
	ErrBadToken       = errors.New("invalid token")
	ErrTokenExpired   = errors.New("token expired")
	ErrTokenRevoked   = errors.New("token revoked")

	// ErrAuditLog reports a decision that was recorded but whose log entry
	// could not be appended yet; FlushAudit appends it later.
	ErrAuditLog = errors.New("decision recorded but not yet in the audit log")
)

// LockedOutError is returned by Login while an account is locked. It matches
// ErrLockedOut.
type LockedOutError struct {
	Until time.Time // when the next attempt is allowed
}

func (e *LockedOutError) Error() string {
	return "registry: login: " + ErrLockedOut.Error() + " until " +
		e.Until.UTC().Format(time.RFC3339) + "; try again then or ask the LPSE to help"
}

// Unwrap returns ErrLockedOut.
func (e *LockedOutError) Unwrap() error { return ErrLockedOut }
