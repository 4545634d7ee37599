package registry

import (
	"fmt"
	"strings"
)

// checkLicence reports whether s is a business licence number
// (doc/spec/registry.md §4.4): a 13-digit NIB, or a SIUP number of 3–64
// letters, digits, '.', '/' and '-' with at least one non-digit.
func checkLicence(s string) error {
	bad := func(why string) error {
		return invalid("licence", why+"; enter the 13-digit NIB from OSS, or the SIUP number")
	}
	if allDigits(s) {
		if len(s) != 13 {
			return bad(fmt.Sprintf("a NIB has 13 digits, not %d", len(s)))
		}
		return nil
	}
	if len(s) < 3 || len(s) > 64 {
		return bad("a SIUP number has 3 to 64 characters")
	}
	if !isAlnum(s[0]) {
		return bad("it must start with a letter or digit")
	}
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) && strings.IndexByte("./-", s[i]) < 0 {
			return bad(fmt.Sprintf("it contains %q", s[i]))
		}
	}
	return nil
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
