package sealer_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/timelock"
)

// subsetsOf calls f with every k-subset of the positions 1..n.
func subsetsOf(n, k int, f func([]int)) {
	var rec func(start int, cur []int)
	rec = func(start int, cur []int) {
		if len(cur) == k {
			f(append([]int(nil), cur...))
			return
		}
		for x := start; x <= n; x++ {
			rec(x+1, append(cur, x))
		}
	}
	rec(1, nil)
}

func only(cs []sealer.Contribution, members []int) []sealer.Contribution {
	var out []sealer.Contribution
	for _, c := range cs {
		for _, m := range members {
			if c.Member == m {
				out = append(out, c)
			}
		}
	}
	return out
}

// TestAnyKContributionsOpen seals to several committees and opens with
// every k-subset of the members' contributions, with more than k, and in
// any order.
func TestAnyKContributionsOpen(t *testing.T) {
	for _, kn := range [][2]int{{1, 1}, {2, 3}, {3, 5}, {5, 5}} {
		k, n := kn[0], kn[1]
		w := newWorld(t, k, n)
		doc := randomDoc(1000)
		file := w.seal(t, doc)
		cs := w.contribute(t, file)
		subsetsOf(n, k, func(ms []int) {
			got, tally, err := w.open(file, only(cs, ms))
			if err != nil {
				t.Fatalf("%d-of-%d, members %v: %v", k, n, ms, err)
			}
			if !bytes.Equal(got, doc) {
				t.Fatalf("%d-of-%d, members %v: wrong document", k, n, ms)
			}
			if len(tally.Authenticated) != k || len(tally.Refused) != 0 || tally.Threshold != k {
				t.Fatalf("%d-of-%d, members %v: tally %+v", k, n, ms, tally)
			}
		})
		// All n, in reverse order.
		rev := append([]sealer.Contribution(nil), cs...)
		for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
			rev[i], rev[j] = rev[j], rev[i]
		}
		got, tally, err := w.open(file, rev)
		if err != nil || !bytes.Equal(got, doc) || len(tally.Authenticated) != n {
			t.Fatalf("%d-of-%d, all members in reverse: %v, tally %+v", k, n, err, tally)
		}
	}
}

// TestSizes seals documents around the STREAM's chunk size and checks
// the length commitment: Sealed.Size, Inspect's size, and the opening.
func TestSizes(t *testing.T) {
	w := newWorld(t, 2, 3)
	for _, size := range []int{0, 1, 64<<10 - 1, 64 << 10, 64<<10 + 1, 128 << 10, 200 << 10} {
		doc := randomDoc(size)
		file := w.seal(t, doc)
		h := w.inspect(t, file)
		if h.Length != int64(size) || h.Size != int64(len(file)) || h.Version != 2 {
			t.Fatalf("size %d: header length %d, size %d, version %d; file %d bytes", size, h.Length, h.Size, h.Version, len(file))
		}
		got, _, err := w.open(file, w.contribute(t, file, 1, 3))
		if err != nil || !bytes.Equal(got, doc) {
			t.Fatalf("size %d: %v", size, err)
		}
	}
}

// TestFewerThanKOpenNothing: k − 1 contributions, with the round's
// signature, do not open the offer, and the committee, not the file, is
// at fault. (That k − 1 shares reveal nothing about the committee half is
// proven exactly in internal/shamir's TestKMinusOneRevealNothing.)
func TestFewerThanKOpenNothing(t *testing.T) {
	w := newWorld(t, 3, 5)
	file := w.seal(t, []byte("penawaran"))
	cs := w.contribute(t, file)
	subsetsOf(5, 2, func(ms []int) {
		got, tally, err := w.open(file, only(cs, ms))
		var oe *sealer.OpenError
		if !errors.As(err, &oe) || oe.Step != sealer.StepContributions || oe.Fault != sealer.FaultCommittee || got != nil {
			t.Fatalf("members %v: %v, want an OpenError at %s, fault %s", ms, err, sealer.StepContributions, sealer.FaultCommittee)
		}
		if !errors.Is(err, sealer.ErrContributions) || errors.Is(err, sealer.ErrMalformed) {
			t.Fatalf("members %v: %v wraps ErrMalformed, or not ErrContributions", ms, err)
		}
		if tally == nil || len(tally.Authenticated) != 2 {
			t.Fatalf("members %v: tally %+v", ms, tally)
		}
	})
	if _, _, err := w.open(file, nil); !errors.Is(err, sealer.ErrContributions) {
		t.Fatalf("no contributions: %v", err)
	}
}

