package sealer_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/timelock"
)

// TestCheckPublished checks that a published time lock is accepted only
// on the pinned chain, at RoundAt(opening), with the opening not before
// the deadline and the round still in the future.
func TestCheckPublished(t *testing.T) {
	c := timelock.Quicknet
	opening := time.Date(2031, 4, 1, 3, 0, 0, 0, time.UTC)
	round := c.RoundAt(opening)
	now := opening.Add(-24 * time.Hour)
	honest := sealer.Published{Tender: "T-1", Chain: c.HashHex(), Round: round, Deadline: opening.Add(-time.Hour), Opening: opening}
	if err := sealer.CheckPublished(c, honest, now); err != nil {
		t.Fatalf("honest tender refused: %v", err)
	}
	// An opening at the deadline itself is allowed: its round is published
	// at or after it.
	atDeadline := honest
	atDeadline.Deadline = opening
	if err := sealer.CheckPublished(c, atDeadline, now); err != nil {
		t.Errorf("opening at the deadline refused: %v", err)
	}

	other := strings.Repeat("ab", 32)
	u := strconv.FormatUint
	for _, tt := range []struct {
		name   string
		change func(*sealer.Published)
		now    time.Time
		chain  bool // wraps timelock.ErrWrongChain
		want   []string
	}{
		{"another chain", func(p *sealer.Published) { p.Chain = other }, now, true,
			[]string{"tender T-1 names beacon chain \"" + other + "\"", "pinned to " + timelock.QuicknetHash + " (quicknet)"}},
		{"chain in upper case", func(p *sealer.Published) { p.Chain = strings.ToUpper(p.Chain) }, now, true, []string{"names beacon chain"}},
		{"opening before deadline", func(p *sealer.Published) { p.Deadline = opening.Add(time.Second) }, now, false,
			[]string{"opens at 2031-04-01T03:00:00Z, before its deadline 2031-04-01T03:00:01Z"}},
		{"round 1", func(p *sealer.Published) { p.Round = 1 }, now, false,
			[]string{"names round 1, published at " + c.Genesis().Format(time.RFC3339), "is " + u(round, 10) + " (RoundAt(opening))"}},
		{"a round early", func(p *sealer.Published) { p.Round-- }, now, false,
			[]string{"names round " + u(round-1, 10), "at or after its opening 2031-04-01T03:00:00Z is " + u(round, 10)}},
		{"a round late", func(p *sealer.Published) { p.Round++ }, now, false, []string{"names round " + u(round+1, 10)}},
		{"tle's floor", func(p *sealer.Published) { p.Opening = p.Opening.Add(time.Second); p.Round = c.CurrentRound(p.Opening) }, now, false,
			[]string{"RoundAt(opening)"}},
		{"round published", func(*sealer.Published) {}, c.TimeOf(round), false,
			[]string{"opens at round " + u(round, 10), "already past at " + opening.Format(time.RFC3339), "opened at once"}},
	} {
		p := honest
		tt.change(&p)
		err := sealer.CheckPublished(c, p, tt.now)
		var ue *sealer.UnsafeTargetError
		if !errors.Is(err, sealer.ErrUnsafeTarget) || !errors.As(err, &ue) {
			t.Errorf("%s: CheckPublished = %v, want an *UnsafeTargetError", tt.name, err)
			continue
		}
		if got := errors.Is(err, timelock.ErrWrongChain); got != tt.chain {
			t.Errorf("%s: errors.Is(err, timelock.ErrWrongChain) = %v, want %v", tt.name, got, tt.chain)
		}
		if ue.Tender != "T-1" || !strings.HasPrefix(err.Error(), "sealer: refusing to seal to this tender: tender T-1 "+ue.Reason) {
			t.Errorf("%s: %q does not name the tender before its reason %q", tt.name, err, ue.Reason)
		}
		for _, s := range tt.want {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: %v\ndoes not say %q", tt.name, err, s)
			}
		}
	}
}
