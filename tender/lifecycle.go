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
//
// A tender announced with a CommitteeKey is a version 1 tender: its offers
// are sealed to that one key, which the committee brings to the opening.
// A tender announced without one is a version 2 tender
// (doc/spec/opening.md): its offers are sealed to the committee's members'
// own opening keys, as the Directory has them, and any Threshold of them
// open each file, on their own devices.
type Announcement struct {
	ID       string   // 1–64 of A–Z a–z 0–9 . _ -, the first a letter or digit; generated if empty (v1 only)
	Title    string   // required
	Plan     string   // procurement plan (RUP) id, optional
	Document [32]byte // SHA-256 of the tender document already put in Blobs
	// Committee lists the members' user ids; the announcer must be one.
	// Version 1 needs it. Version 2 takes the committee the Directory has
	// for ID; Committee, if given, must be the same members.
	Committee    []string
	CommitteeKey string // version 1: the committee's age1pq1 hybrid recipient
	Method       Method // version 2: MethodSingleFile if empty
	Threshold    int    // version 2: k, a majority of the members; ⌊n/2⌋+1 if zero
	Schedule     Schedule
}

// Announce publishes a tender. The announcer must be a committee member;
// every member must be assignable (separation of duties). The opening
// round is fixed here, as the first beacon round at or after the opening
// time, and never moves; so is a two-file tender's File II round, and a v2
// tender's committee, which no addendum can change (opening.md §2.2).
func (e *Engine) Announce(ctx context.Context, actor string, a Announcement) (*Tender, error) {
	now := e.now()
	t, err := e.announcement(ctx, actor, a, now)
	if err != nil {
		return nil, err
	}
	entries, err := t.announcedEntries(e, now)
	if err != nil {
		return nil, err
	}
	// Record the tender first, its announcement pending, so that a clash
	// (another announcement of the id, a double click) changes nothing
	// and logs nothing.
	p := &Transition{Op: opAnnounce, By: actor, Owner: newToken(), Lease: now.Add(leaseFor),
		From: e.cfg.Log.Size(), Entries: entries, State: StateAnnounced}
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
	first, err := e.appendLog(ctx, entries...)
	if err != nil {
		// Nothing was announced: release the id.
		e.cfg.Records.Update(ctx, func(tx vault.Tx) error { return tx.Delete(tableTenders, t.ID) })
		return nil, err
	}
	if t, err = e.finish(ctx, t.ID, p, func(t *Tender) { p.apply(t, first) }); err != nil {
		return nil, err
	}
	e.log.Info("tender announced", "tender", t.ID, "round", t.Round, "opening", t.Schedule.Opening, "method", t.Method)
	return t, nil
}

