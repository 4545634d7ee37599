package registry

import (
	"fmt"
	"slices"
)

// A Role is the one role of an account (doc/spec/registry.md §1). Its string
// is the role id recorded in the audit log.
type Role string

// The roles of SPSE users.
const (
	RoleProvider         Role = "provider"          // penyedia (company or individual)
	RolePokja            Role = "pokja"             // procurement committee member
	RolePejabatPengadaan Role = "pejabat-pengadaan" // procurement official
	RolePPK              Role = "ppk"               // commitment-making official
	RolePAKPA            Role = "pa-kpa"            // budget user or its proxy
	RoleAuditor          Role = "auditor"           // auditor, read-only
	RoleVerifier         Role = "verifier"          // LPSE registration verifier
	RoleAdmin            Role = "admin"             // LPSE administrator
)

// roles lists every role, in the order of doc/spec/registry.md §1.
var roles = []Role{RoleProvider, RolePokja, RolePejabatPengadaan, RolePPK,
	RolePAKPA, RoleAuditor, RoleVerifier, RoleAdmin}

// ParseRole returns the role with id s, or a [*FieldError] for field "role" (ErrInvalid).
func ParseRole(s string) (Role, error) {
	if r := Role(s); slices.Contains(roles, r) {
		return r, nil
	}
	return "", invalid("role", fmt.Sprintf("unknown role %.64q; use provider, pokja, pejabat-pengadaan, "+
		"ppk, pa-kpa, auditor, verifier or admin", s))
}

// staff reports whether r is LPSE staff, who may never be assigned to a
// procurement (art. 21.3).
func (r Role) staff() bool { return r == RoleVerifier || r == RoleAdmin }

// reviewer returns the role that verifies, approves and rejects accounts of
// role r: LPSE staff are reviewed by an admin, everyone else by a verifier.
func (r Role) reviewer() Role {
	if r.staff() {
		return RoleAdmin
	}
	return RoleVerifier
}

// sanctioners returns the roles that deactivate and reactivate accounts of
// role r: only an admin for LPSE staff, a verifier or an admin for everyone
// else. Officials request blacklistings (RequestBlacklist); they deactivate
// nobody.
func (r Role) sanctioners() []Role {
	if r.staff() {
		return []Role{RoleAdmin}
	}
	return []Role{RoleVerifier, RoleAdmin}
}

// in reports whether r is one of set.
func (r Role) in(set ...Role) bool {
	for _, s := range set {
		if r == s {
			return true
		}
	}
	return false
}
