package vault

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestScanEnd: the bound Scan reads up to is valid UTF-8 and above every
// key with the prefix, however the key goes on, up to MaxKeySize.
func TestScanEnd(t *testing.T) {
	max := string(utf8.MaxRune)
	for _, tt := range []struct{ prefix, want string }{
		{"", noKeyAbove},
		{"a", "b"},
		{"p/001", "p/002"},
		{"a/\u007f", "a/\u0080"},
		{"a/é", "a/ê"},
		{"a/\uffff", "a/\U00010000"},
		{"\ud7ff", "\ue000"},
		{"z" + max, "{"},
		{"z" + max + max, "{"},
		{max, noKeyAbove},
		{max + max, noKeyAbove},
	} {
		end := scanEnd(tt.prefix)
		if end != tt.want {
			t.Errorf("scanEnd(%q) = %q, want %q", tt.prefix, end, tt.want)
		}
		if !utf8.ValidString(end) || end <= tt.prefix {
			t.Errorf("scanEnd(%q) = %q: not valid UTF-8 above the prefix", tt.prefix, end)
		}
		longest := strings.Repeat(max, (MaxKeySize-len(tt.prefix))/utf8.UTFMax)
		for _, rest := range []string{"", "\x01", "a", max, longest} {
			key := tt.prefix + rest
			if key != "" && key >= end {
				t.Errorf("key %q (%d bytes) is not below scanEnd(%q) = %q", key[:min(len(key), 12)], len(key), tt.prefix, end)
			}
		}
	}
	if len(noKeyAbove) <= MaxKeySize {
		t.Errorf("noKeyAbove has %d bytes: a key of MaxKeySize bytes of U+10FFFF is not below it", len(noKeyAbove))
	}
}
