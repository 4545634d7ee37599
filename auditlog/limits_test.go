package auditlog

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

// TestSizeCaps checks every input cap at n-1, n and n+1 bytes: the cap
// itself refuses only n+1. (Most inputs cannot be valid near their cap; then
// n-1 and n must fail for another reason than size.)
func TestSizeCaps(t *testing.T) {
	_, _, keys := fuzzKeys(t)
	logS, _, _ := fuzzKeys(t)
	isSizeErr := func(err error) bool { return err != nil && strings.Contains(err.Error(), "more than") }
	pad := func(n int) []byte { return bytes.Repeat([]byte("x"), n) }
	for _, tc := range []struct {
		name  string
		max   int
		parse func([]byte) error
	}{
		{"entry", MaxEntrySize, func(b []byte) error { _, err := ParseEntry(b); return err }},
		{"receipt", MaxReceiptSize, func(b []byte) error { _, err := VerifyReceipt(b, keys.Receipt); return err }},
		{"receipt text", MaxReceiptSize, func(b []byte) error { _, err := parseReceipt(b); return err }},
		{"checkpoint text", MaxCheckpointSize, func(b []byte) error { _, err := parseCheckpoint(b); return err }},
		{"proof file", MaxProofFileSize, func(b []byte) error { _, _, err := VerifyProofFile(b, keys); return err }},
	} {
		for _, n := range []int{tc.max - 1, tc.max, tc.max + 1} {
			err := tc.parse(pad(n))
			if err == nil || !errors.Is(err, ErrMalformed) || isSizeErr(err) != (n > tc.max) {
				t.Errorf("%s of %d bytes (cap %d): %v", tc.name, n, tc.max, err)
			}
		}
	}

	// A valid signed checkpoint of exactly n bytes, padded with extension
	// lines: valid up to the cap, refused above it.
	for _, n := range []int{MaxCheckpointSize - 1, MaxCheckpointSize, MaxCheckpointSize + 1} {
		signed := checkpointOfSize(t, logS, n)
		if len(signed) != n {
			t.Fatalf("built a checkpoint of %d bytes, want %d", len(signed), n)
		}
		_, err := VerifyCheckpoint(signed, keys.Log)
		if (err == nil) != (n <= MaxCheckpointSize) {
			t.Errorf("signed checkpoint of %d bytes (cap %d): %v", n, MaxCheckpointSize, err)
		}
	}
}

func checkpointOfSize(t *testing.T, s note.Signer, n int) []byte {
	base := s.Name() + "\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
	probe, err := note.Sign(&note.Note{Text: base}, s)
	if err != nil {
		t.Fatal(err)
	}
	need := n - len(probe) // bytes of extension lines, newlines included
	var ext strings.Builder
	for need > 0 {
		k := min(need, maxExtensionLen+1)
		if need-k == 1 { // never leave a 1-byte remainder: it would be an empty line
			k--
		}
		ext.WriteString(strings.Repeat("e", k-1) + "\n")
		need -= k
	}
	signed, err := note.Sign(&note.Note{Text: base + ext.String()}, s)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}
