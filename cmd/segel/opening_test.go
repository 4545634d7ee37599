package main

import (
	"strings"
	"testing"
)

// FuzzParseResults checks the evaluation's results file parser: it never
// panics, every result it returns names a bidder without white space and
// gives reasons, and what it returns, written back as lines, parses to
// the same results.
func FuzzParseResults(f *testing.F) {
	f.Add([]byte("# File I\nu-1 passed memenuhi persyaratan\nu-2 failed tenaga ahli tidak memenuhi\n"))
	f.Add([]byte("u-1 passed ok\r\n\n  # comment\nu-2 failed  many   spaces\n"))
	f.Add([]byte("u-1 lulus alasan\n"))
	f.Add([]byte("u-1 passed\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rs, err := parseResults(b)
		if err != nil {
			return
		}
		var text strings.Builder
		for _, r := range rs {
			if r.Bidder == "" || strings.ContainsAny(r.Bidder, " \t\r\n") || strings.TrimSpace(r.Reasons) == "" {
				t.Fatalf("result %+v from %q", r, b)
			}
			verdict := "failed"
			if r.Passed {
				verdict = "passed"
			}
			text.WriteString(r.Bidder + " " + verdict + " " + r.Reasons + "\n")
		}
		again, err := parseResults([]byte(text.String()))
		if err != nil {
			t.Fatalf("written back, %q does not parse: %v", text.String(), err)
		}
		if len(again) != len(rs) {
			t.Fatalf("%d results, written back %d", len(rs), len(again))
		}
		for i := range rs {
			if again[i] != rs[i] {
				t.Fatalf("result %d: %+v, written back %+v", i, rs[i], again[i])
			}
		}
	})
}
