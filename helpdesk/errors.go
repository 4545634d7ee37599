package helpdesk

import "errors"

// Refusals callers branch on. Each is wrapped with a message that names
// what was wrong and what the caller can do.
var (
	ErrNotFound  = errors.New("helpdesk: not found")
	ErrForbidden = errors.New("helpdesk: not allowed for this user")
	ErrInvalid   = errors.New("helpdesk: invalid request")
	ErrState     = errors.New("helpdesk: not allowed in the current state")
)
