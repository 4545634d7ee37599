package sealer

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/timelock"
)

type fixture struct {
	beacon    *timelock.LocalBeacon
	clock     *time.Time
	committee *age.HybridIdentity
	target    Target
}

// newFixture returns a local beacon whose clock stands before round 100,
// a committee key, and a target of round 100.
func newFixture(t testing.TB) *fixture {
	t.Helper()
	key, err := timelock.GenerateLocalKey()
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{clock: new(time.Time)}
	f.beacon, err = timelock.NewLocalBeacon(timelock.LocalConfig{
		Key: key, Genesis: time.Unix(1_760_000_000, 0), Period: 3 * time.Second,
		Now: func() time.Time { return *f.clock },
	})
	if err != nil {
		t.Fatal(err)
	}
	*f.clock = f.beacon.Chain().TimeOf(100).Add(-time.Second)
	f.committee, err = age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	f.target = Target{Chain: f.beacon.Chain(), Round: 100, Committee: f.committee.Recipient()}
	return f
}

func (f *fixture) seal(t testing.TB, doc []byte) ([]byte, *Sealed) {
	t.Helper()
	var buf bytes.Buffer
	s, err := Seal(&buf, bytes.NewReader(doc), f.target)
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), s
}

func (f *fixture) open(file []byte) ([]byte, error) {
	r, err := Open(context.Background(), bytes.NewReader(file), f.beacon, f.committee)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

func TestSealOpen(t *testing.T) {
	f := newFixture(t)
	for _, size := range []int{0, 1, 64<<10 - 1, 64 << 10, 64<<10 + 1, 300 << 10} {
		doc := make([]byte, size)
		rand.Read(doc)
		file, s := f.seal(t, doc)
		if s.Size != int64(len(file)) {
			t.Errorf("size %d: Sealed.Size = %d, file is %d bytes", size, s.Size, len(file))
		}
		if s.Header.Round != 100 || s.Header.CommitteeKeyID != KeyID(f.committee.Recipient()) {
			t.Errorf("size %d: header = %+v", size, s.Header)
		}
		*f.clock = f.beacon.Chain().TimeOf(99)
		if _, err := f.open(file); !errors.Is(err, timelock.ErrTooEarly) {
			t.Fatalf("size %d: open before the round: err = %v, want ErrTooEarly", size, err)
		}
		*f.clock = f.beacon.Chain().TimeOf(100)
		got, err := f.open(file)
		if err != nil {
			t.Fatalf("size %d: open at the round: %v", size, err)
		}
		if !bytes.Equal(got, doc) {
			t.Fatalf("size %d: opened document differs", size)
		}
	}
}

func TestWrongCommittee(t *testing.T) {
	f := newFixture(t)
	file, _ := f.seal(t, []byte("offer"))
	other, _ := age.GenerateHybridIdentity()
	*f.clock = f.beacon.Chain().TimeOf(100)
	_, err := Open(context.Background(), bytes.NewReader(file), f.beacon, other)
	if !errors.Is(err, ErrWrongCommittee) {
		t.Fatalf("Open with another committee key: err = %v, want ErrWrongCommittee", err)
	}
	// Before the round too, the wrong key is reported rather than the time.
	*f.clock = f.beacon.Chain().TimeOf(50)
	_, err = Open(context.Background(), bytes.NewReader(file), f.beacon, other)
	if !errors.Is(err, ErrWrongCommittee) {
		t.Fatalf("Open with another committee key before the round: err = %v, want ErrWrongCommittee", err)
	}
	// Through age directly, with the identity type.
	sig, _ := f.beacon.Signature(context.Background(), 40)
	id, err := NewIdentity(f.beacon.Chain(), 40, sig, f.committee)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := age.Decrypt(bytes.NewReader(file), id); !errors.Is(err, timelock.ErrWrongRound) {
		t.Errorf("age.Decrypt with round 40's identity: err = %v, want ErrWrongRound", err)
	}
}

// TestEitherHalfAlone checks that neither the time lock nor the committee
// key opens an offer by itself, through every way age offers.
func TestEitherHalfAlone(t *testing.T) {
	f := newFixture(t)
	file, _ := f.seal(t, []byte("offer"))
	*f.clock = f.beacon.Chain().TimeOf(100)
	sig, _ := f.beacon.Signature(context.Background(), 100)
	tl, err := timelock.NewIdentity(f.beacon.Chain(), 100, sig)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := age.Decrypt(bytes.NewReader(file), tl); err == nil {
		t.Error("the round's signature alone opened the offer")
	}
	if _, err := age.Decrypt(bytes.NewReader(file), f.committee); err == nil {
		t.Error("the committee key alone opened the offer")
	}
	if _, err := age.Decrypt(bytes.NewReader(file), tl, f.committee); err == nil {
		t.Error("the two as separate identities opened the offer")
	}
	// Nor does any other recipient ride along: the composite recipient
	// refuses company.
	x, _ := age.GenerateX25519Identity()
	rc, _ := newRecipient(f.target)
	if _, err := age.Encrypt(io.Discard, rc, x.Recipient()); err == nil {
		t.Error("age accepted a second recipient alongside a sealed-offer recipient")
	}
}

func TestTamperedOfferFailsToOpen(t *testing.T) {
	f := newFixture(t)
	doc := bytes.Repeat([]byte("harga "), 20000)
	file, _ := f.seal(t, doc)
	*f.clock = f.beacon.Chain().TimeOf(100)
	hdrLen := bytes.Index(file, []byte("\n--- ")) + 1
	// A sample of positions in the header text, the MAC and the payload.
	for _, pos := range []int{30, 40, hdrLen - 10, hdrLen + 5, hdrLen + 60, len(file) / 2, len(file) - 1} {
		mod := bytes.Clone(file)
		mod[pos] ^= 0x01
		got, err := f.open(mod)
		if err == nil && bytes.Equal(got, doc) {
			t.Errorf("byte %d flipped: opened to the original document", pos)
		} else if err == nil {
			t.Errorf("byte %d flipped: opened to a different document", pos)
		}
	}
	if _, err := f.open(file[:len(file)-1]); err == nil {
		t.Error("truncated offer opened")
	}
}

func TestInspect(t *testing.T) {
	f := newFixture(t)
	file, s := f.seal(t, []byte("offer"))
	h, err := Inspect(bytes.NewReader(file), f.beacon.Chain())
	if err != nil {
		t.Fatal(err)
	}
	if a, b := *h, *s.Header; a.stanza == nil || b.stanza == nil {
		t.Error("a header without its stanza")
	} else if a.stanza, b.stanza = nil, nil; a != b {
		t.Errorf("Inspect = %+v, Seal said %+v", a, b)
	}
	if err := f.target.Check(h); err != nil {
		t.Errorf("Check against its own target: %v", err)
	}
	other, _ := age.GenerateHybridIdentity()
	for name, tgt := range map[string]Target{
		"round":     {Chain: f.target.Chain, Round: 101, Committee: f.target.Committee},
		"committee": {Chain: f.target.Chain, Round: 100, Committee: other.Recipient()},
		"chain":     {Chain: timelock.Quicknet, Round: 100, Committee: f.target.Committee},
	} {
		if err := tgt.Check(h); !errors.Is(err, ErrMismatch) {
			t.Errorf("Check against another %s: err = %v, want ErrMismatch", name, err)
		}
	}
	if _, err := Inspect(bytes.NewReader(file), timelock.Quicknet); !errors.Is(err, timelock.ErrWrongChain) {
		t.Errorf("Inspect with another pinned chain: err = %v, want ErrWrongChain", err)
	}
}

// TestInspectRefusals builds headers wrong in one way each and checks that
// Inspect refuses them with ErrMalformed and a reason.
func TestInspectRefusals(t *testing.T) {
	f := newFixture(t)
	rc, _ := newRecipient(f.target)
	good, _, err := rc.WrapWithLabels(make([]byte, 16))
	if err != nil {
		t.Fatal(err)
	}
	tlr, _ := timelock.NewRecipient(f.beacon.Chain(), 100)
	plain, _ := tlr.Wrap(make([]byte, 16))
	mk := func(edit func(s *age.Stanza)) []*age.Stanza {
		s := &age.Stanza{Type: good[0].Type, Args: append([]string(nil), good[0].Args...), Body: bytes.Clone(good[0].Body)}
		edit(s)
		return []*age.Stanza{s}
	}
	tests := []struct {
		name    string
		stanzas []*age.Stanza
		reason  string
	}{
		{"two stanzas", append(mk(func(*age.Stanza) {}), plain...), "exactly 1"},
		{"plain tlock", plain, "plain tlock"},
		{"unknown type", mk(func(s *age.Stanza) { s.Type = "segel-offer/v3" }), "stanza type"},
		{"two args", mk(func(s *age.Stanza) { s.Args = s.Args[:2] }), "arguments"},
		{"uppercase key id", mk(func(s *age.Stanza) { s.Args[2] = strings.ToUpper(s.Args[2]) }), "key id"},
		{"short key id", mk(func(s *age.Stanza) { s.Args[2] = s.Args[2][:15] }), "key id"},
		{"leading zero round", mk(func(s *age.Stanza) { s.Args[0] = "0100" }), "round"},
		{"short body", mk(func(s *age.Stanza) { s.Body = s.Body[:bodySize-1] }), "body"},
		{"long body", mk(func(s *age.Stanza) { s.Body = append(s.Body, 0) }), "body"},
		{"U not on curve", mk(func(s *age.Stanza) { s.Body[95] ^= 1 }), "U"},
		{"U uncompressed flag", mk(func(s *age.Stanza) { s.Body[0] &^= 0x80 }), "U"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := headerWith(t, tt.stanzas)
			_, err := Inspect(bytes.NewReader(hdr), f.beacon.Chain())
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("err = %q, want it to mention %q", err, tt.reason)
			}
		})
	}
	if _, err := Inspect(strings.NewReader("not an age file\n"), f.beacon.Chain()); !errors.Is(err, ErrMalformed) {
		t.Errorf("Inspect of text: err = %v, want ErrMalformed", err)
	}
}

// headerWith returns an age file header carrying stanzas, made by age
// itself through a recipient that returns them.
func headerWith(t testing.TB, stanzas []*age.Stanza) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, fixedStanzas(stanzas))
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	return buf.Bytes()
}

type fixedStanzas []*age.Stanza

func (s fixedStanzas) Wrap([]byte) ([]*age.Stanza, error) { return s, nil }

func TestSealRefusesBadTargets(t *testing.T) {
	f := newFixture(t)
	for name, tgt := range map[string]Target{
		"no chain":     {Round: 1, Committee: f.target.Committee},
		"no round":     {Chain: f.target.Chain, Committee: f.target.Committee},
		"no committee": {Chain: f.target.Chain, Round: 1},
	} {
		if _, err := Seal(io.Discard, strings.NewReader("x"), tgt); err == nil {
			t.Errorf("%s: Seal accepted the target", name)
		}
	}
}
