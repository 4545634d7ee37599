package canon

import (
	"bytes"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"golang.org/x/mod/sumdb/note"
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

func TestKindCheck(t *testing.T) {
	hex64 := strings.Repeat("ab", 32)
	tests := []struct {
		kind      Kind
		good, bad []string
	}{
		{KindID, []string{"a", "T-1", "npwp/7f.3_a", strings.Repeat("x", MaxID)},
			[]string{"", "-a", ".a", "a b", "a\n", "é", strings.Repeat("x", MaxID+1)}},
		{KindUint, []string{"0", "42", "9223372036854775807"}, []string{"", "01", "-1", "9223372036854775808"}},
		{KindTime, []string{"2026-11-26T03:04:05Z", "2026-11-26T03:04:05.123Z"},
			[]string{"", "2026-11-26T03:04:05.1230Z", "2026-11-26T10:04:05+07:00"}},
		{KindSHA256, []string{hex64}, []string{"", hex64[2:], hex64 + "ab", strings.ToUpper(hex64), hex64[1:] + "g"}},
		{KindHex, []string{"00", "ab", strings.Repeat("f", MaxHex), strings.Repeat("f", MaxHex-2)},
			[]string{"", "0", "abc", "AB", "0g", strings.Repeat("f", MaxHex+2)}},
		{KindText, []string{"x", "alasan: dokumen tidak lengkap", "é", strings.Repeat("x", MaxText)},
			[]string{"", " x", "x ", "a\nb", "a\tb", "a\x7fb", "\xff", "x\u00a0", strings.Repeat("x", MaxText+1)}},
		{KindFault, []string{"file", "system"}, []string{"", "File", "both"}},
		{KindRecipient, []string{testRecipient},
			[]string{"", "age1pq1", strings.ToUpper(testRecipient), testRecipient[:RecipientSize-1],
				testRecipient + "q", testRecipient[:RecipientSize-1] + flip(testRecipient[RecipientSize-1])}},
	}
	seen := map[Kind]bool{}
	for _, tt := range tests {
		seen[tt.kind] = true
		for _, v := range tt.good {
			if err := tt.kind.Check(v); err != nil {
				t.Errorf("%v.Check(%.40q) = %v, want nil", tt.kind, v, err)
			}
		}
		for _, v := range tt.bad {
			if err := tt.kind.Check(v); err == nil {
				t.Errorf("%v.Check(%.40q) = nil, want an error", tt.kind, v)
			}
		}
	}
	for _, k := range Kinds {
		if !seen[k] {
			t.Errorf("kind %v has no test cases", k)
		}
	}
}

func TestKindString(t *testing.T) {
	var names []string
	for _, k := range Kinds {
		names = append(names, k.String())
	}
	if got, want := strings.Join(names, " "), "id uint time sha256 hex text fault recipient"; got != want {
		t.Errorf("kind names = %q, want %q", got, want)
	}
	if got := Kind(len(Kinds)).String(); got != "kind(8)" {
		t.Errorf("unknown kind's String = %q", got)
	}
}

func TestParseHexAndSHA256(t *testing.T) {
	h, err := ParseSHA256(strings.Repeat("0f", 32))
	if err != nil || h[0] != 0x0f || h[31] != 0x0f {
		t.Errorf("ParseSHA256 = %x, %v", h, err)
	}
	if _, err := ParseSHA256(strings.Repeat("0F", 32)); err == nil {
		t.Error("ParseSHA256 accepted uppercase hex")
	}
	b, err := ParseHex("00ff9a")
	if err != nil || string(b) != "\x00\xff\x9a" {
		t.Errorf("ParseHex = %x, %v", b, err)
	}
	if _, err := ParseHex("0ff"); err == nil {
		t.Error("ParseHex accepted an odd length")
	}
}

func TestLines(t *testing.T) {
	l := Lines{Text: "a: 1\nb: \nc: x: y\n"}
	for _, want := range [][2]string{{"a", "1"}, {"b", ""}, {"c", "x: y"}} {
		if !l.Peek(want[0]) {
			t.Fatalf("Peek(%q) = false at %q", want[0], l.Text)
		}
		v, err := l.Next(want[0])
		if err != nil || v != want[1] {
			t.Fatalf("Next(%q) = %q, %v; want %q", want[0], v, err, want[1])
		}
	}
	if err := l.End(); err != nil {
		t.Errorf("End: %v", err)
	}
	for _, tc := range []struct{ text, key string }{
		{"", "a"},        // missing
		{"a: 1", "a"},    // no LF
		{"b: 1\n", "a"},  // other key
		{"a:1\n", "a"},   // no space
		{"a : 1\n", "a"}, // space before the colon
		{"ab: 1\n", "a"}, // longer key
	} {
		l := Lines{Text: tc.text}
		if v, err := l.Next(tc.key); err == nil {
			t.Errorf("Next(%q) on %q = %q, want an error", tc.key, tc.text, v)
		}
		if l.Text != tc.text {
			t.Errorf("a failed Next advanced the cursor to %q", l.Text)
		}
	}
	if err := (&Lines{Text: "\n"}).End(); err == nil {
		t.Error("End accepted a trailing blank line")
	}
}

var (
	errSig = errors.New("test: signature")
	errBad = errors.New("test: malformed")
)

func TestOpenNote(t *testing.T) {
	skey, vkey, err := note.GenerateKey(rand.Reader, "example.org/key")
	if err != nil {
		t.Fatal(err)
	}
	s, _ := note.NewSigner(skey)
	v, _ := note.NewVerifier(vkey)
	skey2, _, _ := note.GenerateKey(rand.Reader, "example.org/other")
	s2, _ := note.NewSigner(skey2)
	msg, err := note.Sign(&note.Note{Text: "hello\n"}, s)
	if err != nil {
		t.Fatal(err)
	}
	if text, err := OpenNote(msg, len(msg), v, errSig, errBad); err != nil || text != "hello\n" {
		t.Fatalf("OpenNote = %q, %v", text, err)
	}
	other, _ := note.Sign(&note.Note{Text: "hello\n"}, s2)
	// A signature line of the pinned key's name whose base64 has non-zero
	// padding bits: note.Open would accept it.
	i := bytes.LastIndexByte(msg[:len(msg)-1], '\n')
	sig := msg[i+1 : len(msg)-1]
	lenient := append(bytes.Clone(msg[:len(msg)-3]), sig[len(sig)-2]+1, '=', '\n')
	if !bytes.HasSuffix(msg, []byte("=\n")) {
		t.Fatal("the test signature has no padding")
	}
	if _, err := note.Open(lenient, note.VerifierList(v)); err != nil {
		t.Fatalf("note.Open refuses the lenient encoding (%v): the case tests nothing", err)
	}
	flipped := bytes.Clone(msg)
	flipped[len(flipped)-5] ^= 1
	for _, tc := range []struct {
		name string
		msg  []byte
		max  int
		v    note.Verifier
		want error
	}{
		{"other key", other, 1 << 10, v, errSig},
		{"no key", msg, 1 << 10, nil, errSig},
		{"bad signature", flipped, 1 << 10, v, errSig},
		{"too large", msg, len(msg) - 1, v, errBad},
		{"no signature block", []byte("hello\n"), 1 << 10, v, errBad},
		{"no final newline", msg[:len(msg)-1], 1 << 10, v, errBad},
		{"lenient base64", lenient, 1 << 10, v, errBad},
	} {
		if _, err := OpenNote(tc.msg, tc.max, tc.v, errSig, errBad); !errors.Is(err, tc.want) {
			t.Errorf("%s: OpenNote = %v, want %v", tc.name, err, tc.want)
		}
	}
	if text, err := NoteText(msg, errBad); err != nil || string(text) != "hello\n" {
		t.Errorf("NoteText = %q, %v", text, err)
	}
	if _, err := NoteText([]byte("hello\n"), errBad); !errors.Is(err, errBad) {
		t.Errorf("NoteText without signatures = %v, want %v", err, errBad)
	}
}

// testRecipient is an age hybrid recipient (of a key generated for this
// test and thrown away).
var testRecipient = func() string {
	id, err := age.GenerateHybridIdentity()
	if err != nil {
		panic(err)
	}
	return id.Recipient().String()
}()

// flip returns another Bech32 character than c.
func flip(c byte) string {
	if c == 'q' {
		return "p"
	}
	return "q"
}
