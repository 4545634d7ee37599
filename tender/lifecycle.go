package tender

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/internal/canon"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/vault"
)

// Announcement is what a committee publishes to open a tender.
type Announcement struct {
	ID           string   // optional, generated if empty; 1–64 of A–Z a–z 0–9 . _ -, the first a letter or digit
	Title        string   // required
	Plan         string   // procurement plan (RUP) id, optional
	Document     [32]byte // SHA-256 of the tender document already put in Blobs
	Committee    []string // member user ids; the announcer must be one
	CommitteeKey string   // the committee's age1pq1 hybrid recipient
	Schedule     Schedule
}

// Announce publishes a tender. The announcer must be a committee member;
// every member must be assignable (separation of duties). The opening
// round is fixed here, as the first beacon round at or after the opening
// time, and never moves.
func (e *Engine) Announce(ctx context.Context, actor string, a Announcement) (*Tender, error) {
	if a.ID != "" && !canon.IsTenderID(a.ID) {
		return nil, fmt.Errorf("%w: tender id %.80q: give 1 to %d letters, digits, '.', '_' or '-', starting with a letter or digit", ErrInvalid, a.ID, canon.MaxTenderID)
	}
	now := e.now()
	if strings.TrimSpace(a.Title) == "" || len(a.Title) > 500 {
		return nil, fmt.Errorf("%w: title must be 1–500 characters", ErrInvalid)
	}
	if err := a.Schedule.check(); err != nil {
		return nil, err
	}
	if !a.Schedule.Deadline.After(now) {
		return nil, fmt.Errorf("%w: deadline %s is already past", ErrInvalid, ts(a.Schedule.Deadline))
	}
	if len(a.Committee) == 0 || len(a.Committee) > 25 {
		return nil, fmt.Errorf("%w: a committee has 1–25 members, got %d", ErrInvalid, len(a.Committee))
	}
	var announcerIn bool
	seen := map[string]bool{}
	for _, m := range a.Committee {
		if seen[m] {
			return nil, fmt.Errorf("%w: committee member %q listed twice", ErrInvalid, m)
		}
		seen[m] = true
		announcerIn = announcerIn || m == actor
		if err := e.cfg.Directory.CheckAssignable(ctx, m, RoleCommittee); err != nil {
			return nil, fmt.Errorf("%w: committee member %q cannot be assigned: %w", ErrForbidden, m, err)
		}
	}
	if !announcerIn {
		return nil, fmt.Errorf("%w: %q announces but is not on the committee", ErrForbidden, actor)
	}
	key, err := age.ParseHybridRecipient(a.CommitteeKey)
	if err != nil {
		return nil, fmt.Errorf("%w: committee key: %v", ErrInvalid, err)
	}
	if err := e.checkStored(ctx, a.Document); err != nil {
		return nil, fmt.Errorf("tender document: %w", err)
	}
	if a.Plan != "" {
		err := e.cfg.Records.View(ctx, func(tx vault.Tx) error { _, err := tx.Get(tablePlans, a.Plan); return err })
		if errors.Is(err, vault.ErrNotFound) {
			return nil, fmt.Errorf("%w: procurement plan %q is not announced", ErrInvalid, a.Plan)
		} else if err != nil {
			return nil, err
		}
	}
	if a.ID == "" {
		a.ID = newID("T", now)
	}
	t := &Tender{
		ID:           a.ID,
		Title:        a.Title,
		Plan:         a.Plan,
		Document:     a.Document,
		Committee:    a.Committee,
		CommitteeKey: key.String(),
		Schedule:     a.Schedule,
		Round:        e.chain.RoundAt(a.Schedule.Opening),
		ChainHash:    e.chain.HashHex(),
		State:        StateAnnounced,
		Announced:    now,
	}
	ent, err := t.announcedEntry("tender-announced", now)
	if err != nil {
		return nil, err
	}
	// Record the tender first, its announcement pending, so that a clash
	// (another announcement of the id, a double click) changes nothing
	// and logs nothing.
	p := &Transition{Op: opAnnounce, By: actor, Owner: newToken(), Lease: now.Add(leaseFor),
		From: e.cfg.Log.Size(), Entries: [][]byte{ent}, State: StateAnnounced}
	t.Pending = p
	rec, err := json.Marshal(t)
	if err != nil {
		return nil, err
	}
	err = e.cfg.Records.Update(ctx, func(tx vault.Tx) error { return tx.Insert(tableTenders, t.ID, rec) })
	if errors.Is(err, vault.ErrExists) {
		// Refused: in progress, or taken. An announcement of the id
		// abandoned by a crash is completed first.
		_, _, err := e.begin(ctx, t.ID, &Transition{Op: opAnnounce}, func(*Tender) error {
			return fmt.Errorf("%w: tender id %q is taken", ErrInvalid, t.ID)
		})
		return nil, err
	} else if err != nil {
		return nil, err
	}
	first, err := e.appendLog(ctx, ent)
	if err != nil {
		// Nothing was announced: release the id.
		e.cfg.Records.Update(ctx, func(tx vault.Tx) error { return tx.Delete(tableTenders, t.ID) })
		return nil, err
	}
	if t, err = e.finish(ctx, t.ID, p, func(t *Tender) { p.apply(t, first) }); err != nil {
		return nil, err
	}
	e.log.Info("tender announced", "tender", t.ID, "round", t.Round, "opening", t.Schedule.Opening)
	return t, nil
}

