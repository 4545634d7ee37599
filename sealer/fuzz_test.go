package sealer

import (
	"bytes"
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
// accepts has exactly one canonical stanza that re-encodes to the same
// header bytes.
func FuzzInspect(f *testing.F) {
	committee, _ := age.GenerateHybridIdentity()
	var buf bytes.Buffer
	if _, err := Seal(&buf, strings.NewReader("seed"), Target{Chain: fuzzChain, Round: 7, Committee: committee.Recipient()}); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte("age-encryption.org/v1\n-> segel-offer/v1 7 x y\n\n--- AAAA\n"))
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
		if s.Type != StanzaType || len(s.Body) != bodySize || s.Args[1] != h.ChainHash || s.Args[2] != h.CommitteeKeyID {
			t.Fatalf("accepted header disagrees with its stanza: %+v", h)
		}
	})
}
