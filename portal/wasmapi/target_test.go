package wasmapi_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/portal/wasmapi"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/timelock"
)

// world is a chain with its beacon, whose clock the test sets, and a
// committee.
type world struct {
	beacon    *timelock.LocalBeacon
	clock     time.Time
	committee *age.HybridIdentity
}

func newWorld(t testing.TB) *world {
	t.Helper()
	key, err := timelock.GenerateLocalKey()
	if err != nil {
		t.Fatal(err)
	}
	w := &world{clock: time.Now()}
	w.beacon, err = timelock.NewLocalBeacon(timelock.LocalConfig{
		Key: key, Genesis: time.Unix(1_760_000_000, 0), Period: 3 * time.Second,
		Now: func() time.Time { return w.clock },
	})
	if err != nil {
		t.Fatal(err)
	}
	if w.committee, err = age.GenerateHybridIdentity(); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) chain() timelock.Chain { return w.beacon.Chain() }

// tenderJSON is a tender as the server describes it, opening in a day.
func (w *world) tenderJSON(change func(map[string]any)) []byte {
	opening := time.Now().UTC().Truncate(time.Second).Add(24 * time.Hour)
	m := map[string]any{
		"id": "T-7", "title": "Jalan desa", "state": "announced",
		"chain": w.chain().HashHex(), "round": w.chain().RoundAt(opening),
		"committee_key": w.committee.Recipient().String(), "committee_key_id": sealer.KeyID(w.committee.Recipient()),
		// Today's server spells the schedule's fields as Go does.
		"schedule": map[string]any{"Deadline": opening.Add(-time.Hour), "Opening": opening, "SubmissionStart": opening.Add(-48 * time.Hour)},
	}
	if change != nil {
		change(m)
	}
	b, _ := json.Marshal(m)
	return b
}

func TestCheckTender(t *testing.T) {
	w := newWorld(t)
	pinned := w.chain().MarshalInfo()
	// One tender: two calls of tenderJSON a second apart may name two rounds.
	tj := w.tenderJSON(nil)
	c, err := wasmapi.CheckTender(pinned, tj, time.Now())
	if err != nil {
		t.Fatalf("honest tender refused: %v", err)
	}
	var tn map[string]any
	json.Unmarshal(tj, &tn)
	if c.Tender != "T-7" || c.Target.Round != uint64(tn["round"].(float64)) || c.CommitteeKeyID != sealer.KeyID(w.committee.Recipient()) ||
		!c.Opens.Equal(w.chain().TimeOf(c.Target.Round)) {
		t.Errorf("CheckTender = %+v", c)
	}
	// The target it returns is what Seal takes, on the pinned chain.
	b, _ := json.Marshal(c.Target)
	st, err := wasmapi.ParseTarget(b)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Chain.Equal(w.chain()) || st.Round != c.Target.Round || st.Committee.String() != w.committee.Recipient().String() {
		t.Errorf("ParseTarget(CheckTender's target) = %+v", st)
	}
	// Lower-case schedule fields (the typed API's spelling) decode too.
	lower := w.tenderJSON(func(m map[string]any) {
		s := m["schedule"].(map[string]any)
		m["schedule"] = map[string]any{"deadline": s["Deadline"], "opening": s["Opening"]}
	})
	if _, err := wasmapi.CheckTender(pinned, lower, time.Now()); err != nil {
		t.Errorf("lower-case schedule refused: %v", err)
	}

	other := newWorld(t)
	for _, tt := range []struct {
		name   string
		pinned []byte
		change func(map[string]any)
		code   string
		want   string
	}{
		{"another chain", pinned, func(m map[string]any) { m["chain"] = other.chain().HashHex() }, "unsafe-target",
			"names beacon chain \"" + other.chain().HashHex() + "\", but this client is pinned to " + w.chain().HashHex()},
		{"pinned to quicknet", timelock.Quicknet.MarshalInfo(), nil, "unsafe-target", "pinned to " + timelock.QuicknetHash + " (quicknet)"},
		{"a round early", pinned, func(m map[string]any) { m["round"] = m["round"].(uint64) - 1 }, "unsafe-target", "(RoundAt(opening))"},
		{"opening before deadline", pinned, func(m map[string]any) {
			s := m["schedule"].(map[string]any)
			s["Deadline"] = s["Opening"].(time.Time).Add(time.Minute)
		}, "unsafe-target", "before its deadline"},
		{"round already published", pinned, func(m map[string]any) {
			past := time.Now().Add(-time.Hour).Truncate(time.Second)
			m["schedule"] = map[string]any{"Deadline": past, "Opening": past}
			m["round"] = w.chain().RoundAt(past)
		}, "unsafe-target", "already past"},
		{"no committee key", pinned, func(m map[string]any) { delete(m, "committee_key") }, "input", "committee_key are required"},
		{"bad committee key", pinned, func(m map[string]any) { m["committee_key"] = "age1xyz" }, "input", "committee key"},
		{"no schedule", pinned, func(m map[string]any) { delete(m, "schedule") }, "input", "schedule.deadline and schedule.opening are required"},
		{"no id", pinned, func(m map[string]any) { delete(m, "id") }, "input", "no id"},
		{"pinned chain not JSON", []byte("quicknet"), nil, "input", "pinned chain"},
	} {
		_, err := wasmapi.CheckTender(tt.pinned, w.tenderJSON(tt.change), time.Now())
		if err == nil || wasmapi.Code(err) != tt.code || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: CheckTender = %v (code %q), want code %q saying %q", tt.name, err, wasmapi.Code(err), tt.code, tt.want)
		}
	}
	if _, err := wasmapi.CheckTender(pinned, []byte(strings.Repeat(" ", wasmapi.MaxTenderSize+1)), time.Now()); !errors.Is(err, wasmapi.ErrInput) {
		t.Errorf("oversized tender: %v, want ErrInput", err)
	}
}

