package directory

import (
	"context"
	"errors"

	"github.com/segel-lpse/segel/helpdesk"
	"github.com/segel-lpse/segel/registry"
)

// Helpdesk is the helpdesk's view of a registry.
type Helpdesk struct {
	reg *registry.Registry
}

var _ helpdesk.Directory = (*Helpdesk)(nil)

// NewHelpdesk returns the helpdesk.Directory of reg.
func NewHelpdesk(reg *registry.Registry) *Helpdesk { return &Helpdesk{reg: reg} }

// CheckStaff returns nil if user is active LPSE staff: the registry's
// verifiers and admins.
func (h *Helpdesk) CheckStaff(ctx context.Context, user string) error {
	return h.reg.CheckRole(ctx, user, registry.RoleVerifier, registry.RoleAdmin)
}

// CheckUser returns nil if user may file a complaint: a provider who may
// take part in tenders (registry.CanSubmit: verified, not deactivated or
// blacklisted), or an active account of LPSE staff, a PA/KPA, a committee
// member (pokja) or a PPK. Auditors and procurement officials (pejabat
// pengadaan) are not among them.
func (h *Helpdesk) CheckUser(ctx context.Context, user string) error {
	err := h.reg.CanSubmit(ctx, user)
	if err == nil || !errors.Is(err, registry.ErrRoleMismatch) {
		// A provider, in good standing or not, or no user at all.
		return err
	}
	return h.reg.CheckRole(ctx, user, registry.RoleVerifier, registry.RoleAdmin, registry.RolePAKPA, registry.RolePokja, registry.RolePPK)
}
