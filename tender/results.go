package tender

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/internal/canon"
)

// Result is the announced result of a tender and what followed it.
type Result struct {
	Winner        string
	Document      [32]byte // SHA-256 of the result announcement text in Blobs
	Announced     time.Time
	ObjectionsEnd time.Time // end of the objection period (sanggah)
	Award         *Award    `json:",omitempty"`
}

// Award is the award of a tender's contract.
type Award struct {
	By       string
	Document [32]byte
	Time     time.Time
}

// AnnounceResult announces the winner of an opened tender, by a committee
// member, with the announcement's text. The objection period starts.
func (e *Engine) AnnounceResult(ctx context.Context, actor, id, winner, text string) (*Tender, error) {
	t, err := e.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := e.CheckCommittee(ctx, actor, t); err != nil {
		return nil, err
	}
	if t.State != StateOpened {
		return nil, fmt.Errorf("%w: the result follows the opening; tender is %s", ErrState, t.State)
	}
	if !t.hasOffer(winner) {
		return nil, fmt.Errorf("%w: %q has no offer in this tender", ErrInvalid, winner)
	}
	if err := e.openedFor(ctx, t, winner); err != nil {
		return nil, err
	}
	doc, err := e.putText(ctx, text)
	if err != nil {
		return nil, err
	}
	now := e.now()
	ent, err := entry("result-announced", "tender", id, "winner", winner, "result", hexEntry(doc[:]), "time", canon.FormatTime(now))
	if err != nil {
		return nil, err
	}
	p := &Transition{Op: opResult, By: actor, Entries: [][]byte{ent}, State: StateResult}
	return e.transit(ctx, id, p, func(t *Tender) error {
		if t.State != StateOpened {
			return fmt.Errorf("%w: the result follows the opening; tender is %s", ErrState, t.State)
		}
		p.Result = &Result{Winner: winner, Document: doc, Announced: now,
			ObjectionsEnd: now.Add(time.Duration(t.Schedule.ObjectionDays) * 24 * time.Hour)}
		return nil
	})
}

// Award awards the contract of a tender whose objection period is over
// and whose objections are all answered, by a PPK.
func (e *Engine) Award(ctx context.Context, actor, id, text string) (*Tender, error) {
	t, err := e.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := e.cfg.Directory.CheckRole(ctx, actor, RolePPK); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrForbidden, err)
	}
	now := e.now()
	if t.State != StateResult {
		return nil, fmt.Errorf("%w: award follows the result; tender is %s", ErrState, t.State)
	}
	if now.Before(t.Result.ObjectionsEnd) {
		return nil, fmt.Errorf("%w: the objection period runs until %s", ErrState, ts(t.Result.ObjectionsEnd))
	}
	msgs, err := e.Messages(ctx, id, KindObjection)
	if err != nil {
		return nil, err
	}
	for _, m := range msgs {
		if m.Answer == nil {
			return nil, fmt.Errorf("%w: objection %x by %s is unanswered", ErrState, m.Document[:6], m.By)
		}
	}
	doc, err := e.putText(ctx, text)
	if err != nil {
		return nil, err
	}
	ent, err := entry("tender-awarded", "tender", id, "winner", t.Result.Winner, "by", actor, "document", hexEntry(doc[:]), "time", canon.FormatTime(now))
	if err != nil {
		return nil, err
	}
	p := &Transition{Op: opAward, By: actor, Entries: [][]byte{ent}, State: StateAwarded}
	return e.transit(ctx, id, p, func(t *Tender) error {
		if t.State != StateResult {
			return fmt.Errorf("%w: award follows the result; tender is %s", ErrState, t.State)
		}
		r := *t.Result
		r.Award = &Award{By: actor, Document: doc, Time: now}
		p.Result = &r
		return nil
	})
}

// openedFor refuses, for a v2 tender, a winner whose last file did not
// open: the File I of a single-file tender, the File II (the price, opened
// only for those who passed) of the others.
func (e *Engine) openedFor(ctx context.Context, t *Tender, winner string) error {
	if !t.V2() {
		return nil
	}
	last := t.Parts[len(t.Parts)-1]
	signed, err := e.readBlob(ctx, last.Report)
	if err != nil {
		return fmt.Errorf("tender: opening report: %w", err)
	}
	text, err := canon.NoteText(signed, audit.ErrMalformed)
	if err != nil {
		return fmt.Errorf("tender: stored opening report: %w", err)
	}
	r, err := audit.ParseOpeningReport(text)
	if err != nil {
		return fmt.Errorf("tender: stored opening report: %w", err)
	}
	for _, o := range r.Offers {
		if o.Bidder == winner && o.Outcome == audit.OutcomeOpened {
			return nil
		}
	}
	return fmt.Errorf("%w: %q's file %d was not opened (failed, withheld, or none): it cannot win", ErrInvalid, winner, last.File)
}

// hasOffer reports whether bidder's offer (a v2 tender's File I) is in the
// closing set.
func (t *Tender) hasOffer(bidder string) bool {
	c := t.closing(1)
	if c == nil {
		return false
	}
	for _, o := range c.Offers {
		if o.Bidder == bidder {
			return true
		}
	}
	return false
}

// maxText caps questions, answers, objections and announcements.
const maxText = 64 << 10

// putText stores a text in Blobs and returns its digest.
func (e *Engine) putText(ctx context.Context, text string) ([32]byte, error) {
	if strings.TrimSpace(text) == "" {
		return [32]byte{}, fmt.Errorf("%w: text is empty", ErrInvalid)
	}
	if len(text) > maxText {
		return [32]byte{}, fmt.Errorf("%w: text is %d bytes, the limit is %d", ErrInvalid, len(text), maxText)
	}
	info, err := e.cfg.Blobs.Put(ctx, strings.NewReader(text), maxText)
	if err != nil {
		return [32]byte{}, fmt.Errorf("tender: storing text: %w", err)
	}
	return info.Digest, nil
}
