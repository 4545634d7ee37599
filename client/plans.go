package client

import (
	"context"
	"net/url"

	"github.com/segel-lpse/segel/api"
)

// Plans returns the procurement plans (RUP), in id order.
func (c *Client) Plans(ctx context.Context) ([]api.Plan, error) {
	return list[api.Plan](ctx, c, "/v1/plans")
}

// AnnouncePlan announces a procurement plan, as a PA/KPA, and returns it;
// tenders may then name it (api.Announcement.Plan). The server answers
// api.CodeInvalid for a title or budget out of range, an empty text, or
// an id already taken.
func (c *Client) AnnouncePlan(ctx context.Context, p api.PlanAnnouncement) (*api.Plan, error) {
	return get[api.Plan](ctx, c, "POST", "/v1/plans", p)
}

// PlanText returns the text of procurement plan id.
func (c *Client) PlanText(ctx context.Context, id string) (string, error) {
	b, err := c.text(ctx, "GET", "/v1/plans/"+url.PathEscape(id)+"/text", "", nil, maxTextResponse)
	return string(b), err
}