// TestContributionsWithoutTheRound: all n members' contributions open
// nothing without the round's signature. Before the round the beacon has
// none to give; the committee half alone (K₂, all shares combined) is
// not the file key; and an opener of an earlier round (a signature that
// exists) refuses the file.
func TestContributionsWithoutTheRound(t *testing.T) {
	w := newWorld(t, 2, 3)
	file := w.seal(t, []byte("penawaran"))
	cs := w.contribute(t, file)

	w.now = w.beacon.Chain().TimeOf(testRound - 1)
	if _, err := w.beacon.Signature(t.Context(), testRound); !errors.Is(err, timelock.ErrTooEarly) {
		t.Fatalf("beacon before the round: %v, want ErrTooEarly", err)
	}
	if _, err := sealer.NewOpener(w.beacon.Chain(), testRound, bytes.Repeat([]byte{1}, 48)); !errors.Is(err, timelock.ErrBadSignature) {
		t.Fatalf("NewOpener with a made-up signature: %v, want ErrBadSignature", err)
	}

	// K₂ from every share, as the file key, and K₂ ⊕ a guess of K₁.
	s := w.secretsOf(t, file)
	k2 := make([]byte, 16)
	for i := range k2 {
		k2[i] = s.fileKey[i] ^ s.k1[i]
	}
	for _, key := range [][]byte{k2, make([]byte, 16)} {
		if _, err := age.Decrypt(bytes.NewReader(file), age.NewInjectedFileKeyIdentity(key)); err == nil {
			t.Fatal("the committee half opened the file without the time-locked half")
		}
	}

	sig99, err := w.beacon.Signature(t.Context(), testRound-1)
	if err != nil {
		t.Fatal(err)
	}
	early, err := sealer.NewOpener(w.beacon.Chain(), testRound-1, sig99)
	if err != nil {
		t.Fatal(err)
	}
	tg := w.target
	tg.Round = testRound - 1
	_, _, err = early.Open(bytes.NewReader(file), int64(len(file)), tg, cs)
	var oe *sealer.OpenError
	if !errors.As(err, &oe) || oe.Step != sealer.StepInspect || !errors.Is(err, sealer.ErrMismatch) {
		t.Fatalf("opener of round %d: %v, want a mismatch at %s", testRound-1, err, sealer.StepInspect)
	}
	// The round argument rewritten to the earlier round, MAC and shares
	// made to match: the time lock still holds.
	forged := w.craft(t, file, func(f *sealedFile, _ *secrets) { f.args[0] = strconv.Itoa(testRound - 1) })
	_, _, err = w.openWith(early, forged, tg)
	if !errors.As(err, &oe) || oe.Step != sealer.StepTimeLockHalf || oe.Fault != sealer.FaultFile {
		t.Fatalf("round rewritten to %d: %v, want an OpenError at %s", testRound-1, err, sealer.StepTimeLockHalf)
	}
}

// openWith opens file with another opener, each member contributing.
func (w *world) openWith(o *sealer.Opener, file []byte, tg sealer.Target) ([]byte, *sealer.Tally, error) {
	var cs []sealer.Contribution
	h, err := sealer.Inspect(bytes.NewReader(file), w.beacon.Chain())
	if err != nil {
		return nil, nil, err
	}
	for _, m := range w.members {
		c, err := sealer.Contribute(h, w.c, m)
		if err != nil {
			return nil, nil, err
		}
		cs = append(cs, c)
	}
	r, tally, err := o.Open(bytes.NewReader(file), int64(len(file)), tg, cs)
	if err != nil {
		return nil, tally, err
	}
	buf := new(bytes.Buffer)
	_, err = buf.ReadFrom(r)
	return buf.Bytes(), tally, err
}

