package wasmapi_test

import (
	"encoding/json"
	"fmt"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/portal/wasmapi"
	"github.com/segel-lpse/segel/timelock"
)

func ExampleCheckTender() {
	committee, _ := age.GenerateHybridIdentity()
	opening := time.Date(2031, 4, 1, 3, 0, 0, 0, time.UTC)
	// The tender as the server describes it, whose round the page does
	// not take on trust.
	tender, _ := json.Marshal(map[string]any{
		"id": "T-1", "chain": timelock.QuicknetHash, "round": 12345,
		"committee_key": committee.Recipient().String(),
		"schedule":      map[string]any{"deadline": opening.Add(-time.Hour), "opening": opening},
	})
	now := time.Date(2031, 3, 1, 0, 0, 0, 0, time.UTC)
	_, err := wasmapi.CheckTender(timelock.Quicknet.MarshalInfo(), tender, now)
	fmt.Println(wasmapi.Code(err))

	// With the round of the tender's own opening time, on the pinned chain.
	tender, _ = json.Marshal(map[string]any{
		"id": "T-1", "chain": timelock.QuicknetHash, "round": timelock.Quicknet.RoundAt(opening),
		"committee_key": committee.Recipient().String(),
		"schedule":      map[string]any{"deadline": opening.Add(-time.Hour), "opening": opening},
	})
	c, err := wasmapi.CheckTender(timelock.Quicknet.MarshalInfo(), tender, now)
	fmt.Println(err, c.Target.Round, c.Opens)
	// Output:
	// unsafe-target
	// <nil> 79991812 2031-04-01 03:00:00 +0000 UTC
}

func ExampleDocumentSize() {
	// A payload is a 16-byte nonce and 64 KiB chunks, each with a 16-byte
	// tag. 1 to 16 bytes past a full chunk cannot be: a cut tag, or an
	// empty last chunk, which age writes only for an empty document.
	for _, p := range []int64{32, 33, 65568, 65569, 65600} {
		n, ok := wasmapi.DocumentSize(p)
		fmt.Println(p, n, ok, wasmapi.PayloadSize(n) == p)
	}
	// Output:
	// 32 0 true true
	// 33 1 true true
	// 65568 65536 true true
	// 65569 0 false false
	// 65600 65552 true true
}
