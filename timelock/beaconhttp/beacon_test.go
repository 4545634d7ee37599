package beaconhttp_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/timelock"
	"github.com/segel-lpse/segel/timelock/beaconhttp"
)

// testClock is a settable clock for beacons.
type testClock struct{ t time.Time }

func (c *testClock) now() time.Time { return c.t }

// newTestBeacon returns a local beacon with a 3 s period and its clock,
// set just before round 10.
func newTestBeacon(t testing.TB) (*timelock.LocalBeacon, *testClock) {
	t.Helper()
	key, err := timelock.GenerateLocalKey()
	if err != nil {
		t.Fatal(err)
	}
	clock := &testClock{}
	b, err := timelock.NewLocalBeacon(timelock.LocalConfig{Key: key, Genesis: time.Unix(1_750_000_000, 0), Period: 3 * time.Second, Now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	clock.t = b.Chain().TimeOf(10).Add(-time.Second)
	return b, clock
}

func seal(t testing.TB, c timelock.Chain, round uint64, msg []byte) []byte {
	t.Helper()
	r, err := timelock.NewRecipient(c, round)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(msg); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestBeaconAgainstHandler(t *testing.T) {
	b, clock := newTestBeacon(t)
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		beaconhttp.Handler(b).ServeHTTP(w, r)
	}))
	defer srv.Close()

	// The client's clock is ahead of the beacon's: it asks, and the
	// beacon's refusal still makes it timelock.ErrTooEarly.
	hb, err := beaconhttp.New(b.Chain(), beaconhttp.Config{URLs: []string{srv.URL}, Now: func() time.Time { return b.Chain().TimeOf(100) }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := hb.Signature(ctx, 10); !errors.Is(err, timelock.ErrTooEarly) {
		t.Fatalf("Signature(10) before round 10: err = %v, want timelock.ErrTooEarly", err)
	}
	clock.t = b.Chain().TimeOf(10)
	file := seal(t, b.Chain(), 10, []byte("offer"))
	r, err := timelock.Open(ctx, bytes.NewReader(file), hb)
	if err != nil {
		t.Fatalf("Open via HTTP: %v", err)
	}
	if got, _ := io.ReadAll(r); string(got) != "offer" {
		t.Errorf("got %q", got)
	}
	n := hits.Load()
	if _, err := hb.Signature(ctx, 10); err != nil {
		t.Fatal(err)
	}
	if hits.Load() != n {
		t.Errorf("a verified signature was fetched again instead of cached")
	}

	// /info round-trips through ParseChainInfo to the same chain.
	resp, err := http.Get(srv.URL + "/info")
	if err != nil {
		t.Fatal(err)
	}
	info, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if c, err := timelock.ParseChainInfo(info); err != nil || !c.Equal(b.Chain()) {
		t.Errorf("/info: %v, %v", c, err)
	}
	// /public/latest answers the newest round.
	resp, err = http.Get(srv.URL + "/" + b.Chain().HashHex() + "/public/latest")
	if err != nil {
		t.Fatal(err)
	}
	latest, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(latest), `"round":10,`) {
		t.Errorf("/public/latest = %s, want round 10", latest)
	}
}

// TestBeaconBadRelay checks that a relay serving a wrong signature is
// skipped for an honest one, and that with no honest relay nothing is
// returned.
func TestBeaconBadRelay(t *testing.T) {
	b, clock := newTestBeacon(t)
	clock.t = b.Chain().TimeOf(50)
	other, otherClock := newTestBeacon(t) // another key
	otherClock.t = clock.t
	roundOf := func(r *http.Request) uint64 {
		n, err := timelock.ParseRound(r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:])
		if err != nil {
			t.Errorf("bad request path %q", r.URL.Path)
		}
		return n
	}
	// liar signs the asked round with another key.
	liar := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := roundOf(r)
		sig, _ := other.Signature(r.Context(), n)
		fmt.Fprintf(w, `{"round":%d,"signature":"%x"}`, n, sig)
	}))
	defer liar.Close()
	// wrongRound answers with the next round's (valid) signature.
	wrongRound := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := roundOf(r)
		sig, _ := b.Signature(r.Context(), n+1)
		fmt.Fprintf(w, `{"round":%d,"signature":"%x"}`, n, sig)
	}))
	defer wrongRound.Close()
	honest := httptest.NewServer(beaconhttp.Handler(b))
	defer honest.Close()

	hb, err := beaconhttp.New(b.Chain(), beaconhttp.Config{URLs: []string{liar.URL, wrongRound.URL, honest.URL}})
	if err != nil {
		t.Fatal(err)
	}
	// Successive calls start at successive relays; each must end at the
	// honest one.
	for round := uint64(5); round < 8; round++ {
		sig, err := hb.Signature(context.Background(), round)
		if err != nil {
			t.Fatalf("round %d with one honest relay: %v", round, err)
		}
		if err := b.Chain().VerifySignature(round, sig); err != nil {
			t.Fatal(err)
		}
	}
	hb, err = beaconhttp.New(b.Chain(), beaconhttp.Config{URLs: []string{liar.URL, wrongRound.URL}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = hb.Signature(context.Background(), 5)
	if err == nil || !errors.Is(err, timelock.ErrBadSignature) {
		t.Fatalf("with only lying relays: err = %v, want one wrapping timelock.ErrBadSignature", err)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	if _, err := beaconhttp.New(timelock.Quicknet, beaconhttp.Config{}); err == nil {
		t.Error("no URLs accepted")
	}
	if _, err := beaconhttp.New(timelock.Quicknet, beaconhttp.Config{URLs: []string{"ftp://x"}}); err == nil {
		t.Error("ftp URL accepted")
	}
	if _, err := beaconhttp.New(timelock.Chain{}, beaconhttp.Config{URLs: []string{"https://x"}}); err == nil {
		t.Error("zero chain accepted")
	}
}