// TestBadContribution: a member key that does not open the member's share
// is the member's fault. The server's check on arrival says so; at
// opening it is refused, and named, whether or not k others open the
// offer.
func TestBadContribution(t *testing.T) {
	w := newWorld(t, 3, 5)
	doc := []byte("penawaran harga")
	file := w.seal(t, doc)
	h := w.inspect(t, file)
	cs := w.contribute(t, file)
	bad := cs[1]
	rand.Read(bad.Key[:])
	if err := sealer.CheckContribution(h, bad); !errors.Is(err, sealer.ErrBadContribution) {
		t.Fatalf("CheckContribution of a random key: %v, want ErrBadContribution", err)
	}
	for _, c := range cs {
		if err := sealer.CheckContribution(h, c); err != nil {
			t.Fatalf("CheckContribution of member %d's honest contribution: %v", c.Member, err)
		}
	}

	// k others: the offer opens, and the refusal is in the tally.
	got, tally, err := w.open(file, []sealer.Contribution{cs[0], bad, cs[2], cs[3]})
	if err != nil || !bytes.Equal(got, doc) {
		t.Fatalf("k good and one bad: %v", err)
	}
	if len(tally.Refused) != 1 || tally.Refused[0] != 2 || len(tally.Authenticated) != 3 {
		t.Fatalf("tally %+v, want member 2 refused", tally)
	}
	// Fewer than k good: the member is at fault, and named.
	_, tally, err = w.open(file, []sealer.Contribution{cs[0], bad, cs[2]})
	var oe *sealer.OpenError
	if !errors.As(err, &oe) || oe.Step != sealer.StepContribution || oe.Fault != sealer.FaultMember || !strings.Contains(err.Error(), "member 2") {
		t.Fatalf("two good and one bad: %v, want an OpenError at %s naming member 2", err, sealer.StepContribution)
	}
	if len(tally.Refused) != 1 || tally.Refused[0] != 2 {
		t.Fatalf("tally %+v, want member 2 refused", tally)
	}

	// A contribution computed from another offer is nobody's fault, and not
	// an opening failure: the caller routed it wrong.
	other := w.seal(t, doc)
	foreign := w.contribute(t, other, 1)[0]
	if err := sealer.CheckContribution(h, foreign); !errors.Is(err, sealer.ErrOtherOffer) || errors.Is(err, sealer.ErrBadContribution) {
		t.Fatalf("CheckContribution of another offer's contribution: %v, want ErrOtherOffer", err)
	}
	if _, _, err := w.open(file, []sealer.Contribution{foreign, cs[1], cs[2]}); !errors.Is(err, sealer.ErrOtherOffer) || errors.As(err, &oe) {
		t.Fatalf("opening with another offer's contribution: %v, want ErrOtherOffer and no OpenError", err)
	}
	for _, dup := range [][]sealer.Contribution{{cs[0], cs[0], cs[1]}, {cs[0], cs[1], {Header: h.Digest, Member: 6}}} {
		if _, _, err := w.open(file, dup); err == nil || errors.As(err, &oe) {
			t.Fatalf("a member twice, or out of range: %v, want a plain error", err)
		}
	}
}

// swapWraps exchanges parts [from, to) of members i's and j's Wᵢ.
func swapWraps(f *sealedFile, i, j, from, to int) {
	a, b := f.wrapOf(i)[from:to], f.wrapOf(j)[from:to]
	tmp := bytes.Clone(a)
	copy(a, b)
	copy(b, tmp)
}

