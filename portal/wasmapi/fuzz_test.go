package wasmapi_test

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"testing"
	"time"

	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/portal/wasmapi"
	"github.com/segel-lpse/segel/timelock"
)

// FuzzParseTarget checks that ParseTarget never panics, and that a target
// it accepts converts back to JSON that parses to the same target.
func FuzzParseTarget(f *testing.F) {
	f.Add([]byte(`{"chain":` + string(timelock.Quicknet.MarshalInfo()) + `,"round":5,"committee_key":"age1pq1"}`))
	f.Add([]byte(`{"chain":{},"round":1,"committee_key":""}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := wasmapi.ParseTarget(b)
		if err != nil {
			return
		}
		again, _ := json.Marshal(wasmapi.Target{Chain: st.Chain.MarshalInfo(), Round: st.Round, CommitteeKey: st.Committee.String()})
		st2, err := wasmapi.ParseTarget(again)
		if err != nil || !st2.Chain.Equal(st.Chain) || st2.Round != st.Round || st2.Committee.String() != st.Committee.String() {
			t.Fatalf("accepted %q, but its JSON %q parses to %+v, %v", b, again, st2, err)
		}
	})
}

// FuzzCheckTender checks that no tender JSON makes CheckTender panic, and
// that an accepted tender is on the pinned chain and opens in the future.
func FuzzCheckTender(f *testing.F) {
	opening := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	good, _ := json.Marshal(map[string]any{
		"id": "T-1", "chain": timelock.QuicknetHash, "round": timelock.Quicknet.RoundAt(opening),
		"committee_key": "age1pq1", "schedule": map[string]any{"deadline": opening, "opening": opening},
	})
	f.Add(good)
	f.Add([]byte(`{"id":"T","round":18446744073709551615}`))
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := wasmapi.CheckTender(timelock.Quicknet.MarshalInfo(), b, now)
		if err != nil {
			return
		}
		if !c.Opens.After(now) || !bytes.Equal(c.Target.Chain, timelock.Quicknet.MarshalInfo()) {
			t.Fatalf("accepted %q as %+v", b, c)
		}
	})
}

// FuzzTarFS checks that no archive makes TarFS, or audit's reader over
// what it returns, panic, and that an accepted archive's files can all be
// read.
func FuzzTarFS(f *testing.F) {
	f.Add(makeTar(f, []tarEntry{{tarHeader("bundle.txt"), "segel-audit-bundle/v1\ntender T-1\n"}, {tarHeader("checkpoints/1.txt"), "c"}}))
	f.Add(makeTar(f, []tarEntry{{tarHeader("b/bundle.txt"), "x"}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		fsys, err := wasmapi.TarFS(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				_, err = fs.ReadFile(fsys, p)
			}
			return err
		})
		if err != nil {
			t.Fatalf("accepted archive, but: %v", err)
		}
		audit.ReadFS(fsys)
	})
}
