package registry

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/segel-lpse/segel/internal/canon"
	"github.com/segel-lpse/segel/vault"
)

// Committee sizes (Perpres 16/2018 jo. 12/2021: an odd number, at least 3).
const (
	MinCommittee = 3
	MaxCommittee = 15
)

// CanSubmit reports whether userID may submit offers now: an active
// provider. It returns ErrUnknownUser, ErrRoleMismatch, ErrNotVerified,
// ErrRejected, ErrDeactivated or ErrBlacklisted otherwise. tender calls it
// when it accepts an offer.
func (r *Registry) CanSubmit(ctx context.Context, userID string) error {
	return r.records.View(ctx, func(tx vault.Tx) error {
		rec, err := load(tx, userID)
		if err != nil {
			return err
		}
		if rec.Role != RoleProvider {
			return fmt.Errorf("%w: submit: user %s is a %s, not a provider", ErrRoleMismatch, userID, rec.Role)
		}
		return rec.statusErr(r.clock())
	})
}

// CheckAssignable reports whether userID may be assigned to a procurement as
// role (RolePokja, RolePPK or RolePejabatPengadaan): the account is active,
// has that role, is not LPSE staff, and its person (NIK) holds no active LPSE
// staff account (ErrSeparationOfDuties, art. 21.3). It judges the accounts as
// they are at the call, so tender calls it at every committee action, not
// only when it makes an assignment: the person may have become LPSE staff
// since. It costs one read of the account, one range read of the NIK index
// and one read per other LPSE staff account of the person.
func (r *Registry) CheckAssignable(ctx context.Context, userID string, role Role) error {
	return r.records.View(ctx, func(tx vault.Tx) error {
		return r.assignable(tx, userID, role, r.clock())
	})
}

