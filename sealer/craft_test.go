package sealer_test

import (
	"bytes"
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/sealer/internal/shamir"
	"github.com/segel-lpse/segel/timelock"
	"golang.org/x/crypto/chacha20poly1305"
)

// This file re-implements, from doc/spec/offer-v2.md §4 and age's spec
// rather than from package sealer's code, what a bidder's own tool knows
// and can do: take a version 2 file apart, open and reseal members'
// shares, and recompute the header MAC. Tests and the vector generator
// use it to craft files a dishonest or broken sealer would make.

// Layout of a version 2 body (offer-v2.md §4).
const (
	v2IBE    = 128
	v2Enc    = 1120
	v2KeyBox = 32
	v2Commit = 32
	v2Seal   = 32
	v2Wrap   = v2Enc + v2KeyBox + v2Commit + v2Seal
)

// wrapOf returns member i's Wᵢ within f's body.
func (f *sealedFile) wrapOf(i int) []byte {
	off := v2IBE + (i-1)*v2Wrap
	return f.body[off : off+v2Wrap]
}

func specShareKeys(m []byte, i int) (key, commit []byte) {
	okm, err := hkdf.Key(sha256.New, m, nil, "segel-offer/v2 share "+strconv.Itoa(i), 64)
	if err != nil {
		panic(err)
	}
	return okm[:32], okm[32:]
}

// specAAD is member i's associated data: the stanza line after "-> ",
// LF, U ‖ V ‖ W, and i as a byte.
func (f *sealedFile) specAAD(i int) []byte {
	aad := []byte(strings.Join(append([]string{f.typ}, f.args...), " ") + "\n")
	aad = append(aad, f.body[:v2IBE]...)
	return append(aad, byte(i))
}

// openShareSpec opens member i's share with member key m, per the spec.
func (f *sealedFile) openShareSpec(i int, m []byte) ([]byte, error) {
	w := f.wrapOf(i)
	key, commit := specShareKeys(m, i)
	if subtle.ConstantTimeCompare(commit, w[v2Enc+v2KeyBox:v2Enc+v2KeyBox+v2Commit]) != 1 {
		return nil, errors.New("commitment differs")
	}
	aead, _ := chacha20poly1305.New(key)
	return aead.Open(nil, make([]byte, 12), w[v2Enc+v2KeyBox+v2Commit:], f.specAAD(i))
}

// resealShare seals share as member i's under member key m, with f's
// current arguments and IBE ciphertext.
func (f *sealedFile) resealShare(i int, m, share []byte) {
	w := f.wrapOf(i)
	key, commit := specShareKeys(m, i)
	copy(w[v2Enc+v2KeyBox:], commit)
	aead, _ := chacha20poly1305.New(key)
	copy(w[v2Enc+v2KeyBox+v2Commit:], aead.Seal(nil, make([]byte, 12), share, f.specAAD(i)))
}

// withMAC encodes f with the header MAC made with fileKey, as age makes it:
// HMAC-SHA256 keyed with HKDF-SHA256(fileKey, "header") over the header up
// to and including "---".
func (f *sealedFile) withMAC(fileKey []byte) []byte {
	g := *f
	g.mac = "---"
	enc := g.encode(64)
	head := enc[:bytes.LastIndex(enc, []byte("\n---\n"))+4]
	hk, _ := hkdf.Key(sha256.New, fileKey, nil, "header", 32)
	h := hmac.New(sha256.New, hk)
	h.Write(head)
	g.mac = "--- " + base64.RawStdEncoding.EncodeToString(h.Sum(nil))
	return g.encode(64)
}

// world is a v2 tender opening: a local beacon whose clock stands at the
// round, a committee of members (keys in committee order), a target and
// the round's opener.
type world struct {
	beacon  *timelock.LocalBeacon
	now     time.Time
	members []*age.HybridIdentity
	c       *sealer.Committee
	target  sealer.Target
	sig     []byte
	opener  *sealer.Opener
}

const testRound = 100

func newWorld(t testing.TB, k, n int) *world {
	t.Helper()
	key, err := timelock.GenerateLocalKey()
	if err != nil {
		t.Fatal(err)
	}
	w := &world{}
	w.beacon, err = timelock.NewLocalBeacon(timelock.LocalConfig{
		Key: key, Genesis: time.Unix(1_760_000_000, 0), Period: 3 * time.Second,
		Now: func() time.Time { return w.now },
	})
	if err != nil {
		t.Fatal(err)
	}
	w.now = w.beacon.Chain().TimeOf(testRound)
	w.setMembers(t, k, generateKeys(t, n))
	w.sig, err = w.beacon.Signature(context.Background(), testRound)
	if err != nil {
		t.Fatal(err)
	}
	if w.opener, err = sealer.NewOpener(w.beacon.Chain(), testRound, w.sig); err != nil {
		t.Fatal(err)
	}
	return w
}

