package audit

import (
	"fmt"
	"time"

	"github.com/segel-lpse/segel/internal/canon"

	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/timelock"
)

// The time rules of the replay (doc/spec/audit-bundle.md §4, check 6.8): the
// times the entries state must keep the schedule the tender announced, with
// rounds computed on the pinned chain. The fields of every time were checked
// by auditlog.ParseEntry, so they parse.

// schedule checks the deadline, opening and round of tender-announced or
// tender-amended entry i, then puts its deadline in force.
func (t *tenderLog) schedule(e auditlog.Entry, i int64, round uint64, chain timelock.Chain) error {
	deadline, _ := canon.ParseTime(e.Value("deadline"))
	opening, _ := canon.ParseTime(e.Value("opening"))
	if e.Type == typeAmended {
		// An addendum moves the deadline while submission is open; offers
		// already sealed stay sealed to the round of the opening.
		at, _ := canon.ParseTime(e.Value("time"))
		switch {
		case !at.Before(t.deadline):
			return fmt.Errorf("amended at %s, not before the deadline %s in force (set by entry %d)",
				ts(at), ts(t.deadline), t.deadlineIndex)
		case !opening.Equal(t.opening) || round != t.round:
			return fmt.Errorf("opening %s, round %d; the opening and its round never move from %s, round %d (entry %d)",
				ts(opening), round, ts(t.opening), t.round, t.announcedIndex)
		}
	}
	// An earlier round would let the offers be opened before the opening.
	if want := chain.RoundAt(opening); round != want {
		return fmt.Errorf("round %d, but the first round of the chain at or after the opening %s is %d",
			round, ts(opening), want)
	}
	if opening.Before(deadline) {
		return fmt.Errorf("opening %s is before the deadline %s", ts(opening), ts(deadline))
	}
	if e.Type == typeAnnounced {
		t.opening, t.announcedIndex = opening, i
	}
	t.deadline, t.deadlineIndex = deadline, i
	return nil
}

// submitted checks that a new offer, committed or received, came by the
// deadline in force.
func (t *tenderLog) submitted(e auditlog.Entry) error {
	if at := offerTime(e); at.After(t.deadline) {
		return fmt.Errorf("offer of %s at %s, after the deadline %s in force (set by entry %d)",
			e.Value("bidder"), ts(at), ts(t.deadline), t.deadlineIndex)
	}
	return nil
}

// delivered checks that the file of committed offer c came before the
// opening, as the engine takes it only until then.
func (t *tenderLog) delivered(e auditlog.Entry, c *offer) error {
	if at := offerTime(e); !at.Before(t.opening) {
		return fmt.Errorf("file committed by %s (entry %d) received at %s, not before the opening %s",
			c.bidder, c.index, ts(at), ts(t.opening))
	}
	return nil
}

// offerTime is when an offer-received entry says the file arrived, or an
// offer-committed entry says the commitment did.
func offerTime(e auditlog.Entry) time.Time {
	name := "time"
	if e.Type == typeReceived || e.Type == typeFileReceived {
		name = "received"
	}
	at, _ := canon.ParseTime(e.Value(name))
	return at
}

// ts formats a time as entries state it.
func ts(t time.Time) string { return canon.FormatTime(t) }
