package tender

import (
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/segel-lpse/segel/timelock"
	"github.com/segel-lpse/segel/timelock/beaconhttp"
	"github.com/segel-lpse/segel/vault"
)

// TestFastClockCannotOpenEarly runs the engine with a clock two hours
// ahead of the beacon's, behind drand's HTTP API: the engine closes
// submission by its own clock, but the opening is refused until the
// beacon publishes the round — the clock decides acceptance only, never
// confidentiality.
func TestFastClockCannotOpenEarly(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) vault.Backend) {
		e := newEnv(t, open(t))
		tn := runTender(t, e, 3, nil)

		// The beacon's own clock stands at the deadline; the engine's runs
		// two hours ahead, past the opening round.
		beaconNow := tn.Schedule.Deadline
		relay := httptest.NewServer(beaconhttp.Handler(e.beacon))
		defer relay.Close()
		e.set(beaconNow) // the local beacon behind the relay reads e.clock
		fast := func() time.Time { return beaconNow.Add(2 * time.Hour) }
		hb, err := beaconhttp.New(e.beacon.Chain(), beaconhttp.Config{URLs: []string{relay.URL}, Now: fast})
		if err != nil {
			t.Fatal(err)
		}
		e.engine.cfg.Beacon = hb
		e.engine.now = fast

		if _, err := e.engine.Open(e.ctx, "pokja-1", tn.ID, Ceremony{Committee: e.committee, Witnesses: []string{"pokja-1"}}); !errors.Is(err, timelock.ErrTooEarly) {
			t.Fatalf("Open with a fast engine clock: err = %v, want ErrTooEarly", err)
		}
		got, _ := e.engine.Get(e.ctx, tn.ID)
		if got.State != StateClosed {
			t.Errorf("state %s, want closed (by the engine's clock) and not opened", got.State)
		}
		// Once the beacon reaches the round, the same engine opens.
		e.set(e.beacon.Chain().TimeOf(tn.Round))
		op, err := e.engine.Open(e.ctx, "pokja-1", tn.ID, Ceremony{Committee: e.committee, Witnesses: []string{"pokja-1"}})
		if err != nil || len(op.Witness) != 0 {
			t.Fatalf("Open at the round: %v", err)
		}
	})
}
