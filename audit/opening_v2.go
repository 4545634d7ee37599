package audit

import (
	"fmt"
	"slices"

	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/timelock"
)

// MaxTenderEntries caps the entries of one tender that ReplayOpening
// reads: far above any tender's life (a thousand bidders superseding
// their files ten times each are 20 000), far below what would stall a
// member's device.
const MaxTenderEntries = 1 << 18

// An OpeningView is a v2 tender as the beginning of its log shows it,
// replayed by the rules audit.Verify checks (doc/spec/opening.md §10,
// checks 1–5): what a member's tool needs to decide what it may
// contribute to while a part's opening runs (opening.md §5.2).
type OpeningView struct {
	Method    string
	Committee *sealer.Committee // rebuilt from the committee-member entries, checked against the logged digest and id
	Users     []string          // member i is Users[i-1]; distinct
	Parts     [3]*OpeningPart   // Parts[file]; nil for a part not scheduled (yet)
	Fixed     bool              // the File I evaluation is fixed: k distinct members approved the document the fixing append rebuilds
	Passed    map[string]bool   // bidders passed in the fixed evaluation
}

// An OpeningPart is one file part of an OpeningView.
type OpeningPart struct {
	Round   uint64
	Closed  bool // its file-closed is logged: Current is its closing set
	Started bool // its beacon-signature-used is logged, and the signature is the chain's of Round
	Done    bool // its file-opening-report is logged
	Current []CurrentFile
}

// A CurrentFile is a bidder's current file of a closed part.
type CurrentFile struct {
	Index     int64 // of its file-received entry; of its file-committed entry while undelivered
	Bidder    string
	SHA256    string // of the file
	Header    string // of its age header (file-received's header); "" while undelivered
	Delivered bool
}

// ReplayOpening replays entries — every log entry of v2 tender id so far,
// in index order, each already proved included in a checkpoint the caller
// verified — and returns the tender as they show it. It refuses entries
// that break a rule of the log (an entry of another tender, the
// announcement's append incomplete, a file logged after its window
// closed that delivers no commitment, a supersession without its entry, a
// closing count that does not match, an evaluation fixed outside the
// append of its k-th approval or not rebuilding its digest, a beacon
// signature that is not the chain's): a server that left entries out of
// an append, or appended entries the engine's rules never would, is
// caught here, before a member computes anything. What ReplayOpening
// cannot see is a whole append left out (opening.md §5.2).
func ReplayOpening(entries []LogEntry, id string, chain timelock.Chain) (*OpeningView, error) {
	if len(entries) > MaxTenderEntries {
		return nil, fail("entries/", "replay", ErrMalformed, "%d entries of tender %s, more than %d", len(entries), id, MaxTenderEntries)
	}
	parsed := make([]auditlog.Entry, len(entries))
	for k, le := range entries {
		e, err := auditlog.ParseEntry(le.Data)
		if err != nil {
			return nil, fail(fmt.Sprintf("entries/%d.txt", le.Index), "entry", ErrMalformed, "%v", err)
		}
		if e.Value("tender") != id {
			return nil, fail(fmt.Sprintf("entries/%d.txt", le.Index), "replay", ErrMismatch, "%s entry is not of tender %s", e.Type, id)
		}
		if k > 0 && le.Index <= entries[k-1].Index {
			return nil, fail(fmt.Sprintf("entries/%d.txt", le.Index), "replay", ErrMismatch, "entries are not in increasing index order")
		}
		parsed[k] = e
	}
	if len(parsed) == 0 || parsed[0].Type != typeAnnounced {
		return nil, fail("entries/", "committee", ErrMismatch, "the entries of tender %s do not begin with its tender-announced entry", id)
	}
	if !isV2(entries, parsed) {
		return nil, fail("entries/", "committee", ErrMismatch, "tender %s's tender-announced entry is not followed by tender-committee in its append: not a tender of members' keys", id)
	}
	t, err := replayV2Prefix(entries, parsed, chain)
	if err != nil {
		return nil, err
	}
	v := &OpeningView{Method: t.method, Committee: t.committee, Users: slices.Clone(t.users), Passed: map[string]bool{}}
	if t.evaluation != nil {
		v.Fixed = true
		for b := range t.evaluation.passed {
			v.Passed[b] = true
		}
	}
	for f := 1; f <= 2; f++ {
		p := t.parts[f]
		if p == nil {
			continue
		}
		q := &OpeningPart{Round: p.round, Closed: p.closedIndex >= 0, Started: p.beaconIndex >= 0, Done: p.reportIndex >= 0}
		if q.Started {
			if err := chain.VerifySignature(p.round, p.signature); err != nil {
				return nil, fail(fmt.Sprintf("entries/%d.txt", p.beaconIndex), "rounds", ErrMismatch,
					"the signature is not the chain's signature of round %d (file %d): %v", p.round, f, err)
			}
		}
		sortCurrent(p.current)
		for _, o := range p.current {
			c := CurrentFile{Index: o.index, Bidder: o.bidder, SHA256: o.sha256, Delivered: o.delivered}
			if o.delivered {
				c.Header = t.received[o.index].Value("header")
			}
			q.Current = append(q.Current, c)
		}
		v.Parts[f] = q
	}
	return v, nil
}
