package registry

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckNIK(t *testing.T) {
	for _, tc := range []struct {
		nik string
		ok  bool
	}{
		{"3171011203850001", true},  // man, 12 March 1985
		{"3273015708900002", true},  // woman, 17 August 1990 (57 = 17 + 40)
		{"3273017108900002", true},  // woman, 31st (71 = 31 + 40)
		{"3273017208900002", false}, // 72 - 40 = 32
		{"3273014008900002", false}, // 40 - 40 = 0
		{"3171012902000001", true},  // 29 February 2000
		{"3171012902040001", true},  // 29 February 2004
		{"3171012902010001", false}, // 2001 and 1901 are not leap years
		{"3171013104850001", false}, // 31 April
		{"3171010013850001", false}, // month 13 / day 0
		{"3171011200850001", false}, // month 0
		{"3171011203850000", false}, // serial 0000
		{"3100011203850001", false}, // regency 00
		{"3171001203850001", false}, // district 00
		{"2071011203850001", false}, // province 20 does not exist
		{"1071011203850001", false}, // nor 10
		{"9671011203850001", true},  // Papua Barat Daya (2022)
		{"9771011203850001", false},
		{"317101120385000", false},
		{"31710112038500011", false},
		{"3171-01120385001", false},
		{" 3171011203850001", false},
		{"", false},
		{"317101120385000١", false}, // Arabic-Indic digit
	} {
		err := CheckNIK(tc.nik)
		if (err == nil) != tc.ok {
			t.Errorf("CheckNIK(%q) = %v, want ok=%v", tc.nik, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("CheckNIK(%q) = %v, not ErrInvalid", tc.nik, err)
		}
		if err != nil && strings.Contains(err.Error(), tc.nik) && tc.nik != "" {
			t.Errorf("CheckNIK(%q) echoes the NIK: %v", tc.nik, err)
		}
	}
}

func TestNormalizeNPWP(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"01.234.567.8-012.000", "012345678012000"},
		{" 01.234.567.8-012.000\n", "012345678012000"},
		{"012345678012000", "012345678012000"},
		{"0012345678012000", "0012345678012000"}, // 16 digits: 0 + NPWP15
		{"3171011203850001", "3171011203850001"}, // 16 digits: a NIK
		{"3171013102850001", ""},                 // 16 digits, not a NIK (31 Feb)
		{"0000000000012000", ""},                 // 0 + zero taxpayer number
		{"000000000012000", ""},                  // zero taxpayer number
		{"01.234.567.8-012.00", ""},              // 19 characters
		{"01.234.567.8-012.0000", ""},            // 21
		{"01-234-567-8.012.000", ""},             // wrong punctuation
		{"01.234.567.8 012.000", ""},             // space for hyphen
		{"0123456780120", ""},                    // 13 digits
		{"01234567801200000", ""},                // 17 digits
		{"01.234.567.8-012.00a", ""},             // letter
		{"0.1234567.8-0120.00", ""},              // dots moved
		{"", ""},
	} {
		got, err := NormalizeNPWP(tc.in)
		if got != tc.want || (err == nil) != (tc.want != "") {
			t.Errorf("NormalizeNPWP(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("NormalizeNPWP(%q) = %v, not ErrInvalid", tc.in, err)
		}
	}
}

func TestNormalizeEmail(t *testing.T) {
	long := strings.Repeat("a", 64)
	for _, tc := range []struct{ in, want string }{
		{"Budi.Santoso@Contoh.CO.ID", "budi.santoso@contoh.co.id"},
		{"  budi+lpse@contoh.co.id\t", "budi+lpse@contoh.co.id"},
		{"o'neil@mail-1.example.org", "o'neil@mail-1.example.org"},
		{long + "@contoh.co.id", long + "@contoh.co.id"},
		{long + "a@contoh.co.id", ""},
		{"budi@" + strings.Repeat("a", 63) + ".id", "budi@" + strings.Repeat("a", 63) + ".id"},
		{"budi@" + strings.Repeat("a", 64) + ".id", ""},
		{"b@" + strings.Repeat(strings.Repeat("a", 63)+".", 3) + strings.Repeat("a", 60), // 254 bytes
			"b@" + strings.Repeat(strings.Repeat("a", 63)+".", 3) + strings.Repeat("a", 60)},
		{"b@" + strings.Repeat(strings.Repeat("a", 63)+".", 3) + strings.Repeat("a", 61), ""}, // 255 bytes
		{"budi", ""},
		{"@contoh.co.id", ""},
		{"budi@", ""},
		{"budi@localhost", ""},
		{"budi@@contoh.co.id", ""},
		{"budi@contoh@co.id", ""},
		{".budi@contoh.co.id", ""},
		{"budi.@contoh.co.id", ""},
		{"bu..di@contoh.co.id", ""},
		{"bu di@contoh.co.id", ""},
		{"budi@-contoh.co.id", ""},
		{"budi@contoh-.co.id", ""},
		{"budi@contoh..co.id", ""},
		{"budi@contoh.co.id.", ""},
		{"budi@contöh.co.id", ""},
		{"büdi@contoh.co.id", ""},
		{"budi@contoh_co.id", ""},
		{"\"budi\"@contoh.co.id", ""},
		{"", ""},
	} {
		got, err := NormalizeEmail(tc.in)
		if got != tc.want || (err == nil) != (tc.want != "") {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("NormalizeEmail(%q) = %v, not ErrInvalid", tc.in, err)
		}
	}
}

