package registry

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/segel-lpse/segel/vault"
)

// Login checks an email and password and returns the account. It refuses
// with ErrBadCredentials (an unknown email costs the same argon2id work as a
// wrong password), with a *LockedOutError after MaxFailedLogins failures in a
// row until LockoutPeriod has passed, and with the account's status error
// (ErrNotVerified, ErrRejected, ErrDeactivated, ErrBlacklisted) after a right
// password for an account that is not active.
func (r *Registry) Login(ctx context.Context, email, password string) (User, error) {
	badCreds := fmt.Errorf("%w; check both", ErrBadCredentials)
	norm, err := NormalizeEmail(email)
	if err != nil || len(password) > 4*MaxPasswordLength {
		verifyPassword(password, r.dummy)
		return User{}, badCreds
	}
	var id, hash string
	var locked time.Time
	var seen *record
	err = r.records.View(ctx, func(tx vault.Tx) error {
		b, err := tx.Get(tableEmails, norm)
		if err != nil {
			return err
		}
		rec, err := load(tx, string(b))
		if err != nil {
			return err
		}
		id, hash, locked, seen = rec.ID, rec.PasswordHash, rec.LockedUntil, rec
		return nil
	})
	if errors.Is(err, vault.ErrNotFound) {
		verifyPassword(password, r.dummy)
		return User{}, badCreds
	}
	if err != nil {
		return User{}, err
	}
	if r.clock().Before(locked) {
		return User{}, &LockedOutError{Until: locked}
	}
	ok, err := verifyPassword(password, hash)
	if err != nil {
		return User{}, err
	}
	if ok && seen.FailedLogins == 0 && seen.LockedUntil.IsZero() {
		// Nothing to reset: answer from the snapshot, without a write
		// transaction (SQLite has one writer; logins should not queue on it).
		now := r.clock()
		if err := seen.statusErr(now); err != nil {
			return User{}, err
		}
		return seen.view(now), nil
	}
	var u User
	var status error
	var lockedNow time.Time
	err = r.records.Update(ctx, func(tx vault.Tx) error {
		now := r.clock()
		rec, err := load(tx, id)
		if err != nil {
			return err
		}
		if now.Before(rec.LockedUntil) {
			// Locked by a concurrent attempt while this one was hashing.
			return &LockedOutError{Until: rec.LockedUntil}
		}
		if ok {
			rec.FailedLogins, rec.LockedUntil = 0, time.Time{}
			u, status = rec.view(now), rec.statusErr(now)
			return store(tx, rec)
		}
		rec.FailedLogins++
		lockedNow = time.Time{}
		if rec.FailedLogins >= r.maxFail {
			rec.FailedLogins, rec.LockedUntil = 0, now.Add(r.lockout)
			lockedNow = rec.LockedUntil
		}
		return store(tx, rec)
	})
	switch {
	case err != nil:
		return User{}, err
	case !ok && !lockedNow.IsZero():
		return User{}, &LockedOutError{Until: lockedNow}
	case !ok:
		return User{}, badCreds
	case status != nil:
		return User{}, status
	}
	return u, nil
}
