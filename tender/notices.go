package tender

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/segel-lpse/segel/internal/canon"
	"github.com/segel-lpse/segel/vault"
)

// RoleLPSE is LPSE staff: they publish notices and handle complaints.
const RoleLPSE Role = "lpse"

// Tables in vault.Records for notices and complaints. Values are JSON.
const (
	tableNotices    = "tender_notices"    // notice id → Notice
	tableComplaints = "tender_complaints" // complaint id → Complaint
)

// maxTitle caps the title of a notice and the subject of a complaint.
const maxTitle = 200

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
func (e *Engine) PublishNotice(ctx context.Context, actor string, kind NoticeKind, title, text string) (*Notice, error) {
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
	if err := e.cfg.Directory.CheckRole(ctx, actor, RoleLPSE); err != nil {
		return nil, fmt.Errorf("%w: only LPSE staff publish notices: %w", ErrForbidden, err)
	}
	doc, err := e.putText(ctx, text)
	if err != nil {
		return nil, err
	}
	now := e.now()
	n := &Notice{ID: newID("N", now), Kind: kind, Title: title, By: actor, Document: doc, Time: now}
	ent, err := entry("notice-published", "notice", n.ID, "kind", string(kind), "by", actor, "document", hexEntry(doc[:]), "time", canon.FormatTime(now))
	if err != nil {
		return nil, err
	}
	if err := e.insertLogged(ctx, tableNotices, n.ID, n, ent); err != nil {
		return nil, err
	}
	e.log.Info("notice published", "notice", n.ID, "kind", kind)
	return n, nil
}

// Notices returns every notice, newest first. Notices are public.
func (e *Engine) Notices(ctx context.Context) ([]Notice, error) {
	out, err := scanJSON[Notice](ctx, e, tableNotices)
	slices.SortFunc(out, func(a, b Notice) int {
		return cmp.Or(b.Time.Compare(a.Time), strings.Compare(a.ID, b.ID))
	})
	return out, err
}

// ComplaintStatus is where a complaint (helpdesk ticket) stands. A
// complaint is filed open, taken in progress, then resolved or rejected;
// UpdateComplaint refuses any other step with ErrState.
type ComplaintStatus string

const (
	ComplaintOpen       ComplaintStatus = "open"
	ComplaintInProgress ComplaintStatus = "in-progress"
	ComplaintResolved   ComplaintStatus = "resolved"
	ComplaintRejected   ComplaintStatus = "rejected"
)

// next lists the statuses each status may move to.
var complaintNext = map[ComplaintStatus][]ComplaintStatus{
	ComplaintOpen:       {ComplaintInProgress},
	ComplaintInProgress: {ComplaintResolved, ComplaintRejected},
}

// Complaint is a complaint to the LPSE helpdesk (art. 5.m). Its subject is
// kept in the record only; its text and every response are in Blobs, and
// the log holds their digests (complaint-filed, complaint-updated).
type Complaint struct {
	ID       string
	By       string
	Subject  string
	Document [32]byte // SHA-256 of the complaint's text in Blobs
	Filed    time.Time
	Status   ComplaintStatus
	Updates  []ComplaintUpdate `json:",omitempty"`
}

// ComplaintUpdate is one step of a complaint, by LPSE staff.
type ComplaintUpdate struct {
	By       string
	Status   ComplaintStatus // the status it moved to
	Document [32]byte        // SHA-256 of the response in Blobs
	Time     time.Time
}

// FileComplaint files a complaint by user. Any user the Directory accepts
// may complain: a verified, active provider (CheckProvider) or an active
// holder of any role the engine knows (PA/KPA, committee, PPK, LPSE
// staff). Others — unknown, unverified or deactivated users — are
// refused with ErrForbidden and go to the helpdesk outside the system.
func (e *Engine) FileComplaint(ctx context.Context, user, subject, text string) (*Complaint, error) {
	if err := checkTitle("complaint subject", subject); err != nil {
		return nil, err
	}
	if err := checkText(text); err != nil {
		return nil, err
	}
	if err := e.knownUser(ctx, user); err != nil {
		return nil, err
	}
	doc, err := e.putText(ctx, text)
	if err != nil {
		return nil, err
	}
	now := e.now()
	c := &Complaint{ID: newID("C", now), By: user, Subject: subject, Document: doc, Filed: now, Status: ComplaintOpen}
	ent, err := entry("complaint-filed", "complaint", c.ID, "by", user, "document", hexEntry(doc[:]), "time", canon.FormatTime(now))
	if err != nil {
		return nil, err
	}
	if err := e.insertLogged(ctx, tableComplaints, c.ID, c, ent); err != nil {
		return nil, err
	}
	return c, nil
}

func (e *Engine) knownUser(ctx context.Context, user string) error {
	perr := e.cfg.Directory.CheckProvider(ctx, user)
	if perr == nil {
		return nil
	}
	for _, r := range []Role{RoleLPSE, RolePAKPA, RoleCommittee, RolePPK} {
		if e.cfg.Directory.CheckRole(ctx, user, r) == nil {
			return nil
		}
	}
	return fmt.Errorf("%w: %q may not file complaints here: %w", ErrForbidden, user, perr)
}