func TestParseTargetRefuses(t *testing.T) {
	w := newWorld(t)
	good := fmt.Sprintf(`{"chain":%s,"round":5,"committee_key":%q}`, w.chain().MarshalInfo(), w.committee.Recipient())
	if _, err := wasmapi.ParseTarget([]byte(good)); err != nil {
		t.Fatal(err)
	}
	info := string(w.chain().MarshalInfo())
	for _, tt := range []struct{ name, json, want string }{
		{"unknown field", strings.Replace(good, `"round"`, `"rond":1,"round"`, 1), "unknown field"},
		{"data after", good + "{}", "data after"},
		{"no chain", strings.Replace(good, `"chain":`+info+`,`, ``, 1), "no chain"},
		{"no round", strings.Replace(good, `"round":5,`, ``, 1), "no round"},
		{"round 0", strings.Replace(good, `"round":5`, `"round":0`, 1), "no round"},
		{"negative round", strings.Replace(good, `"round":5`, `"round":-5`, 1), "cannot unmarshal"},
		{"no key", strings.Replace(good, w.committee.Recipient().String(), "", 1), "no committee_key"},
		{"x25519 key", strings.Replace(good, w.committee.Recipient().String(), "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p", 1), "committee_key"},
		{"chain hash lies", strings.Replace(good, w.chain().HashHex(), strings.Repeat("0", 64), 1), "chain"},
		{"too large", good + strings.Repeat(" ", wasmapi.MaxTargetSize-len(good)+1), "more than"},
	} {
		_, err := wasmapi.ParseTarget([]byte(tt.json))
		if !errors.Is(err, wasmapi.ErrInput) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: ParseTarget = %v, want ErrInput saying %q", tt.name, err, tt.want)
		}
	}
	// At the cap exactly, trailing spaces are only white space.
	if _, err := wasmapi.ParseTarget([]byte(good + strings.Repeat(" ", wasmapi.MaxTargetSize-len(good)))); err != nil {
		t.Errorf("target of MaxTargetSize bytes refused: %v", err)
	}
}
