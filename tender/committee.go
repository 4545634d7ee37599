package tender

import (
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/internal/canon"
	"github.com/segel-lpse/segel/sealer"
)

// A v2 tender (doc/spec/opening.md) is announced without a committee key:
// its committee is its members' own opening keys, k of n of whom open each
// file, and its offers come in one or two file parts by its Method.

// Method is how a v2 tender's offers are made and opened
// (doc/spec/opening.md §3).
type Method string

const (
	// MethodSingleFile: one file per offer, one opening.
	MethodSingleFile Method = "single-file"
	// MethodTwoFile (metode dua file): File I (administration and
	// technical) and File II (price), submitted before one deadline; File
	// II opens at its own, later round, only for bidders who passed the
	// File I evaluation.
	MethodTwoFile Method = "two-file"
	// MethodTwoStage (metode dua tahap): stage 1 (technical), evaluated,
	// then stage 2 (revised technical and price) in a second window
	// announced after the evaluation, open to the bidders who passed.
	MethodTwoStage Method = "two-stage"
)

// parts returns the number of file parts of m, or 0 for an unknown method.
func (m Method) parts() int {
	switch m {
	case MethodSingleFile:
		return 1
	case MethodTwoFile, MethodTwoStage:
		return 2
	}
	return 0
}

// V2 reports whether t was announced with a committee of members' own keys
// (doc/spec/opening.md), rather than one committee key.
func (t *Tender) V2() bool { return t.Method != "" }

// minThreshold is the least threshold of a committee of n members: a
// majority, so that no minority opens anything and no two disjoint groups
// each open on their own (opening.md §2.2).
func minThreshold(n int) int { return n/2 + 1 }

// committeeOf decides the committee of v2 announcement a by actor: the
// committee the Directory assigned to the tender, each member assignable
// and with an opening key, the actor among them, k a majority. It returns
// the members' user ids in member order (the order of their recipients)
// and the committee.
func (e *Engine) committeeOf(ctx context.Context, actor string, a *Announcement) ([]string, *sealer.Committee, error) {
	if a.ID == "" {
		return nil, nil, fmt.Errorf("%w: a tender with a committee of members' keys needs its id: the committee is assigned to the id first", ErrInvalid)
	}
	members, err := e.cfg.Directory.Committee(ctx, a.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: the committee of tender %s: %w", ErrForbidden, a.ID, err)
	}
	n := len(members)
	if n == 0 || n > sealer.MaxMembers {
		return nil, nil, fmt.Errorf("%w: the committee of tender %s has %d members; a committee has 1 to %d", ErrInvalid, a.ID, n, sealer.MaxMembers)
	}
	users := make([]string, n)
	for i, m := range members {
		// One person, one seat: a user in two seats would supply two of
		// the k contributions (opening.md §2.2).
		if slices.Contains(users[:i], m.User) {
			return nil, nil, fmt.Errorf("%w: %s is on the committee twice; the PA/KPA assigns each member once", ErrInvalid, m.User)
		}
		users[i] = m.User
	}
	if a.Committee != nil {
		want, got := slices.Sorted(slices.Values(users)), slices.Sorted(slices.Values(a.Committee))
		if !slices.Equal(want, got) {
			return nil, nil, fmt.Errorf("%w: the announcement names committee %v, the one assigned to tender %s is %v", ErrInvalid, got, a.ID, want)
		}
	}
	if !slices.Contains(users, actor) {
		return nil, nil, fmt.Errorf("%w: %q announces but is not on the committee", ErrForbidden, actor)
	}
	byKey := map[string]string{}
	keys := make([]*age.HybridRecipient, n)
	for i, m := range members {
		if err := e.cfg.Directory.CheckAssignable(ctx, m.User, RoleCommittee); err != nil {
			return nil, nil, fmt.Errorf("%w: committee member %q cannot be assigned: %w", ErrForbidden, m.User, err)
		}
		if m.Key == "" {
			return nil, nil, fmt.Errorf("%w: committee member %q has registered no opening key; every member registers its own before the announcement", ErrInvalid, m.User)
		}
		if other, ok := byKey[m.Key]; ok {
			return nil, nil, fmt.Errorf("%w: committee members %q and %q have the same opening key; each member holds its own", ErrInvalid, other, m.User)
		}
		byKey[m.Key] = m.User
		if keys[i], err = e.recipient(m.Key); err != nil {
			return nil, nil, fmt.Errorf("%w: committee member %q's opening key: %v", ErrInvalid, m.User, err)
		}
	}
	k := a.Threshold
	if k == 0 {
		k = minThreshold(n)
	}
	if k < minThreshold(n) || k > n {
		return nil, nil, fmt.Errorf("%w: a committee of %d opens with %d to %d of its members (a majority), not %d", ErrInvalid, n, minThreshold(n), n, k)
	}
	c, err := sealer.NewCommittee(k, keys)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	ordered := make([]string, n)
	for i, r := range c.Members() {
		ordered[i] = byKey[r.String()]
	}
	return ordered, c, nil
}

