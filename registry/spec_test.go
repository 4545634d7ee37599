package registry

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestSpecRoles compares the role ids the registry accepts and logs with
// the two documents that list them: the role table of doc/spec/registry.md
// §1 and the `role` field of doc/spec/entries.md, which the audit log's
// readers go by. The log records Role's string, so every list must be the
// same, in the same order.
func TestSpecRoles(t *testing.T) {
	var want []string
	for _, r := range roles {
		want = append(want, string(r))
	}
	for _, s := range want {
		if _, err := ParseRole(s); err != nil {
			t.Errorf("ParseRole(%q): %v", s, err)
		}
	}

	reg := readSpec(t, "../doc/spec/registry.md")
	_, sec1, _ := strings.Cut(reg, "\n## 1. ")
	sec1, _, _ = strings.Cut(sec1, "\n## ")
	var table []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z-]+)` \\|").FindAllStringSubmatch(sec1, -1) {
		table = append(table, m[1])
	}
	if !slices.Equal(table, want) {
		t.Errorf("registry.md §1 lists roles %q, the registry has %q", table, want)
	}

	ent := readSpec(t, "../doc/spec/entries.md")
	line := regexp.MustCompile("(?m)^- `role`: (.*(?:\n  .*)*)").FindStringSubmatch(ent)
	if line == nil {
		t.Fatal("entries.md has no \"- `role`:\" item")
	}
	var listed []string
	for _, m := range regexp.MustCompile("`([a-z-]+)`").FindAllStringSubmatch(line[1], -1) {
		listed = append(listed, m[1])
	}
	if !slices.Equal(listed, want) {
		t.Errorf("entries.md's role field lists %q, the registry has %q", listed, want)
	}
}

func readSpec(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
