package client

import (
	"context"
	"io"
	"net/url"
	"strconv"
	"time"

	"github.com/segel-lpse/segel/api"
)

// Bootstrap registers the deployment's first admin, active at once. The
// server refuses it once any account exists.
func (c *Client) Bootstrap(ctx context.Context, r api.Registration) (*api.Account, error) {
	return get[api.Account](ctx, c, "POST", "/v1/bootstrap", r)
}

// Register applies for an account; it stays pending until a verifier has
// verified its documents (VerifyDocument) and approved it (Approve).
// r.Documents maps a document kind to its scan; api.DocumentKind says
// which kinds a role needs.
func (c *Client) Register(ctx context.Context, r api.Registration) (*api.Account, error) {
	return get[api.Account](ctx, c, "POST", "/v1/register", r)
}

// User returns an account: one's own, or any for a verifier or admin.
func (c *Client) User(ctx context.Context, id string) (*api.User, error) {
	return get[api.User](ctx, c, "GET", userPath(id), nil)
}

// UserQuery selects the accounts Users lists; its zero value selects
// every account, the first 50.
type UserQuery struct {
	// Status and Role select one status (the registration queue is
	// api.StatusPending) and one role; "" any.
	Status api.AccountStatus
	Role   api.Role
	// Text selects the accounts whose id, name, email, NIK or NPWP
	// contains it, letter case ignored; "" any.
	Text string
	// Limit is how many to list at most (0: the server's 50, at most
	// 500); Offset how many matching accounts to skip.
	Limit, Offset int
}

// Users lists, as a verifier or admin, the accounts q selects, oldest
// registration first (GET /v1/users).
func (c *Client) Users(ctx context.Context, q UserQuery) ([]api.User, error) {
	v := url.Values{}
	for k, s := range map[string]string{"status": string(q.Status), "role": string(q.Role), "q": q.Text} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if q.Limit != 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Offset != 0 {
		v.Set("offset", strconv.Itoa(q.Offset))
	}
	path := "/v1/users"
	if len(v) > 0 {
		path += "?" + v.Encode()
	}
	return list[api.User](ctx, c, path)
}

// UserDocument copies user's registration document of kind to w and
// returns its size: one's own, or another's as its reviewer (a verifier
// for providers and officials, an admin for LPSE staff). It reads at most
// limit bytes and fails with ErrResponseTooLarge beyond. The server
// answers api.CodeForbidden to anyone else and api.CodeNotFound if the
// account has no document of kind.
func (c *Client) UserDocument(ctx context.Context, user string, kind api.DocumentKind, w io.Writer, limit int64) (int64, error) {
	return c.stream(ctx, userPath(user)+"/documents/"+url.PathEscape(string(kind)), w, limit)
}

// VerifyDocument records, as a verifier or admin, that the original of
// user's document of kind was shown and matches the scan.
func (c *Client) VerifyDocument(ctx context.Context, user string, kind api.DocumentKind) error {
	return c.call(ctx, "POST", userPath(user)+"/documents/"+url.PathEscape(string(kind))+"/verify", nil, &api.Done{})
}

// Approve approves, as a verifier or admin, a registration whose
// documents are all verified.
func (c *Client) Approve(ctx context.Context, user string) error {
	return c.call(ctx, "POST", userPath(user)+"/approve", nil, &api.Done{})
}

// Reject rejects, as a verifier or admin, a registration, with a reason.
func (c *Client) Reject(ctx context.Context, user, reason string) error {
	return c.call(ctx, "POST", userPath(user)+"/reject", api.Reason{Reason: reason}, &api.Done{})
}

// AssignCommittee assigns, as a PA/KPA, the procurement committee
// (pokja user ids) of the tender to be announced under tenderID.
func (c *Client) AssignCommittee(ctx context.Context, tenderID string, members []string) error {
	return c.call(ctx, "POST", "/v1/committees/"+url.PathEscape(tenderID), api.Committee{Members: members}, &api.Done{})
}

