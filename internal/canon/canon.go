// Package canon holds the one copy of the canonical text rules shared by
// Segel's signed formats: the value kinds of doc/spec/entries.md §2, the
// "key: value" line syntax of entries, receipts, reports and bundle files,
// and the strict opening of signed notes. auditlog, audit, registry and
// tender all use it, so a value, a line or a signature means the same
// bytes in every format.
package canon

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"filippo.io/age"
)

// A Kind is a value kind of doc/spec/entries.md §2.
type Kind int

// The value kinds, in the order of doc/spec/entries.md §2.
const (
	KindID        Kind = iota // 1–64 bytes of A–Z a–z 0–9 . _ / -, first a letter or digit
	KindUint                  // canonical decimal in [0, 2^63-1]
	KindTime                  // RFC 3339 in UTC, as FormatTime prints it
	KindSHA256                // 64 lowercase hex digits
	KindHex                   // lowercase hex, even length, 2 to MaxHex digits
	KindText                  // 1 to MaxText bytes of UTF-8, no control characters, trimmed
	KindFault                 // "file" or "system"
	KindRecipient             // an age hybrid recipient "age1pq1…" in age's own encoding
)

// Kinds lists every kind, in the order of doc/spec/entries.md §2.
var Kinds = []Kind{KindID, KindUint, KindTime, KindSHA256, KindHex, KindText, KindFault, KindRecipient}

var kindNames = [...]string{"id", "uint", "time", "sha256", "hex", "text", "fault", "recipient"}

// String returns the kind's name in doc/spec/entries.md §2, such as "sha256".
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return "kind(" + strconv.Itoa(int(k)) + ")"
	}
	return kindNames[k]
}

// Limits of the value kinds, in bytes.
const (
	MaxID   = 64
	MaxHex  = 1024
	MaxText = 1024

	// RecipientSize is the length of an age hybrid recipient
	// (ML-KEM-768 + X25519) in age's Bech32 encoding.
	RecipientSize = 1959
)

// Check reports whether v is the canonical encoding of a value of kind k.
// The error says what is wrong, without repeating v.
func (k Kind) Check(v string) error {
	switch k {
	case KindID:
		if len(v) == 0 || len(v) > MaxID || !IsAlnum(v[0]) {
			return fmt.Errorf("id must be 1 to %d bytes starting with a letter or digit", MaxID)
		}
		for i := 0; i < len(v); i++ {
			if c := v[i]; !IsAlnum(c) && c != '.' && c != '_' && c != '/' && c != '-' {
				return fmt.Errorf("id contains %q", c)
			}
		}
	case KindUint:
		_, err := ParseUint(v)
		return err
	case KindTime:
		_, err := ParseTime(v)
		return err
	case KindSHA256:
		if len(v) != 64 || !IsLowerHex(v) {
			return fmt.Errorf("sha256 must be 64 lowercase hex digits")
		}
	case KindHex:
		if len(v) == 0 || len(v) > MaxHex || len(v)%2 != 0 || !IsLowerHex(v) {
			return fmt.Errorf("hex must be an even number (2 to %d) of lowercase hex digits", MaxHex)
		}
	case KindText:
		return checkText(v)
	case KindFault:
		if v != "file" && v != "system" {
			return fmt.Errorf("fault must be file or system")
		}
	case KindRecipient:
		return checkRecipient(v)
	default:
		panic("canon: unknown value kind " + k.String())
	}
	return nil
}

// checkRecipient accepts what age.ParseHybridRecipient accepts and
// re-encodes to the same string. The cheap checks come first, so that a
// value that is plainly not a recipient costs no ML-KEM key parse.
func checkRecipient(v string) error {
	const prefix = "age1pq1"
	if len(v) != RecipientSize || !strings.HasPrefix(v, prefix) {
		return fmt.Errorf("recipient must be an age hybrid recipient: %q and Bech32, %d bytes", prefix, RecipientSize)
	}
	r, err := age.ParseHybridRecipient(v)
	if err != nil {
		return fmt.Errorf("recipient does not parse: %v", err)
	}
	if r.String() != v {
		return fmt.Errorf("recipient is not in age's canonical (lowercase) encoding")
	}
	return nil
}

func checkText(v string) error {
	switch {
	case v == "":
		return fmt.Errorf("text is empty")
	case len(v) > MaxText:
		return fmt.Errorf("text is %d bytes, more than %d", len(v), MaxText)
	case !utf8.ValidString(v):
		return fmt.Errorf("text is not valid UTF-8")
	}
	for _, c := range v {
		if unicode.IsControl(c) {
			return fmt.Errorf("text contains a control character or line break")
		}
	}
	first, _ := utf8.DecodeRuneInString(v)
	last, _ := utf8.DecodeLastRuneInString(v)
	if unicode.IsSpace(first) || unicode.IsSpace(last) {
		return fmt.Errorf("text starts or ends with white space")
	}
	return nil
}

// IsAlnum reports whether c is an ASCII letter or digit.
func IsAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// MaxTenderID is the length limit of a tender id, in bytes.
const MaxTenderID = MaxID

// IsTenderID reports whether s is a tender id: 1 to MaxTenderID ASCII
// letters, digits, '.', '_' or '-', the first a letter or digit
// (doc/spec/entries.md §2; SPSE's kode tender, all digits, is one). It is
// the "id" kind without '/': a tender's records are stored under keys
// "<id>/…" and found by that prefix, and without '/' in ids no tender's
// prefix can match another tender's keys.
func IsTenderID(s string) bool {
	if s == "" || len(s) > MaxTenderID || !IsAlnum(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !IsAlnum(c) && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// IsLowerHex reports whether s has only lowercase hex digits.
func IsLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// ParseSHA256 parses a value of kind sha256: 64 lowercase hex digits.
func ParseSHA256(s string) ([32]byte, error) {
	var h [32]byte
	if err := KindSHA256.Check(s); err != nil {
		return h, err
	}
	decodeHex(h[:], s)
	return h, nil
}

// ParseHex parses a value of kind hex.
func ParseHex(s string) ([]byte, error) {
	if err := KindHex.Check(s); err != nil {
		return nil, err
	}
	b := make([]byte, len(s)/2)
	decodeHex(b, s)
	return b, nil
}

// decodeHex decodes s, lowercase hex of length 2*len(dst), into dst.
func decodeHex(dst []byte, s string) {
	unhex := func(c byte) byte {
		if c <= '9' {
			return c - '0'
		}
		return c - 'a' + 10
	}
	for i := range dst {
		dst[i] = unhex(s[2*i])<<4 | unhex(s[2*i+1])
	}
}

// ParseUint parses a canonical decimal in [0, 2^63-1]: digits only, no
// leading zero.
func ParseUint(s string) (int64, error) {
	if s == "" || len(s) > 1 && s[0] == '0' || len(s) > 19 {
		return 0, fmt.Errorf("number %q is not canonical decimal", s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("number %q is not canonical decimal", s)
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("number %q out of range", s)
	}
	return n, nil
}

// FormatTime returns the canonical encoding of t: RFC 3339 in UTC, as
// time.RFC3339Nano prints it.
func FormatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// ParseTime parses a canonical time (FormatTime's output, and only that).
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Location() != time.UTC || FormatTime(t) != s || len(s) < 20 {
		return time.Time{}, fmt.Errorf("time %q is not canonical RFC 3339 UTC", s)
	}
	return t, nil
}

// IsCanonicalBase64 reports whether s is the standard, padded base64
// encoding of some byte string, with zero padding bits.
func IsCanonicalBase64(s string) bool {
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	return err == nil && base64.StdEncoding.EncodeToString(b) == s
}
