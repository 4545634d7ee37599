package audit

import (
	"cmp"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/segel-lpse/segel/internal/canon"

	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/timelock"
)

// This file replays a tender from its log entries alone
// (doc/spec/audit-bundle.md §4, check 6); times.go holds its time rules.

// phases of a tender, in the order its entries must reach them.
const (
	phaseNone     = iota // before tender-announced
	phaseSubmit          // announced, submission open
	phaseClosed          // submission-closed logged
	phaseOpening         // beacon-signature-used logged
	phaseReported        // opening-report logged
)

// An offer is one submission of a bidder, as the log tells it.
type offer struct {
	index     int64 // offer-received index (offer-committed while undelivered)
	bidder    string
	sha256    string
	size      int64
	committed bool // submitted by commitment (offer-committed)
	delivered bool // its file arrived (offer-received)

	outcome string // OutcomeOpened or OutcomeFailed, once logged
	digest  string // plaintext or witness report SHA-256
	fault   string // fault of an offer-failed entry
}

// tenderLog is what the replay learns.
type tenderLog struct {
	round        uint64
	chain        string
	committeeKey string
	amendments   int64

	opening, deadline time.Time // the opening never moves; the deadline is the one in force
	announcedIndex    int64     // of the tender-announced entry
	deadlineIndex     int64     // of the entry that set the deadline in force

	closedIndex, beaconIndex, reportIndex int64
	signature                             []byte

	subs       map[string][]*offer // every submission, by bidder, in log order
	superseded []auditlog.Entry    // offer-superseded entries, with their index in supIndex
	supIndex   []int64
	current    []*offer                 // the offers current at closing, by index
	received   map[int64]auditlog.Entry // every offer-received entry, by index

	reportDigest   string
	opened, failed int64
}

