package registry

import (
	"context"
	"fmt"
	"time"

	"github.com/segel-lpse/segel/vault"
)

// Deactivate puts an active account under a sanction and logs
// user-deactivated. For a violation the actor is an admin, a verifier, or a
// PA/KPA, PPK or pokja; a blacklist is requested by a PA/KPA, PPK or pokja and
// only for a provider. s.Reason is public and required; s.Until is the end of
// the period, or zero for indefinite. s.By and s.At are set from by and the
// clock.
func (r *Registry) Deactivate(ctx context.Context, by, userID string, s Sanction) error {
	if err := checkReason("reason", s.Reason); err != nil {
		return err
	}
	officials := []Role{RolePAKPA, RolePPK, RolePokja}
	allowed := append([]Role{RoleAdmin, RoleVerifier}, officials...)
	if s.Blacklist {
		allowed = officials
	}
	return r.decide(ctx, func(tx vault.Tx, now time.Time) ([][]byte, error) {
		if _, err := r.actor(tx, by, now, "deactivate", allowed...); err != nil {
			return nil, err
		}
		rec, err := load(tx, userID)
		if err != nil {
			return nil, err
		}
		switch {
		case by == userID:
			return nil, fmt.Errorf("registry: deactivate: %w: nobody deactivates their own account", ErrForbidden)
		case s.Blacklist && rec.Role != RoleProvider:
			return nil, fmt.Errorf("registry: deactivate: %w: only providers are blacklisted; user %s is a %s",
				ErrRoleMismatch, userID, rec.Role)
		case !s.Until.IsZero() && !s.Until.After(now):
			return nil, fmt.Errorf("registry: deactivate: until: %w: the period ends in the past; give a later time, or none for indefinite",
				ErrBadPeriod)
		}
		if err := rec.statusErr(now); err != nil {
			return nil, fmt.Errorf("registry: deactivate: %w: %w", ErrWrongState, err)
		}
		s.By, s.At = by, now
		if !s.Until.IsZero() {
			s.Until = s.Until.UTC().Round(0)
		}
		rec.Sanction = &s
		if err := store(tx, rec); err != nil {
			return nil, err
		}
		kind, until := "violation", "indefinite"
		if s.Blacklist {
			kind = "blacklist"
		}
		if !s.Until.IsZero() {
			until = logTime(s.Until)
		}
		e, err := entry("user-deactivated", "user", userID, "by", by,
			"reason", kind+" until "+until+": "+s.Reason, "time", logTime(now))
		return [][]byte{e}, err
	})
}

// Reactivate ends the sanction in force on an account before its period ends,
// with a public reason, and logs user-reactivated. The actor is an admin or a
// verifier.
func (r *Registry) Reactivate(ctx context.Context, by, userID, reason string) error {
	if err := checkReason("reason", reason); err != nil {
		return err
	}
	return r.decide(ctx, func(tx vault.Tx, now time.Time) ([][]byte, error) {
		if _, err := r.actor(tx, by, now, "reactivate", RoleAdmin, RoleVerifier); err != nil {
			return nil, err
		}
		rec, err := load(tx, userID)
		if err != nil {
			return nil, err
		}
		if by == userID {
			return nil, fmt.Errorf("registry: reactivate: %w: nobody reactivates their own account", ErrForbidden)
		}
		if !rec.inForce(now) {
			return nil, fmt.Errorf("registry: reactivate: %w: user %s is not deactivated", ErrWrongState, userID)
		}
		rec.Sanction = nil
		if err := store(tx, rec); err != nil {
			return nil, err
		}
		e, err := entry("user-reactivated", "user", userID, "by", by, "reason", reason, "time", logTime(now))
		return [][]byte{e}, err
	})
}
