package sealer

import "errors"

var (
	// ErrWrongCommittee means the committee key presented is not the one
	// the offer was sealed to.
	ErrWrongCommittee = errors.New("sealer: offer is sealed to another committee key")

	// ErrMalformed means the file is not a well-formed sealed offer. The
	// error text says which check failed; the fault lies with the file.
	ErrMalformed = errors.New("sealer: malformed sealed offer")

	// ErrMismatch means a well-formed offer is sealed to another round,
	// chain or committee than the tender's.
	ErrMismatch = errors.New("sealer: offer is sealed for another tender opening")
)

// Steps of opening an offer, in the order Open and Identity.Open run
// them; an OpenError names the one that failed. The names are those of
// witness reports (doc/spec/reports.md §2), and this is their one
// definition: package audit uses these constants.
const (
	StepHeader        = "header"         // the age header does not parse
	StepInspect       = "inspect"        // the header fails Inspect's checks, or is sealed to another target
	StepTimeLockHalf  = "time-lock-half" // the IBE half does not decrypt with the round's signature
	StepCommitteeHalf = "committee-half" // the committee half does not decrypt with the committee key
	StepHeaderMAC     = "header-mac"     // the header MAC does not verify with the recovered file key
	StepPayload       = "payload"        // the file ends before the payload, or the payload fails authentication or ends early
)

// An OpenError is a sealed offer that cannot be opened although the round
// and the committee key are right: the file is at fault, at Step. (For
// Identity.Open, which holds what the file must be sealed to, a file
// sealed to another round, chain or key is at fault too, at
// StepInspect.) It wraps ErrMalformed.
type OpenError struct {
	Step    string
	Stanzas []string // the header's stanza types, in file order; nil if the header does not parse
	Err     error
}

func (e *OpenError) Error() string { return "sealer: " + e.Step + ": " + e.Err.Error() }

func (e *OpenError) Unwrap() []error { return []error{ErrMalformed, e.Err} }

func stepError(step string, stanzas []string, err error) error {
	var oe *OpenError
	if errors.As(err, &oe) {
		return err
	}
	return &OpenError{Step: step, Stanzas: stanzas, Err: err}
}
