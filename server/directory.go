package server

import (
	"context"

	"github.com/segel-lpse/segel/registry"
	"github.com/segel-lpse/segel/tender"
)

// Directory returns the tender engine's view of reg: who is an active
// provider, who holds which role, who may be assigned (separation of
// duties). The role ids of the two packages are the same strings.
func Directory(reg *registry.Registry) tender.Directory { return tenderDirectory{reg} }

type tenderDirectory struct{ reg *registry.Registry }

func (d tenderDirectory) CheckProvider(ctx context.Context, userID string) error {
	return d.reg.CanSubmit(ctx, userID)
}

func (d tenderDirectory) CheckRole(ctx context.Context, userID string, role tender.Role) error {
	return d.reg.CheckRole(ctx, userID, registry.Role(role))
}

func (d tenderDirectory) CheckAssignable(ctx context.Context, userID string, role tender.Role) error {
	return d.reg.CheckAssignable(ctx, userID, registry.Role(role))
}