func generateKeys(t testing.TB, n int) []*age.HybridIdentity {
	keys := make([]*age.HybridIdentity, n)
	for i := range keys {
		var err error
		if keys[i], err = age.GenerateHybridIdentity(); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// setMembers makes the committee of keys with threshold k, and orders
// w.members as the committee does.
func (w *world) setMembers(t testing.TB, k int, keys []*age.HybridIdentity) {
	t.Helper()
	rs := make([]*age.HybridRecipient, len(keys))
	for i, id := range keys {
		rs[i] = id.Recipient()
	}
	c, err := sealer.NewCommittee(k, rs)
	if err != nil {
		t.Fatal(err)
	}
	w.c, w.members = c, make([]*age.HybridIdentity, len(keys))
	for _, id := range keys {
		w.members[c.Index(id.Recipient())-1] = id
	}
	w.target = sealer.Target{Chain: w.beacon.Chain(), Round: testRound, Members: c, Tender: "T-20261201-ABCD2345", Bidder: "penyedia-7", File: 1}
}

func (w *world) seal(t testing.TB, doc []byte) []byte {
	t.Helper()
	return w.sealTo(t, w.target, doc)
}

func (w *world) sealTo(t testing.TB, tg sealer.Target, doc []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	s, err := sealer.Seal(&buf, bytes.NewReader(doc), tg)
	if err != nil {
		t.Fatal(err)
	}
	if s.Size != int64(buf.Len()) || s.Header.Size != s.Size {
		t.Fatalf("Seal: Sealed.Size %d, Header.Size %d, wrote %d bytes", s.Size, s.Header.Size, buf.Len())
	}
	return buf.Bytes()
}

func (w *world) inspect(t testing.TB, file []byte) *sealer.Header {
	t.Helper()
	h, err := sealer.Inspect(bytes.NewReader(file), w.beacon.Chain())
	if err != nil {
		t.Fatalf("Inspect: %v", err)
	}
	return h
}

// contribute returns the contributions of members (positions; all if
// none given) computed by their own tools, failing on a claim.
func (w *world) contribute(t testing.TB, file []byte, members ...int) []sealer.Contribution {
	t.Helper()
	if len(members) == 0 {
		for i := range w.members {
			members = append(members, i+1)
		}
	}
	h := w.inspect(t, file)
	var cs []sealer.Contribution
	for _, i := range members {
		c, err := sealer.Contribute(h, w.c, w.members[i-1])
		if err != nil {
			t.Fatalf("member %d: Contribute: %v", i, err)
		}
		if c.Member != i {
			t.Fatalf("member %d computed a contribution as member %d", i, c.Member)
		}
		cs = append(cs, c)
	}
	return cs
}

// open opens file with contributions cs and reads the document.
func (w *world) open(file []byte, cs []sealer.Contribution) ([]byte, *sealer.Tally, error) {
	return w.openAs(file, w.target, cs)
}

func (w *world) openAs(file []byte, tg sealer.Target, cs []sealer.Contribution) ([]byte, *sealer.Tally, error) {
	r, tally, err := w.opener.Open(bytes.NewReader(file), int64(len(file)), tg, cs)
	if err != nil {
		return nil, tally, err
	}
	doc, err := io.ReadAll(r)
	return doc, tally, err
}

// secrets is what the bidder who sealed a file knows.
type secrets struct {
	k1, fileKey []byte
	keys        [][]byte // mᵢ
	shares      [][]byte // sᵢ
}

// secretsOf recovers an honest file's secrets with every member's
// contribution and the round's signature.
func (w *world) secretsOf(t testing.TB, file []byte) *secrets {
	t.Helper()
	f := split(t, file)
	tl, err := timelock.NewIdentity(w.beacon.Chain(), testRound, w.sig)
	if err != nil {
		t.Fatal(err)
	}
	s := &secrets{}
	s.k1, err = tl.Unwrap([]*age.Stanza{{Type: timelock.StanzaType, Args: f.args[:2], Body: f.body[:v2IBE]}})
	if err != nil {
		t.Fatal(err)
	}
	xs := []byte{}
	for _, c := range w.contribute(t, file) {
		share, err := f.openShareSpec(c.Member, c.Key[:])
		if err != nil {
			t.Fatalf("member %d's share does not open by the spec: %v", c.Member, err)
		}
		s.keys = append(s.keys, bytes.Clone(c.Key[:]))
		s.shares = append(s.shares, share)
		xs = append(xs, byte(c.Member))
	}
	k := w.c.Threshold()
	k2, err := shamir.Combine(xs[:k], s.shares[:k])
	if err != nil {
		t.Fatal(err)
	}
	s.fileKey = make([]byte, 16)
	subtle.XORBytes(s.fileKey, s.k1, k2)
	return s
}

// craft takes an honest file apart, lets edit change it (with the
// bidder's secrets), reseals every member's share with its member key
// under the edited arguments, and recomputes the header MAC: the file a
// bidder's own tool would make with the edit.
func (w *world) craft(t testing.TB, file []byte, edit func(f *sealedFile, s *secrets)) []byte {
	t.Helper()
	s := w.secretsOf(t, file)
	f := split(t, file)
	edit(f, s)
	for i := range s.keys {
		f.resealShare(i+1, s.keys[i], s.shares[i])
	}
	return f.withMAC(s.fileKey)
}

func randomDoc(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}
