package sealer_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/timelock"
)

// A bidder seals an offer to the tender's opening round and committee
// key; the server inspects it without any secret; at the opening round the
// committee opens it.
func Example() {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	key, _ := timelock.GenerateLocalKey()
	beacon, _ := timelock.NewLocalBeacon(timelock.LocalConfig{
		Key: key, Genesis: now.Add(-time.Hour), Period: 30 * time.Second,
		Now: func() time.Time { return now },
	})
	committee, _ := age.GenerateHybridIdentity()
	opening := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	target := sealer.Target{
		Chain:     beacon.Chain(),
		Round:     beacon.Chain().RoundAt(opening),
		Committee: committee.Recipient(),
	}

	// Bidder.
	var offer bytes.Buffer
	if _, err := sealer.Seal(&offer, strings.NewReader("harga penawaran: Rp 980.000.000"), target); err != nil {
		panic(err)
	}

	// Server, at submission.
	h, err := sealer.Inspect(bytes.NewReader(offer.Bytes()), beacon.Chain())
	fmt.Println("inspect:", err, target.Check(h))

	// Committee, too early and then at the opening time.
	_, err = sealer.Open(context.Background(), bytes.NewReader(offer.Bytes()), beacon, committee)
	fmt.Println("before opening:", errors.Is(err, timelock.ErrTooEarly))
	now = opening
	r, err := sealer.Open(context.Background(), bytes.NewReader(offer.Bytes()), beacon, committee)
	if err != nil {
		panic(err)
	}
	doc, _ := io.ReadAll(r)
	fmt.Println("at opening:", string(doc))
	// Output:
	// inspect: <nil> <nil>
	// before opening: true
	// at opening: harga penawaran: Rp 980.000.000
}
