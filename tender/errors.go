package tender

import (
	"errors"
	"fmt"
)

// Refusals callers branch on. Each is wrapped with a message that names
// what was wrong and what the caller can do.
var (
	ErrNotFound      = errors.New("tender: not found")
	ErrForbidden     = errors.New("tender: not allowed for this user")
	ErrInvalid       = errors.New("tender: invalid request")
	ErrState         = errors.New("tender: not allowed in the tender's current state")
	ErrNotYetOpen    = errors.New("tender: submission window has not opened yet")
	ErrLate          = errors.New("tender: submission deadline has passed")
	ErrDuplicate     = errors.New("tender: this exact offer was already received")
	ErrTooLarge      = errors.New("tender: offer is larger than the tender allows")
	ErrWrongSeal     = errors.New("tender: offer is not sealed for this tender's opening")
	ErrNotRegistered = errors.New("tender: provider has not registered for this tender")
	ErrBusy          = errors.New("tender: another request of this bidder is in progress")
	// ErrTooManyUploads refuses a resumable upload beyond the tender's
	// limit (UploadLimits.PerTender).
	ErrTooManyUploads = errors.New("tender: too many uploads in progress")
)

// ErrTooFewContributions refuses the completion of a v2 part's opening
// while some file has fewer than k authenticated contributions and
// failures are not accepted (opening.md §4.4). It is an ErrState.
var ErrTooFewContributions = fmt.Errorf("%w: too few contributions", ErrState)
