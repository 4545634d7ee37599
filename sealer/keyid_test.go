package sealer

import (
	"crypto/sha256"
	"encoding/hex"
	"runtime"
	"testing"
	"time"

	"filippo.io/age"
)

// TestKeyID checks the id against its definition (doc/spec/offer.md), for
// a recipient seen for the first time and again from the memo, and that
// the memo forgets recipients that are gone.
func TestKeyID(t *testing.T) {
	count := func() (n int) {
		keyIDs.Range(func(any, any) bool { n++; return true })
		return n
	}
	before := count()
	id, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	r, err := age.ParseHybridRecipient(id.Recipient().String())
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(r.String()))
	want := hex.EncodeToString(sum[:8])
	for i := range 3 {
		if got := KeyID(r); got != want {
			t.Fatalf("call %d: KeyID = %s, want %s", i, got, want)
		}
	}
	// Another recipient of the same key, and another key.
	r2, _ := age.ParseHybridRecipient(r.String())
	if got := KeyID(r2); got != want {
		t.Fatalf("KeyID of the same key parsed again = %s, want %s", got, want)
	}
	other, _ := age.GenerateHybridIdentity()
	if KeyID(other.Recipient()) == want {
		t.Fatal("two keys have the same id")
	}
	if n := count(); n < before+3 {
		t.Fatalf("memo holds %d ids, want at least %d", n, before+3)
	}
	runtime.KeepAlive(r)
	runtime.KeepAlive(r2)
	for start := time.Now(); count() > before; {
		if time.Since(start) > 10*time.Second {
			t.Fatalf("memo still holds %d ids after the recipients are gone, want %d", count(), before)
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}