// TestMovedWrapsDoNotOpen: a member's wrap, or its sealed share alone,
// moved to another position, to another offer with the same arguments,
// or to another bidder's offer, does not open for the member: its tool
// claims, rather than sending anything the server would take.
func TestMovedWrapsDoNotOpen(t *testing.T) {
	w := newWorld(t, 2, 3)
	doc := []byte("penawaran")
	fileA, fileB := w.seal(t, doc), w.seal(t, doc)
	other := w.target
	other.Bidder = "penyedia-8"
	fileC := w.sealTo(t, other, doc)

	claim := func(name string, file []byte, tg sealer.Target, member int, share bool) {
		t.Helper()
		h, err := sealer.Inspect(bytes.NewReader(file), w.beacon.Chain())
		if err != nil {
			t.Fatalf("%s: Inspect: %v", name, err)
		}
		if err := tg.Check(h); err != nil {
			t.Fatalf("%s: Target.Check: %v", name, err)
		}
		_, err = sealer.Contribute(h, w.c, w.members[member-1])
		var we *sealer.WrapError
		if !errors.As(err, &we) || !errors.Is(err, sealer.ErrWrapDoesNotOpen) || we.Member != member || we.Share != share {
			t.Fatalf("%s: member %d: %v, want a WrapError (share %v)", name, member, err, share)
		}
	}
	edit := func(file []byte, change func(f *sealedFile)) []byte {
		f := split(t, file)
		change(f)
		return f.bytes()
	}

	// Whole wraps swapped between positions 1 and 2: the key wraps are to
	// the other member's key.
	swapped := edit(fileA, func(f *sealedFile) { swapWraps(f, 1, 2, 0, v2Wrap) })
	claim("wraps 1 and 2 swapped", swapped, w.target, 1, false)
	claim("wraps 1 and 2 swapped", swapped, w.target, 2, false)
	// Only the commitments and sealed shares swapped: each key wrap opens,
	// its key does not open the share now there.
	shares := edit(fileA, func(f *sealedFile) { swapWraps(f, 1, 2, v2Enc+v2KeyBox, v2Wrap) })
	claim("sealed shares 1 and 2 swapped", shares, w.target, 1, true)
	// Member 1's whole wrap from offer B in offer A, same target and length.
	moved := edit(fileA, func(f *sealedFile) { copy(f.wrapOf(1), split(t, fileB).wrapOf(1)) })
	claim("wrap 1 of another offer", moved, w.target, 1, true)
	// Only the sealed share of another offer: the commitment fails.
	movedShare := edit(fileA, func(f *sealedFile) {
		copy(f.wrapOf(1)[v2Enc+v2KeyBox:], split(t, fileB).wrapOf(1)[v2Enc+v2KeyBox:])
	})
	claim("sealed share 1 of another offer", movedShare, w.target, 1, true)
	// Member 1's wrap of another bidder's offer in this bidder's offer.
	fromC := edit(fileA, func(f *sealedFile) { copy(f.wrapOf(1), split(t, fileC).wrapOf(1)) })
	claim("wrap 1 of another bidder's offer", fromC, w.target, 1, true)
	// Another bidder's whole header presented as this bidder's (the
	// arguments rewritten): no share opens with the claimed context.
	relabelled := edit(fileC, func(f *sealedFile) { f.args[6] = w.target.Bidder })
	for i := 1; i <= 3; i++ {
		claim("another bidder's offer relabelled", relabelled, w.target, i, true)
	}
	// The same for the file part: File II's shares do not open as File I.
	two := w.target
	two.File = 2
	asFileI := edit(w.sealTo(t, two, doc), func(f *sealedFile) { f.args[7] = "1" })
	claim("File II relabelled as File I", asFileI, w.target, 1, true)
}

// TestInconsistentShares: a bidder whose sharing has one share off the
// polynomial is found out when that share is among the contributions
// (StepShares, or StepHeaderMAC if it is among the k combined), and the
// file is at fault; without it, the others open the offer (the residual
// risk of doc/spec/opening.md §7).
func TestInconsistentShares(t *testing.T) {
	w := newWorld(t, 2, 3)
	doc := []byte("penawaran")
	file := w.craft(t, w.seal(t, doc), func(_ *sealedFile, s *secrets) { s.shares[2][5] ^= 0x40 })
	cs := w.contribute(t, file) // every member's share authenticates: the bidder sealed them
	for _, tt := range []struct {
		members []int
		step    string
	}{
		{[]int{1, 2, 3}, sealer.StepShares},
		{[]int{1, 3}, sealer.StepHeaderMAC},
		{[]int{2, 3}, sealer.StepHeaderMAC},
		{[]int{1, 2}, ""},
	} {
		got, _, err := w.open(file, only(cs, tt.members))
		if tt.step == "" {
			if err != nil || !bytes.Equal(got, doc) {
				t.Errorf("members %v: %v, want the document", tt.members, err)
			}
			continue
		}
		var oe *sealer.OpenError
		if !errors.As(err, &oe) || oe.Step != tt.step || oe.Fault != sealer.FaultFile || !errors.Is(err, sealer.ErrMalformed) {
			t.Errorf("members %v: %v, want the file's fault at %s", tt.members, err, tt.step)
		}
	}
}

