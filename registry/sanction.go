package registry

import (
	"context"
	"fmt"
	"time"

	"github.com/segel-lpse/segel/internal/canon"
	"github.com/segel-lpse/segel/vault"
)

// Deactivate puts an active account under a sanction for a violation and
// logs user-deactivated. The actor is a verifier or an admin for providers
// and officials, an admin for LPSE staff; never the same person (NIK) as the
// account. Since only an active admin deactivates an admin, and not their
// own account, in one serializable transaction, at least one admin always
// stays active. A blacklisting is not decided here: an official files it
// with RequestBlacklist and a verifier or admin decides it.
//
// s.Reason is public and required; s.Until is the end of the period, or
// zero for indefinite. s.By and s.At are set from by and the clock.
func (r *Registry) Deactivate(ctx context.Context, by, userID string, s Sanction) error {
	if err := checkReason("reason", s.Reason); err != nil {
		return err
	}
	if s.Blacklist || s.Request != "" {
		return fmt.Errorf("%w: deactivate: a blacklisting is requested by a PA/KPA, PPK or pokja "+
			"(RequestBlacklist) and decided by a verifier or admin (ApproveBlacklist)", ErrForbidden)
	}
	return r.decide(ctx, func(tx vault.Tx, now time.Time) ([][]byte, error) {
		rec, err := r.sanctioned(tx, by, userID, now, "deactivate")
		if err != nil {
			return nil, err
		}
		if !s.Until.IsZero() && !s.Until.After(now) {
			return nil, invalid("until", "the period ends in the past; give a later time, or none for indefinite")
		}
		if err := rec.statusErr(now); err != nil {
			return nil, fmt.Errorf("%w: deactivate: %w", ErrWrongState, err)
		}
		e, err := sanction(tx, rec, Sanction{Reason: s.Reason, By: by, At: now, Until: s.Until})
		return [][]byte{e}, err
	})
}

// sanctioned loads the account userID for a deactivation or reactivation by
// by: the actor must be one of the account role's sanctioners, and not the
// same person.
func (r *Registry) sanctioned(tx vault.Tx, by, userID string, now time.Time, action string) (*record, error) {
	rec, err := load(tx, userID)
	if err != nil {
		return nil, err
	}
	a, err := r.actor(tx, by, now, action, rec.Role.sanctioners()...)
	if err != nil {
		return nil, err
	}
	if samePerson(a, rec) {
		return nil, fmt.Errorf("%w: %s: user %s is the acting user or another account of the same person (NIK)",
			ErrForbidden, action, userID)
	}
	return rec, nil
}

// sanction stores s on rec and returns its user-deactivated entry.
func sanction(tx vault.Tx, rec *record, s Sanction) ([]byte, error) {
	if !s.Until.IsZero() {
		s.Until = s.Until.UTC().Round(0)
	}
	rec.Sanction = &s
	if err := store(tx, rec); err != nil {
		return nil, err
	}
	kind := "violation"
	if s.Blacklist {
		kind = "blacklist"
	}
	return entry("user-deactivated", "user", rec.ID, "by", s.By,
		"reason", kind+" until "+logUntil(s.Until)+": "+s.Reason, "time", canon.FormatTime(s.At))
}

// logUntil formats the end of a period for a logged reason.
func logUntil(t time.Time) string {
	if t.IsZero() {
		return "indefinite"
	}
	return canon.FormatTime(t)
}

// Reactivate ends the sanction in force on an account before its period ends,
// with a public reason, and logs user-reactivated. The actor is a verifier or
// an admin, or only an admin for LPSE staff; never the same person (NIK) as
// the account. An LPSE staff account is refused, as at approval, while its
// person sits on a committee with an active pokja account.
func (r *Registry) Reactivate(ctx context.Context, by, userID, reason string) error {
	if err := checkReason("reason", reason); err != nil {
		return err
	}
	return r.decide(ctx, func(tx vault.Tx, now time.Time) ([][]byte, error) {
		rec, err := r.sanctioned(tx, by, userID, now, "reactivate")
		if err != nil {
			return nil, err
		}
		if !rec.inForce(now) {
			return nil, fmt.Errorf("%w: reactivate: user %s is not deactivated", ErrWrongState, userID)
		}
		if rec.Role.staff() {
			if err := seated(tx, rec, now, "reactivate"); err != nil {
				return nil, err
			}
		}
		rec.Sanction = nil
		if err := store(tx, rec); err != nil {
			return nil, err
		}
		e, err := entry("user-reactivated", "user", userID, "by", by, "reason", reason, "time", canon.FormatTime(now))
		return [][]byte{e}, err
	})
}