// replay checks that entries, already parsed and in index order, are a
// well-formed tender up to its opening report, on time by its own schedule
// and the pinned chain.
func replay(entries []LogEntry, parsed []auditlog.Entry, chain timelock.Chain) (*tenderLog, error) {
	pinnedChain := chain.HashHex()
	t := &tenderLog{subs: map[string][]*offer{}, received: map[int64]auditlog.Entry{}}
	phase := phaseNone
	for k, e := range parsed {
		i := entries[k].Index
		file := fmt.Sprintf("entries/%d.txt", i)
		bad := func(format string, args ...any) error {
			return fail(file, "replay", ErrMismatch, "%s entry: %s", e.Type, fmt.Sprintf(format, args...))
		}
		late := func(err error) error {
			return fail(file, "time", ErrMismatch, "%s entry %d: %v", e.Type, i, err)
		}
		if phase == phaseNone && e.Type != typeAnnounced {
			return nil, bad("the tender's first entry must be %s", typeAnnounced)
		}
		switch e.Type {
		case typeAnnounced, typeAmended:
			if phase != phaseNone && e.Type == typeAnnounced || phase != phaseSubmit && e.Type == typeAmended {
				return nil, bad("not allowed here (tender already announced, or submission closed)")
			}
			if e.Type == typeAmended {
				if n, _ := canon.ParseUint(e.Value("amendment")); n != t.amendments+1 {
					return nil, bad("amendment %d, want %d", n, t.amendments+1)
				}
				t.amendments++
			}
			if c := e.Value("chain"); c != pinnedChain {
				return nil, bad("chain %s is not the pinned chain %s", c, pinnedChain)
			}
			r, _ := canon.ParseUint(e.Value("round"))
			if err := t.schedule(e, i, uint64(r), chain); err != nil {
				return nil, late(err)
			}
			t.round, t.chain, t.committeeKey = uint64(r), e.Value("chain"), e.Value("committee-key")
			phase = phaseSubmit
		case typeCommitted, typeReceived:
			o := &offer{index: i, bidder: e.Value("bidder"), sha256: e.Value("sha256"), committed: e.Type == typeCommitted}
			o.size, _ = canon.ParseUint(e.Value("size"))
			if e.Type == typeReceived {
				t.received[i] = e
			}
			subs := t.subs[o.bidder]
			var last *offer
			if len(subs) > 0 {
				last = subs[len(subs)-1]
			}
			delivers := e.Type == typeReceived && last != nil && last.committed && !last.delivered &&
				last.sha256 == o.sha256 && last.size == o.size
			switch {
			case delivers && (phase == phaseSubmit || phase == phaseClosed):
				if err := t.delivered(e, last); err != nil {
					return nil, late(err)
				}
				last.delivered, last.index = true, i
			case phase == phaseSubmit:
				if err := t.submitted(e); err != nil {
					return nil, late(err)
				}
				o.delivered = e.Type == typeReceived
				t.subs[o.bidder] = append(subs, o)
			default:
				return nil, bad("offer of %s after submission closed that delivers no committed offer", o.bidder)
			}
		case typeSuperseded:
			if phase != phaseSubmit {
				return nil, bad("after submission closed")
			}
			t.superseded = append(t.superseded, e)
			t.supIndex = append(t.supIndex, i)
		case typeClosed:
			if phase != phaseSubmit {
				return nil, bad("submission closed twice")
			}
			if err := t.close(); err != nil {
				return nil, fail(file, "replay", ErrMismatch, "%v", err)
			}
			if n, _ := canon.ParseUint(e.Value("offers")); n != int64(len(t.current)) {
				return nil, bad("%d offers, but %d bidders have a current offer", n, len(t.current))
			}
			t.closedIndex, phase = i, phaseClosed
		case typeBeacon:
			if phase != phaseClosed {
				return nil, bad("beacon signature used before submission closed, or twice")
			}
			r, _ := canon.ParseUint(e.Value("round"))
			if uint64(r) != t.round || e.Value("chain") != t.chain {
				return nil, bad("round %d of chain %s, but the tender is locked to round %d of chain %s",
					r, e.Value("chain"), t.round, t.chain)
			}
			t.signature, _ = hex.DecodeString(e.Value("signature"))
			t.beaconIndex, phase = i, phaseOpening
		case typeOpened, typeFailed:
			if phase != phaseOpening {
				return nil, bad("outside the opening (between beacon-signature-used and opening-report)")
			}
			o := t.currentOffer(e.Value("bidder"))
			if o == nil || o.sha256 != e.Value("sha256") {
				return nil, bad("bidder %s has no current offer %s", e.Value("bidder"), e.Value("sha256"))
			}
			if o.outcome != "" {
				return nil, bad("offer %s of %s already %s", o.sha256, o.bidder, o.outcome)
			}
			if e.Type == typeOpened {
				o.outcome, o.digest = OutcomeOpened, e.Value("plaintext")
			} else {
				o.outcome, o.digest, o.fault = OutcomeFailed, e.Value("report"), e.Value("fault")
			}
		case typeReport:
			if phase != phaseOpening {
				return nil, bad("not after beacon-signature-used, or twice")
			}
			for _, o := range t.current {
				if o.outcome == "" {
					return nil, bad("offer %s of %s was neither opened nor failed", o.sha256, o.bidder)
				}
				if o.outcome == OutcomeOpened {
					t.opened++
				} else {
					t.failed++
				}
			}
			opened, _ := canon.ParseUint(e.Value("opened"))
			failed, _ := canon.ParseUint(e.Value("failed"))
			if opened != t.opened || failed != t.failed {
				return nil, bad("%d opened and %d failed, but the log shows %d and %d", opened, failed, t.opened, t.failed)
			}
			t.reportDigest, t.reportIndex, phase = e.Value("report"), i, phaseReported
		case "participant-registered", "question-asked", "question-answered":
			// Registration and clarification (aanwijzing) happen while
			// submission is open; they do not change the offer set.
			if phase != phaseSubmit {
				return nil, bad("only while submission is open")
			}
		default:
			if phase != phaseReported {
				return nil, bad("not allowed before the opening report")
			}
		}
	}
	if phase != phaseReported {
		return nil, fail("entries/", "replay", ErrMismatch, "the tender's entries end before its opening-report entry")
	}
	t.sortCurrent()
	return t, nil
}

// close fixes the current offers at submission-closed and checks that every
// replaced submission has its offer-superseded entry.
func (t *tenderLog) close() error {
	matched := make(map[*offer]bool)
	for k, e := range t.superseded {
		subs := t.subs[e.Value("bidder")]
		found := false
		for j := 0; j+1 < len(subs) && !found; j++ {
			if !matched[subs[j]] && subs[j].sha256 == e.Value("sha256") && subs[j+1].sha256 == e.Value("by") && subs[j].index < t.supIndex[k] {
				matched[subs[j]], found = true, true
			}
		}
		if !found {
			return fmt.Errorf("offer-superseded entry %d names no replaced offer %s of %s by %s",
				t.supIndex[k], e.Value("sha256"), e.Value("bidder"), e.Value("by"))
		}
	}
	for _, subs := range t.subs {
		for _, o := range subs[:len(subs)-1] {
			if !matched[o] {
				return fmt.Errorf("offer %s of %s (entry %d) was replaced without an offer-superseded entry", o.sha256, o.bidder, o.index)
			}
		}
		t.current = append(t.current, subs[len(subs)-1])
	}
	t.sortCurrent()
	return nil
}

// sortCurrent sorts the current offers by index, which changes when a
// committed offer is delivered.
func (t *tenderLog) sortCurrent() {
	slices.SortFunc(t.current, func(a, b *offer) int { return cmp.Compare(a.index, b.index) })
}

func (t *tenderLog) currentOffer(bidder string) *offer {
	if subs := t.subs[bidder]; len(subs) > 0 && t.closedIndex > 0 {
		return subs[len(subs)-1]
	}
	return nil
}
