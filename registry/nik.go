package registry

import (
	"time"
)

// nikLen is the length of a NIK in digits.
const nikLen = 16

// CheckNIK reports whether s is a well-formed NIK, the 16-digit Indonesian
// population identity number printed on the KTP (doc/spec/registry.md §4.2):
// a real province code, non-zero regency and district codes, a date of birth
// DDMMYY (women's DD plus 40) that is a real calendar date, and a non-zero
// serial. No separators are accepted.
func CheckNIK(s string) error {
	bad := func(why string) error {
		return invalid("nik", why+"; enter the 16 digits printed on the KTP")
	}
	if len(s) != nikLen || !allDigits(s) {
		return bad("it must be exactly 16 digits")
	}
	if !provinceCode(atoi2(s[0:2])) {
		return bad("the first two digits are not a province code")
	}
	if s[2:4] == "00" || s[4:6] == "00" {
		return bad("digits 3 to 6 are not a regency and district code")
	}
	day, month, yy := atoi2(s[6:8]), atoi2(s[8:10]), atoi2(s[10:12])
	if day > 40 {
		day -= 40 // women's day of birth is increased by 40
	}
	if !realDate(1900+yy, month, day) && !realDate(2000+yy, month, day) {
		return bad("digits 7 to 12 are not a date of birth DDMMYY (DD plus 40 for women)")
	}
	if s[12:] == "0000" {
		return bad("the last four digits may not be 0000")
	}
	return nil
}

// provinceCode reports whether p is a province code of Permendagri 72/2019
// and Kepmendagri 100.1.1-6117/2022 (which added 92–96 for the new Papuan
// provinces; NIKs issued before keep 91 and 94).
func provinceCode(p int) bool {
	switch {
	case p >= 11 && p <= 19, p == 21, p >= 31 && p <= 36, p >= 51 && p <= 53,
		p >= 61 && p <= 65, p >= 71 && p <= 76, p == 81, p == 82, p >= 91 && p <= 96:
		return true
	}
	return false
}

// realDate reports whether day/month/year is a date of the Gregorian calendar.
func realDate(year, month, day int) bool {
	if month < 1 || month > 12 || day < 1 || day > 31 {
		return false
	}
	t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	return t.Day() == day && int(t.Month()) == month
}

// atoi2 returns the value of two ASCII digits.
func atoi2(s string) int { return int(s[0]-'0')*10 + int(s[1]-'0') }

// allDigits reports whether s is non-empty and only ASCII digits.
func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
