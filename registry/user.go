package registry

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/segel-lpse/segel/vault"
)

// Status is the state of an account (doc/spec/registry.md §3).
type Status string

// The states of an account. Only StatusActive may log in, act, submit or be
// assigned.
const (
	StatusPending     Status = "pending"     // registered, awaiting verification
	StatusActive      Status = "active"      // approved and not under a sanction
	StatusRejected    Status = "rejected"    // registration rejected
	StatusDeactivated Status = "deactivated" // approved, under a sanction in force
)

// User is an account as the registry shows it. It holds personal data (name,
// email, NIK, NPWP) that must never be logged.
type User struct {
	ID         string
	Role       Role
	Email      string // normalised
	Name       string
	NIK        string    // the person's; for a provider, the director's
	Provider   *Provider // nil unless Role is RoleProvider
	Status     Status
	Registered time.Time
	Documents  []DocumentInfo // sorted by kind
	Decision   *Decision      // approval or rejection, once made
	Sanction   *Sanction      // the deactivation in force, if any
}

// Provider holds what only providers register.
type Provider struct {
	Kind    ProviderKind
	NPWP    string // digits only
	Licence string // NIB or SIUP number
}

// ProviderKind says whether a provider is a company or an individual.
type ProviderKind string

// Kinds of provider.
const (
	Company    ProviderKind = "company"
	Individual ProviderKind = "individual"
)

// DocumentInfo describes a stored registration document and its verification.
type DocumentInfo struct {
	Kind       DocumentKind
	Digest     [32]byte // SHA-256 of the ciphertext as stored
	Size       int64    // plaintext size in bytes
	VerifiedBy string   // the reviewer who saw the original, or ""
	VerifiedAt time.Time
}

// Decision is an approval or a rejection.
type Decision struct {
	Approved bool
	By       string
	Reason   string // rejections only
	At       time.Time
}

// Sanction is a deactivation: for a violation (Deactivate), or a blacklisting
// on an official's request (ApproveBlacklist).
type Sanction struct {
	Blacklist bool
	Reason    string    // public: no personal data
	By        string    // the verifier or admin who decided it
	At        time.Time // when it was decided
	Until     time.Time // zero means indefinite
	Request   string    `json:",omitempty"` // the blacklist request approved, if any
}

// record is the stored account: the User plus its secrets and counters.
// Status is stored as pending, active or rejected; deactivation is the
// Sanction, judged against the clock when read.
type record struct {
	User
	PasswordHash string
	FailedLogins int       `json:",omitempty"`
	LockedUntil  time.Time `json:",omitzero"`
}

// inForce reports whether the record's sanction applies at now.
func (rec *record) inForce(now time.Time) bool {
	s := rec.Sanction
	return s != nil && (s.Until.IsZero() || now.Before(s.Until))
}

// view returns the User as of now.
func (rec *record) view(now time.Time) User {
	u := rec.User
	u.Documents = append([]DocumentInfo(nil), u.Documents...)
	if u.Provider != nil {
		p := *u.Provider
		u.Provider = &p
	}
	if rec.inForce(now) {
		u.Status = StatusDeactivated
	} else {
		u.Sanction = nil
	}
	return u
}

// statusErr returns nil for an active account and otherwise the distinct
// error for its state.
func (rec *record) statusErr(now time.Time) error {
	switch {
	case rec.Status == StatusPending:
		return fmt.Errorf("%w: user %s; bring the original documents to the LPSE for verification", ErrNotVerified, rec.ID)
	case rec.Status == StatusRejected:
		return fmt.Errorf("%w: user %s; register again with corrected documents", ErrRejected, rec.ID)
	case rec.inForce(now):
		until := "indefinitely"
		if !rec.Sanction.Until.IsZero() {
			until = "until " + rec.Sanction.Until.Format(time.RFC3339)
		}
		err := ErrDeactivated
		if rec.Sanction.Blacklist {
			err = ErrBlacklisted
		}
		return fmt.Errorf("%w %s: user %s: %s", err, until, rec.ID, rec.Sanction.Reason)
	}
	return nil
}

// samePerson reports whether a and b are one account or two accounts of one
// person (the same NIK). Reviews and sanctions compare people, not accounts:
// nobody decides about themselves under another account.
func samePerson(a, b *record) bool { return a.ID == b.ID || a.NIK == b.NIK }

// load reads the record of user id, or ErrUnknownUser.
func load(tx vault.Tx, id string) (*record, error) {
	var rec record
	err := getJSON(tx, tableUsers, id, &rec)
	if errors.Is(err, vault.ErrNotFound) {
		return nil, fmt.Errorf("%w: user %.80q", ErrUnknownUser, id)
	}
	if err != nil {
		return nil, err
	}
	return &rec, nil
}

// store writes rec back.
func store(tx vault.Tx, rec *record) error { return putJSON(tx, tableUsers, rec.ID, rec) }

// actor loads the acting user by and checks that it is active and has one of
// roles; otherwise ErrForbidden.
func (r *Registry) actor(tx vault.Tx, by string, now time.Time, action string, roles ...Role) (*record, error) {
	rec, err := load(tx, by)
	if errors.Is(err, ErrUnknownUser) {
		return nil, fmt.Errorf("%w: %s: acting user %.80q does not exist", ErrForbidden, action, by)
	}
	if err != nil {
		return nil, err
	}
	if err := rec.statusErr(now); err != nil {
		return nil, fmt.Errorf("%w: %s: acting user is not active: %w", ErrForbidden, action, err)
	}
	if !rec.Role.in(roles...) {
		return nil, fmt.Errorf("%w: %s: a %s may not do this; it takes a %v", ErrForbidden, action, rec.Role, roles)
	}
	return rec, nil
}

// Lookup returns the account with id as of now, or ErrUnknownUser.
func (r *Registry) Lookup(ctx context.Context, id string) (User, error) {
	var u User
	err := r.records.View(ctx, func(tx vault.Tx) error {
		rec, err := load(tx, id)
		if err != nil {
			return err
		}
		u = rec.view(r.clock())
		return nil
	})
	return u, err
}

// CheckRole reports whether userID is an active account with one of roles.
// It returns ErrUnknownUser, ErrRoleMismatch, or the account's status error
// (ErrNotVerified, ErrRejected, ErrDeactivated, ErrBlacklisted).
func (r *Registry) CheckRole(ctx context.Context, userID string, roles ...Role) error {
	return r.records.View(ctx, func(tx vault.Tx) error {
		rec, err := load(tx, userID)
		if err != nil {
			return err
		}
		if !rec.Role.in(roles...) {
			return fmt.Errorf("%w: user %s: the account is a %s, not %v", ErrRoleMismatch, userID, rec.Role, roles)
		}
		return rec.statusErr(r.clock())
	})
}
