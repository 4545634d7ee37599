package registry

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/segel-lpse/segel/vault"
)

// UserQuery selects the accounts Users returns. Its zero value selects
// every account, the first DefaultUserLimit of them.
type UserQuery struct {
	// Status and Role select one status (as of now: a deactivation
	// in force is StatusDeactivated) and one role; "" selects any.
	Status Status
	Role   Role
	// Text selects the accounts whose id, name, email, NIK or NPWP
	// contains it, letter case ignored; "" selects any.
	Text string
	// Limit is how many accounts to return at most (0: DefaultUserLimit,
	// at most MaxUserLimit), Offset how many matching accounts to skip.
	Limit, Offset int
}

// The caps on UserQuery.Limit.
const (
	DefaultUserLimit = 50
	MaxUserLimit     = 500
)

// check refuses a query with an unknown status or role, or a limit or
// offset out of range, saying what to send instead.
func (q *UserQuery) check() error {
	switch q.Status {
	case "", StatusPending, StatusActive, StatusRejected, StatusDeactivated:
	default:
		return invalid("status", fmt.Sprintf("unknown status %.64q; use pending, active, rejected or deactivated", q.Status))
	}
	if q.Role != "" {
		if _, err := ParseRole(string(q.Role)); err != nil {
			return err
		}
	}
	if len(q.Text) > 200 {
		return invalid("q", "the search text is longer than 200 bytes; search by a part of the name, email, id, NIK or NPWP")
	}
	if q.Limit < 0 || q.Limit > MaxUserLimit || q.Offset < 0 {
		return invalid("limit", fmt.Sprintf("limit must be 1 to %d (0 for %d) and offset 0 or more", MaxUserLimit, DefaultUserLimit))
	}
	if q.Limit == 0 {
		q.Limit = DefaultUserLimit
	}
	return nil
}

// matches reports whether u, as of now, is selected by q.
func (q *UserQuery) matches(u *User) bool {
	if q.Status != "" && u.Status != q.Status || q.Role != "" && u.Role != q.Role {
		return false
	}
	if q.Text == "" {
		return true
	}
	text := strings.ToLower(strings.TrimSpace(q.Text))
	for _, f := range []string{u.ID, u.Name, u.Email, u.NIK} {
		if strings.Contains(strings.ToLower(f), text) {
			return true
		}
	}
	// An NPWP is stored as digits, and typed with its dots and dash.
	digits := strings.Map(keepNPWP, text)
	return u.Provider != nil && digits != "" && allDigits(digits) && strings.Contains(u.Provider.NPWP, digits)
}

// keepNPWP drops the separators an NPWP is written with.
func keepNPWP(r rune) rune {
	if r == '.' || r == '-' || r == ' ' {
		return -1
	}
	return r
}

// Users returns, to a verifier or admin by, the accounts q selects as of
// now, oldest registration first, from q.Offset, at most q.Limit of them.
// The registration queue is Users with Status StatusPending.
func (r *Registry) Users(ctx context.Context, by string, q UserQuery) ([]User, error) {
	if err := q.check(); err != nil {
		return nil, err
	}
	var out []User
	err := r.records.View(ctx, func(tx vault.Tx) error {
		now := r.clock()
		if _, err := r.actor(tx, by, now, "list accounts", RoleVerifier, RoleAdmin); err != nil {
			return err
		}
		out = out[:0]
		return tx.Scan(tableUsers, "", func(k string, v []byte) error {
			var rec record
			if err := unmarshal(tableUsers, k, v, &rec); err != nil {
				return err
			}
			if u := rec.view(now); q.matches(&u) {
				out = append(out, u)
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b User) int {
		if c := a.Registered.Compare(b.Registered); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	if q.Offset >= len(out) {
		return []User{}, nil
	}
	out = out[q.Offset:]
	return out[:min(len(out), q.Limit)], nil
}
