package server

import (
	"context"

	"github.com/segel-lpse/segel/registry"
	"github.com/segel-lpse/segel/tender"
)

// Directory returns the tender engine's view of reg: who is an active
// provider, who holds which role, who may be assigned (separation of
// duties). The role ids of the two packages are the same strings; the
// engine's LPSE staff are the registry's verifiers and admins.
func Directory(reg *registry.Registry) tender.Directory { return directory{reg} }

type directory struct{ reg *registry.Registry }

func (d directory) CheckProvider(ctx context.Context, userID string) error {
	return d.reg.CanSubmit(ctx, userID)
}

func (d directory) CheckRole(ctx context.Context, userID string, role tender.Role) error {
	u, err := d.reg.Lookup(ctx, userID)
	if err != nil {
		return err
	}
	switch {
	case role == tender.RoleLPSE && (u.Role == registry.RoleVerifier || u.Role == registry.RoleAdmin):
		// The engine's "LPSE staff" are the registry's verifiers and admins.
	case string(u.Role) != string(role):
		return registry.ErrRoleMismatch
	}
	return activeErr(u)
}

func (d directory) CheckAssignable(ctx context.Context, userID string, role tender.Role) error {
	return d.reg.CheckAssignable(ctx, userID, registry.Role(role))
}

// activeErr is nil for an active account and its status error otherwise.
func activeErr(u registry.User) error {
	switch u.Status {
	case registry.StatusActive:
		return nil
	case registry.StatusPending:
		return registry.ErrNotVerified
	case registry.StatusRejected:
		return registry.ErrRejected
	default:
		if u.Sanction != nil && u.Sanction.Blacklist {
			return registry.ErrBlacklisted
		}
		return registry.ErrDeactivated
	}
}
