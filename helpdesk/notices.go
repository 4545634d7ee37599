package helpdesk

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/segel-lpse/segel/internal/canon"
	"github.com/segel-lpse/segel/vault"
)

// NoticeKind is the kind of a public notice.
type NoticeKind string

const (
	NoticeMaintenance NoticeKind = "maintenance" // planned maintenance (art. 15.d)
	NoticeOutage      NoticeKind = "outage"      // an outage and its effect on deadlines (art. 18.4)
	NoticeGeneral     NoticeKind = "general"
)

// Notice is a public announcement by the LPSE. Its text is in Blobs, and
// the log holds its digest (notice-published).
type Notice struct {
	ID       string
	Kind     NoticeKind
	Title    string
	By       string
	Document [32]byte // SHA-256 of the text in Blobs
	Time     time.Time
}

// PublishNotice publishes a notice of kind, by LPSE staff.
func (d *Desk) PublishNotice(ctx context.Context, actor string, kind NoticeKind, title, text string) (*Notice, error) {
	switch kind {
	case NoticeMaintenance, NoticeOutage, NoticeGeneral:
	default:
		return nil, fmt.Errorf("%w: notice kind %q is not maintenance, outage or general", ErrInvalid, kind)
	}
	if err := checkTitle("notice title", title); err != nil {
		return nil, err
	}
	if err := checkText(text); err != nil {
		return nil, err
	}
	if err := d.cfg.Directory.CheckStaff(ctx, actor); err != nil {
		return nil, fmt.Errorf("%w: only LPSE staff publish notices: %w", ErrForbidden, err)
	}
	doc, err := d.putText(ctx, text)
	if err != nil {
		return nil, err
	}
	now := d.now()
	var n *Notice
	err = d.create(ctx, tableNotices, "N", now, func(id string) (any, []byte, error) {
		n = &Notice{ID: id, Kind: kind, Title: title, By: actor, Document: doc, Time: now}
		ent, err := entry("notice-published", "notice", id, "kind", string(kind), "by", actor, "document", hexEntry(doc), "time", canon.FormatTime(now))
		return n, ent, err
	})
	if err != nil {
		return nil, err
	}
	d.log.Info("notice published", "notice", n.ID, "kind", kind)
	return n, nil
}

// Notices returns every notice, newest first. Notices are public.
func (d *Desk) Notices(ctx context.Context) ([]Notice, error) {
	out, err := scan[Notice](ctx, d, tableNotices, "notice")
	slices.SortFunc(out, func(a, b Notice) int {
		return cmp.Or(b.Time.Compare(a.Time), strings.Compare(a.ID, b.ID))
	})
	return out, err
}

// NoticeText opens the text of notice id. Notices are public.
func (d *Desk) NoticeText(ctx context.Context, id string) (io.ReadCloser, error) {
	var n Notice
	err := d.cfg.Records.View(ctx, func(tx vault.Tx) error { return get(tx, tableNotices, "notice", id, &n) })
	if err != nil {
		return nil, err
	}
	return d.openText(ctx, n.Document)
}