// UpdateComplaint moves complaint id to status with a response, by LPSE
// staff: open → in-progress → resolved or rejected.
func (e *Engine) UpdateComplaint(ctx context.Context, staff, id string, status ComplaintStatus, response string) (*Complaint, error) {
	switch status {
	case ComplaintOpen, ComplaintInProgress, ComplaintResolved, ComplaintRejected:
	default:
		return nil, fmt.Errorf("%w: complaint status %q is not open, in-progress, resolved or rejected", ErrInvalid, status)
	}
	if err := checkText(response); err != nil {
		return nil, err
	}
	if err := e.cfg.Directory.CheckRole(ctx, staff, RoleLPSE); err != nil {
		return nil, fmt.Errorf("%w: only LPSE staff update complaints: %w", ErrForbidden, err)
	}
	// Within this process, updates of one complaint go one at a time, so
	// their log entries are in the order of the transitions.
	mu := e.lock("complaint/" + id)
	mu.Lock()
	defer mu.Unlock()

	c, err := e.complaint(ctx, id)
	if err != nil {
		return nil, err
	}
	from := c.Status
	if !slices.Contains(complaintNext[from], status) {
		return nil, fmt.Errorf("%w: complaint %s is %s and cannot become %q (open → in-progress → resolved or rejected)", ErrState, id, from, status)
	}
	doc, err := e.putText(ctx, response)
	if err != nil {
		return nil, err
	}
	now := e.now()
	ent, err := entry("complaint-updated", "complaint", id, "by", staff, "status", string(status), "document", hexEntry(doc[:]), "time", canon.FormatTime(now))
	if err != nil {
		return nil, err
	}
	if _, err := e.appendLog(ctx, ent); err != nil {
		return nil, err
	}
	err = e.cfg.Records.Update(ctx, func(tx vault.Tx) error {
		c = new(Complaint)
		if err := getJSON(tx, tableComplaints, id, c); err != nil {
			return err
		}
		if c.Status != from {
			// Another server instance moved it first.
			return fmt.Errorf("%w: complaint %s became %s meanwhile", ErrState, id, c.Status)
		}
		c.Status = status
		c.Updates = append(c.Updates, ComplaintUpdate{By: staff, Status: status, Document: doc, Time: now})
		return putJSON(tx, tableComplaints, id, c)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Complaints returns the complaints user may see, oldest first: LPSE staff
// see all of them, anyone else their own.
func (e *Engine) Complaints(ctx context.Context, user string) ([]Complaint, error) {
	all, err := scanJSON[Complaint](ctx, e, tableComplaints)
	if err != nil {
		return nil, err
	}
	out := all
	if e.cfg.Directory.CheckRole(ctx, user, RoleLPSE) != nil {
		out = slices.DeleteFunc(all, func(c Complaint) bool { return c.By != user })
	}
	slices.SortFunc(out, func(a, b Complaint) int {
		return cmp.Or(a.Filed.Compare(b.Filed), strings.Compare(a.ID, b.ID))
	})
	return out, nil
}

func (e *Engine) complaint(ctx context.Context, id string) (*Complaint, error) {
	c := new(Complaint)
	err := e.cfg.Records.View(ctx, func(tx vault.Tx) error { return getJSON(tx, tableComplaints, id, c) })
	if errors.Is(err, vault.ErrNotFound) {
		return nil, fmt.Errorf("%w: complaint %q", ErrNotFound, id)
	}
	return c, err
}

// insertLogged stores a new record under a fresh key and appends its log
// entry; if the log refuses, the record is removed again, so nothing is
// left that the log does not show.
func (e *Engine) insertLogged(ctx context.Context, table, key string, v any, ent []byte) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	err = e.cfg.Records.Update(ctx, func(tx vault.Tx) error { return tx.Insert(table, key, b) })
	if errors.Is(err, vault.ErrExists) {
		return fmt.Errorf("%w: id %q is taken; try again", ErrDuplicate, key)
	} else if err != nil {
		return err
	}
	if _, err := e.appendLog(ctx, ent); err != nil {
		e.cfg.Records.Update(ctx, func(tx vault.Tx) error { return tx.Delete(table, key) })
		return err
	}
	return nil
}

func scanJSON[T any](ctx context.Context, e *Engine, table string) ([]T, error) {
	var out []T
	err := e.cfg.Records.View(ctx, func(tx vault.Tx) error {
		return tx.Scan(table, "", func(key string, value []byte) error {
			var v T
			if err := json.Unmarshal(value, &v); err != nil {
				return fmt.Errorf("tender: stored %s %q is corrupt: %w", table, key, err)
			}
			out = append(out, v)
			return nil
		})
	})
	return out, err
}

func checkTitle(what, s string) error {
	if strings.TrimSpace(s) == "" || len(s) > maxTitle || strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return fmt.Errorf("%w: %s must be 1–%d characters on one line", ErrInvalid, what, maxTitle)
	}
	return nil
}

// checkText is putText's check, done before anything else so that a
// refusal stores nothing.
func checkText(text string) error {
	if strings.TrimSpace(text) == "" {
		return fmt.Errorf("%w: text is empty", ErrInvalid)
	}
	if len(text) > maxText {
		return fmt.Errorf("%w: text is %d bytes, the limit is %d", ErrInvalid, len(text), maxText)
	}
	return nil
}
