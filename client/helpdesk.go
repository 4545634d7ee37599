package client

import (
	"context"
	"encoding/hex"
	"net/url"
	"time"
)

// The LPSE's service desk: public notices its staff publish, and the
// complaints users file with them. LPSE staff are verifiers and admins.

// Notice kinds.
const (
	NoticeMaintenance = "maintenance" // planned maintenance
	NoticeOutage      = "outage"      // an outage and its effect on deadlines
	NoticeGeneral     = "general"
)

// Notice is a public announcement by the LPSE.
type Notice struct {
	ID       string
	Kind     string // NoticeMaintenance, NoticeOutage or NoticeGeneral
	Title    string
	By       string   // the staff member who published it
	Document [32]byte // SHA-256 of the text
	Time     time.Time
}

// Notices returns every notice, newest first. Notices are public.
func (c *Client) Notices(ctx context.Context) ([]Notice, error) {
	return list[Notice](ctx, c, "/v1/notices")
}

// NoticeText returns the text of notice id.
func (c *Client) NoticeText(ctx context.Context, id string) (string, error) {
	b, err := c.text(ctx, "GET", "/v1/notices/"+url.PathEscape(id)+"/text", "", nil, maxTextResponse)
	return string(b), err
}

// PublishNotice publishes a notice, as LPSE staff, with a one-line title
// of at most 200 bytes and a text of at most 64 KiB, and returns it. The
// server answers CodeInvalid for another kind, title or text.
func (c *Client) PublishNotice(ctx context.Context, kind, title, text string) (*Notice, error) {
	in := map[string]string{"kind": kind, "title": title, "text": text}
	return get[Notice](ctx, c, "POST", "/v1/notices", in)
}

// Complaint statuses. A complaint is filed open, taken in progress, then
// resolved or rejected.
const (
	ComplaintOpen       = "open"
	ComplaintInProgress = "in-progress"
	ComplaintResolved   = "resolved"
	ComplaintRejected   = "rejected"
)

// Complaint is a complaint to the LPSE helpdesk.
type Complaint struct {
	ID       string
	By       string // the user who filed it
	Subject  string
	Document [32]byte // SHA-256 of the text
	Filed    time.Time
	Status   string
	Updates  []ComplaintUpdate // oldest first
}

// ComplaintUpdate is one step of a complaint, by LPSE staff.
type ComplaintUpdate struct {
	By       string
	Status   string   // the status it moved to
	Document [32]byte // SHA-256 of the response
	Time     time.Time
}

// Complaints returns the caller's complaints, or every complaint for LPSE
// staff, oldest first.
func (c *Client) Complaints(ctx context.Context) ([]Complaint, error) {
	return list[Complaint](ctx, c, "/v1/complaints")
}

// FileComplaint files a complaint, as an active provider or official,
// with a one-line subject of at most 200 bytes and a text of at most
// 64 KiB, and returns it, open. The server answers CodeInvalid for
// another subject or text, and CodeForbidden to roles the helpdesk does
// not serve (auditors, pejabat pengadaan).
func (c *Client) FileComplaint(ctx context.Context, subject, text string) (*Complaint, error) {
	return get[Complaint](ctx, c, "POST", "/v1/complaints", map[string]string{"subject": subject, "text": text})
}

// UpdateComplaint moves complaint id to status with a response, as LPSE
// staff, and returns it: open to ComplaintInProgress, then to
// ComplaintResolved or ComplaintRejected. The server answers
// CodeWrongState for any other step and CodeNotFound for an unknown id.
func (c *Client) UpdateComplaint(ctx context.Context, id, status, response string) (*Complaint, error) {
	in := map[string]string{"status": status, "response": response}
	return get[Complaint](ctx, c, "POST", "/v1/complaints/"+url.PathEscape(id), in)
}

// ComplaintDocument returns complaint id's text or one of the staff's
// responses to it, by its SHA-256 (Complaint.Document or a
// ComplaintUpdate's), for the user who filed it and LPSE staff.
func (c *Client) ComplaintDocument(ctx context.Context, id string, digest [32]byte) (string, error) {
	b, err := c.text(ctx, "GET", "/v1/complaints/"+url.PathEscape(id)+"/documents/"+hex.EncodeToString(digest[:]), "", nil, maxTextResponse)
	return string(b), err
}
