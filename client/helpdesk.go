package client

import (
	"context"
	"net/url"

	"github.com/segel-lpse/segel/api"
)

// The LPSE's service desk: public notices its staff publish, and the
// complaints users file with them. LPSE staff are verifiers and admins.

// Notices returns every notice, newest first. Notices are public.
func (c *Client) Notices(ctx context.Context) ([]api.Notice, error) {
	return list[api.Notice](ctx, c, "/v1/notices")
}

// NoticeText returns the text of notice id.
func (c *Client) NoticeText(ctx context.Context, id string) (string, error) {
	b, err := c.text(ctx, "GET", "/v1/notices/"+url.PathEscape(id)+"/text", "", nil, maxTextResponse)
	return string(b), err
}

// PublishNotice publishes a notice, as LPSE staff, with a one-line title
// of at most 200 bytes and a text of at most 64 KiB, and returns it. The
// server answers api.CodeInvalid for another kind, title or text.
func (c *Client) PublishNotice(ctx context.Context, kind api.NoticeKind, title, text string) (*api.Notice, error) {
	return get[api.Notice](ctx, c, "POST", "/v1/notices", api.NoticeRequest{Kind: kind, Title: title, Text: text})
}

// WithdrawNotice withdraws notice id, as LPSE staff, with a public
// reason; the notice stays listed, marked withdrawn.
func (c *Client) WithdrawNotice(ctx context.Context, id, reason string) (*api.Notice, error) {
	return get[api.Notice](ctx, c, "POST", "/v1/notices/"+url.PathEscape(id)+"/withdraw", api.Reason{Reason: reason})
}

// Complaints returns the caller's complaints, or every complaint for LPSE
// staff, oldest first.
func (c *Client) Complaints(ctx context.Context) ([]api.Complaint, error) {
	return list[api.Complaint](ctx, c, "/v1/complaints")
}

// FileComplaint files a complaint, as an active provider or official,
// with a one-line subject of at most 200 bytes and a text of at most
// 64 KiB, and returns it, open. The server answers api.CodeInvalid for
// another subject or text, and api.CodeForbidden to roles the helpdesk
// does not serve (auditors, pejabat pengadaan).
func (c *Client) FileComplaint(ctx context.Context, subject, text string) (*api.Complaint, error) {
	return get[api.Complaint](ctx, c, "POST", "/v1/complaints", api.ComplaintRequest{Subject: subject, Text: text})
}

// UpdateComplaint moves complaint id to status with a response, as LPSE
// staff, and returns it: open to api.ComplaintInProgress, then to
// api.ComplaintResolved or api.ComplaintRejected. The server answers
// api.CodeWrongState for any other step and api.CodeNotFound for an
// unknown id.
func (c *Client) UpdateComplaint(ctx context.Context, id string, status api.ComplaintStatus, response string) (*api.Complaint, error) {
	return get[api.Complaint](ctx, c, "POST", "/v1/complaints/"+url.PathEscape(id), api.ComplaintUpdateRequest{Status: status, Response: response})
}

// ComplaintDocument returns complaint id's text or one of the staff's
// responses to it, by its SHA-256 (a Complaint's Document or a
// ComplaintUpdate's), for the user who filed it and LPSE staff.
func (c *Client) ComplaintDocument(ctx context.Context, id string, digest api.Digest) (string, error) {
	b, err := c.text(ctx, "GET", "/v1/complaints/"+url.PathEscape(id)+"/documents/"+digest.String(), "", nil, maxTextResponse)
	return string(b), err
}
