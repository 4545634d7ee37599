package canon

import (
	"strings"
	"testing"
)

func TestIsID(t *testing.T) {
	for _, s := range []string{"a", "0", "npwp-hash-7f3a", "u/1.x_y-z", strings.Repeat("a", MaxID), "T-20261201-ABCD"} {
		if !IsID(s) {
			t.Errorf("IsID(%q) = false", s)
		}
	}
	for _, s := range []string{"", "-a", "/a", ".a", "_a", "a b", "a:b", "ä", strings.Repeat("a", MaxID+1), "a\n"} {
		if IsID(s) {
			t.Errorf("IsID(%q) = true", s)
		}
	}
	// Every tender id is an id; an id with '/' is not a tender id.
	for _, s := range []string{"T-1", "10012345000", "x.y_z"} {
		if !IsTenderID(s) || !IsID(s) {
			t.Errorf("%q: IsTenderID %v, IsID %v", s, IsTenderID(s), IsID(s))
		}
	}
	if IsTenderID("a/b") || !IsID("a/b") {
		t.Error("a/b: want an id that is not a tender id")
	}
}
