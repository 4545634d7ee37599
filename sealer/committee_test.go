package sealer_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/segel-lpse/segel/sealer"
)

func recipients(keys []*age.HybridIdentity) []*age.HybridRecipient {
	rs := make([]*age.HybridRecipient, len(keys))
	for i, k := range keys {
		rs[i] = k.Recipient()
	}
	return rs
}

func TestCommittee(t *testing.T) {
	keys := generateKeys(t, 5)
	rs := recipients(keys)
	c, err := sealer.NewCommittee(3, rs)
	if err != nil {
		t.Fatal(err)
	}
	text, _ := c.MarshalText()
	// The canonical text, by the spec: sorted recipients.
	strs := make([]string, len(rs))
	for i, r := range rs {
		strs[i] = r.String()
	}
	slices.Sort(strs)
	want := "segel-committee/v1\nthreshold: 3\n"
	for _, s := range strs {
		want += "member: " + s + "\n"
	}
	if string(text) != want {
		t.Fatalf("canonical text differs from the spec's:\n%s", text)
	}
	sum := sha256.Sum256([]byte(want))
	if c.ID() != hex.EncodeToString(sum[:8]) || c.Threshold() != 3 {
		t.Fatalf("ID %s, threshold %d", c.ID(), c.Threshold())
	}
	if got := c.String(); got != "committee "+c.ID()+" (3 of 5)" {
		t.Errorf("String() = %q", got)
	}
	for i, m := range c.Members() {
		if m.String() != strs[i] || c.Index(m) != i+1 {
			t.Fatalf("member %d: %s…, Index %d", i+1, m.String()[:20], c.Index(m))
		}
	}
	outsider, _ := age.GenerateHybridIdentity()
	if c.Index(outsider.Recipient()) != 0 || c.Index(nil) != 0 {
		t.Error("Index of a non-member is not 0")
	}
	// Any order of the same members is the same committee.
	rev := slices.Clone(rs)
	slices.Reverse(rev)
	if c2, _ := sealer.NewCommittee(3, rev); c2.ID() != c.ID() {
		t.Error("the order members are given in changes the committee id")
	}
	// Another threshold is another committee.
	if c3, _ := sealer.NewCommittee(4, rs); c3.ID() == c.ID() {
		t.Error("the threshold does not change the committee id")
	}
	// The text parses back to the same committee.
	p, err := sealer.ParseCommittee(text)
	if err != nil || p.ID() != c.ID() {
		t.Fatalf("ParseCommittee of the canonical text: %v", err)
	}
	// Members() is a copy.
	m := c.Members()
	m[0] = nil
	if c.Members()[0] == nil {
		t.Error("Members() exposes the committee's own slice")
	}
}

func TestCommitteeLimits(t *testing.T) {
	keys := generateKeys(t, sealer.MaxMembers+1)
	rs := recipients(keys)
	for _, tt := range []struct {
		k, n int
		ok   bool
	}{
		{1, 1, true}, {0, 1, false}, {2, 1, false}, {1, 0, false}, {-1, 3, false},
		{3, 5, true}, {5, 5, true}, {6, 5, false},
		{17, 32, true}, {32, 32, true}, {1, 33, false}, {17, 33, false},
	} {
		_, err := sealer.NewCommittee(tt.k, rs[:tt.n])
		if (err == nil) != tt.ok {
			t.Errorf("NewCommittee(%d, %d members): %v", tt.k, tt.n, err)
		}
	}
	if _, err := sealer.NewCommittee(2, []*age.HybridRecipient{rs[0], rs[1], rs[0]}); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("a member twice: %v", err)
	}
	// The largest committee's text, and the cap around it.
	c, err := sealer.NewCommittee(32, rs[:32])
	if err != nil {
		t.Fatal(err)
	}
	text, _ := c.MarshalText()
	if len(text) != 63009 || len(text) > sealer.MaxCommitteeSize {
		t.Errorf("32 members: %d bytes of text, want 63,009 (offer-v2.md §3)", len(text))
	}
	if _, err := sealer.ParseCommittee(text); err != nil {
		t.Errorf("ParseCommittee of 32 members: %v", err)
	}
	big := append(bytes.Clone(text), bytes.Repeat([]byte("x"), sealer.MaxCommitteeSize-len(text)+1)...)
	if _, err := sealer.ParseCommittee(big); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("ParseCommittee of %d bytes: %v", len(big), err)
	}
	c33 := "segel-committee/v1\nthreshold: 1\n"
	strs := make([]string, 33)
	for i, r := range rs {
		strs[i] = r.String()
	}
	slices.Sort(strs)
	for _, s := range strs {
		c33 += "member: " + s + "\n"
	}
	if _, err := sealer.ParseCommittee([]byte(c33)); err == nil {
		t.Error("ParseCommittee of 33 members accepted")
	}
}

func TestParseCommitteeRefuses(t *testing.T) {
	keys := generateKeys(t, 3)
	c, _ := sealer.NewCommittee(2, recipients(keys))
	good, _ := c.MarshalText()
	lines := strings.SplitAfter(string(good), "\n")
	x25519, _ := age.GenerateX25519Identity()
	for name, text := range map[string]string{
		"empty":             "",
		"another intro":     "segel-committee/v2\n" + strings.Join(lines[1:], ""),
		"no final newline":  strings.TrimSuffix(string(good), "\n"),
		"CRLF":              strings.ReplaceAll(string(good), "\n", "\r\n"),
		"blank line":        string(good) + "\n",
		"threshold 02":      strings.Replace(string(good), "threshold: 2", "threshold: 02", 1),
		"threshold 0":       strings.Replace(string(good), "threshold: 2", "threshold: 0", 1),
		"threshold 4 of 3":  strings.Replace(string(good), "threshold: 2", "threshold: 4", 1),
		"threshold +2":      strings.Replace(string(good), "threshold: 2", "threshold: +2", 1),
		"no members":        lines[0] + lines[1],
		"unsorted":          lines[0] + lines[1] + lines[3] + lines[2] + lines[4],
		"a member twice":    lines[0] + lines[1] + lines[2] + lines[2] + lines[3],
		"uppercase":         lines[0] + lines[1] + strings.ToUpper(lines[2][:len(lines[2])-1]) + "\n" + lines[3] + lines[4],
		"two spaces":        strings.Replace(string(good), "member: ", "member:  ", 1),
		"X25519 recipient":  lines[0] + lines[1] + "member: " + x25519.Recipient().String() + "\n",
		"not a recipient":   lines[0] + lines[1] + "member: age1pq1xyz\n",
		"unknown line":      string(good) + "comment: x\n",
		"threshold missing": lines[0] + strings.Join(lines[2:], ""),
	} {
		if _, err := sealer.ParseCommittee([]byte(text)); err == nil {
			t.Errorf("%s: accepted", name)
		} else if !strings.HasPrefix(err.Error(), "sealer: ") || !strings.Contains(err.Error(), "committee") {
			t.Errorf("%s: error %q does not say what it is about", name, err)
		}
	}
}
