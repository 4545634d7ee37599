package client

import (
	"context"
	"net/url"
	"time"
)

// Registration is an application for an account (POST /v1/register).
// Documents maps a document kind (such as "ktp", "npwp", "surat-tugas";
// doc/spec/registry.md lists which a role needs) to its scan.
type Registration struct {
	Role      string            `json:"role"` // admin, verifier, pa-kpa, ppk, pokja or provider
	Email     string            `json:"email"`
	Password  string            `json:"password"`
	Name      string            `json:"name"`
	NIK       string            `json:"nik"`
	Provider  *Provider         `json:"provider,omitempty"` // providers only
	Documents map[string][]byte `json:"documents"`
}

// Provider is the business of a provider account.
type Provider struct {
	Kind    string `json:"kind"` // company or individual
	NPWP    string `json:"npwp"`
	Licence string `json:"licence"`
}

// Account is a registered account as registration answers it.
type Account struct {
	ID     string `json:"id"`
	Role   string `json:"role"`
	Status string `json:"status"` // pending until approved; active
}

// Bootstrap registers the deployment's first admin, active at once. The
// server refuses it once any account exists.
func (c *Client) Bootstrap(ctx context.Context, r Registration) (*Account, error) {
	return get[Account](ctx, c, "POST", "/v1/bootstrap", r)
}

// Register applies for an account; it stays pending until a verifier has
// verified its documents (VerifyDocument) and approved it (Approve).
func (c *Client) Register(ctx context.Context, r Registration) (*Account, error) {
	return get[Account](ctx, c, "POST", "/v1/register", r)
}

// User is an account as its owner and LPSE reviewers see it.
type User struct {
	ID         string
	Role       string
	Email      string
	Name       string
	Status     string
	Registered time.Time
	Documents  []DocumentInfo
}

// DocumentInfo is a registration document and its verification.
type DocumentInfo struct {
	Kind       string
	Size       int64
	VerifiedBy string // "" until verified
	VerifiedAt time.Time
}

// User returns an account: one's own, or any for a verifier or admin.
func (c *Client) User(ctx context.Context, id string) (*User, error) {
	return get[User](ctx, c, "GET", "/v1/users/"+url.PathEscape(id), nil)
}

// VerifyDocument records, as a verifier or admin, that the original of
// user's document of kind was shown and matches the scan.
func (c *Client) VerifyDocument(ctx context.Context, user, kind string) error {
	return c.call(ctx, "POST", "/v1/users/"+url.PathEscape(user)+"/documents/"+url.PathEscape(kind)+"/verify", nil, nil)
}

// Approve approves, as a verifier or admin, a registration whose
// documents are all verified.
func (c *Client) Approve(ctx context.Context, user string) error {
	return c.call(ctx, "POST", "/v1/users/"+url.PathEscape(user)+"/approve", nil, nil)
}

// Reject rejects, as a verifier or admin, a registration, with a reason.
func (c *Client) Reject(ctx context.Context, user, reason string) error {
	return c.call(ctx, "POST", "/v1/users/"+url.PathEscape(user)+"/reject", map[string]string{"reason": reason}, nil)
}

// AssignCommittee assigns, as a PA/KPA, the procurement committee
// (pokja user ids) of the tender to be announced under tenderID.
func (c *Client) AssignCommittee(ctx context.Context, tenderID string, members []string) error {
	return c.call(ctx, "POST", "/v1/committees/"+url.PathEscape(tenderID), map[string][]string{"members": members}, nil)
}
