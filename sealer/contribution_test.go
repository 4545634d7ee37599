package sealer_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/segel-lpse/segel/sealer"
)

func TestContributionText(t *testing.T) {
	w := newWorld(t, 2, 3)
	file := w.seal(t, []byte("penawaran"))
	c := w.contribute(t, file, 3)[0]
	text, err := c.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	h := w.inspect(t, file)
	f := strings.Fields(string(text))
	if len(f) != 3 || f[1] != "3" || len(f[2]) != 22 || len(text) != 64+1+1+1+22 || strings.Contains(f[0], "A") {
		t.Fatalf("text form %q", text)
	}
	var back sealer.Contribution
	if err := back.UnmarshalText(text); err != nil || back != c || back.Header != h.Digest {
		t.Fatalf("UnmarshalText(%q) = %+v, %v", text, back, err)
	}
	// As a JSON string in the API.
	j, _ := json.Marshal(c)
	var fromJSON sealer.Contribution
	if err := json.Unmarshal(j, &fromJSON); err != nil || fromJSON != c || string(j) != `"`+string(text)+`"` {
		t.Fatalf("JSON %s: %+v, %v", j, fromJSON, err)
	}
	s := string(text)
	hexPart, key := s[:64], s[67:]
	for name, bad := range map[string]string{
		"uppercase hex":      strings.ToUpper(hexPart) + s[64:],
		"63 hex digits":      hexPart[1:] + s[64:],
		"member 0":           hexPart + " 0 " + key,
		"member 33":          hexPart + " 33 " + key,
		"member 03":          hexPart + " 03 " + key,
		"member +3":          hexPart + " +3 " + key,
		"padded key":         s + "==",
		"key one short":      s[:len(s)-1],
		"key one long":       s + "A",
		"trailing bits":      s[:len(s)-1] + string(key[len(key)-1]^1),
		"two spaces":         hexPart + "  3 " + key,
		"tab":                hexPart + "\t3 " + key,
		"newline":            s + "\n",
		"a fourth field":     s + " x",
		"url-safe base64":    hexPart + " 3 " + strings.NewReplacer("+", "-", "/", "_").Replace(key) + strings.Repeat("", 0),
		"empty":              "",
		"longer than a line": s + strings.Repeat(" ", 100),
	} {
		if name == "url-safe base64" && !strings.ContainsAny(key, "+/") {
			continue
		}
		var got sealer.Contribution
		if err := got.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("%s: %q accepted", name, bad)
		}
	}
	for i := range len(text) {
		var got sealer.Contribution
		if err := got.UnmarshalText(text[:i]); err == nil {
			t.Errorf("cut to %d bytes: accepted", i)
		}
	}
	if _, err := (sealer.Contribution{Member: 0}).MarshalText(); err == nil {
		t.Error("MarshalText of member 0")
	}
}