func (t *Tender) announcedEntry(typ string, now time.Time) ([]byte, error) {
	kv := []string{"tender", t.ID}
	if typ == "tender-amended" {
		kv = append(kv, "amendment", uintEntry(t.Amendments))
	}
	key, err := age.ParseHybridRecipient(t.CommitteeKey)
	if err != nil {
		return nil, err
	}
	kv = append(kv,
		"document", hexEntry(t.Document[:]),
		"deadline", canon.FormatTime(t.Schedule.Deadline),
		"opening", canon.FormatTime(t.Schedule.Opening),
		"round", uintEntry(t.Round),
		"chain", t.ChainHash,
		"committee-key", sealer.KeyID(key),
		"time", canon.FormatTime(now))
	return entry(typ, kv...)
}

// checkStored refuses a document digest that names no stored blob, as a
// caller's mistake (ErrInvalid: upload the document first) rather than
// a missing resource; other storage errors pass through.
func (e *Engine) checkStored(ctx context.Context, digest [32]byte) error {
	_, err := e.cfg.Blobs.Stat(ctx, digest)
	if errors.Is(err, vault.ErrNotFound) {
		return fmt.Errorf("%w: %x… is not stored; store the document first", ErrInvalid, digest[:8])
	}
	return err
}

// Amendment is an addendum to a tender before its deadline.
type Amendment struct {
	Document *[32]byte // new tender document, if changed
	Deadline time.Time // new deadline, if non-zero; never after the opening
}

// Amend records an addendum (adendum) by a committee member, before the
// deadline. The opening time and its round never move: offers already
// sealed stay valid. An addendum must change the document (to one already
// stored) or the deadline; one that changes neither is refused
// (ErrInvalid), as it would log and announce nothing. Amendments are
// numbered: two at once, or one racing the closing at the deadline, are
// refused (ErrState) but for one, before anything is logged.
func (e *Engine) Amend(ctx context.Context, actor, id string, a Amendment) (*Tender, error) {
	now := e.now()
	t, err := e.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := e.CheckCommittee(ctx, actor, t); err != nil {
		return nil, err
	}
	if a.Document != nil {
		if err := e.checkStored(ctx, *a.Document); err != nil {
			return nil, fmt.Errorf("amended document: %w", err)
		}
	}
	p := &Transition{Op: opAmend, By: actor}
	return e.transit(ctx, id, p, func(t *Tender) error {
		if t.State != StateAnnounced || !now.Before(t.Schedule.Deadline) {
			return fmt.Errorf("%w: addenda are allowed only before the deadline %s", ErrState, ts(t.Schedule.Deadline))
		}
		next := *t
		if a.Document != nil {
			next.Document = *a.Document
		}
		if !a.Deadline.IsZero() {
			next.Schedule.Deadline = a.Deadline
			if err := next.Schedule.check(); err != nil {
				return err
			}
			if !a.Deadline.After(now) {
				return fmt.Errorf("%w: amended deadline %s is already past", ErrInvalid, ts(a.Deadline))
			}
		}
		if next.Document == t.Document && next.Schedule.Deadline.Equal(t.Schedule.Deadline) {
			return fmt.Errorf("%w: an addendum changes the tender document or the deadline; this one changes neither", ErrInvalid)
		}
		next.Amendments++
		ent, err := next.announcedEntry("tender-amended", now)
		if err != nil {
			return err
		}
		p.Entries = [][]byte{ent}
		p.Document, p.Schedule, p.Amendments = &next.Document, &next.Schedule, next.Amendments
		return nil
	})
}

// Cancel cancels a tender before award, by a committee member, with a
// reason that is logged. Not while another change of the tender (such as
// its opening) is in progress.
func (e *Engine) Cancel(ctx context.Context, actor, id, reason string) (*Tender, error) {
	t, err := e.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := e.CheckCommittee(ctx, actor, t); err != nil {
		return nil, err
	}
	ent, err := entry("tender-cancelled", "tender", id, "by", actor, "reason", reason, "time", canon.FormatTime(e.now()))
	if err != nil {
		return nil, err
	}
	p := &Transition{Op: opCancel, By: actor, Entries: [][]byte{ent}, State: StateCancelled}
	return e.transit(ctx, id, p, func(t *Tender) error {
		if t.State == StateAwarded || t.State == StateCancelled {
			return fmt.Errorf("%w: tender is %s", ErrState, t.State)
		}
		return nil
	})
}

func newID(prefix string, now time.Time) string {
	b := make([]byte, 5)
	rand.Read(b)
	return prefix + "-" + now.UTC().Format("20060102") + "-" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}
