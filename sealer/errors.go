package sealer

import (
	"errors"
	"strconv"
)

var (
	// ErrWrongCommittee means the committee key presented is not the one
	// the offer was sealed to.
	ErrWrongCommittee = errors.New("sealer: offer is sealed to another committee key")

	// ErrMalformed means the file is not a well-formed sealed offer. The
	// error text says which check failed; the fault lies with the file.
	ErrMalformed = errors.New("sealer: malformed sealed offer")

	// ErrMismatch means a well-formed offer is sealed to another round,
	// chain or committee than the tender's (or, in format version 2, for
	// another tender, bidder or file part).
	ErrMismatch = errors.New("sealer: offer is sealed for another tender opening")

	// ErrNotMember means a member's key is not one of the committee's.
	ErrNotMember = errors.New("sealer: the key is not a member of the committee")

	// ErrWrapDoesNotOpen is a member's claim: its wrap in this offer does
	// not open with its key, or what it unwraps does not open its share.
	// The error is a *WrapError saying which. The member sends a claim, not
	// a contribution (doc/spec/opening.md §4).
	ErrWrapDoesNotOpen = errors.New("sealer: the member's wrap in this offer does not open")

	// ErrBadContribution means a member key sent for an offer does not
	// open that member's share: the member's fault, since its own tool
	// checks exactly that before sending.
	ErrBadContribution = errors.New("sealer: contribution does not authenticate the member's share")

	// ErrOtherOffer means a contribution was computed from another offer's
	// header than the one it is checked against: it is for another offer,
	// and says nothing about the member.
	ErrOtherOffer = errors.New("sealer: contribution is for another offer")

	// ErrContributions means fewer than the threshold of contributions
	// authenticated: the offer does not open (yet), and not by the file's
	// fault. An *OpenError at StepContribution or StepContributions wraps it.
	ErrContributions = errors.New("sealer: not enough contributions")
)

// Steps of opening an offer, in the order Open, Identity.Open and
// Opener.Open run them; an OpenError names the one that failed. The names
// are those of witness reports (doc/spec/reports.md §2 and §5), and this
// is their one definition: package audit uses these constants.
const (
	StepHeader        = "header"         // the age header does not parse
	StepInspect       = "inspect"        // the header fails Inspect's checks, or is sealed to another target
	StepTimeLockHalf  = "time-lock-half" // the IBE half does not decrypt with the round's signature
	StepCommitteeHalf = "committee-half" // version 1: the committee half does not decrypt with the committee key
	StepContribution  = "contribution"   // version 2: fewer than k contributions authenticated, and some failed authentication
	StepContributions = "contributions"  // version 2: fewer than k contributions authenticated, none failed
	StepShares        = "shares"         // version 2: an authenticated share is off the polynomial of the k lowest-indexed
	StepHeaderMAC     = "header-mac"     // the header MAC does not verify with the recovered file key
	StepPayload       = "payload"        // the file ends before the payload, or the payload fails authentication, ends early or has another length than the header's
)

// Faults: who is to blame for an offer that did not open, as an
// OpenError and a witness report name them (doc/spec/reports.md §5).
// "system" (storage, the beacon, the engine) is the engine's to name.
const (
	FaultFile      = "file"      // the file as sealed by the bidder
	FaultMember    = "member"    // members whose contributions failed authentication
	FaultCommittee = "committee" // too few members contributed (absences, claims)
)

// An OpenError is a sealed offer that cannot be opened although the round
// and the committee's key or contributions are right, at Step, by Fault.
// With FaultFile the file is at fault (for Identity.Open and Opener.Open,
// which hold what the file must be sealed to, a file sealed to another
// target is at fault too, at StepInspect), and the error wraps
// ErrMalformed. With FaultMember or FaultCommittee (version 2, steps
// StepContribution and StepContributions) it wraps ErrContributions.
type OpenError struct {
	Step    string
	Fault   string
	Stanzas []string // the header's stanza types, in file order; nil if the header does not parse
	Err     error
}

func (e *OpenError) Error() string { return "sealer: " + e.Step + ": " + e.Err.Error() }

func (e *OpenError) Unwrap() []error {
	if e.Fault == FaultFile {
		return []error{ErrMalformed, e.Err}
	}
	return []error{e.Err}
}

// stepError returns err as the file's fault at step, unless it already is
// an OpenError.
func stepError(step string, stanzas []string, err error) error {
	var oe *OpenError
	if errors.As(err, &oe) {
		return err
	}
	return &OpenError{Step: step, Fault: FaultFile, Stanzas: stanzas, Err: err}
}

// A WrapError is a member's claim that its wrap in an offer does not open
// (ErrWrapDoesNotOpen): with Share false, its key wrap does not unwrap
// with its key (a garbage wrap, or one to another key: nobody can tell
// which without the key); with Share true, the key wrap unwraps but what
// it gives does not open the member's sealed share.
type WrapError struct {
	Member int // the member's position in the committee
	Share  bool
	Err    error
}

func (e *WrapError) Error() string {
	what := "key wrap does not unwrap with the member's key"
	if e.Share {
		what = "sealed share does not open with the member key unwrapped"
	}
	return "sealer: member " + strconv.Itoa(e.Member) + "'s " + what + ": " + e.Err.Error()
}

func (e *WrapError) Unwrap() []error { return []error{ErrWrapDoesNotOpen, e.Err} }
