package helpdesk

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/segel-lpse/segel/internal/canon"
	"github.com/segel-lpse/segel/vault"
)

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

// complaintNext lists the statuses each status may move to.
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

// FileComplaint files a complaint by user, whom the Directory must accept
// (CheckUser); others — unknown, unverified or deactivated users — are
// refused with ErrForbidden and go to the helpdesk outside the system.
func (d *Desk) FileComplaint(ctx context.Context, user, subject, text string) (*Complaint, error) {
	if err := checkTitle("complaint subject", subject); err != nil {
		return nil, err
	}
	if err := checkText(text); err != nil {
		return nil, err
	}
	if err := d.cfg.Directory.CheckUser(ctx, user); err != nil {
		return nil, fmt.Errorf("%w: %q may not file complaints here: %w", ErrForbidden, user, err)
	}
	doc, err := d.putText(ctx, text)
	if err != nil {
		return nil, err
	}
	now := d.now()
	var c *Complaint
	err = d.create(ctx, tableComplaints, "C", now, func(id string) (any, []byte, error) {
		c = &Complaint{ID: id, By: user, Subject: subject, Document: doc, Filed: now, Status: ComplaintOpen}
		ent, err := entry("complaint-filed", "complaint", id, "by", user, "document", hexEntry(doc), "time", canon.FormatTime(now))
		return c, ent, err
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// UpdateComplaint moves complaint id to status with a response, by LPSE
// staff: open → in-progress → resolved or rejected.
func (d *Desk) UpdateComplaint(ctx context.Context, staff, id string, status ComplaintStatus, response string) (*Complaint, error) {
	switch status {
	case ComplaintOpen, ComplaintInProgress, ComplaintResolved, ComplaintRejected:
	default:
		return nil, fmt.Errorf("%w: complaint status %q is not open, in-progress, resolved or rejected", ErrInvalid, status)
	}
	if err := checkText(response); err != nil {
		return nil, err
	}
	if err := d.cfg.Directory.CheckStaff(ctx, staff); err != nil {
		return nil, fmt.Errorf("%w: only LPSE staff update complaints: %w", ErrForbidden, err)
	}
	// Within this process, updates of one complaint go one at a time, so
	// their log entries are in the order of the transitions.
	mu, _ := d.keyed.LoadOrStore(id, new(sync.Mutex))
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()

	c, err := d.complaint(ctx, id)
	if err != nil {
		return nil, err
	}
	from := c.Status
	if !slices.Contains(complaintNext[from], status) {
		return nil, fmt.Errorf("%w: complaint %s is %s and cannot become %q (open → in-progress → resolved or rejected)", ErrState, id, from, status)
	}
	doc, err := d.putText(ctx, response)
	if err != nil {
		return nil, err
	}
	now := d.now()
	ent, err := entry("complaint-updated", "complaint", id, "by", staff, "status", string(status), "document", hexEntry(doc), "time", canon.FormatTime(now))
	if err != nil {
		return nil, err
	}
	if err := d.appendLog(ctx, ent); err != nil {
		return nil, err
	}
	err = d.cfg.Records.Update(ctx, func(tx vault.Tx) error {
		c = new(Complaint)
		if err := get(tx, tableComplaints, "complaint", id, c); err != nil {
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
func (d *Desk) Complaints(ctx context.Context, user string) ([]Complaint, error) {
	all, err := scan[Complaint](ctx, d, tableComplaints, "complaint")
	if err != nil {
		return nil, err
	}
	out := all
	if d.cfg.Directory.CheckStaff(ctx, user) != nil {
		out = slices.DeleteFunc(all, func(c Complaint) bool { return c.By != user })
	}
	slices.SortFunc(out, func(a, b Complaint) int {
		return cmp.Or(a.Filed.Compare(b.Filed), strings.Compare(a.ID, b.ID))
	})
	return out, nil
}

// ComplaintDocument opens complaint id's text or one of the staff's
// responses to it, by SHA-256, for the user who filed it and for LPSE
// staff (ErrForbidden for anyone else, whether or not the complaint
// exists). Knowing the digest of another text opens nothing.
func (d *Desk) ComplaintDocument(ctx context.Context, user, id string, digest [32]byte) (io.ReadCloser, error) {
	staff := d.cfg.Directory.CheckStaff(ctx, user) == nil
	c, err := d.complaint(ctx, id)
	if err != nil && !staff && errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("%w: a complaint is shown to the user who filed it and to LPSE staff", ErrForbidden)
	} else if err != nil {
		return nil, err
	}
	if !staff && c.By != user {
		return nil, fmt.Errorf("%w: a complaint is shown to the user who filed it and to LPSE staff", ErrForbidden)
	}
	if digest != c.Document && !slices.ContainsFunc(c.Updates, func(u ComplaintUpdate) bool { return u.Document == digest }) {
		return nil, fmt.Errorf("%w: complaint %s has no text or response %x…", ErrNotFound, id, digest[:8])
	}
	return d.openText(ctx, digest)
}

func (d *Desk) complaint(ctx context.Context, id string) (*Complaint, error) {
	c := new(Complaint)
	err := d.cfg.Records.View(ctx, func(tx vault.Tx) error { return get(tx, tableComplaints, "complaint", id, c) })
	if err != nil {
		return nil, err
	}
	return c, nil
}
