package wasmapi_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/member"
	"github.com/segel-lpse/segel/portal/wasmapi"
	"github.com/segel-lpse/segel/sealer"
	"golang.org/x/mod/sumdb/note"
)

func TestGenerateKey(t *testing.T) {
	kf, err := wasmapi.GenerateKey(time.Date(2026, 12, 7, 4, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	id, err := wasmapi.ParseKeyFile([]byte(kf.File))
	if err != nil {
		t.Fatal(err)
	}
	if id.Recipient().String() != kf.Recipient || sealer.KeyID(id.Recipient()) != kf.KeyID {
		t.Errorf("the key file's key is %s, GenerateKey says %s", sealer.KeyID(id.Recipient()), kf.KeyID)
	}
	if !strings.HasPrefix(kf.File, "# created: 2026-12-07T04:00:00Z\n# public key: "+kf.Recipient+"\n") {
		t.Errorf("key file:\n%s", kf.File)
	}
	other, _ := wasmapi.GenerateKey(time.Now())
	if other.Recipient == kf.Recipient {
		t.Error("two keys generated alike")
	}
}

func TestParseKeyFileRefusals(t *testing.T) {
	kf, _ := wasmapi.GenerateKey(time.Now())
	v1, _ := age.GenerateX25519Identity()
	line := kf.File[strings.LastIndex(strings.TrimSuffix(kf.File, "\n"), "\n")+1:]
	for name, b := range map[string]string{
		"empty":           "",
		"comments only":   "# public key: age1pq1\n",
		"two keys":        kf.File + line,
		"an X25519 key":   v1.String() + "\n",
		"a recipient":     kf.Recipient + "\n",
		"a damaged key":   strings.Replace(kf.File, "AGE-SECRET-KEY-PQ-1", "AGE-SECRET-KEY-PQ-1QQ", 1),
		"oversized":       kf.File + strings.Repeat("#", wasmapi.MaxKeyFileSize),
		"a challenge":     "-----BEGIN AGE ENCRYPTED FILE-----\n",
		"a key with junk": strings.TrimSuffix(kf.File, "\n") + "x\n",
	} {
		if _, err := wasmapi.ParseKeyFile([]byte(b)); !errors.Is(err, wasmapi.ErrInput) {
			t.Errorf("%s: ParseKeyFile = %v, want ErrInput", name, err)
		}
	}
	// CRLF line ends and indented comments are a key file still.
	if _, err := wasmapi.ParseKeyFile([]byte(strings.ReplaceAll(kf.File, "\n", "\r\n"))); err != nil {
		t.Errorf("CRLF key file: %v", err)
	}
}

func TestAnswerChallenge(t *testing.T) {
	kf, _ := wasmapi.GenerateKey(time.Now())
	id, _ := wasmapi.ParseKeyFile([]byte(kf.File))
	file, secret, err := member.NewKeyChallenge(id.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	a, err := wasmapi.AnswerChallenge(file, kf.Recipient, []byte(kf.File))
	if err != nil || a.Answer != hex.EncodeToString(secret) || a.Recipient != kf.Recipient {
		t.Fatalf("AnswerChallenge = %+v, %v; want %x", a, err, secret)
	}
	if strings.Contains(mustJSONString(a), "AGE-SECRET-KEY") {
		t.Error("the answer holds the key")
	}
	// The wrong key file: the challenge is for another recipient, or
	// (recipient not given) does not decrypt with it.
	wrong, _ := wasmapi.GenerateKey(time.Now())
	_, err = wasmapi.AnswerChallenge(file, kf.Recipient, []byte(wrong.File))
	if !errors.Is(err, wasmapi.ErrInput) || !strings.Contains(err.Error(), "choose the key file") {
		t.Errorf("wrong key file: %v", err)
	}
	if _, err := wasmapi.AnswerChallenge(file, "", []byte(wrong.File)); !errors.Is(err, wasmapi.ErrInput) {
		t.Errorf("wrong key file, no recipient: %v", err)
	}
	big := append(bytes.Repeat([]byte("A"), member.MaxKeyChallengeSize), file...)
	if _, err := wasmapi.AnswerChallenge(big, kf.Recipient, []byte(kf.File)); !errors.Is(err, wasmapi.ErrInput) {
		t.Errorf("oversized challenge: %v", err)
	}
}

func TestContributeRefusesInput(t *testing.T) {
	w := newWorld(t)
	kf, _ := wasmapi.GenerateKey(time.Now())
	pinned := w.chain().MarshalInfo()
	ev := []byte(`{"tender":"T-1","file":1,"checkpoint":"","entries":[],"headers":[]}`)
	for name, tc := range map[string]struct {
		ev, keys, key []byte
		id            string
		file          int
		want          error
	}{
		"no key file":         {ev, nil, nil, "T-1", 1, wasmapi.ErrInput},
		"no pinned keys":      {ev, []byte("x"), []byte(kf.File), "T-1", 1, wasmapi.ErrInput},
		"oversized evidence":  {make([]byte, wasmapi.MaxEvidenceSize+1), keysFor(t, w), []byte(kf.File), "T-1", 1, wasmapi.ErrInput},
		"evidence not JSON":   {[]byte("<html>"), keysFor(t, w), []byte(kf.File), "T-1", 1, wasmapi.ErrInput},
		"another tender's":    {ev, keysFor(t, w), []byte(kf.File), "T-2", 1, member.ErrRefused},
		"another file's":      {ev, keysFor(t, w), []byte(kf.File), "T-1", 2, member.ErrRefused},
		"unsigned checkpoint": {ev, keysFor(t, w), []byte(kf.File), "T-1", 1, nil},
	} {
		_, err := wasmapi.Contribute(tc.ev, tc.keys, pinned, tc.id, tc.file, tc.key, nil)
		if err == nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: Contribute = %v, want %v", name, err, tc.want)
		}
	}
}

// keysFor is a segel-keys/v1 file naming w's chain.
func keysFor(t *testing.T, w *world) []byte {
	t.Helper()
	var vkeys [3]string
	for i, name := range []string{"lpse.test/log", "lpse.test/receipt", "lpse.test/report"} {
		_, v, err := note.GenerateKey(rand.Reader, name)
		if err != nil {
			t.Fatal(err)
		}
		vkeys[i] = v
	}
	tr, err := audit.NewTrusted(vkeys[0], vkeys[1], vkeys[2], w.chain().HashHex())
	if err != nil {
		t.Fatal(err)
	}
	b, err := tr.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustJSONString(v any) string { return string(mustJSON(v)) }

// v2Tender is a v2 tender's view as the server gives it, with a 3-of-5
// committee, File I opening in a day and File II a day later.
func (w *world) v2Tender(t testing.TB, change func(map[string]any)) ([]byte, *sealer.Committee) {
	t.Helper()
	var rs []*age.HybridRecipient
	for range 5 {
		id, _ := age.GenerateHybridIdentity()
		rs = append(rs, id.Recipient())
	}
	c, err := sealer.NewCommittee(3, rs)
	if err != nil {
		t.Fatal(err)
	}
	text, _ := c.MarshalText()
	sum := sha256.Sum256(text)
	var members []map[string]any
	for i, r := range c.Members() {
		members = append(members, map[string]any{"index": i + 1, "user": "u-m" + string(rune('a'+i)), "recipient": r.String()})
	}
	open1 := time.Now().UTC().Truncate(time.Second).Add(24 * time.Hour)
	open2 := open1.Add(24 * time.Hour)
	m := map[string]any{
		"id": "T-9", "title": "Jembatan", "state": "announced", "chain": w.chain().HashHex(),
		"method": "two-file", "threshold": 3, "members": members, "committee_key_id": c.ID(),
		"committee_text": string(text), "committee_digest": hex.EncodeToString(sum[:]),
		"parts": []map[string]any{
			{"file": 1, "state": "open", "deadline": open1.Add(-time.Hour), "opening": open1, "round": w.chain().RoundAt(open1)},
			{"file": 2, "state": "open", "deadline": open1.Add(-time.Hour), "opening": open2, "round": w.chain().RoundAt(open2)},
		},
	}
	if change != nil {
		change(m)
	}
	b, _ := json.Marshal(m)
	return b, c
}

func TestCheckFile(t *testing.T) {
	w := newWorld(t)
	pinned := w.chain().MarshalInfo()
	tj, committee := w.v2Tender(t, nil)
	for file := 1; file <= 2; file++ {
		c, err := wasmapi.CheckFile(pinned, tj, "u-bidder", file, time.Now())
		if err != nil {
			t.Fatalf("file %d: honest tender refused: %v", file, err)
		}
		if c.File != file || c.Target.File != file || c.Target.Bidder != "u-bidder" || c.Target.Tender != "T-9" ||
			c.CommitteeID != committee.ID() || c.Threshold != 3 || c.Members != 5 || c.Target.CommitteeKey != "" {
			t.Errorf("file %d: CheckFile = %+v", file, c)
		}
		st, err := wasmapi.ParseTarget(mustJSON(c.Target))
		if err != nil || st.Members.ID() != committee.ID() || st.File != file {
			t.Errorf("file %d: its target parses to %+v, %v", file, st, err)
		}
	}
	// The rounds differ: File II's is later.
	c1, _ := wasmapi.CheckFile(pinned, tj, "u-bidder", 1, time.Now())
	c2, _ := wasmapi.CheckFile(pinned, tj, "u-bidder", 2, time.Now())
	if !c2.Opens.After(c1.Opens) {
		t.Errorf("File II opens at %s, File I at %s", c2.Opens, c1.Opens)
	}

	parts := func(f func(p1, p2 map[string]any)) func(map[string]any) {
		return func(m map[string]any) {
			ps := m["parts"].([]map[string]any)
			f(ps[0], ps[1])
		}
	}
	for _, tc := range []struct {
		name   string
		change func(map[string]any)
		bidder string
		file   int
		want   error
	}{
		{"committee text of another committee", func(m map[string]any) {
			other, _ := w.v2Tender(t, nil)
			var o map[string]any
			json.Unmarshal(other, &o)
			m["committee_text"] = o["committee_text"]
		}, "u-b", 1, sealer.ErrUnsafeTarget},
		{"a member's key swapped", func(m map[string]any) {
			ms := m["members"].([]map[string]any)
			ms[0]["recipient"], ms[1]["recipient"] = ms[1]["recipient"], ms[0]["recipient"]
		}, "u-b", 1, sealer.ErrUnsafeTarget},
		{"a member dropped", func(m map[string]any) { m["members"] = m["members"].([]map[string]any)[:4] }, "u-b", 1, sealer.ErrUnsafeTarget},
		{"threshold lowered", func(m map[string]any) { m["threshold"] = 1 }, "u-b", 1, sealer.ErrUnsafeTarget},
		{"committee text not one", func(m map[string]any) { m["committee_text"] = "segel-committee/v1\n" }, "u-b", 1, sealer.ErrUnsafeTarget},
		{"File II's round early", parts(func(_, p2 map[string]any) { p2["round"] = w.chain().RoundAt(time.Now().Add(time.Hour)) }), "u-b", 2, sealer.ErrUnsafeTarget},
		{"another chain", func(m map[string]any) { m["chain"] = strings.Repeat("ab", 32) }, "u-b", 1, sealer.ErrUnsafeTarget},
		{"stage 2 not announced", parts(func(_, p2 map[string]any) { delete(p2, "round"); p2["state"] = "scheduled" }), "u-b", 2, wasmapi.ErrNotOpen},
		{"File I closed", parts(func(p1, _ map[string]any) { p1["state"] = "closed" }), "u-b", 1, wasmapi.ErrNotOpen},
		{"no File III", nil, "u-b", 3, wasmapi.ErrInput},
		{"no file 0", nil, "u-b", 0, wasmapi.ErrInput},
		{"a bidder id that is not one", nil, "u b\n", 1, wasmapi.ErrInput},
		{"a version 1 tender", func(m map[string]any) { delete(m, "method") }, "u-b", 1, wasmapi.ErrInput},
	} {
		b, _ := w.v2Tender(t, tc.change)
		_, err := wasmapi.CheckFile(pinned, b, tc.bidder, tc.file, time.Now())
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: CheckFile = %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := wasmapi.CheckFile(pinned, make([]byte, wasmapi.MaxTenderSize+1), "u-b", 1, time.Now()); !errors.Is(err, wasmapi.ErrInput) {
		t.Errorf("oversized tender: %v", err)
	}
	// A v2 tender is not sealed with CheckTender.
	if _, err := wasmapi.CheckTender(pinned, tj, time.Now()); !errors.Is(err, wasmapi.ErrInput) || !strings.Contains(err.Error(), "checkFile") {
		t.Errorf("CheckTender of a v2 tender: %v", err)
	}
}

// TestInspectV2 checks the self-check of a v2 file: sealed for this
// tender, bidder and part, and of the length its header commits to.
func TestInspectV2(t *testing.T) {
	w := newWorld(t)
	pinned := w.chain().MarshalInfo()
	tj, _ := w.v2Tender(t, nil)
	target := func(bidder string, file int) sealer.Target {
		c, err := wasmapi.CheckFile(pinned, tj, bidder, file, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		st, err := wasmapi.ParseTarget(mustJSON(c.Target))
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	mine := target("u-mine", 1)
	doc := bytes.Repeat([]byte("dokumen teknis "), 9000) // over two chunks
	var out bytes.Buffer
	s, err := wasmapi.Seal(&out, bytes.NewReader(doc), mine)
	if err != nil {
		t.Fatal(err)
	}
	f := out.Bytes()
	in, err := wasmapi.Inspect(bytes.NewReader(f), int64(len(f)), mine, int64(len(doc)), true)
	if err != nil || in.Version != 2 || in.DocumentSize != int64(len(doc)) || in.SHA256 != s.SHA256 || in.Header != s.Header || in.File != 1 {
		t.Fatalf("Inspect = %+v, %v", in, err)
	}
	for name, tc := range map[string]struct {
		file []byte
		t    sealer.Target
		want error
	}{
		"as File II":                 {f, target("u-mine", 2), sealer.ErrMismatch},
		"as another bidder's":        {f, target("u-other", 1), sealer.ErrMismatch},
		"cut short by a byte":        {f[:len(f)-1], mine, sealer.ErrMalformed},
		"cut short by a whole chunk": {f[:len(f)-(64<<10+16)], mine, sealer.ErrMalformed},
		"a byte appended":            {append(bytes.Clone(f), 0), mine, sealer.ErrMalformed},
	} {
		_, err := wasmapi.Inspect(bytes.NewReader(tc.file), int64(len(tc.file)), tc.t, -1, false)
		if !errors.Is(err, wasmapi.ErrSelfCheck) || !errors.Is(err, tc.want) {
			t.Errorf("%s: Inspect = %v, want a self-check failure wrapping %v", name, err, tc.want)
		}
	}
	// A v1 file for a v2 target, and the other way round.
	var v1 bytes.Buffer
	wasmapi.Seal(&v1, bytes.NewReader(doc), w.target(t))
	if _, err := wasmapi.Inspect(bytes.NewReader(v1.Bytes()), int64(v1.Len()), mine, -1, false); !errors.Is(err, sealer.ErrMismatch) {
		t.Errorf("v1 file, v2 target: %v", err)
	}
}