func TestCheckLicence(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"9120001234567", true}, {"912000123456", false}, {"91200012345678", false},
		{"510/1234/PK/IV/2015", true}, {"SIUP-01.2", true}, {"ab", false}, {"/510/1", false},
		{"510 1234", false}, {strings.Repeat("A", 64), true}, {strings.Repeat("A", 65), false}, {"", false},
	} {
		if err := checkLicence(tc.in); (err == nil) != tc.ok || err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("checkLicence(%q) = %v, want ok=%v", tc.in, err, tc.ok)
		}
	}
}

func TestPassword(t *testing.T) {
	h := hashPassword(testPassword, fastPassword)
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q", h)
	}
	if ok, err := verifyPassword(testPassword, h); !ok || err != nil {
		t.Errorf("right password: %v, %v", ok, err)
	}
	if ok, err := verifyPassword(testPassword+"x", h); ok || err != nil {
		t.Errorf("wrong password: %v, %v", ok, err)
	}
	if h2 := hashPassword(testPassword, fastPassword); h2 == h {
		t.Errorf("two hashes of one password are equal: the salt is not random")
	}
	// Parameters are read back: a hash made with other costs still verifies.
	if ok, _ := verifyPassword("x", hashPassword("x", PasswordParams{Time: 2, MemoryKiB: 128, Threads: 2})); !ok {
		t.Errorf("hash with other parameters does not verify")
	}
	parts := strings.Split(h, "$")
	for _, bad := range []string{
		"", "$argon2i" + h[9:], strings.Replace(h, "v=19", "v=16", 1), strings.Replace(h, "m=64", "m=064", 1),
		strings.Replace(h, "m=64", "m=4", 1), strings.Replace(h, "t=1", "t=0", 1), strings.Replace(h, "p=1", "p=0", 1),
		strings.Replace(h, "m=64", "m=99999999", 1), strings.Replace(h, ",t=1", "", 1),
		h + "=", h + "$", strings.Join(parts[:5], "$"), "$argon2id$v=19$m=64,t=1,p=1$" + parts[4] + "$" + parts[5][:20],
	} {
		if _, err := verifyPassword(testPassword, bad); err == nil {
			t.Errorf("verifyPassword accepted malformed hash %q", bad)
		}
	}
	for _, tc := range []struct {
		p  string
		ok bool
	}{
		{strings.Repeat("a", 11), false}, {strings.Repeat("a", 12), true},
		{strings.Repeat("é", 12), true}, {strings.Repeat("a", 256), true}, {strings.Repeat("a", 257), false},
		{"\xff" + strings.Repeat("a", 12), false},
	} {
		if err := checkPassword(tc.p); (err == nil) != tc.ok || err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("checkPassword(%d bytes) = %v, want ok=%v", len(tc.p), err, tc.ok)
		}
	}
}

func TestParseRole(t *testing.T) {
	for _, s := range []string{"provider", "pokja", "pejabat-pengadaan", "ppk", "pa-kpa", "auditor", "verifier", "admin"} {
		if r, err := ParseRole(s); err != nil || string(r) != s {
			t.Errorf("ParseRole(%q) = %q, %v", s, r, err)
		}
	}
	for _, s := range []string{"", "Admin", "lpse-staff", "bidder", "ppk "} {
		if _, err := ParseRole(s); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseRole(%q) = %v, want ErrInvalid", s, err)
		}
	}
}

// TestCheckReason checks the reason rule: the entries' text kind, with the
// registry's cap of MaxReasonLength bytes named in every refusal.
func TestCheckReason(t *testing.T) {
	for _, s := range []string{"x", "dokumen palsu", "pelanggaran — pasal 9", strings.Repeat("x", MaxReasonLength)} {
		if err := checkReason("reason", s); err != nil {
			t.Errorf("checkReason(%.40q) = %v", s, err)
		}
	}
	for _, s := range []string{"", " x", "x ", "a\nb", "a\tb", "\xff", "x\u00a0",
		strings.Repeat("x", MaxReasonLength+1), strings.Repeat("x", 1025)} {
		err := checkReason("reason", s)
		var fe *FieldError
		if !errors.Is(err, ErrInvalid) || !errors.As(err, &fe) || fe.Field != "reason" {
			t.Errorf("checkReason(%.40q) = %v, want a FieldError for reason", s, err)
			continue
		}
		if !strings.Contains(err.Error(), "give 1 to 512 bytes") || strings.Contains(err.Error(), "1024") {
			t.Errorf("checkReason(%.40q) = %q: the refusal should give the registry's cap, 512 bytes, only", s, err)
		}
	}
}
