package auditlog

import (
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// maxProofHashes bounds inclusion and consistency proofs: a tree of at most
// 2^63-1 entries has proofs of at most 63 hashes (doc/spec/auditlog.md §2).
const maxProofHashes = 63

// CheckInclusion checks that proof proves that entry is the entry at index in
// the tree of the (already verified) checkpoint c. Errors wrap
// ErrInvalidProof.
func CheckInclusion(entry []byte, index int64, c Checkpoint, proof tlog.RecordProof) error {
	if index < 0 || index >= c.Size {
		return fmt.Errorf("%w: index %d is not in a tree of size %d", ErrInvalidProof, index, c.Size)
	}
	if len(proof) > maxProofHashes {
		return fmt.Errorf("%w: %d hashes", ErrInvalidProof, len(proof))
	}
	if err := tlog.CheckRecord(proof, c.Size, c.Hash, index, tlog.RecordHash(entry)); err != nil {
		return fmt.Errorf("%w: entry %d is not in the tree of size %d: %v", ErrInvalidProof, index, c.Size, err)
	}
	return nil
}

// CheckConsistency checks that proof proves that the tree of checkpoint
// newer extends the tree of checkpoint older. Both must be already verified
// and have the same origin. Errors wrap ErrInvalidProof.
func CheckConsistency(older, newer Checkpoint, proof tlog.TreeProof) error {
	switch {
	case older.Origin != newer.Origin:
		return fmt.Errorf("%w: checkpoints of different logs %q and %q", ErrInvalidProof, older.Origin, newer.Origin)
	case older.Size < 0 || older.Size > newer.Size:
		return fmt.Errorf("%w: tree size %d does not extend size %d", ErrInvalidProof, newer.Size, older.Size)
	case len(proof) > maxProofHashes:
		return fmt.Errorf("%w: %d hashes", ErrInvalidProof, len(proof))
	case older.Size == 0:
		// Every tree extends the empty tree (RFC 6962 §2.1.2 has no proof
		// for it); the proof must be empty and the old hash the empty hash.
		empty, _ := tlog.TreeHash(0, nil)
		if len(proof) != 0 || older.Hash != empty {
			return fmt.Errorf("%w: bad proof from the empty tree", ErrInvalidProof)
		}
		return nil
	}
	if err := tlog.CheckTree(proof, newer.Size, newer.Hash, older.Size, older.Hash); err != nil {
		return fmt.Errorf("%w: tree of size %d does not extend tree of size %d: %v", ErrInvalidProof, newer.Size, older.Size, err)
	}
	return nil
}