// committee returns v2 tender t's committee, parsed once per engine: a
// committee of n keys costs n ML-KEM key parses.
func (e *Engine) committee(t *Tender) (*sealer.Committee, error) {
	e.recipientsMu.Lock()
	c, ok := e.committees[t.CommitteeID]
	e.recipientsMu.Unlock()
	if ok {
		return c, nil
	}
	keys := make([]*age.HybridRecipient, len(t.Members))
	for i, m := range t.Members {
		r, err := e.recipient(m)
		if err != nil {
			return nil, fmt.Errorf("tender %s: stored member key %d: %w", t.ID, i+1, err)
		}
		keys[i] = r
	}
	c, err := sealer.NewCommittee(t.Threshold, keys)
	if err != nil {
		return nil, fmt.Errorf("tender %s: stored committee: %w", t.ID, err)
	}
	if c.ID() != t.CommitteeID {
		return nil, fmt.Errorf("tender %s: stored committee is %s, its record says %s", t.ID, c.ID(), t.CommitteeID)
	}
	e.recipientsMu.Lock()
	if len(e.committees) >= 1024 {
		clear(e.committees)
	}
	e.committees[t.CommitteeID] = c
	e.recipientsMu.Unlock()
	return c, nil
}

// KeyCommittee returns the committee of members' keys v2 tender t's files
// are sealed to; its canonical text (MarshalText) is what bidders' tools
// seal to, after checking its digest against the log's tender-committee
// entry.
func (t *Tender) KeyCommittee(e *Engine) (*sealer.Committee, error) {
	if !t.V2() {
		return nil, fmt.Errorf("%w: tender %s is sealed to one committee key (Target), not to a committee of members", ErrInvalid, t.ID)
	}
	return e.committee(t)
}

// FileTarget returns what bidder's file part file of v2 tender t must be
// sealed to. It fails for a part not scheduled yet (a two-stage tender's
// stage 2 before its announcement).
func (t *Tender) FileTarget(e *Engine, bidder string, file int) (sealer.Target, error) {
	p, err := t.part(file)
	if err != nil {
		return sealer.Target{}, err
	}
	if p.Round == 0 {
		return sealer.Target{}, fmt.Errorf("%w: stage 2 of tender %s is not announced yet", ErrState, t.ID)
	}
	c, err := t.KeyCommittee(e)
	if err != nil {
		return sealer.Target{}, err
	}
	return sealer.Target{Chain: e.chain, Round: p.Round, Members: c, Tender: t.ID, Bidder: bidder, File: file}, nil
}

// MemberIndex returns user's position on v2 tender t's committee, from 1
// (member i holds the i-th recipient in byte order), or 0.
func (t *Tender) MemberIndex(user string) int {
	if !t.V2() {
		return 0
	}
	if i := slices.Index(t.Committee, user); i >= 0 {
		return i + 1
	}
	return 0
}

// committeeEntries returns the entries that follow tender-announced in a
// v2 announcement's append (opening.md §2.2): tender-committee, one
// committee-member per member in member order, and for a two-file tender
// file-ii-scheduled.
func (t *Tender) committeeEntries(c *sealer.Committee, now time.Time) ([][]byte, error) {
	text, err := c.MarshalText()
	if err != nil {
		return nil, err
	}
	digest := sha256.Sum256(text)
	at := canon.FormatTime(now)
	ent, err := entry("tender-committee", "tender", t.ID, "method", string(t.Method), "committee", hexEntry(digest[:]),
		"threshold", uintEntry(t.Threshold), "members", uintEntry(len(t.Members)), "time", at)
	if err != nil {
		return nil, err
	}
	out := [][]byte{ent}
	for i, user := range t.Committee {
		ent, err := entry("committee-member", "tender", t.ID, "member", uintEntry(i+1), "user", user,
			"recipient", t.Members[i], "time", at)
		if err != nil {
			return nil, err
		}
		out = append(out, ent)
	}
	if t.Method == MethodTwoFile {
		p := t.Parts[1]
		ent, err := entry("file-ii-scheduled", "tender", t.ID, "opening", canon.FormatTime(p.Opening),
			"round", uintEntry(p.Round), "chain", t.ChainHash, "time", at)
		if err != nil {
			return nil, err
		}
		out = append(out, ent)
	}
	return out, nil
}
