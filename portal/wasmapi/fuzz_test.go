package wasmapi_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/portal/wasmapi"
	"github.com/segel-lpse/segel/timelock"
	"golang.org/x/mod/sumdb/note"
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
		again, _ := json.Marshal(wasmapi.MarshalTarget(st))
		st2, err := wasmapi.ParseTarget(again)
		same := err == nil && st2.Chain.Equal(st.Chain) && st2.Round == st.Round &&
			st2.Tender == st.Tender && st2.Bidder == st.Bidder && st2.File == st.File
		switch {
		case same && st.Members != nil:
			same = st2.Members != nil && st2.Members.ID() == st.Members.ID()
		case same:
			same = st2.Committee.String() == st.Committee.String()
		}
		if !same {
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

// FuzzParseKeyFile checks that no key file makes ParseKeyFile panic, and
// that an accepted one holds a key whose recipient is a committee
// member's kind (age1pq1…).
func FuzzParseKeyFile(f *testing.F) {
	kf, _ := wasmapi.GenerateKey(time.Unix(0, 0))
	f.Add([]byte(kf.File))
	f.Add([]byte("# comment\nAGE-SECRET-KEY-PQ-1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		id, err := wasmapi.ParseKeyFile(b)
		if err != nil {
			return
		}
		if r := id.Recipient().String(); !strings.HasPrefix(r, "age1pq1") {
			t.Fatalf("accepted %q, whose recipient is %s", b, r)
		}
	})
}

// FuzzCheckFile checks that no tender JSON makes CheckFile panic, and that
// an accepted file part's target is on the pinned chain, for the bidder
// and part asked, opening in the future, and parses back.
func FuzzCheckFile(f *testing.F) {
	f.Add([]byte(`{"id":"T-1","method":"two-file","chain":"`+timelock.QuicknetHash+`","parts":[{"file":1,"round":1}]}`), 1)
	f.Add([]byte(`{"id":"T-1","method":"two-file","parts":[{"file":1},{"file":2,"state":"scheduled"}]}`), 2)
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, b []byte, file int) {
		c, err := wasmapi.CheckFile(timelock.Quicknet.MarshalInfo(), b, "u-bidder", file, now)
		if err != nil {
			return
		}
		if !c.Opens.After(now) || c.Target.Bidder != "u-bidder" || c.Target.File != file || !bytes.Equal(c.Target.Chain, timelock.Quicknet.MarshalInfo()) {
			t.Fatalf("accepted %q as %+v", b, c)
		}
		tb, _ := json.Marshal(c.Target)
		if _, err := wasmapi.ParseTarget(tb); err != nil {
			t.Fatalf("accepted %q, but its target does not parse: %v", b, err)
		}
	})
}

// FuzzContribute checks that no evidence makes Contribute panic: a
// hostile server's answer is refused, never a crash of the page.
func FuzzContribute(f *testing.F) {
	kf, _ := wasmapi.GenerateKey(time.Unix(0, 0))
	keys := fuzzKeys(f)
	f.Add([]byte(`{"tender":"T-1","file":1,"checkpoint":"lpse.test/log\n1\nAAAA\n","entries":[{"index":0,"data":"x\n","inclusion":[]}],"headers":[]}`))
	f.Add([]byte(`{"tender":"T-1","file":1,"headers":[{"bidder":"u-1","file":1,"index":0,"header":"age-encryption.org/v1\n"}]}`))
	f.Fuzz(func(t *testing.T, ev []byte) {
		if c, err := wasmapi.Contribute(ev, keys, timelock.Quicknet.MarshalInfo(), "T-1", 1, []byte(kf.File), nil); err == nil {
			t.Fatalf("unsigned evidence %q accepted: %+v", ev, c)
		}
	})
}

func fuzzKeys(f *testing.F) []byte {
	var vkeys [3]string
	for i, name := range []string{"lpse.test/log", "lpse.test/receipt", "lpse.test/report"} {
		_, v, err := note.GenerateKey(rand.Reader, name)
		if err != nil {
			f.Fatal(err)
		}
		vkeys[i] = v
	}
	tr, err := audit.NewTrusted(vkeys[0], vkeys[1], vkeys[2], timelock.QuicknetHash)
	if err != nil {
		f.Fatal(err)
	}
	b, _ := tr.Marshal()
	return b
}
