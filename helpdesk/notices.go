package helpdesk

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
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
	// Withdrawn is set once the notice is withdrawn (notice-withdrawn);
	// a withdrawn notice stays listed, with its text, so that what was
	// announced stays on record.
	Withdrawn *Withdrawal `json:",omitempty"`
}

// Withdrawal is the withdrawal of a notice, by LPSE staff.
type Withdrawal struct {
	By     string
	Reason string // public: no personal data
	Time   time.Time
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

// WithdrawNotice withdraws notice id, by LPSE staff, with a public
// reason: no longer in force (a maintenance called off, an outage
// announced in error). It is logged (notice-withdrawn) before it is
// recorded; a notice is withdrawn once (ErrState after).
func (d *Desk) WithdrawNotice(ctx context.Context, actor, id, reason string) (*Notice, error) {
	if err := checkReason(reason); err != nil {
		return nil, err
	}
	if err := d.cfg.Directory.CheckStaff(ctx, actor); err != nil {
		return nil, fmt.Errorf("%w: only LPSE staff withdraw notices: %w", ErrForbidden, err)
	}
	// Within this process, withdrawals of one notice go one at a time,
	// so that one is logged, and the record re-checked below catches
	// another instance's.
	mu, _ := d.keyed.LoadOrStore("notice "+id, new(sync.Mutex))
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	var n Notice
	if err := d.cfg.Records.View(ctx, func(tx vault.Tx) error { return get(tx, tableNotices, "notice", id, &n) }); err != nil {
		return nil, err
	}
	if n.Withdrawn != nil {
		return nil, fmt.Errorf("%w: notice %s was withdrawn %s", ErrState, id, n.Withdrawn.Time.Format(time.RFC3339))
	}
	now := d.now()
	ent, err := entry("notice-withdrawn", "notice", id, "by", actor, "reason", reason, "time", canon.FormatTime(now))
	if err != nil {
		return nil, err
	}
	if err := d.appendLog(ctx, ent); err != nil {
		return nil, err
	}
	err = d.cfg.Records.Update(ctx, func(tx vault.Tx) error {
		n = Notice{}
		if err := get(tx, tableNotices, "notice", id, &n); err != nil {
			return err
		}
		if n.Withdrawn != nil {
			return fmt.Errorf("%w: notice %s was withdrawn meanwhile", ErrState, id)
		}
		n.Withdrawn = &Withdrawal{By: actor, Reason: reason, Time: now}
		return putJSON(tx, tableNotices, id, &n)
	})
	if err != nil {
		return nil, err
	}
	d.log.Info("notice withdrawn", "notice", id)
	return &n, nil
}

// checkReason checks a withdrawal's reason as the log's text kind
// takes it: one line, trimmed, at most canon.MaxText bytes.
func checkReason(reason string) error {
	if err := canon.KindText.Check(reason); err != nil {
		return fmt.Errorf("%w: the reason: %v; give one line saying why, with no personal data", ErrInvalid, err)
	}
	return nil
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
