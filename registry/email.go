package registry

import (
	"fmt"
	"strings"
)

// Limits on email addresses (RFC 5321 §4.5.3.1).
const (
	maxEmailLen = 254
	maxLocalLen = 64
	maxLabelLen = 63
)

// NormalizeEmail returns the canonical form of an email address under which
// it is unique in the registry (doc/spec/registry.md §4.1): trimmed,
// lowercased, ASCII only, one '@', a dot-atom local part and a domain of at
// least two LDH labels. NormalizeEmail(NormalizeEmail(s)) equals
// NormalizeEmail(s).
func NormalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	bad := func(why string) (string, error) {
		return "", invalid("email", why+"; enter an address like nama@perusahaan.co.id")
	}
	if s == "" {
		return bad("it is empty")
	}
	if len(s) > maxEmailLen {
		return bad(fmt.Sprintf("it is longer than %d bytes", maxEmailLen))
	}
	at := strings.IndexByte(s, '@')
	if at < 0 || strings.IndexByte(s[at+1:], '@') >= 0 {
		return bad("it must contain exactly one @")
	}
	local, domain := s[:at], strings.ToLower(s[at+1:])
	local = strings.ToLower(local)
	if local == "" || len(local) > maxLocalLen {
		return bad(fmt.Sprintf("the part before @ must be 1 to %d bytes", maxLocalLen))
	}
	if local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return bad("the part before @ may not start or end with a dot or hold two dots in a row")
	}
	for i := 0; i < len(local); i++ {
		if !isAtext(local[i]) && local[i] != '.' {
			return bad(fmt.Sprintf("the part before @ contains %q", local[i]))
		}
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return bad("the domain needs at least one dot")
	}
	for _, l := range labels {
		if l == "" || len(l) > maxLabelLen {
			return bad(fmt.Sprintf("each part of the domain must be 1 to %d bytes", maxLabelLen))
		}
		if l[0] == '-' || l[len(l)-1] == '-' {
			return bad("a part of the domain starts or ends with a hyphen")
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return bad(fmt.Sprintf("the domain contains %q (write internationalised domains in punycode)", c))
			}
		}
	}
	return local + "@" + domain, nil
}

// isAtext reports whether c is an RFC 5322 atext character (lowercase, as
// NormalizeEmail sees it).
func isAtext(c byte) bool {
	if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
		return true
	}
	return strings.IndexByte("!#$%&'*+/=?^_`{|}~-", c) >= 0
}
