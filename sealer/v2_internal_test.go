package sealer

import (
	"bytes"
	"io"
	"testing"

	"filippo.io/age"
)

// TestV2RecipientAlone: as in version 1, age refuses any other recipient
// alongside a version 2 offer's (a second stanza would be a way in that
// skips the time lock or the committee), and the committee's keys alone,
// or the round's identity with them, open nothing through age.
func TestV2RecipientAlone(t *testing.T) {
	f := newFixture(t)
	members := []*age.HybridIdentity{f.committee}
	c, err := NewCommittee(1, []*age.HybridRecipient{f.committee.Recipient()})
	if err != nil {
		t.Fatal(err)
	}
	tg := Target{Chain: f.target.Chain, Round: 100, Members: c, Tender: "T-1", Bidder: "b", File: 1}
	rcpt, _, err := newSealRecipient(tg, bytes.NewReader(nil))
	if err != nil {
		t.Fatal(err)
	}
	x, _ := age.GenerateX25519Identity()
	for _, other := range []age.Recipient{x.Recipient(), f.committee.Recipient(), rcpt} {
		if _, err := age.Encrypt(io.Discard, rcpt, other); err == nil {
			t.Errorf("age accepted %T alongside a version 2 offer's recipient", other)
		}
	}
	var buf bytes.Buffer
	if _, err := Seal(&buf, bytes.NewReader([]byte("offer")), tg); err != nil {
		t.Fatal(err)
	}
	sig := f.signature(t)
	id, err := NewIdentity(f.target.Chain, 100, sig, members[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := age.Decrypt(bytes.NewReader(buf.Bytes()), id, members[0], id.tlock); err == nil {
		t.Fatal("age opened a version 2 offer with the round's identity and the member's key")
	}
}