// TestClaims: a member whose wrap is garbage claims; the offer opens
// with k others, and without them it is the committee's fault, not the
// bidder's, since a garbage wrap and a false claim cannot be told apart.
func TestClaims(t *testing.T) {
	w := newWorld(t, 2, 3)
	doc := []byte("penawaran")
	file := w.craft(t, w.seal(t, doc), func(f *sealedFile, _ *secrets) { f.wrapOf(3)[500] ^= 1 })
	h := w.inspect(t, file)
	_, err := sealer.Contribute(h, w.c, w.members[2])
	var we *sealer.WrapError
	if !errors.As(err, &we) || we.Share || we.Member != 3 {
		t.Fatalf("member 3 with a garbage key wrap: %v, want a claim about its key wrap", err)
	}
	cs := w.contribute(t, file, 1, 2)
	if got, _, err := w.open(file, cs); err != nil || !bytes.Equal(got, doc) {
		t.Fatalf("members 1 and 2: %v", err)
	}
	_, _, err = w.open(file, cs[:1])
	var oe *sealer.OpenError
	if !errors.As(err, &oe) || oe.Fault != sealer.FaultCommittee {
		t.Fatalf("member 1 alone: %v, want the committee's fault", err)
	}

	// Neither a key of another committee nor a non-member can contribute.
	outsider, _ := age.GenerateHybridIdentity()
	if _, err := sealer.Contribute(h, w.c, outsider); !errors.Is(err, sealer.ErrNotMember) {
		t.Fatalf("an outsider: %v, want ErrNotMember", err)
	}
	o := newWorld(t, 2, 3)
	if _, err := sealer.Contribute(h, o.c, o.members[0]); !errors.Is(err, sealer.ErrWrongCommittee) {
		t.Fatalf("a member of another committee: %v, want ErrWrongCommittee", err)
	}
}

// TestV2Mismatch: Target.Check and the opener refuse a file sealed for
// another target, naming what differs.
func TestV2Mismatch(t *testing.T) {
	w := newWorld(t, 2, 3)
	file := w.seal(t, []byte("penawaran"))
	h := w.inspect(t, file)
	if err := w.target.Check(h); err != nil {
		t.Fatal(err)
	}
	o := newWorld(t, 2, 3)
	bigger := newWorld(t, 3, 4)
	v1key, _ := age.GenerateHybridIdentity()
	for _, tt := range []struct {
		change func(*sealer.Target)
		says   string
	}{
		{func(tg *sealer.Target) { tg.Round++ }, "round"},
		{func(tg *sealer.Target) { tg.Members = o.c }, "committee"},
		{func(tg *sealer.Target) { tg.Members = bigger.c }, "(3 of 4)"},
		{func(tg *sealer.Target) { tg.Tender = "T-2" }, "tender T-2"},
		{func(tg *sealer.Target) { tg.Bidder = "penyedia-8" }, "bidder"},
		{func(tg *sealer.Target) { tg.File = 2 }, "sealed as File I, this is the File II upload"},
		// In a two-file tender File II has a later round: a File I
		// uploaded as File II is named so, not by its round.
		{func(tg *sealer.Target) { tg.File, tg.Round = 2, tg.Round+600 }, "sealed as File I, this is the File II upload"},
		{func(tg *sealer.Target) { tg.Tender, tg.Round = "T-2", tg.Round+600 }, "tender T-2"},
		{func(tg *sealer.Target) {
			tg.Members, tg.Tender, tg.Bidder, tg.File, tg.Committee = nil, "", "", 0, v1key.Recipient()
		}, "format version 2"},
		{func(tg *sealer.Target) { tg.Chain = timelock.Quicknet }, "chain"},
	} {
		tg := w.target
		tt.change(&tg)
		err := tg.Check(h)
		if !errors.Is(err, sealer.ErrMismatch) || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("Check: %v, want ErrMismatch saying %q", err, tt.says)
		}
		if tg.Members == nil || tg.Round != testRound || tg.Chain.HashHex() != w.target.Chain.HashHex() {
			continue
		}
		_, _, err = w.openAs(file, tg, nil)
		var oe *sealer.OpenError
		if !errors.As(err, &oe) || oe.Step != sealer.StepInspect || !errors.Is(err, sealer.ErrMismatch) {
			t.Errorf("Opener.Open: %v, want a mismatch at %s", err, sealer.StepInspect)
		}
	}
	// A version 1 file for the v2 target.
	var v1 bytes.Buffer
	if _, err := sealer.Seal(&v1, strings.NewReader("x"), sealer.Target{Chain: w.target.Chain, Round: testRound, Committee: v1key.Recipient()}); err != nil {
		t.Fatal(err)
	}
	h1 := w.inspect(t, v1.Bytes())
	if err := w.target.Check(h1); !errors.Is(err, sealer.ErrMismatch) || !strings.Contains(err.Error(), "format version 1") {
		t.Errorf("Check of a v1 file against a v2 target: %v", err)
	}
	if _, err := sealer.Contribute(h1, w.c, w.members[0]); err == nil {
		t.Error("Contribute accepted a v1 file")
	}
}

