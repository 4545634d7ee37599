package sealer

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"filippo.io/age"
	"github.com/segel-lpse/segel/internal/canon"
)

const (
	// MaxMembers is the largest committee (doc/spec/offer-v2.md §3 says
	// why 32).
	MaxMembers = 32

	// MaxCommitteeSize caps a committee's canonical text, in bytes: 32
	// members take 63,009.
	MaxCommitteeSize = 64 << 10

	committeeIntro = "segel-committee/v1\n"
)

// A Committee is what version 2 offers are sealed to: n members' own age
// hybrid recipients, in canonical order, and a threshold k, 1 ≤ k ≤ n ≤
// MaxMembers. Any k members' contributions, with the round's signature,
// open an offer; fewer open nothing (doc/spec/offer-v2.md §3–4).
//
// Member i (1-based) is the i-th recipient in byte order of its "age1pq1…"
// string; that position, not any order of user ids, is the one shares
// use. A Committee does not change once made.
type Committee struct {
	k       int
	members []*age.HybridRecipient
	strs    []string
	text    []byte
	id      string
}

// NewCommittee returns the committee of members with threshold k. The
// members may come in any order; the same key twice is refused.
func NewCommittee(k int, members []*age.HybridRecipient) (*Committee, error) {
	n := len(members)
	switch {
	case n == 0:
		return nil, fmt.Errorf("sealer: a committee needs at least one member")
	case n > MaxMembers:
		return nil, fmt.Errorf("sealer: a committee has at most %d members, got %d", MaxMembers, n)
	case k < 1 || k > n:
		return nil, fmt.Errorf("sealer: a committee of %d needs a threshold from 1 to %d, got %d", n, n, k)
	}
	c := &Committee{k: k, members: make([]*age.HybridRecipient, n), strs: make([]string, n)}
	order := make([]int, n)
	strs := make([]string, n)
	for i, r := range members {
		if r == nil {
			return nil, fmt.Errorf("sealer: committee member %d is nil", i+1)
		}
		order[i], strs[i] = i, r.String()
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(strs[a], strs[b]) })
	for i, o := range order {
		if i > 0 && strs[o] == c.strs[i-1] {
			return nil, fmt.Errorf("sealer: committee member key %s… (key id %s) is listed twice", strs[o][:16], keyIDOf(strs[o]))
		}
		c.members[i], c.strs[i] = members[o], strs[o]
	}
	var b bytes.Buffer
	b.WriteString(committeeIntro)
	b.WriteString("threshold: " + strconv.Itoa(k) + "\n")
	for _, s := range c.strs {
		b.WriteString("member: " + s + "\n")
	}
	c.text = b.Bytes()
	sum := sha256.Sum256(c.text)
	c.id = hex.EncodeToString(sum[:8])
	return c, nil
}

// ParseCommittee parses a committee's canonical text (what MarshalText
// returns) and nothing else: sorted distinct members in age's own
// encoding, canonical decimals, at most MaxCommitteeSize bytes.
func ParseCommittee(text []byte) (*Committee, error) {
	bad := func(format string, args ...any) (*Committee, error) {
		return nil, fmt.Errorf("sealer: committee: "+format, args...)
	}
	if len(text) > MaxCommitteeSize {
		return bad("%d bytes, more than %d", len(text), MaxCommitteeSize)
	}
	rest, ok := bytes.CutPrefix(text, []byte(committeeIntro))
	if !ok {
		return bad("does not begin with %q", strings.TrimSuffix(committeeIntro, "\n"))
	}
	if len(rest) == 0 || rest[len(rest)-1] != '\n' {
		return bad("does not end with a newline")
	}
	lines := strings.Split(string(rest[:len(rest)-1]), "\n")
	v, ok := strings.CutPrefix(lines[0], "threshold: ")
	if !ok {
		return bad("second line is not \"threshold: <k>\"")
	}
	k, err := canon.ParseUint(v)
	if err != nil || k < 1 || k > MaxMembers {
		return bad("threshold %.20q is not a canonical decimal from 1 to %d", v, MaxMembers)
	}
	if len(lines)-1 > MaxMembers {
		return bad("%d members, more than %d", len(lines)-1, MaxMembers)
	}
	var members []*age.HybridRecipient
	for i, l := range lines[1:] {
		s, ok := strings.CutPrefix(l, "member: ")
		if !ok {
			return bad("line %d is not \"member: <age1pq1… recipient>\"", i+3)
		}
		r, err := age.ParseHybridRecipient(s)
		if err != nil {
			return bad("member %d: %v", i+1, err)
		}
		if r.String() != s {
			return bad("member %d is not in age's canonical (lowercase) encoding", i+1)
		}
		if i > 0 && s <= lines[i][len("member: "):] {
			return bad("member %d is not after member %d in byte order (members are sorted, each once)", i+1, i)
		}
		members = append(members, r)
	}
	c, err := NewCommittee(int(k), members)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(c.text, text) { // cannot happen after the checks above
		return bad("not canonical")
	}
	return c, nil
}

// MarshalText returns the committee's canonical text (offer-v2.md §3),
// whose SHA-256 is its digest and whose first 8 bytes are its ID.
func (c *Committee) MarshalText() ([]byte, error) { return bytes.Clone(c.text), nil }

// ID returns the committee id: the first 8 bytes of SHA-256 of its
// canonical text, 16 lowercase hex digits. It names the committee in
// stanzas and in the log's tender-announced entry.
func (c *Committee) ID() string { return c.id }

// Threshold returns k.
func (c *Committee) Threshold() int { return c.k }

// Members returns the members' recipients in canonical order: member i
// is Members()[i-1].
func (c *Committee) Members() []*age.HybridRecipient { return slices.Clone(c.members) }

// Index returns r's position in the committee, from 1, or 0 if r is not a
// member.
func (c *Committee) Index(r *age.HybridRecipient) int {
	if r == nil {
		return 0
	}
	s := r.String()
	if i, ok := slices.BinarySearch(c.strs, s); ok {
		return i + 1
	}
	return 0
}

// String returns a short description, such as "committee 1f2e3d4c5b6a7988
// (3 of 5)".
func (c *Committee) String() string {
	return fmt.Sprintf("committee %s (%d of %d)", c.id, c.k, len(c.members))
}

func keyIDOf(recipient string) string {
	h := sha256.Sum256([]byte(recipient))
	return hex.EncodeToString(h[:8])
}
