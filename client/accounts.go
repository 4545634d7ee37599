package client

import (
	"context"
	"io"
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
	Sanction   *Sanction // the deactivation in force, if any
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

// UserDocument copies user's registration document of kind (such as
// "ktp") to w and returns its size: one's own, or another's as its
// reviewer (a verifier for providers and officials, an admin for LPSE
// staff). It reads at most limit bytes and fails with
// ErrResponseTooLarge beyond. The server answers CodeForbidden to
// anyone else and CodeNotFound if the account has no document of kind.
func (c *Client) UserDocument(ctx context.Context, user, kind string, w io.Writer, limit int64) (int64, error) {
	return c.stream(ctx, "/v1/users/"+url.PathEscape(user)+"/documents/"+url.PathEscape(kind), w, limit)
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

// Sanction is the deactivation of an account: for a violation, or a
// blacklisting on an official's request.
type Sanction struct {
	Blacklist bool      // a blacklisting (providers only), not a violation; set by ApproveBlacklist
	Reason    string    // public, so no personal data; required
	Until     time.Time // end of the period; zero for indefinite
	By        string    // the verifier or admin who decided it; set by the server
	At        time.Time // set by the server
	Request   string    // the blacklist request approved, if any; set by the server
}

// Deactivate deactivates user's account for a violation under s. The
// caller is a verifier or an admin for providers and officials, and an
// admin for LPSE staff (verifiers and admins); nobody deactivates an
// account of their own person (the same NIK). Only s.Reason and s.Until
// are sent, and s.Blacklist, which the server refuses: a blacklisting is
// requested with RequestBlacklist. Until the period ends or Reactivate,
// the account's tokens fail with CodeDeactivated and User shows it with
// its Sanction. The server answers CodeInvalid for an empty reason or a
// period ending in the past, CodeWrongState if the account is not active,
// CodeUnknownUser if there is none, and CodeForbidden to a caller of
// another role, such as a PA/KPA, PPK or pokja member.
func (c *Client) Deactivate(ctx context.Context, user string, s Sanction) error {
	in := struct {
		Reason    string    `json:"reason"`
		Blacklist bool      `json:"blacklist,omitempty"`
		Until     time.Time `json:"until,omitzero"`
	}{s.Reason, s.Blacklist, s.Until}
	return c.call(ctx, "POST", "/v1/users/"+url.PathEscape(user)+"/deactivate", in, nil)
}

// BlacklistRequest is an official's request that the LPSE blacklist a
// provider, and its decision once made.
type BlacklistRequest struct {
	ID       string    `json:"id"`
	User     string    `json:"user"`   // the provider
	By       string    `json:"by"`     // the requesting official
	Reason   string    `json:"reason"` // public
	Until    time.Time `json:"until"`  // end of the blacklisting asked for; zero for indefinite
	At       time.Time `json:"at"`     // when it was filed
	Decision *Decision `json:"decision"`
}

// Decision is the approval or rejection of a blacklist request.
type Decision struct {
	Approved bool      `json:"approved"`
	By       string    `json:"by"`     // the verifier or admin who decided
	Reason   string    `json:"reason"` // rejections only
	At       time.Time `json:"at"`
}

// RequestBlacklist requests, as a PA/KPA, PPK or pokja member, that the
// provider user be blacklisted for a public reason until until (zero for
// indefinite). The provider is unchanged until a verifier or admin
// approves the request. The server answers CodeForbidden to other roles
// and for an account that is not a provider, CodeWrongState if the
// provider is not approved, and CodeInvalid for an empty reason or a
// period ending in the past.
func (c *Client) RequestBlacklist(ctx context.Context, user, reason string, until time.Time) (*BlacklistRequest, error) {
	in := struct {
		Reason string    `json:"reason"`
		Until  time.Time `json:"until,omitzero"`
	}{reason, until}
	return get[BlacklistRequest](ctx, c, "POST", "/v1/users/"+url.PathEscape(user)+"/blacklist-requests", in)
}

// BlacklistRequests returns, to a verifier or admin, every blacklist
// request, oldest first, with its decision once made.
func (c *Client) BlacklistRequests(ctx context.Context) ([]BlacklistRequest, error) {
	return list[BlacklistRequest](ctx, c, "/v1/blacklist-requests")
}

// ApproveBlacklist approves, as a verifier or admin, blacklist request
// id: its provider is blacklisted from now until the end asked for, and
// its tokens fail with CodeBlacklisted. A request is decided once: the
// server answers CodeWrongState to a second decision, and also while the
// provider is under another sanction. It answers CodeForbidden to a
// caller whose NIK is the provider's or the requester's.
func (c *Client) ApproveBlacklist(ctx context.Context, id string) error {
	return c.call(ctx, "POST", "/v1/blacklist-requests/"+url.PathEscape(id)+"/approve", nil, nil)
}

// RejectBlacklist rejects, as a verifier or admin, blacklist request id
// with a public reason; the provider is unchanged.
func (c *Client) RejectBlacklist(ctx context.Context, id, reason string) error {
	return c.call(ctx, "POST", "/v1/blacklist-requests/"+url.PathEscape(id)+"/reject", map[string]string{"reason": reason}, nil)
}

// Reactivate ends, as a verifier or admin (an admin for LPSE staff), the
// sanction in force on user's account before its period ends, with a
// public reason. The server answers CodeWrongState if the account is not
// deactivated.
func (c *Client) Reactivate(ctx context.Context, user, reason string) error {
	return c.call(ctx, "POST", "/v1/users/"+url.PathEscape(user)+"/reactivate", map[string]string{"reason": reason}, nil)
}
