package timelock

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
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
	if !c.Equal(Quicknet) || c.Period() != 3*time.Second || !c.Genesis().Equal(Quicknet.Genesis()) {
		t.Errorf("ParseChainInfo(MarshalInfo(Quicknet)) = %v, differs", c)
	}
	// drand's own document for quicknet.
	drand := `{"public_key":"83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a","period":3,"genesis_time":1692803367,"genesis_seed":"f477d5c89f21a17c863a7f937c6a6d15859414d2be09cd448d4279af331c5d3e","chain_hash":"52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971","hash":"52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971","groupHash":"f477d5c89f21a17c863a7f937c6a6d15859414d2be09cd448d4279af331c5d3e","schemeID":"bls-unchained-g1-rfc9380","metadata":{"beaconID":"quicknet"}}`
	if c, err := ParseChainInfo([]byte(drand)); err != nil || !c.Equal(Quicknet) {
		t.Errorf("drand's quicknet info: %v, %v", c, err)
	}
	bad := []struct{ name, doc string }{
		{"wrong hash", strings.Replace(drand, `"hash":"52db`, `"hash":"53db`, 1)},
		{"wrong period", strings.Replace(drand, `"period":3`, `"period":30`, 1)},
		{"chained", strings.Replace(drand, SchemeQuicknet, "pedersen-bls-chained", 1)},
		{"unknown scheme", strings.Replace(drand, SchemeQuicknet, "bls-bn254-unchained-on-g1", 1)},
		{"not json", "{"},
		{"huge", `{"x":"` + strings.Repeat("a", maxInfoSize) + `"}`},
	}
	for _, tt := range bad {
		if _, err := ParseChainInfo([]byte(tt.doc)); err == nil {
			t.Errorf("%s: ParseChainInfo accepted it", tt.name)
		}
	}
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
