package timelock

import (
	"bytes"
	"strconv"
	"testing"

	"filippo.io/age"
)

// FuzzParseStanza checks that the stanza parser never panics, accepts only
// canonical rounds, and that whatever it accepts re-encodes to itself.
func FuzzParseStanza(f *testing.F) {
	v := loadVectors(f)
	for _, ct := range v.Ciphertexts {
		f.Add(strconv.FormatUint(ct.Round, 10), ct.ChainHash, mustHex(ct.BodyHex))
	}
	f.Add("07", QuicknetHash, make([]byte, 128))
	f.Fuzz(func(t *testing.T, round, hash string, body []byte) {
		s := &age.Stanza{Type: StanzaType, Args: []string{round, hash}, Body: body}
		r, err := ParseStanza(Quicknet, s)
		if err != nil {
			return
		}
		if strconv.FormatUint(r, 10) != round || hash != QuicknetHash || len(body) != 128 {
			t.Fatalf("accepted non-canonical stanza %q %q (%d bytes)", round, hash, len(body))
		}
		if _, err := parseG2(body[:96]); err != nil {
			t.Fatalf("accepted invalid U: %v", err)
		}
	})
}

// FuzzParseChainInfo checks that chain info parsing never panics and that
// an accepted document describes a chain whose own info parses back equal.
// The seeds in testdata/fuzz include the relays' real documents, v1 and v2.
func FuzzParseChainInfo(f *testing.F) {
	f.Add(Quicknet.MarshalInfo())
	f.Add([]byte(`{"schemeID":"pedersen-bls-chained"}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		c, err := ParseChainInfo(doc)
		if err != nil {
			return
		}
		d, err := ParseChainInfo(c.MarshalInfo())
		if err != nil || !d.Equal(c) || !bytes.Equal(d.PublicKey(), c.PublicKey()) {
			t.Fatalf("accepted chain does not round-trip: %v", err)
		}
		if !bytes.Equal(d.MarshalInfo(), c.MarshalInfo()) {
			t.Fatalf("MarshalInfo is not stable:\n%s\n%s", c.MarshalInfo(), d.MarshalInfo())
		}
	})
}

// FuzzIdentityUnwrap feeds arbitrary stanzas to an identity: it must
// never panic and never return a key for a stanza it did not make.
func FuzzIdentityUnwrap(f *testing.F) {
	v := loadVectors(f)
	sig := mustHex(v.Ciphertexts[0].Signature)
	id, err := NewIdentity(Quicknet, v.Ciphertexts[0].Round, sig)
	if err != nil {
		f.Fatal(err)
	}
	good := mustHex(v.Ciphertexts[0].BodyHex)
	f.Add(good)
	f.Add(good[:127])
	f.Fuzz(func(t *testing.T, body []byte) {
		s := &age.Stanza{Type: StanzaType, Args: []string{"12040883", QuicknetHash}, Body: body}
		key, err := id.Unwrap([]*age.Stanza{s})
		if err == nil && !bytes.Equal(body, good) {
			t.Fatalf("unwrapped a modified body to %x", key)
		}
	})
}
