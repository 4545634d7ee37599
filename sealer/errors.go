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
