package api

import (
	"os"
	"regexp"
	"strconv"
	"testing"
)

// TestSpecCodes checks the table of codes in doc/spec/api.md against
// the codes of this package: the same codes, in the same order, with the
// same statuses and meanings.
func TestSpecCodes(t *testing.T) {
	spec, err := os.ReadFile("../doc/spec/api.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := regexp.MustCompile("(?m)^\\| `([a-z-]+)` \\| ([0-9]+) \\| (.*) \\|$").FindAllStringSubmatch(string(spec), -1)
	if len(rows) != len(codes) {
		t.Errorf("doc/spec/api.md lists %d codes, the package %d", len(rows), len(codes))
	}
	for i := range min(len(rows), len(codes)) {
		r, c := rows[i], codes[i]
		if r[1] != string(c.code) || r[2] != strconv.Itoa(c.status) || r[3] != c.doc {
			t.Errorf("doc/spec/api.md row %d: %s %s %q; the package has %s %d %q", i+1, r[1], r[2], r[3], c.code, c.status, c.doc)
		}
	}
}
