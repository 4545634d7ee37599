package api

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestParseDigest(t *testing.T) {
	good := "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	d, err := ParseDigest(good)
	if err != nil || d.String() != good {
		t.Fatalf("ParseDigest(%q) = %v, %v", good, d, err)
	}
	for _, bad := range []string{
		"",
		good[:63],                      // n-1
		good + "0",                     // n+1
		strings.ToUpper(good),          // not canonical
		good[:62] + "0A",               // one upper-case digit
		good[:63] + "g",                // not hex
		" " + good[1:],                 // space
		good[:32] + "\x00" + good[33:], // NUL
		strings.Repeat("é", 32),        // 64 bytes, not hex
	} {
		if _, err := ParseDigest(bad); !errors.Is(err, ErrDigest) {
			t.Errorf("ParseDigest(%q): %v, want ErrDigest", bad, err)
		}
	}
}

func TestDigestJSON(t *testing.T) {
	var v struct {
		D Digest `json:"d"`
		O Digest `json:"o,omitzero"`
	}
	v.D[0] = 0xab
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"d":"ab` + strings.Repeat("0", 62) + `"}`; string(b) != want {
		t.Errorf("Marshal = %s, want %s (the zero digest absent)", b, want)
	}
	if err := json.Unmarshal([]byte(`{"d":"AB`+strings.Repeat("0", 62)+`"}`), &v); !errors.Is(err, ErrDigest) {
		t.Errorf("Unmarshal of upper case: %v, want ErrDigest", err)
	}
	if err := json.Unmarshal([]byte(`{"d":[1,2,3]}`), &v); err == nil {
		t.Errorf("Unmarshal of an array: no error")
	}
}

// FuzzParseDigest checks that ParseDigest accepts exactly the lowercase
// hex of 32 bytes, and that what it accepts prints back as it was.
func FuzzParseDigest(f *testing.F) {
	f.Add("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
	f.Add(strings.Repeat("0", 64))
	f.Add(strings.Repeat("F", 64))
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDigest(s)
		b, herr := hex.DecodeString(s)
		canonical := herr == nil && len(b) == 32 && strings.ToLower(s) == s
		if (err == nil) != canonical {
			t.Fatalf("ParseDigest(%q): %v; canonical %v", s, err, canonical)
		}
		if err == nil && d.String() != s {
			t.Fatalf("ParseDigest(%q).String() = %q", s, d)
		}
	})
}
