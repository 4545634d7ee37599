package sealer

import (
	"errors"
	"fmt"
	"time"

	"github.com/segel-lpse/segel/timelock"
)

// ErrUnsafeTarget means that a tender, as a server describes it, names a
// time lock that offers must not be sealed to: they could be opened before
// its opening time, or by another chain's custodian.
var ErrUnsafeTarget = errors.New("sealer: refusing to seal to this tender")

// Published is a tender's time lock as a server publishes it: nothing in
// it is trusted until CheckPublished accepts it against a pinned chain.
type Published struct {
	Tender   string    // the tender's id, named in errors
	Chain    string    // the beacon chain hash the tender names, hex
	Round    uint64    // the opening round the tender names
	Deadline time.Time // the submission deadline
	Opening  time.Time // the opening time
}

// An UnsafeTargetError is a Published time lock that CheckPublished
// refuses. It wraps ErrUnsafeTarget, and timelock.ErrWrongChain when the
// tender names another chain than the pinned one (pinning the chain is
// then the caller's remedy, in its own words).
type UnsafeTargetError struct {
	Tender string
	// Reason says what is wrong, after the tender's id: "names round 1,
	// published at …".
	Reason string
	chain  bool
}

func (e *UnsafeTargetError) Error() string {
	return ErrUnsafeTarget.Error() + ": tender " + e.Tender + " " + e.Reason
}

func (e *UnsafeTargetError) Unwrap() []error {
	if e.chain {
		return []error{ErrUnsafeTarget, timelock.ErrWrongChain}
	}
	return []error{ErrUnsafeTarget}
}

// CheckPublished checks the time lock a server publishes for a tender
// against the pinned chain at now, trusting the server with none of it
// (doc/spec/timelock.md, "Round for a deadline"). It refuses with an
// *UnsafeTargetError a tender that names another chain, an opening before
// its deadline, a round other than the pinned chain's RoundAt(opening), or
// a round already published at now. Bidders' tools run it before sealing:
// client.Target, and the portal's WebAssembly in the browser.
func CheckPublished(pinned timelock.Chain, p Published, now time.Time) error {
	const layout = time.RFC3339
	unsafe := func(format string, args ...any) error {
		return &UnsafeTargetError{Tender: p.Tender, Reason: fmt.Sprintf(format, args...)}
	}
	switch want := pinned.RoundAt(p.Opening); {
	case p.Chain != pinned.HashHex():
		err := unsafe("names beacon chain %.64q, but this client is pinned to %s (%s)", p.Chain, pinned.HashHex(), beaconName(pinned))
		err.(*UnsafeTargetError).chain = true
		return err
	case p.Opening.Before(p.Deadline):
		return unsafe("opens at %s, before its deadline %s: offers would open while others are still submitted; ask the committee to fix the schedule",
			p.Opening.UTC().Format(layout), p.Deadline.UTC().Format(layout))
	case p.Round != want:
		return unsafe("names round %d, published at %s, but the first round of %s at or after its opening %s is %d (RoundAt(opening)); "+
			"a round is never taken from the server: ask the LPSE to correct the tender",
			p.Round, pinned.TimeOf(p.Round).Format(layout), pinned, p.Opening.UTC().Format(layout), want)
	case !pinned.TimeOf(p.Round).After(now):
		return unsafe("opens at round %d, published at %s, already past at %s: an offer sealed to it could be opened at once",
			p.Round, pinned.TimeOf(p.Round).Format(layout), now.UTC().Format(layout))
	}
	return nil
}

// beaconName is the chain's beacon id, "default" for the unnamed one.
func beaconName(c timelock.Chain) string {
	if id := c.BeaconID(); id != "" {
		return id
	}
	return "default"
}
