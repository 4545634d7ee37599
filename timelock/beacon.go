package timelock

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/segel-lpse/segel/internal/sigcache"
)

// Beacon gives the signatures of a chain's rounds. Signature returns an
// error wrapping ErrTooEarly while the round is not yet published; a
// signature it returns has been verified against Chain().
type Beacon interface {
	Chain() Chain
	Signature(ctx context.Context, round uint64) ([]byte, error)
}

// VerifySignature checks that sig is c's beacon signature for round.
func (c Chain) VerifySignature(round uint64, sig []byte) error {
	if c.IsZero() {
		return errors.New("timelock: no chain given")
	}
	_, err := c.c.verifySignature(round, sig)
	return err
}

// FixedBeacon serves recorded signatures, for tests and for opening files
// offline with a signature obtained elsewhere. Every signature is verified
// when added.
type FixedBeacon struct {
	chain Chain
	now   func() time.Time
	sigs  sigcache.Cache
}

// NewFixedBeacon returns a beacon for c holding sigs (round → signature),
// each verified against c. Rounds it does not hold are ErrTooEarly while
// now() is before their time, and an error naming the round otherwise;
// now nil means time.Now.
func NewFixedBeacon(c Chain, sigs map[uint64][]byte, now func() time.Time) (*FixedBeacon, error) {
	if c.IsZero() {
		return nil, errors.New("timelock: no chain given")
	}
	if now == nil {
		now = time.Now
	}
	b := &FixedBeacon{chain: c, now: now}
	for round, sig := range sigs {
		if err := b.Add(round, sig); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// Add verifies sig as the round's signature and records it.
func (b *FixedBeacon) Add(round uint64, sig []byte) error {
	if err := b.chain.VerifySignature(round, sig); err != nil {
		return err
	}
	b.sigs.Put(round, sig)
	return nil
}

// Chain implements Beacon.
func (b *FixedBeacon) Chain() Chain { return b.chain }

// Signature implements Beacon.
func (b *FixedBeacon) Signature(ctx context.Context, round uint64) ([]byte, error) {
	if sig, ok := b.sigs.Get(round); ok {
		return sig, nil
	}
	if t := b.chain.TimeOf(round); b.now().Before(t) {
		return nil, fmt.Errorf("%w: round %d is at %s", ErrTooEarly, round, t.Format(time.RFC3339))
	}
	return nil, fmt.Errorf("timelock: fixed beacon holds no signature for round %d", round)
}
