package canon

import (
	"strings"
	"testing"
	"time"
)

func TestIsTenderID(t *testing.T) {
	long := strings.Repeat("7", MaxTenderID)
	for _, s := range []string{"1", "T-1", "T-10", "T-1.x", "T-1-x", "t_1", "Z", "10293847", long} {
		if !IsTenderID(s) {
			t.Errorf("IsTenderID(%q) = false", s)
		}
	}
	for _, s := range []string{"", "T-1/x", "T-1/question", "/T-1", "-T", ".T", "_T", "T 1", "T\n", "T-é", long + "7", "../x"} {
		if IsTenderID(s) {
			t.Errorf("IsTenderID(%q) = true", s)
		}
	}
}

func TestParseUint(t *testing.T) {
	for _, s := range []string{"0", "7", "9223372036854775807"} {
		if _, err := ParseUint(s); err != nil {
			t.Errorf("ParseUint(%q): %v", s, err)
		}
	}
	for _, s := range []string{"", "00", "07", "-1", "+1", "1 ", "9223372036854775808", "1e3"} {
		if _, err := ParseUint(s); err == nil {
			t.Errorf("ParseUint(%q) accepted it", s)
		}
	}
}

func TestParseTime(t *testing.T) {
	tm := time.Date(2026, 11, 26, 3, 4, 5, 120000000, time.UTC)
	s := FormatTime(tm)
	if s != "2026-11-26T03:04:05.12Z" {
		t.Fatalf("FormatTime = %q", s)
	}
	if got, err := ParseTime(s); err != nil || !got.Equal(tm) {
		t.Errorf("ParseTime(%q) = %v, %v", s, got, err)
	}
	for _, bad := range []string{"2026-11-26T03:04:05.120Z", "2026-11-26T10:04:05+07:00", "2026-11-26 03:04:05Z", "2026-11-26T03:04:05z"} {
		if _, err := ParseTime(bad); err == nil {
			t.Errorf("ParseTime(%q) accepted a non-canonical time", bad)
		}
	}
}

func TestIsCanonicalBase64(t *testing.T) {
	if !IsCanonicalBase64("AQ==") || IsCanonicalBase64("AR==") || IsCanonicalBase64("AQ") {
		t.Error("IsCanonicalBase64 accepts non-canonical padding or rejects canonical")
	}
}
