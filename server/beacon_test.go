package server_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/segel-lpse/segel/timelock"
	"github.com/segel-lpse/segel/timelock/beaconhttp"
)

// TestBeaconRoute checks that a deployment with a local beacon serves it
// under /beacon/ in drand's HTTP API: its chain info is the deployment's
// chain, and a drand client pinned to that chain gets verified signatures.
func TestBeaconRoute(t *testing.T) {
	s := build(t, mustEmbedded(t))
	ts := serve(t, s)
	chain := s.Beacon.Chain()

	resp, err := http.Get(ts.URL + "/beacon/info")
	if err != nil {
		t.Fatal(err)
	}
	info, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if c, err := timelock.ParseChainInfo(info); err != nil || !c.Equal(chain) {
		t.Fatalf("/beacon/info = %s (%v), want the deployment's chain %s", info, err, chain.HashHex())
	}

	b, err := beaconhttp.New(chain, beaconhttp.Config{URLs: []string{ts.URL + "/beacon"}})
	if err != nil {
		t.Fatal(err)
	}
	round := chain.CurrentRound(time.Now())
	sig, err := b.Signature(context.Background(), round)
	if err != nil {
		t.Fatalf("round %d through /beacon/: %v", round, err)
	}
	if err := chain.VerifySignature(round, sig); err != nil {
		t.Fatal(err)
	}
	// A client whose clock runs ahead asks; the server refuses.
	fast, err := beaconhttp.New(chain, beaconhttp.Config{
		URLs: []string{ts.URL + "/beacon"},
		Now:  func() time.Time { return time.Now().Add(2 * time.Hour) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fast.Signature(context.Background(), round+3600); !errors.Is(err, timelock.ErrTooEarly) {
		t.Errorf("round %d, an hour ahead: err = %v, want ErrTooEarly", round+3600, err)
	}
}
