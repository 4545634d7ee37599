package client

import (
	"context"
	"net/url"
	"time"
)

// PlanAnnouncement is a procurement plan as a PA/KPA announces it.
type PlanAnnouncement struct {
	ID     string `json:"id,omitempty"` // the RUP id; the server makes one up if ""
	Title  string `json:"title"`        // 1–500 characters
	Budget int64  `json:"budget"`       // in rupiah, positive
	Text   string `json:"text"`         // the plan itself; the server keeps its SHA-256
}

// Plan is a procurement plan (Rencana Umum Pengadaan, RUP), which
// tenders may name (Announcement.Plan).
type Plan struct {
	ID        string
	Title     string
	Budget    int64    // in rupiah
	Document  [32]byte // SHA-256 of the plan's text
	By        string   // the PA/KPA who announced it
	Announced time.Time
}

// Plans returns the procurement plans, in id order.
func (c *Client) Plans(ctx context.Context) ([]Plan, error) {
	return list[Plan](ctx, c, "/v1/plans")
}

// AnnouncePlan announces a procurement plan, as a PA/KPA, and returns it.
// The server answers CodeInvalid for a title or budget out of range, an
// empty text, or an id already taken.
func (c *Client) AnnouncePlan(ctx context.Context, p PlanAnnouncement) (*Plan, error) {
	return get[Plan](ctx, c, "POST", "/v1/plans", p)
}

// PlanText returns the text of procurement plan id.
func (c *Client) PlanText(ctx context.Context, id string) (string, error) {
	b, err := c.text(ctx, "GET", "/v1/plans/"+url.PathEscape(id)+"/text", "", nil, maxTextResponse)
	return string(b), err
}
