package registry

import (
	"context"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/segel-lpse/segel/internal/canon"
	"github.com/segel-lpse/segel/vault"
)

// review loads a pending account for its reviewer: a verifier for providers
// and officials, an admin for LPSE staff. Nobody reviews their own account,
// nor another account of their own person (the same NIK: for a provider,
// the director's).
func (r *Registry) review(tx vault.Tx, by, userID string, now time.Time, action string) (*record, error) {
	rec, err := load(tx, userID)
	if err != nil {
		return nil, err
	}
	a, err := r.actor(tx, by, now, action, rec.Role.reviewer())
	if err != nil {
		return nil, err
	}
	if samePerson(a, rec) {
		return nil, fmt.Errorf("%w: %s: user %s is the reviewer's own account or another of the same person (NIK); "+
			"another reviewer must decide", ErrForbidden, action, userID)
	}
	if rec.Status != StatusPending {
		return nil, fmt.Errorf("%w: %s: user %s is %s, not pending", ErrWrongState, action, userID, rec.Status)
	}
	return rec, nil
}

// VerifyDocument records that reviewer by was shown the original of the
// user's document of kind and that it matches the stored scan. It logs
// user-verified with the digest of that document. A document that does not
// match is not verified: reject the registration instead.
func (r *Registry) VerifyDocument(ctx context.Context, by, userID string, kind DocumentKind) error {
	return r.decide(ctx, func(tx vault.Tx, now time.Time) ([][]byte, error) {
		rec, err := r.review(tx, by, userID, now, "verify document")
		if err != nil {
			return nil, err
		}
		i := slices.IndexFunc(rec.Documents, func(d DocumentInfo) bool { return d.Kind == kind })
		if i < 0 {
			return nil, invalid(fmt.Sprintf("document %.40q", kind), fmt.Sprintf("user %s has no such document", userID))
		}
		d := &rec.Documents[i]
		if d.VerifiedBy != "" {
			return nil, fmt.Errorf("%w: verify document: %s of %s was verified by %s at %s", ErrWrongState, kind, userID, d.VerifiedBy, d.VerifiedAt.Format(time.RFC3339))
		}
		d.VerifiedBy, d.VerifiedAt = by, now
		if err := store(tx, rec); err != nil {
			return nil, err
		}
		e, err := entry("user-verified", "user", userID, "by", by,
			"documents", hex.EncodeToString(d.Digest[:]), "time", canon.FormatTime(now))
		return [][]byte{e}, err
	})
}

// Approve makes a pending account active once every document is verified,
// and logs user-approved. An LPSE staff account is refused with
// ErrSeparationOfDuties while its person sits on a procurement committee
// with an active pokja account (art. 21.3).
func (r *Registry) Approve(ctx context.Context, by, userID string) error {
	return r.decide(ctx, func(tx vault.Tx, now time.Time) ([][]byte, error) {
		rec, err := r.review(tx, by, userID, now, "approve")
		if err != nil {
			return nil, err
		}
		for _, d := range rec.Documents {
			if d.VerifiedBy == "" {
				return nil, fmt.Errorf("%w: approve: %s of %s; verify it against the original first", ErrDocumentsUnverified, d.Kind, userID)
			}
		}
		if rec.Role.staff() {
			if err := seated(tx, rec, now, "approve"); err != nil {
				return nil, err
			}
		}
		rec.Status = StatusActive
		rec.Decision = &Decision{Approved: true, By: by, At: now}
		if err := store(tx, rec); err != nil {
			return nil, err
		}
		e, err := entry("user-approved", "user", userID, "by", by, "time", canon.FormatTime(now))
		return [][]byte{e}, err
	})
}

// Reject rejects a pending account with a public reason (no personal data)
// and logs user-rejected. The applicant may register again with the same
// email and NPWP.
func (r *Registry) Reject(ctx context.Context, by, userID, reason string) error {
	if err := checkReason("reason", reason); err != nil {
		return err
	}
	return r.decide(ctx, func(tx vault.Tx, now time.Time) ([][]byte, error) {
		rec, err := r.review(tx, by, userID, now, "reject")
		if err != nil {
			return nil, err
		}
		rec.Status = StatusRejected
		rec.Decision = &Decision{By: by, Reason: reason, At: now}
		if err := store(tx, rec); err != nil {
			return nil, err
		}
		e, err := entry("user-rejected", "user", userID, "by", by, "reason", reason, "time", canon.FormatTime(now))
		return [][]byte{e}, err
	})
}
