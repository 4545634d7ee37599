package archive

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"strings"
)

// Sum is one line of SHA256SUMS.
type Sum struct {
	Name   string
	SHA256 [32]byte
}

// MarshalSums returns the lines of SHA256SUMS for sums, in their order.
func MarshalSums(sums []Sum) []byte {
	var b bytes.Buffer
	for _, s := range sums {
		fmt.Fprintf(&b, "%x  %s\n", s.SHA256, s.Name)
	}
	return b.Bytes()
}

// ParseSums parses SHA256SUMS strictly: the lines MarshalSums writes.
func ParseSums(b []byte) ([]Sum, error) {
	if len(b) > maxSumsSize {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrBad, SumsName, maxSumsSize)
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		return nil, fmt.Errorf("%w: %s is truncated", ErrBad, SumsName)
	}
	var sums []Sum
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 4096)
	for sc.Scan() {
		line := sc.Text()
		hexSum, name, ok := strings.Cut(line, "  ")
		var d [32]byte
		if !ok || len(hexSum) != 2*len(d) || hexSum != strings.ToLower(hexSum) || name == "" {
			return nil, fmt.Errorf("%w: %s: bad line %q", ErrBad, SumsName, line)
		}
		if _, err := hex.Decode(d[:], []byte(hexSum)); err != nil {
			return nil, fmt.Errorf("%w: %s: bad line %q", ErrBad, SumsName, line)
		}
		if seen[name] {
			return nil, fmt.Errorf("%w: %s lists %s twice", ErrBad, SumsName, name)
		}
		seen[name] = true
		sums = append(sums, Sum{name, d})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBad, SumsName, err)
	}
	return sums, nil
}

// checkSums compares the entries a reader hashed with SHA256SUMS: the same
// names, the same digests.
func checkSums(got, listed []Sum) error {
	want := make(map[string][32]byte, len(listed))
	for _, s := range listed {
		want[s.Name] = s.SHA256
	}
	for _, s := range got {
		d, ok := want[s.Name]
		if !ok {
			return fmt.Errorf("%w: %s is in the archive but not in %s", ErrBad, s.Name, SumsName)
		}
		if d != s.SHA256 {
			return fmt.Errorf("%w: %s: SHA-256 %x, but %s says %x", ErrBad, s.Name, s.SHA256, SumsName, d)
		}
		delete(want, s.Name)
	}
	for _, s := range listed {
		if _, missing := want[s.Name]; missing {
			return fmt.Errorf("%w: %s lists %d files missing from the archive, first %s", ErrBad, SumsName, len(want), s.Name)
		}
	}
	return nil
}
