package sealer

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/timelock"
)

// fuzzChain is a fixed local chain so that seeds stay valid across runs.
var fuzzChain = func() timelock.Chain {
	b, err := timelock.NewLocalBeacon(timelock.LocalConfig{Key: bytes.Repeat([]byte{1}, 32), Genesis: time.Unix(1_760_000_000, 0), Period: time.Second})
	if err != nil {
		panic(err)
	}
	return b.Chain()
}()

// FuzzInspect checks that Inspect never panics, and that a header it
// accepts has exactly one canonical stanza, of either version, whose
// arguments and body agree with what Inspect reports. The seeds in
// testdata/fuzz/FuzzInspect include version 2 files of 1-of-1 and 2-of-3
// committees.
func FuzzInspect(f *testing.F) {
	committee, _ := age.GenerateHybridIdentity()
	var buf bytes.Buffer
	if _, err := Seal(&buf, strings.NewReader("seed"), Target{Chain: fuzzChain, Round: 7, Committee: committee.Recipient()}); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	c, _ := NewCommittee(1, []*age.HybridRecipient{committee.Recipient()})
	buf.Reset()
	if _, err := Seal(&buf, strings.NewReader("seed"), Target{Chain: fuzzChain, Round: 7, Members: c, Tender: "T-1", Bidder: "b", File: 2}); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte("age-encryption.org/v1\n-> segel-offer/v1 7 x y\n\n--- AAAA\n"))
	f.Add([]byte("age-encryption.org/v1\n-> segel-offer/v2 7 x y 1 0 T b 1\n\n--- AAAA\n"))
	f.Fuzz(func(t *testing.T, file []byte) {
		h, err := Inspect(bytes.NewReader(file), fuzzChain)
		if err != nil {
			return
		}
		stanzas, _, err := timelock.ReadStanzas(bytes.NewReader(file))
		if err != nil || len(stanzas) != 1 {
			t.Fatalf("Inspect accepted a header ReadStanzas refuses: %v", err)
		}
		s := stanzas[0]
		if s.Args[0] != strconv.FormatUint(h.Round, 10) || s.Args[1] != h.ChainHash || s.Args[2] != h.CommitteeKeyID {
			t.Fatalf("accepted header disagrees with its stanza: %+v", h)
		}
		switch h.Version {
		case 1:
			if s.Type != StanzaType || len(s.Body) != bodySize || len(s.Args) != 3 {
				t.Fatalf("accepted v1 header disagrees with its stanza: %+v", h)
			}
		case 2:
			if s.Type != StanzaTypeV2 || len(s.Args) != v2Args || len(s.Body) != ibeSize+wrapSize*h.Members ||
				h.Threshold < 1 || h.Threshold > h.Members || h.Members > MaxMembers ||
				s.Args[3] != strconv.Itoa(h.Threshold) || s.Args[4] != strconv.FormatInt(h.Length, 10) ||
				s.Args[5] != h.Tender || s.Args[6] != h.Bidder || s.Args[7] != strconv.Itoa(h.File) {
				t.Fatalf("accepted v2 header disagrees with its stanza: %+v", h)
			}
			if int64(len(file)) != h.Size {
				t.Fatalf("accepted a file of %d bytes whose header says %d", len(file), h.Size)
			}
		default:
			t.Fatalf("version %d", h.Version)
		}
	})
}

// FuzzParseCommittee checks that ParseCommittee never panics and accepts
// only canonical text: what it accepts marshals to the same bytes.
func FuzzParseCommittee(f *testing.F) {
	a, _ := age.GenerateHybridIdentity()
	b, _ := age.GenerateHybridIdentity()
	c, _ := NewCommittee(2, []*age.HybridRecipient{a.Recipient(), b.Recipient()})
	text, _ := c.MarshalText()
	f.Add(text)
	f.Add([]byte("segel-committee/v1\nthreshold: 1\nmember: age1pq1x\n"))
	f.Fuzz(func(t *testing.T, text []byte) {
		c, err := ParseCommittee(text)
		if err != nil {
			return
		}
		out, _ := c.MarshalText()
		if !bytes.Equal(out, text) {
			t.Fatalf("ParseCommittee accepted a non-canonical text:\n%q\nmarshals to\n%q", text, out)
		}
		if c.Threshold() < 1 || c.Threshold() > len(c.Members()) || len(c.Members()) > MaxMembers {
			t.Fatalf("accepted %d of %d", c.Threshold(), len(c.Members()))
		}
	})
}

// FuzzContribution checks that a contribution's text form parses only in
// its canonical form: what UnmarshalText accepts marshals to the same
// bytes.
func FuzzContribution(f *testing.F) {
	f.Add([]byte("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 3 q83vEjRWeJCrze8SNFZ4kA"))
	f.Add([]byte("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 32 AAAAAAAAAAAAAAAAAAAAAA"))
	f.Fuzz(func(t *testing.T, text []byte) {
		var c Contribution
		if err := c.UnmarshalText(text); err != nil {
			return
		}
		out, err := c.MarshalText()
		if err != nil || !bytes.Equal(out, text) {
			t.Fatalf("UnmarshalText accepted %q, which marshals to %q (%v)", text, out, err)
		}
	})
}
