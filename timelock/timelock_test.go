package timelock

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
)

// testClock is a settable clock for beacons.
type testClock struct{ t time.Time }

func (c *testClock) now() time.Time { return c.t }

var testGenesis = time.Unix(1_750_000_000, 0)

// newTestBeacon returns a local beacon with a 3 s period and its clock,
// set just before round 10.
func newTestBeacon(t testing.TB) (*LocalBeacon, *testClock) {
	t.Helper()
	key, err := GenerateLocalKey()
	if err != nil {
		t.Fatal(err)
	}
	clock := &testClock{}
	b, err := NewLocalBeacon(LocalConfig{Key: key, Genesis: testGenesis, Period: 3 * time.Second, Now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	clock.t = b.Chain().TimeOf(10).Add(-time.Second)
	return b, clock
}

func seal(t testing.TB, c Chain, round uint64, msg []byte) []byte {
	t.Helper()
	r, err := NewRecipient(c, round)
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

func TestRoundTripLocalBeacon(t *testing.T) {
	b, clock := newTestBeacon(t)
	msg := []byte("penawaran harga: Rp 1.234.567.890")
	file := seal(t, b.Chain(), 10, msg)

	if _, err := Open(context.Background(), bytes.NewReader(file), b); !errors.Is(err, ErrTooEarly) {
		t.Fatalf("Open before round 10: err = %v, want ErrTooEarly", err)
	}
	clock.t = b.Chain().TimeOf(10)
	r, err := Open(context.Background(), bytes.NewReader(file), b)
	if err != nil {
		t.Fatalf("Open at round 10: %v", err)
	}
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, msg) {
		t.Errorf("got %q, want %q", got, msg)
	}
}

// TestStanzaLayout checks that our stanza is byte for byte drand's: type,
// two arguments, a 128-byte body wrapped by age at 64 columns.
func TestStanzaLayout(t *testing.T) {
	file := seal(t, Quicknet, 12040883, []byte("x"))
	lines := strings.Split(string(file), "\n")
	if lines[0] != "age-encryption.org/v1" {
		t.Fatalf("intro = %q", lines[0])
	}
	if want := "-> tlock 12040883 " + QuicknetHash; lines[1] != want {
		t.Errorf("stanza line = %q, want %q", lines[1], want)
	}
	for i, want := range []int{64, 64, 43} {
		if got := len(lines[2+i]); got != want {
			t.Errorf("body line %d is %d columns, want %d", i, got, want)
		}
	}
	if !strings.HasPrefix(lines[5], "--- ") {
		t.Errorf("line after the body = %q, want the MAC line", lines[5])
	}
	body, err := base64.RawStdEncoding.DecodeString(lines[2] + lines[3] + lines[4])
	if err != nil || len(body) != 128 {
		t.Fatalf("body: %d bytes, %v", len(body), err)
	}
}

func TestWrongChainAndRound(t *testing.T) {
	b, clock := newTestBeacon(t)
	clock.t = b.Chain().TimeOf(20)
	ctx := context.Background()

	// A file for quicknet never opens with the local chain, and the error
	// says so.
	other := seal(t, Quicknet, 10, []byte("x"))
	if _, err := Open(ctx, bytes.NewReader(other), b); !errors.Is(err, ErrWrongChain) {
		t.Errorf("Open of another chain's file: err = %v, want ErrWrongChain", err)
	}

	file := seal(t, b.Chain(), 10, []byte("x"))
	sig11, err := b.Signature(ctx, 11)
	if err != nil {
		t.Fatal(err)
	}
	id, err := NewIdentity(b.Chain(), 11, sig11)
	if err != nil {
		t.Fatal(err)
	}
	_, err = age.Decrypt(bytes.NewReader(file), id)
	if !errors.Is(err, ErrWrongRound) {
		t.Errorf("Decrypt with round 11's identity: err = %v, want ErrWrongRound", err)
	}
	if _, err := NewIdentity(b.Chain(), 10, sig11); !errors.Is(err, ErrBadSignature) {
		t.Errorf("NewIdentity with round 11's signature for round 10: err = %v, want ErrBadSignature", err)
	}
	if _, err := NewIdentity(Quicknet, 11, sig11); !errors.Is(err, ErrBadSignature) {
		t.Errorf("NewIdentity with the local signature for quicknet: err = %v, want ErrBadSignature", err)
	}
}

// TestEveryBitFlip flips each bit of U, V and W in turn: every change must
// fail to decrypt (or to parse), never yield a file key.
func TestEveryBitFlip(t *testing.T) {
	b, clock := newTestBeacon(t)
	clock.t = b.Chain().TimeOf(10)
	rcpt, err := NewRecipient(b.Chain(), 10)
	if err != nil {
		t.Fatal(err)
	}
	fileKey := bytes.Repeat([]byte{0x5a}, 16)
	stanzas, err := rcpt.Wrap(fileKey)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := b.Signature(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	id, err := NewIdentity(b.Chain(), 10, sig)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := id.Unwrap(stanzas); err != nil || !bytes.Equal(got, fileKey) {
		t.Fatalf("unmodified stanza: %x, %v", got, err)
	}
	body := stanzas[0].Body
	bits := len(body) * 8
	if testing.Short() {
		bits = 96 * 8 / 4 // a sample of U only
	}
	for i := 0; i < bits; i++ {
		mod := bytes.Clone(body)
		mod[i/8] ^= 1 << (i % 8)
		s := &age.Stanza{Type: StanzaType, Args: stanzas[0].Args, Body: mod}
		if got, err := id.Unwrap([]*age.Stanza{s}); err == nil {
			t.Fatalf("bit %d flipped: unwrapped to %x", i, got)
		}
	}
}

func TestParseStanzaStrict(t *testing.T) {
	rcpt, err := NewRecipient(Quicknet, 7)
	if err != nil {
		t.Fatal(err)
	}
	good, err := rcpt.Wrap(make([]byte, 16))
	if err != nil {
		t.Fatal(err)
	}
	body := good[0].Body
	mk := func(f func(s *age.Stanza)) *age.Stanza {
		s := &age.Stanza{Type: StanzaType, Args: append([]string(nil), good[0].Args...), Body: bytes.Clone(body)}
		f(s)
		return s
	}
	infinity := make([]byte, 96)
	infinity[0] = 0xc0
	tests := []struct {
		name string
		s    *age.Stanza
		want error
	}{
		{"ok", mk(func(s *age.Stanza) {}), nil},
		{"leading zero round", mk(func(s *age.Stanza) { s.Args[0] = "07" }), ErrMalformed},
		{"signed round", mk(func(s *age.Stanza) { s.Args[0] = "+7" }), ErrMalformed},
		{"round 0", mk(func(s *age.Stanza) { s.Args[0] = "0" }), ErrMalformed},
		{"round overflow", mk(func(s *age.Stanza) { s.Args[0] = "18446744073709551616" }), ErrMalformed},
		{"uppercase chain hash", mk(func(s *age.Stanza) { s.Args[1] = strings.ToUpper(s.Args[1]) }), ErrWrongChain},
		{"other chain", mk(func(s *age.Stanza) { s.Args[1] = strings.Repeat("ab", 32) }), ErrWrongChain},
		{"three args", mk(func(s *age.Stanza) { s.Args = append(s.Args, "x") }), ErrMalformed},
		{"short body", mk(func(s *age.Stanza) { s.Body = s.Body[:127] }), ErrMalformed},
		{"long body", mk(func(s *age.Stanza) { s.Body = append(s.Body, 0) }), ErrMalformed},
		{"no compression flag", mk(func(s *age.Stanza) { s.Body[0] &^= 0x80 }), ErrMalformed},
		{"U at infinity", mk(func(s *age.Stanza) { copy(s.Body, infinity) }), ErrMalformed},
		{"U off curve", mk(func(s *age.Stanza) { s.Body[95] ^= 1 }), ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			round, err := ParseStanza(Quicknet, tt.s)
			if tt.want == nil {
				if err != nil || round != 7 {
					t.Fatalf("ParseStanza = %d, %v; want 7, nil", round, err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("ParseStanza err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestRoundAt(t *testing.T) {
	c := Quicknet
	g := c.Genesis()
	tests := []struct {
		t    time.Time
		want uint64
	}{
		{g.Add(-time.Hour), 1},
		{g, 1},
		{g.Add(time.Nanosecond), 2},
		{g.Add(3 * time.Second), 2},
		{g.Add(3*time.Second + 1), 3},
		{time.Unix(1728926013, 0), 12040883},
		{time.Unix(1728926012, 0), 12040883},
		{time.Unix(1728926011, 0), 12040883},
		{time.Unix(1728926010, 0), 12040882},
	}
	for _, tt := range tests {
		if got := c.RoundAt(tt.t); got != tt.want {
			t.Errorf("RoundAt(%v) = %d, want %d", tt.t, got, tt.want)
		}
	}
	// The defining property: the round is published at or after t, and
	// the round before it strictly before t.
	for i := 0; i < 1000; i++ {
		tm := g.Add(time.Duration(i) * 777 * time.Millisecond)
		r := c.RoundAt(tm)
		if c.TimeOf(r).Before(tm) {
			t.Fatalf("TimeOf(RoundAt(%v)) = %v is before it", tm, c.TimeOf(r))
		}
		if r > 1 && !c.TimeOf(r-1).Before(tm) {
			t.Fatalf("RoundAt(%v) = %d is not the first round at or after it", tm, r)
		}
	}
}

func TestParseChainInfo(t *testing.T) {
	info := Quicknet.MarshalInfo()
	c, err := ParseChainInfo(info)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Equal(Quicknet) || c.Period() != 3*time.Second || !c.Genesis().Equal(Quicknet.Genesis()) || c.BeaconID() != "quicknet" {
		t.Errorf("ParseChainInfo(MarshalInfo(Quicknet)) = %v, differs", c)
	}
	v1 := readInfo(t, "info-quicknet-v1.json")
	v2 := readInfo(t, "info-quicknet-v2.json")
	bad := []struct{ name, doc, want string }{
		{"wrong hash", strings.Replace(v1, `"hash":"52db`, `"hash":"53db`, 1), "parameters hash to 52db9ba7"},
		{"wrong v2 hash", strings.Replace(v2, `"chain_hash":"52db`, `"chain_hash":"53db`, 1), "parameters hash to 52db9ba7"},
		{"upper-case hash", strings.Replace(v1, QuicknetHash, strings.ToUpper(QuicknetHash), 1), "parameters hash to"},
		{"wrong period", strings.Replace(v1, `"period":3`, `"period":30`, 1), "parameters hash to"},
		{"wrapping period", strings.Replace(v1, `"period":3`, `"period":36028797018963971`, 1), "not between 1 and 86400"},
		{"wrong seed", strings.Replace(v2, `"genesis_seed":"f477`, `"genesis_seed":"f478`, 1), "parameters hash to"},
		{"wrong beacon id", strings.Replace(v1, `"beaconID":"quicknet"`, `"beaconID":"quicknet-t"`, 1), "parameters hash to"},
		{"no seed", strings.Replace(v1, `"groupHash"`, `"grouphash_"`, 1), "no genesis seed"},
		{"no hash", strings.Replace(v2, `"chain_hash"`, `"chainhash"`, 1), "no chain hash"},
		{"no scheme", strings.Replace(v1, `"schemeID"`, `"scheme_id"`, 1), "no scheme"},
		{"two hashes", strings.Replace(v1, `"hash":`, `"chain_hash":"53db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971","hash":`, 1), "which differ"},
		{"two seeds", strings.Replace(v1, `"groupHash":`, `"genesis_seed":"00","groupHash":`, 1), "which differ"},
		{"unknown scheme", strings.Replace(v1, SchemeQuicknet, "bls-bn254-unchained-on-g1", 1), "unsupported scheme"},
		{"not json", "{", "get one from a drand relay's /info"},
		{"html", "<html>502 Bad Gateway</html>", "lpsed's /v1/chain"},
		{"huge", `{"x":"` + strings.Repeat("a", maxInfoSize) + `"}`, "more than the"},
	}
	for _, tt := range bad {
		_, err := ParseChainInfo([]byte(tt.doc))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: ParseChainInfo = %v, want an error with %q", tt.name, err, tt.want)
		}
	}
}

// TestParseChainInfoRelays reads the chain info documents of quicknet and
// of drand's default mainnet exactly as the relays serve them, in both
// forms (testdata/README.md names the sources).
func TestParseChainInfoRelays(t *testing.T) {
	for _, name := range []string{"info-quicknet-v1.json", "info-quicknet-v2.json"} {
		c, err := ParseChainInfo([]byte(readInfo(t, name)))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !c.Equal(Quicknet) || c.HashHex() != QuicknetHash || !bytes.Equal(c.PublicKey(), Quicknet.PublicKey()) ||
			c.Period() != Quicknet.Period() || !c.Genesis().Equal(Quicknet.Genesis()) || c.BeaconID() != "quicknet" {
			t.Errorf("%s parses to %v, not quicknet", name, c)
		}
	}
	// Segel writes the v1 form byte for byte as the relays do.
	if got, want := string(Quicknet.MarshalInfo()), readInfo(t, "info-quicknet-v1.json"); got != want {
		t.Errorf("MarshalInfo(Quicknet) =\n%s\nrelays serve\n%s", got, want)
	}
	// The default mainnet is chained: its documents hash to what they state
	// (the beacon id "default" is not hashed), and the chain is refused only
	// for its scheme.
	for _, name := range []string{"info-default-v1.json", "info-default-v2.json"} {
		doc := readInfo(t, name)
		_, err := ParseChainInfo([]byte(doc))
		if err == nil || !strings.Contains(err.Error(), "is chained and cannot be used") {
			t.Errorf("%s: ParseChainInfo = %v, want the chained scheme refused", name, err)
		}
		altered := strings.Replace(doc, `"period":30`, `"period":31`, 1)
		if _, err := ParseChainInfo([]byte(altered)); err == nil || !strings.Contains(err.Error(), "parameters hash to") {
			t.Errorf("%s with another period: ParseChainInfo = %v, want a hash mismatch", name, err)
		}
	}
}

func readInfo(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseRound(t *testing.T) {
	for _, s := range []string{"1", "12040883", "18446744073709551615"} {
		r, err := ParseRound(s)
		if err != nil || strconv.FormatUint(r, 10) != s {
			t.Errorf("ParseRound(%q) = %d, %v", s, r, err)
		}
	}
	for _, s := range []string{"", "0", "01", "-1", "+1", " 1", "1 ", "1e3", "0x10", "18446744073709551616", "１"} {
		if _, err := ParseRound(s); err == nil {
			t.Errorf("ParseRound(%q) accepted it", s)
		}
	}
}
