// Package mutate drives Segel's exhaustive negative tests: every
// truncation and every single-byte change of a valid signed text must be
// rejected (STYLE.md 12). It is test support, shared by the packages that
// define signed formats.
package mutate

import (
	"fmt"
	"testing"
)

// substitutes are the bytes each position is also replaced with, on top of
// every single-bit flip: separators, padding, case and digit changes.
var substitutes = []byte{' ', '\n', '\t', '0', 'A', 'a', '+', '/', '=', 0xff}

// ForEach calls f with every truncation of valid and with every
// single-byte change of it: each bit flipped, and each byte replaced with
// each of the substitutes.
func ForEach(valid []byte, f func(desc string, b []byte)) {
	for i := range len(valid) {
		f(fmt.Sprintf("truncated to %d bytes", i), valid[:i:i])
	}
	for i := range len(valid) {
		for bit := range 8 {
			b := append([]byte{}, valid...)
			b[i] ^= 1 << bit
			f(fmt.Sprintf("byte %d (%q) bit %d flipped", i, valid[i], bit), b)
		}
		for _, c := range substitutes {
			if c == valid[i] {
				continue
			}
			b := append([]byte{}, valid...)
			b[i] = c
			f(fmt.Sprintf("byte %d (%q) replaced by %q", i, valid[i], c), b)
		}
	}
}

// CheckAllRejected checks that accept rejects every truncation and
// single-byte change of valid, and accepts valid itself.
func CheckAllRejected(t *testing.T, valid []byte, accept func([]byte) error) {
	t.Helper()
	if err := accept(valid); err != nil {
		t.Fatalf("valid input rejected: %v\n%s", err, valid)
	}
	n, failures := 0, 0
	ForEach(valid, func(desc string, b []byte) {
		n++
		if err := accept(b); err == nil {
			failures++
			if failures <= 10 {
				t.Errorf("%s: accepted\n%q", desc, b)
			}
		}
	})
	if failures > 0 {
		t.Errorf("%d of %d mutations accepted", failures, n)
	}
	t.Logf("%d mutations of %d bytes rejected", n, len(valid))
}
