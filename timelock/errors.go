package timelock

import "errors"

var (
	// ErrTooEarly means the round's signature has not been published yet:
	// the file cannot be opened before the round's time, by anyone.
	ErrTooEarly = errors.New("timelock: too early, the round's beacon signature is not published yet")

	// ErrWrongChain means a stanza names a chain hash other than the pinned
	// chain's. The stanza is never decrypted with another chain's key.
	ErrWrongChain = errors.New("timelock: file is locked to another beacon chain")

	// ErrWrongRound means a stanza is locked to a round other than the one
	// whose signature the identity holds.
	ErrWrongRound = errors.New("timelock: file is locked to another round")

	// ErrBadSignature means a beacon signature does not verify against the
	// pinned chain's public key for the round.
	ErrBadSignature = errors.New("timelock: beacon signature does not verify")

	// ErrMalformed means a tlock stanza is not in drand's exact format.
	ErrMalformed = errors.New("timelock: malformed tlock stanza")
)
