package beaconhttp_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/segel-lpse/segel/timelock"
	"github.com/segel-lpse/segel/timelock/beaconhttp"
)

// A local beacon served over drand's HTTP API, and a client of it pinned
// to the local chain. With drand itself, pin timelock.Quicknet and use
// https://api.drand.sh as the relay.
func Example() {
	key, _ := timelock.GenerateLocalKey()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	local, _ := timelock.NewLocalBeacon(timelock.LocalConfig{
		Key: key, Genesis: now, Period: time.Second,
		Now: func() time.Time { return now },
	})
	relay := httptest.NewServer(beaconhttp.Handler(local))
	defer relay.Close()

	b, _ := beaconhttp.New(local.Chain(), beaconhttp.Config{URLs: []string{relay.URL}})
	round := local.Chain().RoundAt(now.Add(time.Minute))
	_, err := b.Signature(context.Background(), round)
	fmt.Println("before the round:", errors.Is(err, timelock.ErrTooEarly))

	now = now.Add(time.Minute)
	sig, err := b.Signature(context.Background(), round)
	fmt.Println("at the round:", err == nil && local.Chain().VerifySignature(round, sig) == nil)
	// Output:
	// before the round: true
	// at the round: true
}
