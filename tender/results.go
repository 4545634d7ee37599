package tender

import (
	"context"
	"fmt"
	"strings"
	"time"

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

func (t *Tender) hasOffer(bidder string) bool {
	if t.Closing == nil {
		return false
	}
	for _, o := range t.Closing.Offers {
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