func (r *Registry) assignable(tx vault.Tx, userID string, role Role, now time.Time) error {
	if !role.in(RolePokja, RolePPK, RolePejabatPengadaan) {
		if role.staff() {
			return fmt.Errorf("%w: assign: nobody is assigned as %s", ErrSeparationOfDuties, role)
		}
		if _, err := ParseRole(string(role)); err != nil {
			return err
		}
		return fmt.Errorf("%w: assign: %s is not a procurement assignment; use pokja, ppk or pejabat-pengadaan", ErrRoleMismatch, role)
	}
	rec, err := load(tx, userID)
	if err != nil {
		return err
	}
	if rec.Role.staff() {
		return fmt.Errorf("%w: assign %s as %s: the account is LPSE %s", ErrSeparationOfDuties, userID, role, rec.Role)
	}
	// The same person may hold another account; LPSE staff stay off
	// committees whichever account they would use. The NIK index finds
	// the person's accounts with one range read, at every call.
	err = othersOf(tx, rec, func(other string, theirs Role) error {
		if !theirs.staff() {
			return nil
		}
		o, err := load(tx, other)
		if err != nil {
			return err
		}
		if o.statusErr(now) == nil {
			return fmt.Errorf("%w: assign %s as %s: the same person holds active LPSE %s account %s",
				ErrSeparationOfDuties, userID, role, o.Role, other)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if rec.Role != role {
		return fmt.Errorf("%w: assign %s as %s: the account is a %s", ErrRoleMismatch, userID, role, rec.Role)
	}
	return rec.statusErr(now)
}

// othersOf calls fn with the id and role of every other account of rec's
// person (the same NIK), from the NIK index.
func othersOf(tx vault.Tx, rec *record, fn func(id string, role Role) error) error {
	prefix := rec.NIK + "/"
	return tx.Scan(tableNIK, prefix, func(k string, v []byte) error {
		if id := strings.TrimPrefix(k, prefix); id != rec.ID {
			return fn(id, Role(v))
		}
		return nil
	})
}

// seated refuses with ErrSeparationOfDuties to make rec's person LPSE staff
// (action: approve or reactivate) while another, active pokja account of
// theirs is a member of an assigned committee. Staff approvals are rare, so
// the committees are scanned rather than indexed by member.
func seated(tx vault.Tx, rec *record, now time.Time, action string) error {
	var pokja []string
	err := othersOf(tx, rec, func(id string, role Role) error {
		if role != RolePokja {
			return nil
		}
		o, err := load(tx, id)
		if err == nil && o.statusErr(now) == nil {
			pokja = append(pokja, id)
		}
		return err
	})
	if err != nil || len(pokja) == 0 {
		return err
	}
	return tx.Scan(tableCommittees, "", func(tenderRef string, v []byte) error {
		var c committee
		if err := unmarshal(tableCommittees, tenderRef, v, &c); err != nil {
			return err
		}
		for _, m := range c.Members {
			if slices.Contains(pokja, m) {
				return fmt.Errorf("%w: %s %s: the same person's pokja account %s sits on the committee of tender %s; "+
					"deactivate that account first", ErrSeparationOfDuties, action, rec.ID, m, tenderRef)
			}
		}
		return nil
	})
}

// committee is a stored committee assignment.
type committee struct {
	Members []string
	By      string
	At      time.Time
}

// AssignCommittee assigns members as the procurement committee (pokja) of
// the tender tenderRef, replacing any earlier assignment. The actor is a
// PA/KPA; every member must pass CheckAssignable as RolePokja, the members
// must be distinct and their number odd, from MinCommittee to MaxCommittee.
// Either all members are assigned or none.
func (r *Registry) AssignCommittee(ctx context.Context, by, tenderRef string, members []string) error {
	if err := checkRef(tenderRef); err != nil {
		return err
	}
	n := len(members)
	if n < MinCommittee || n > MaxCommittee || n%2 == 0 {
		return invalid("committee", fmt.Sprintf("%d members; a committee has an odd number from %d to %d",
			n, MinCommittee, MaxCommittee))
	}
	sorted := slices.Clone(members)
	slices.Sort(sorted)
	if len(slices.Compact(sorted)) != n {
		return invalid("committee", "a member is named twice")
	}
	return r.records.Update(ctx, func(tx vault.Tx) error {
		now := r.clock()
		if _, err := r.actor(tx, by, now, "assign committee", RolePAKPA); err != nil {
			return err
		}
		for _, m := range members {
			if err := r.assignable(tx, m, RolePokja, now); err != nil {
				return err
			}
		}
		return putJSON(tx, tableCommittees, tenderRef, committee{Members: slices.Clone(members), By: by, At: now})
	})
}

// Committee returns the members assigned to tenderRef, or vault.ErrNotFound.
func (r *Registry) Committee(ctx context.Context, tenderRef string) ([]string, error) {
	var c committee
	err := r.records.View(ctx, func(tx vault.Tx) error {
		return getJSON(tx, tableCommittees, tenderRef, &c)
	})
	return c.Members, err
}

// checkRef accepts a tender reference: a tender id (canon.IsTenderID).
func checkRef(s string) error {
	if !canon.IsTenderID(s) {
		return invalid("tender reference", fmt.Sprintf("give 1 to %d letters, digits, '.', '_' or '-', starting with a letter or digit", canon.MaxTenderID))
	}
	return nil
}

// Assignable returns, to a PA/KPA or a pokja member by, the accounts that
// may be assigned as role now (CheckAssignable's rules: active, that role,
// not LPSE staff nor an LPSE staff member's other account), sorted by
// name then id: the people a PA/KPA chooses a committee among, and the
// names a committee member sees its fellows by. It reads every account,
// which is fine for a deployment's few thousand; an index by role would
// serve a larger one.
func (r *Registry) Assignable(ctx context.Context, by string, role Role) ([]User, error) {
	var out []User
	err := r.records.View(ctx, func(tx vault.Tx) error {
		now := r.clock()
		if _, err := r.actor(tx, by, now, "list assignable officials", RolePAKPA, RolePokja); err != nil {
			return err
		}
		if err := r.assignableRole(role); err != nil {
			return err
		}
		out = out[:0]
		var ids []string
		err := tx.Scan(tableUsers, "", func(id string, v []byte) error {
			var rec record
			if err := unmarshal(tableUsers, id, v, &rec); err != nil {
				return err
			}
			if rec.Role == role && rec.statusErr(now) == nil {
				ids = append(ids, id)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, id := range ids {
			err := r.assignable(tx, id, role, now)
			switch {
			case err == nil:
			case errors.Is(err, ErrSeparationOfDuties):
				continue
			default:
				return err
			}
			rec, err := load(tx, id)
			if err != nil {
				return err
			}
			u := rec.view(now)
			u.Documents, u.Decision = nil, nil
			out = append(out, u)
		}
		return nil
	})
	slices.SortFunc(out, func(a, b User) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, err
}

// assignableRole refuses a role nobody is assigned as.
func (r *Registry) assignableRole(role Role) error {
	if role.in(RolePokja, RolePPK, RolePejabatPengadaan) {
		return nil
	}
	if _, err := ParseRole(string(role)); err != nil {
		return err
	}
	return fmt.Errorf("%w: %s is not a procurement assignment; use pokja, ppk or pejabat-pengadaan", ErrRoleMismatch, role)
}

// CommitteeAssignment is a committee as a PA/KPA assigned it to a tender
// id.
type CommitteeAssignment struct {
	Tender  string
	Members []string
	By      string // the PA/KPA
	At      time.Time
}

// Committees returns, to a PA/KPA by, every committee assignment, and to a
// pokja member the assignments they sit on, sorted by tender id.
func (r *Registry) Committees(ctx context.Context, by string) ([]CommitteeAssignment, error) {
	var out []CommitteeAssignment
	err := r.records.View(ctx, func(tx vault.Tx) error {
		actor, err := r.actor(tx, by, r.clock(), "list committees", RolePAKPA, RolePokja)
		if err != nil {
			return err
		}
		out = out[:0]
		return tx.Scan(tableCommittees, "", func(ref string, v []byte) error {
			var c committee
			if err := unmarshal(tableCommittees, ref, v, &c); err != nil {
				return err
			}
			if actor.Role == RolePokja && !slices.Contains(c.Members, by) {
				return nil
			}
			out = append(out, CommitteeAssignment{Tender: ref, Members: c.Members, By: c.By, At: c.At})
			return nil
		})
	})
	slices.SortFunc(out, func(a, b CommitteeAssignment) int { return strings.Compare(a.Tender, b.Tender) })
	return out, err
}
