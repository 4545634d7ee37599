package registry

import (
	"fmt"
	"strings"
)

// NormalizeNPWP returns the digits of an NPWP, the Indonesian taxpayer
// number (doc/spec/registry.md §4.3). It accepts 15 digits, plain or written
// exactly as 12.345.678.9-012.345, and 16 plain digits: 0 followed by a
// 15-digit NPWP, or a NIK (an individual's NPWP since PMK 112/2022).
func NormalizeNPWP(s string) (string, error) {
	s = strings.TrimSpace(s)
	bad := func(why string) (string, error) {
		return "", invalid("npwp", why+"; enter the 15-digit NPWP "+
			"(12.345.678.9-012.345) or the 16-digit NPWP")
	}
	if len(s) == 20 {
		// 12.345.678.9-012.345: dots after digits 2, 5, 8 and 12, a hyphen after 9.
		var d []byte
		for i := 0; i < len(s); i++ {
			switch i {
			case 2, 6, 10, 16:
				if s[i] != '.' {
					return bad("it is not written as 12.345.678.9-012.345")
				}
			case 12:
				if s[i] != '-' {
					return bad("it is not written as 12.345.678.9-012.345")
				}
			default:
				d = append(d, s[i])
			}
		}
		s = string(d)
	}
	if !allDigits(s) {
		return bad("it must be digits, or 15 digits written as 12.345.678.9-012.345")
	}
	switch len(s) {
	case 15:
		if s[:9] == "000000000" {
			return bad("the taxpayer number (first nine digits) may not be zero")
		}
		return s, nil
	case 16:
		if s[0] == '0' {
			if _, err := NormalizeNPWP(s[1:]); err != nil {
				return bad("a 16-digit NPWP starting with 0 must continue with a valid 15-digit NPWP")
			}
			return s, nil
		}
		if CheckNIK(s) != nil {
			return bad("a 16-digit NPWP not starting with 0 must be a valid NIK")
		}
		return s, nil
	}
	return bad(fmt.Sprintf("it has %d digits", len(s)))
}