// Committees lists the committees assigned to tender ids, sorted by tender
// id: every one for a PA/KPA, those the caller sits on for a pokja member
// (a member's tenders, announced or still to announce).
func (c *Client) Committees(ctx context.Context) ([]api.CommitteeAssignment, error) {
	return list[api.CommitteeAssignment](ctx, c, "/v1/committees")
}

// Pokja lists the pokja members a PA/KPA may assign now (active, not LPSE
// staff nor a staff member's other account), sorted by name; a pokja
// member may list them too, for their fellows' names.
func (c *Client) Pokja(ctx context.Context) ([]api.Official, error) {
	return list[api.Official](ctx, c, "/v1/pokja")
}

// Deactivate deactivates user's account for a violation, with a public
// reason, until d.Until (zero for indefinite). The caller is a verifier
// or an admin for providers and officials, and an admin for LPSE staff
// (verifiers and admins); nobody deactivates an account of their own
// person (the same NIK). d.Blacklist is refused: a blacklisting is
// requested with RequestBlacklist. Until the period ends or Reactivate,
// the account's tokens fail with api.CodeDeactivated and User shows it
// with its Sanction. The server answers api.CodeInvalid for an empty
// reason or a period ending in the past, api.CodeWrongState if the
// account is not active, api.CodeUnknownUser if there is none, and
// api.CodeForbidden to a caller of another role, such as a PA/KPA, PPK
// or pokja member.
func (c *Client) Deactivate(ctx context.Context, user string, d api.Deactivation) error {
	return c.call(ctx, "POST", userPath(user)+"/deactivate", d, &api.Done{})
}

// RequestBlacklist requests, as a PA/KPA, PPK or pokja member, that the
// provider user be blacklisted for a public reason until until (zero for
// indefinite). The provider is unchanged until a verifier or admin
// approves the request. The server answers api.CodeForbidden to other
// roles and for an account that is not a provider, api.CodeWrongState if
// the provider is not approved, and api.CodeInvalid for an empty reason
// or a period ending in the past.
func (c *Client) RequestBlacklist(ctx context.Context, user, reason string, until time.Time) (*api.BlacklistRequest, error) {
	return get[api.BlacklistRequest](ctx, c, "POST", userPath(user)+"/blacklist-requests", api.Blacklisting{Reason: reason, Until: until})
}

// BlacklistRequests returns, to a verifier or admin, every blacklist
// request, oldest first, with its decision once made.
func (c *Client) BlacklistRequests(ctx context.Context) ([]api.BlacklistRequest, error) {
	return list[api.BlacklistRequest](ctx, c, "/v1/blacklist-requests")
}

// ApproveBlacklist approves, as a verifier or admin, blacklist request
// id: its provider is blacklisted from now until the end asked for, and
// its tokens fail with api.CodeBlacklisted. A request is decided once:
// the server answers api.CodeWrongState to a second decision, and also
// while the provider is under another sanction. It answers
// api.CodeForbidden to a caller whose NIK is the provider's or the
// requester's.
func (c *Client) ApproveBlacklist(ctx context.Context, id string) error {
	return c.call(ctx, "POST", "/v1/blacklist-requests/"+url.PathEscape(id)+"/approve", nil, &api.Done{})
}

// RejectBlacklist rejects, as a verifier or admin, blacklist request id
// with a public reason; the provider is unchanged.
func (c *Client) RejectBlacklist(ctx context.Context, id, reason string) error {
	return c.call(ctx, "POST", "/v1/blacklist-requests/"+url.PathEscape(id)+"/reject", api.Reason{Reason: reason}, &api.Done{})
}

// Reactivate ends, as a verifier or admin (an admin for LPSE staff), the
// sanction in force on user's account before its period ends, with a
// public reason. The server answers api.CodeWrongState if the account is
// not deactivated.
func (c *Client) Reactivate(ctx context.Context, user, reason string) error {
	return c.call(ctx, "POST", userPath(user)+"/reactivate", api.Reason{Reason: reason}, &api.Done{})
}

func userPath(id string) string { return "/v1/users/" + url.PathEscape(id) }
