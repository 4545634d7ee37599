package timelock_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/timelock"
)

// A document locked to a round opens only once the round's beacon
// signature exists. Here a local beacon with a controlled clock stands in
// for drand; with quicknet, use timelock.Quicknet and a beaconhttp.Beacon.
func Example() {
	key, _ := timelock.GenerateLocalKey()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	beacon, _ := timelock.NewLocalBeacon(timelock.LocalConfig{
		Key: key, Genesis: now, Period: time.Second,
		Now: func() time.Time { return now },
	})
	chain := beacon.Chain()

	opening := now.Add(10 * time.Minute)
	round := chain.RoundAt(opening)
	rcpt, _ := timelock.NewRecipient(chain, round)
	var sealed bytes.Buffer
	w, _ := age.Encrypt(&sealed, rcpt)
	io.WriteString(w, "harga penawaran: Rp 1.250.000.000")
	w.Close()

	_, err := timelock.Open(context.Background(), bytes.NewReader(sealed.Bytes()), beacon)
	fmt.Println("before opening:", errors.Is(err, timelock.ErrTooEarly))

	now = opening
	r, err := timelock.Open(context.Background(), bytes.NewReader(sealed.Bytes()), beacon)
	if err != nil {
		panic(err)
	}
	doc, _ := io.ReadAll(r)
	fmt.Println("at opening:", string(doc))
	// Output:
	// before opening: true
	// at opening: harga penawaran: Rp 1.250.000.000
}

// RoundAt gives the first round published at or after a time, so a file
// never opens before it; drand's tle uses CurrentRound, up to a period
// earlier.
func ExampleChain_RoundAt() {
	opening := time.Date(2026, 12, 1, 10, 0, 1, 0, time.UTC)
	r := timelock.Quicknet.RoundAt(opening)
	fmt.Println(r, timelock.Quicknet.TimeOf(r).Format(time.RFC3339))
	c := timelock.Quicknet.CurrentRound(opening)
	fmt.Println(c, timelock.Quicknet.TimeOf(c).Format(time.RFC3339))
	// Output:
	// 34438613 2026-12-01T10:00:03Z
	// 34438612 2026-12-01T10:00:00Z
}

// NewIdentity verifies a published signature before it is used to open.
func ExampleNewIdentity() {
	sig, _ := hex.DecodeString("929906c959032ab363c9f26570d215d66f5c06cb0c44fe508c12bb5839f04ec895bb6868e5b9ff13ab289bdb5266b394")
	_, err := timelock.NewIdentity(timelock.Quicknet, 12040883, sig)
	fmt.Println(err)
	_, err = timelock.NewIdentity(timelock.Quicknet, 12040884, sig)
	fmt.Println(errors.Is(err, timelock.ErrBadSignature))
	// Output:
	// <nil>
	// true
}
