package registry

import (
	"strings"
	"testing"
)

// The parsers face user input on every registration. Each fuzz target checks
// no panic, the error sentinel, and that accepted output is canonical: it
// parses to itself.

func FuzzCheckNIK(f *testing.F) {
	for _, s := range append(testNIKs, "", "0000000000000000", "3171013102850001", "3273017208900002") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if err := CheckNIK(s); err == nil {
			if len(s) != 16 || !allDigits(s) {
				t.Fatalf("CheckNIK accepted %q", s)
			}
			// A valid NIK is a valid 16-digit NPWP, unchanged.
			if n, err := NormalizeNPWP(s); err != nil || n != s {
				t.Fatalf("NIK %q is not its own NPWP: %q, %v", s, n, err)
			}
		}
	})
}

func FuzzNormalizeNPWP(f *testing.F) {
	for _, s := range []string{"01.234.567.8-012.000", "012345678012000", "0012345678012000",
		"3171011203850001", " 01.234.567.8-012.000 ", "01-234-567-8.012.000", "", "000000000012000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := NormalizeNPWP(s)
		if err != nil {
			return
		}
		if len(n) != 15 && len(n) != 16 || !allDigits(n) {
			t.Fatalf("NormalizeNPWP(%q) = %q", s, n)
		}
		if again, err := NormalizeNPWP(n); err != nil || again != n {
			t.Fatalf("NormalizeNPWP(%q) = %q, %v; want it unchanged", n, again, err)
		}
		if len(n) == 15 {
			f := n[:2] + "." + n[2:5] + "." + n[5:8] + "." + n[8:9] + "-" + n[9:12] + "." + n[12:]
			if again, err := NormalizeNPWP(f); err != nil || again != n {
				t.Fatalf("NormalizeNPWP(%q) = %q, %v; want %q", f, again, err, n)
			}
		}
	})
}

func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{"Budi.Santoso@Contoh.CO.ID", " a@b.c ", "a@@b.c", "a..b@c.d", "ü@b.c", "a@b", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := NormalizeEmail(s)
		if err != nil {
			return
		}
		if len(n) > 254 || n != strings.ToLower(n) || strings.Count(n, "@") != 1 || strings.TrimSpace(n) != n {
			t.Fatalf("NormalizeEmail(%q) = %q", s, n)
		}
		if again, err := NormalizeEmail(n); err != nil || again != n {
			t.Fatalf("NormalizeEmail(%q) = %q, %v; want it unchanged", n, again, err)
		}
	})
}

func FuzzParsePHC(f *testing.F) {
	f.Add(hashPassword("x", fastPassword))
	f.Add("$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA")
	f.Add("$argon2id$v=19$m=4294967295,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA")
	f.Fuzz(func(t *testing.T, s string) {
		p, salt, key, err := parsePHC(s)
		if err != nil {
			return
		}
		if p.MemoryKiB > maxParamMemoryKiB || p.Time > maxParamTime || p.Threads == 0 {
			t.Fatalf("parsePHC(%q) accepted costs %+v", s, p)
		}
		if len(salt) < 8 || len(key) < 16 {
			t.Fatalf("parsePHC(%q) accepted a short salt or key", s)
		}
	})
}
