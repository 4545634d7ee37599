// Package auditlog is Segel's append-only transparency log: every event of the
// tender process is an entry in an RFC 6962 Merkle tree, the log signs
// checkpoints, and anyone holding a checkpoint can check inclusion and
// consistency proofs offline.
//
// It implements, in the Segel profile described in doc/spec/auditlog.md:
//
//   - the tree hashing of RFC 6962 §2.1, through golang.org/x/mod/sumdb/tlog;
//   - C2SP signed-note v1 (Ed25519 only), through golang.org/x/mod/sumdb/note;
//   - C2SP tlog-checkpoint, with the log key name equal to the origin;
//   - C2SP tlog-proof v1, as the tail of Segel's offer proof file
//     (doc/spec/receipt.md);
//   - Segel log entries v1 (doc/spec/entries.md) and receipts v1
//     (doc/spec/receipt.md).
//
// Every parser in this package has a size cap and accepts only canonical
// encodings; the tests reject every truncation and every single-byte change of
// valid checkpoints, receipts, proof files and verifier keys.
//
// Compatibility is checked by TestInclusionAndConsistency and Example, which
// compare root hashes with RFC 6962 computed without tlog, and by TestVectors,
// which pins a v1 proof file (testdata/vectors) that testdata/vectors/verify.py
// verifies independently (hashlib and pyca/cryptography).
//
// Writers use [Open] over a [Storage] and call [Log.Append] and
// [Log.Checkpoint]; several Logs may write one Storage (server instances
// sharing a database), and [Log.Sync] catches up with the others.
// Auditors need only the pure functions: [VerifyCheckpoint],
// [CheckInclusion], [CheckConsistency], [VerifyReceipt], [VerifyProofFile]
// and [ParseEntry].
package auditlog

import "errors"

// Sentinel errors. Errors returned by this package wrap one of these when the
// caller may want to branch on the outcome.
var (
	// ErrConflict is returned (wrapped) by Storage.Append when the storage does
	// not hold exactly the expected number of entries, i.e. another writer won.
	ErrConflict = errors.New("auditlog: conflicting append")
	// ErrNotFound is returned (wrapped) by Storage.Checkpoint when there is no
	// checkpoint of the requested size.
	ErrNotFound = errors.New("auditlog: not found")
	// ErrEntryTooLarge is returned when an entry exceeds MaxEntrySize.
	ErrEntryTooLarge = errors.New("auditlog: entry too large")
	// ErrMalformed is returned when an input does not parse, is not canonical,
	// or exceeds its size cap.
	ErrMalformed = errors.New("auditlog: malformed input")
	// ErrSignature is returned when a signed note has no valid signature by
	// the pinned key, or an invalid one.
	ErrSignature = errors.New("auditlog: signature verification failed")
	// ErrInvalidProof is returned when a proof does not prove what it claims,
	// or when the parts of a proof file do not agree with each other.
	ErrInvalidProof = errors.New("auditlog: invalid proof")
)
