package sigcache

import (
	"bytes"
	"testing"
)

func TestCache(t *testing.T) {
	var c Cache
	if _, ok := c.Get(7); ok {
		t.Fatal("an empty cache has round 7")
	}
	sig := []byte{1, 2, 3}
	c.Put(7, sig)
	sig[0] = 9 // the caller's slice is not kept
	got, ok := c.Get(7)
	if !ok || !bytes.Equal(got, []byte{1, 2, 3}) {
		t.Fatalf("Get(7) = %x, %v; want 010203, true", got, ok)
	}
	got[1] = 9 // nor is what Get returned
	if again, _ := c.Get(7); !bytes.Equal(again, []byte{1, 2, 3}) {
		t.Fatalf("Get(7) after changing the last answer = %x", again)
	}
	if _, ok := c.Get(8); ok {
		t.Fatal("round 8 was never put")
	}
}