// announcement checks a and returns the tender it announces at now.
func (e *Engine) announcement(ctx context.Context, actor string, a Announcement, now time.Time) (*Tender, error) {
	if a.ID != "" && !canon.IsTenderID(a.ID) {
		return nil, fmt.Errorf("%w: tender id %.80q: give 1 to %d letters, digits, '.', '_' or '-', starting with a letter or digit", ErrInvalid, a.ID, canon.MaxTenderID)
	}
	if strings.TrimSpace(a.Title) == "" || len(a.Title) > 500 {
		return nil, fmt.Errorf("%w: title must be 1–500 characters", ErrInvalid)
	}
	v2 := a.CommitteeKey == ""
	if !v2 && (a.Method != "" || a.Threshold != 0 || !a.Schedule.FileIIOpening.IsZero()) {
		return nil, fmt.Errorf("%w: a tender sealed to one committee key is single-file: give no method, threshold or File II opening, or no committee key", ErrInvalid)
	}
	if v2 && a.Method == "" {
		a.Method = MethodSingleFile
	}
	if v2 && a.Method.parts() == 0 {
		return nil, fmt.Errorf("%w: tender method %.40q is not single-file, two-file or two-stage", ErrInvalid, a.Method)
	}
	if err := a.Schedule.check(); err != nil {
		return nil, err
	}
	if !a.Schedule.Deadline.After(now) {
		return nil, fmt.Errorf("%w: deadline %s is already past", ErrInvalid, ts(a.Schedule.Deadline))
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
	t := &Tender{
		ID:        a.ID,
		Title:     a.Title,
		Plan:      a.Plan,
		Document:  a.Document,
		Schedule:  a.Schedule,
		Round:     e.chain.RoundAt(a.Schedule.Opening),
		ChainHash: e.chain.HashHex(),
		State:     StateAnnounced,
		Announced: now,
	}
	if !v2 {
		return t, e.committeeV1(ctx, actor, a, t, now)
	}
	return t, e.committeeV2(ctx, actor, a, t)
}

// committeeV1 fills in v1 tender t's committee and key from a.
func (e *Engine) committeeV1(ctx context.Context, actor string, a Announcement, t *Tender, now time.Time) error {
	if len(a.Committee) == 0 || len(a.Committee) > 25 {
		return fmt.Errorf("%w: a committee has 1–25 members, got %d", ErrInvalid, len(a.Committee))
	}
	var announcerIn bool
	seen := map[string]bool{}
	for _, m := range a.Committee {
		if seen[m] {
			return fmt.Errorf("%w: committee member %q listed twice", ErrInvalid, m)
		}
		seen[m] = true
		announcerIn = announcerIn || m == actor
		if err := e.cfg.Directory.CheckAssignable(ctx, m, RoleCommittee); err != nil {
			return fmt.Errorf("%w: committee member %q cannot be assigned: %w", ErrForbidden, m, err)
		}
	}
	if !announcerIn {
		return fmt.Errorf("%w: %q announces but is not on the committee", ErrForbidden, actor)
	}
	key, err := age.ParseHybridRecipient(a.CommitteeKey)
	if err != nil {
		return fmt.Errorf("%w: committee key: %v", ErrInvalid, err)
	}
	if t.ID == "" {
		t.ID = newID("T", now)
	}
	t.Committee, t.CommitteeKey = a.Committee, key.String()
	return nil
}

// committeeV2 fills in v2 tender t's method, committee and file parts
// from a.
func (e *Engine) committeeV2(ctx context.Context, actor string, a Announcement, t *Tender) error {
	s := a.Schedule
	switch {
	case a.Method == MethodTwoFile && s.FileIIOpening.IsZero():
		return fmt.Errorf("%w: a two-file tender needs File II's opening time (Schedule.FileIIOpening)", ErrInvalid)
	case a.Method != MethodTwoFile && !s.FileIIOpening.IsZero():
		return fmt.Errorf("%w: only a two-file tender has a File II opening time; a %s tender has none", ErrInvalid, a.Method)
	}
	users, c, err := e.committeeOf(ctx, actor, &a)
	if err != nil {
		return err
	}
	t.Committee, t.Method, t.CommitteeID, t.Threshold, t.Part = users, a.Method, c.ID(), c.Threshold(), 1
	for _, r := range c.Members() {
		t.Members = append(t.Members, r.String())
	}
	t.Parts = []FilePart{{File: 1, Start: s.SubmissionStart, Deadline: s.Deadline, Opening: s.Opening, Round: t.Round}}
	switch a.Method {
	case MethodTwoFile:
		p := FilePart{File: 2, Start: s.SubmissionStart, Deadline: s.Deadline, Opening: s.FileIIOpening, Round: e.chain.RoundAt(s.FileIIOpening)}
		if p.Round <= t.Round {
			return fmt.Errorf("%w: File II opens %s at round %d, File I at round %d: File II's round must be later (a period of the beacon at least)",
				ErrInvalid, ts(p.Opening), p.Round, t.Round)
		}
		t.Parts = append(t.Parts, p)
	case MethodTwoStage:
		t.Parts = append(t.Parts, FilePart{File: 2})
	}
	e.recipientsMu.Lock()
	e.committees[c.ID()] = c
	e.recipientsMu.Unlock()
	return nil
}

// announcedEntries returns the entries of t's announcement, in one append:
// tender-announced, and for a v2 tender its committee's (opening.md §2.2).
func (t *Tender) announcedEntries(e *Engine, now time.Time) ([][]byte, error) {
	ent, err := t.announcedEntry("tender-announced", now)
	if err != nil || !t.V2() {
		return [][]byte{ent}, err
	}
	c, err := e.committee(t)
	if err != nil {
		return nil, err
	}
	more, err := t.committeeEntries(c, now)
	if err != nil {
		return nil, err
	}
	return append([][]byte{ent}, more...), nil
}

func (t *Tender) announcedEntry(typ string, now time.Time) ([]byte, error) {
	kv := []string{"tender", t.ID}
	if typ == "tender-amended" {
		kv = append(kv, "amendment", uintEntry(t.Amendments))
	}
	committeeKey := t.CommitteeID
	if !t.V2() {
		key, err := age.ParseHybridRecipient(t.CommitteeKey)
		if err != nil {
			return nil, err
		}
		committeeKey = sealer.KeyID(key)
	}
	kv = append(kv,
		"document", hexEntry(t.Document[:]),
		"deadline", canon.FormatTime(t.Schedule.Deadline),
		"opening", canon.FormatTime(t.Schedule.Opening),
		"round", uintEntry(t.Round),
		"chain", t.ChainHash,
		"committee-key", committeeKey,
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
		if t.State != StateAnnounced || t.Part > 1 || !now.Before(t.Schedule.Deadline) {
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
