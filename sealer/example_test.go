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

// A bidder seals an offer to a committee of five members, any three of
// whom open it; the server inspects it at submission; after the round,
// four members' tools each compute a contribution from their own keys
// (the fifth is absent), and the server opens the offer with them.
func Example_committee() {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	key, _ := timelock.GenerateLocalKey()
	beacon, _ := timelock.NewLocalBeacon(timelock.LocalConfig{
		Key: key, Genesis: now.Add(-time.Hour), Period: 30 * time.Second,
		Now: func() time.Time { return now },
	})
	// Each member keeps its own key; the committee is their public keys.
	var keys []*age.HybridIdentity
	var recipients []*age.HybridRecipient
	for range 5 {
		k, _ := age.GenerateHybridIdentity()
		keys, recipients = append(keys, k), append(recipients, k.Recipient())
	}
	committee, _ := sealer.NewCommittee(3, recipients)
	opening := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	target := sealer.Target{
		Chain:   beacon.Chain(),
		Round:   beacon.Chain().RoundAt(opening),
		Members: committee,
		Tender:  "T-20261201-ABCD2345",
		Bidder:  "penyedia-7",
		File:    1,
	}

	// Bidder.
	var offer bytes.Buffer
	if _, err := sealer.Seal(&offer, strings.NewReader("harga penawaran: Rp 980.000.000"), target); err != nil {
		panic(err)
	}

	// Server, at submission: the header, its size, the target.
	h, err := sealer.Inspect(bytes.NewReader(offer.Bytes()), beacon.Chain())
	fmt.Println("inspect:", err, target.Check(h))

	// Members, each on its own device, after the opening time.
	now = opening
	var contributions []sealer.Contribution
	for _, k := range keys[:4] {
		c, err := sealer.Contribute(h, committee, k)
		if err != nil {
			panic(err)
		}
		contributions = append(contributions, c)
	}

	// Server: the round's signature and the contributions.
	sig, _ := beacon.Signature(context.Background(), target.Round)
	opener, _ := sealer.NewOpener(beacon.Chain(), target.Round, sig)
	r, tally, err := opener.Open(bytes.NewReader(offer.Bytes()), int64(offer.Len()), target, contributions)
	if err != nil {
		panic(err)
	}
	doc, _ := io.ReadAll(r)
	fmt.Println("contributions authenticated:", len(tally.Authenticated), "of", tally.Threshold, "needed")
	fmt.Println("at opening:", string(doc))
	// Output:
	// inspect: <nil> <nil>
	// contributions authenticated: 4 of 3 needed
	// at opening: harga penawaran: Rp 980.000.000
}

// A version 2 header commits to the file's size: a server that stored an
// upload checks the size it stored, and a file cut short gets no receipt.
func ExampleHeader_CheckSize() {
	key, _ := timelock.GenerateLocalKey()
	beacon, _ := timelock.NewLocalBeacon(timelock.LocalConfig{Key: key, Genesis: time.Unix(1_760_000_000, 0), Period: 3 * time.Second})
	member, _ := age.GenerateHybridIdentity()
	committee, _ := sealer.NewCommittee(1, []*age.HybridRecipient{member.Recipient()})
	target := sealer.Target{Chain: beacon.Chain(), Round: 100, Members: committee, Tender: "T-1", Bidder: "penyedia-7", File: 1}
	var offer bytes.Buffer
	sealer.Seal(&offer, bytes.NewReader(make([]byte, 1000)), target)

	// The upload arrives as a stream (Inspect cannot measure it) and has
	// lost its last 100 bytes on the way; the server stores what came.
	upload := io.MultiReader(bytes.NewReader(offer.Bytes()[:offer.Len()-100]))
	var stored bytes.Buffer
	h, err := sealer.Inspect(io.TeeReader(upload, &stored), beacon.Chain())
	fmt.Println("inspect:", err)
	io.Copy(&stored, upload)
	err = h.CheckSize(int64(stored.Len()))
	fmt.Println(errors.Is(err, sealer.ErrMalformed), strings.Contains(err.Error(), "it was cut short (100 bytes missing), in upload or in copy"))
	// Output:
	// inspect: <nil>
	// true true
}

// The server checks each contribution as it arrives: one that does not
// open its member's share is the member's fault.
func ExampleCheckContribution() {
	key, _ := timelock.GenerateLocalKey()
	beacon, _ := timelock.NewLocalBeacon(timelock.LocalConfig{Key: key, Genesis: time.Unix(1_760_000_000, 0), Period: 3 * time.Second})
	a, _ := age.GenerateHybridIdentity()
	b, _ := age.GenerateHybridIdentity()
	committee, _ := sealer.NewCommittee(2, []*age.HybridRecipient{a.Recipient(), b.Recipient()})
	target := sealer.Target{Chain: beacon.Chain(), Round: 100, Members: committee, Tender: "T-1", Bidder: "penyedia-7", File: 1}
	var offer bytes.Buffer
	sealer.Seal(&offer, strings.NewReader("penawaran"), target)
	h, _ := sealer.Inspect(bytes.NewReader(offer.Bytes()), beacon.Chain())

	c, _ := sealer.Contribute(h, committee, a)
	fmt.Println(sealer.CheckContribution(h, c))
	c.Key[0] ^= 1
	fmt.Println(errors.Is(sealer.CheckContribution(h, c), sealer.ErrBadContribution))
	// Output:
	// <nil>
	// true
}