// TestVersion1ReadersRefuseV2: the version 1 paths, which hold one
// committee key, refuse a version 2 file by its type, at StepInspect.
func TestVersion1ReadersRefuseV2(t *testing.T) {
	w := newWorld(t, 1, 1)
	file := w.seal(t, []byte("penawaran"))
	id, err := sealer.NewIdentity(w.beacon.Chain(), testRound, w.sig, w.members[0])
	if err != nil {
		t.Fatal(err)
	}
	_, err = id.Open(bytes.NewReader(file))
	var oe *sealer.OpenError
	if !errors.As(err, &oe) || oe.Step != sealer.StepInspect || !strings.Contains(err.Error(), "contributions") {
		t.Fatalf("Identity.Open of a v2 file: %v", err)
	}
	_, err = sealer.Open(t.Context(), bytes.NewReader(file), w.beacon, w.members[0])
	if !errors.As(err, &oe) || oe.Step != sealer.StepInspect {
		t.Fatalf("Open of a v2 file: %v", err)
	}
	// Nor does age open it with the member's key and the round.
	tl, _ := timelock.NewIdentity(w.beacon.Chain(), testRound, w.sig)
	if _, err := age.Decrypt(bytes.NewReader(file), tl, w.members[0], id); err == nil {
		t.Fatal("age opened a v2 file with the round's identity and the member's key")
	}
}

func TestSealV2Refusals(t *testing.T) {
	w := newWorld(t, 2, 3)
	key, _ := age.GenerateHybridIdentity()
	for name, change := range map[string]func(*sealer.Target){
		"no tender":      func(tg *sealer.Target) { tg.Tender = "" },
		"tender with /":  func(tg *sealer.Target) { tg.Tender = "T/1" },
		"bidder space":   func(tg *sealer.Target) { tg.Bidder = "a b" },
		"file 0":         func(tg *sealer.Target) { tg.File = 0 },
		"file 3":         func(tg *sealer.Target) { tg.File = 3 },
		"both":           func(tg *sealer.Target) { tg.Committee = key.Recipient() },
		"v1 with tender": func(tg *sealer.Target) { tg.Members, tg.Committee = nil, key.Recipient() },
	} {
		tg := w.target
		change(&tg)
		if _, err := sealer.Seal(new(bytes.Buffer), strings.NewReader("x"), tg); err == nil {
			t.Errorf("%s: Seal accepted the target", name)
		}
	}
	// A stream whose length cannot be told.
	_, err := sealer.Seal(new(bytes.Buffer), struct{ io.Reader }{strings.NewReader("x")}, w.target)
	if err == nil || !strings.Contains(err.Error(), "spool") {
		t.Errorf("Seal of a stream: %v, want advice to spool it", err)
	}
}
