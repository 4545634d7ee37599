package auditlog_test

import (
	"bytes"
	"testing"

	"github.com/segel-lpse/segel/auditlog"
	"golang.org/x/mod/sumdb/note"
)

func TestKeyFromSeed(t *testing.T) {
	seed := bytes.Repeat([]byte{7}, auditlog.SeedSize)
	skey, vkey, err := auditlog.KeyFromSeed("lpse.example/log", seed)
	if err != nil {
		t.Fatal(err)
	}
	again, vagain, _ := auditlog.KeyFromSeed("lpse.example/log", seed)
	if again != skey || vagain != vkey {
		t.Error("the same seed gave different keys")
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := auditlog.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := note.Sign(&note.Note{Text: "hello\n"}, s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := note.Open(msg, note.VerifierList(v)); err != nil {
		t.Errorf("a note signed with the derived key does not verify: %v", err)
	}
	other, _, _ := auditlog.KeyFromSeed("lpse.example/log", bytes.Repeat([]byte{8}, auditlog.SeedSize))
	if other == skey {
		t.Error("different seeds gave the same key")
	}
	if _, _, err := auditlog.KeyFromSeed("lpse.example/log", seed[:31]); err == nil {
		t.Error("a 31-byte seed was accepted")
	}
}
