package directory

import (
	"context"
	"errors"
	"fmt"

	"github.com/segel-lpse/segel/registry"
	"github.com/segel-lpse/segel/tender"
	"github.com/segel-lpse/segel/vault"
)

// Directory is the tender engine's view of a registry.
type Directory struct {
	reg *registry.Registry
}

var _ tender.Directory = (*Directory)(nil)

// New returns the tender.Directory of reg.
func New(reg *registry.Registry) *Directory { return &Directory{reg: reg} }

// CheckProvider returns nil if userID is an active provider who may submit
// offers (registry.CanSubmit).
func (d *Directory) CheckProvider(ctx context.Context, userID string) error {
	return d.reg.CanSubmit(ctx, userID)
}

// CheckRole returns nil if userID is active and holds role; the role ids
// are the same strings in both packages. (LPSE staff are the helpdesk's
// question: Helpdesk.CheckStaff.)
func (d *Directory) CheckRole(ctx context.Context, userID string, role tender.Role) error {
	return d.reg.CheckRole(ctx, userID, registry.Role(role))
}

// CheckAssignable returns nil if userID may be assigned to role on a
// tender (registry.CheckAssignable: separation of duties included).
func (d *Directory) CheckAssignable(ctx context.Context, userID string, role tender.Role) error {
	return d.reg.CheckAssignable(ctx, userID, registry.Role(role))
}

// Committee returns the committee the PA/KPA assigned to tender id, each
// member with its opening key in force (Key empty if it registered none).
func (d *Directory) Committee(ctx context.Context, id string) ([]tender.Member, error) {
	users, err := d.reg.Committee(ctx, id)
	if errors.Is(err, vault.ErrNotFound) {
		return nil, fmt.Errorf("no committee is assigned to tender %s; the PA/KPA assigns one in the registry first", id)
	} else if err != nil {
		return nil, err
	}
	out := make([]tender.Member, len(users))
	for i, u := range users {
		out[i].User = u
		key, err := d.reg.CommitteeKey(ctx, u)
		switch {
		case err == nil:
			out[i].Key = key.Recipient
		case !errors.Is(err, registry.ErrNoCommitteeKey):
			return nil, err
		}
	}
	return out, nil
}
