package sealer

import (
	"crypto/sha256"
	"encoding/hex"
	"runtime"
	"testing"
	"time"
	"weak"

	"filippo.io/age"
)

// TestKeyID checks the id against its definition (doc/spec/offer.md), for
// a recipient seen for the first time and again from the memo, and that
// the memo forgets a recipient once it is gone.
func TestKeyID(t *testing.T) {
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
	wp := weak.Make(r)
	if got, ok := keyIDs.Load(wp); !ok || got != want {
		t.Fatalf("memo holds %v, %v for the recipient; want %s", got, ok, want)
	}
	// Another recipient of the same key, and another key.
	if got := KeyID(id.Recipient()); got != want {
		t.Fatalf("KeyID of the same key parsed again = %s, want %s", got, want)
	}
	other, _ := age.GenerateHybridIdentity()
	if KeyID(other.Recipient()) == want {
		t.Fatal("two keys have the same id")
	}
	runtime.KeepAlive(r)
	r = nil
	for start := time.Now(); ; {
		runtime.GC()
		if _, ok := keyIDs.Load(wp); !ok {
			break
		}
		if time.Since(start) > 10*time.Second {
			t.Fatal("memo still holds the recipient's id after it is gone")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
