package sealer_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"testing/cryptotest"

	"filippo.io/age"
	"github.com/segel-lpse/segel/sealer"
)

// A v2VectorOut is one vector of testdata/vectors-v2 to write.
type v2VectorOut struct {
	name, expect, fault, mismatch, comment string
	w                                      *world
	round                                  uint64
	sig                                    []byte
	target                                 sealer.Target
	contributions                          []sealer.Contribution
	refused                                []int
	claims                                 []string // "<i> key" or "<i> share"
	plaintext                              []byte   // with expect "success"
	file                                   []byte
}

// vectorWorld is a world on the vectors' first chain (vectors_gen_test.go)
// with committee keys, so that its files open at vectorRound.
func vectorWorld(t *testing.T, c vectorChain, k int, keys []*age.HybridIdentity) *world {
	w := &world{beacon: c.beacon}
	w.setMembers(t, k, keys)
	w.sig = c.sig(t, vectorRound)
	var err error
	if w.opener, err = sealer.NewOpener(c.beacon.Chain(), vectorRound, w.sig); err != nil {
		t.Fatal(err)
	}
	return w
}

// generateVectorsV2 writes testdata/vectors-v2 afresh, with randomness
// fixed, as generateVectors does for version 1.
func generateVectorsV2(t *testing.T) {
	cryptotest.SetGlobalRandom(t, 2)
	c1, c2 := newVectorChain(t, vectorSeed), newVectorChain(t, vectorOtherSeed)
	keys := generateKeys(t, 5)
	w := vectorWorld(t, c1, 2, keys[:3])
	w5 := vectorWorld(t, c1, 3, keys)
	w1 := vectorWorld(t, c1, 1, keys[3:4])
	other := vectorWorld(t, c1, 2, keys[2:5])

	doc := []byte("Penawaran harga: Rp 1.234.567.890 (known-answer vector, segel-offer/v2)\n")
	twoChunks := make([]byte, 64<<10+1)
	for i := range twoChunks {
		twoChunks[i] = byte(i * 7)
	}
	good := w.seal(t, doc)
	cs := w.contribute(t, good)
	headLen := len(good) - len(split(t, good).rest)
	bad := cs[1]
	rand.Read(bad.Key[:])

	var vs []v2VectorOut
	add := func(name, expect, fault, comment string, wd *world, file []byte, contributions ...sealer.Contribution) *v2VectorOut {
		vs = append(vs, v2VectorOut{name: name, expect: expect, fault: fault, comment: comment, w: wd,
			round: vectorRound, sig: wd.sig, target: wd.target, contributions: contributions, file: file})
		return &vs[len(vs)-1]
	}
	success := func(name, comment string, wd *world, file, plaintext []byte, contributions ...sealer.Contribution) *v2VectorOut {
		v := add(name, "success", "", comment, wd, file, contributions...)
		v.plaintext = plaintext
		return v
	}
	edit := func(file []byte, change func(f *sealedFile)) []byte {
		f := split(t, file)
		change(f)
		return f.bytes()
	}
	flip := func(b []byte, i int) []byte { b = bytes.Clone(b); b[i] ^= 1; return b }

	success("success-all-members", "2 of 3, every member contributes", w, good, doc, cs...)
	success("success-members-1-and-3", "2 of 3, members 1 and 3 contribute", w, good, doc, cs[0], cs[2])
	f5 := w5.seal(t, doc)
	success("success-3of5-one-absent", "3 of 5, member 4 absent", w5, f5, doc, only(w5.contribute(t, f5), []int{1, 2, 3, 5})...)
	f1 := w1.seal(t, nil)
	success("success-1of1-empty", "a committee of one key, an empty document", w1, f1, []byte{}, w1.contribute(t, f1)...)
	big := w.seal(t, twoChunks)
	success("success-two-chunks", "64 KiB + 1 byte: a full STREAM chunk and a last chunk of 1 byte", w, big, twoChunks, w.contribute(t, big, 1, 2)...)
	v := success("success-a-bad-contribution", "member 2's contribution is a random key: refused, and the other two open the offer", w, good, doc, cs[0], bad, cs[2])
	v.refused = []int{2}
	claimed := w.craft(t, good, func(f *sealedFile, _ *secrets) { f.wrapOf(3)[500] ^= 1 })
	v = success("success-a-claim", "member 3's key wrap is garbage: its tool claims; members 1 and 2 open the offer", w, claimed, doc, w.contribute(t, claimed, 1, 2)...)
	v.claims = []string{"3 key"}
	wII := *w
	wII.target.File = 2
	fII := wII.seal(t, doc)
	success("success-file-ii", "File II of a two-file tender", &wII, fII, doc, wII.contribute(t, fII, 2, 3)...)

	add("header-cut", sealer.StepHeader, "file", "the file cut inside its header", w, good[:headLen/2])
	add("header-body-wrapped-60", sealer.StepHeader, "file", "stanza body base64 wrapped at 60 columns, not 64", w, split(t, good).encode(60))

	add("inspect-payload-cut", sealer.StepInspect, "file", "the last byte cut: the header commits to the size, so this is refused at submission", w, good[:len(good)-1])
	add("inspect-payload-extended", sealer.StepInspect, "file", "one byte after the end", w, append(bytes.Clone(good), 0))
	add("inspect-header-only", sealer.StepInspect, "file", "the file cut right after its header", w, good[:headLen])
	add("inspect-length-rewritten", sealer.StepInspect, "file", "length argument one more, shares and MAC made to match: the file is shorter than the header says", w,
		w.craft(t, good, func(f *sealedFile, _ *secrets) { f.args[4] = strconv.Itoa(len(doc) + 1) }))
	add("inspect-threshold-above-members", sealer.StepInspect, "file", "threshold 4 with 3 members' wraps", w, edit(good, func(f *sealedFile) { f.args[3] = "4" }))
	add("inspect-threshold-zero", sealer.StepInspect, "file", "threshold 0", w, edit(good, func(f *sealedFile) { f.args[3] = "0" }))
	add("inspect-body-one-byte-long", sealer.StepInspect, "file", "body of 128 + 3·1216 + 1 bytes", w, edit(good, func(f *sealedFile) { f.body = append(f.body, 0) }))
	add("inspect-same-encapsulation", sealer.StepInspect, "file", "member 2's key encapsulation is member 1's", w,
		edit(good, func(f *sealedFile) { copy(f.wrapOf(2)[:v2Enc], f.wrapOf(1)[:v2Enc]) }))
	add("inspect-bidder-not-an-id", sealer.StepInspect, "file", "bidder penyedia:7", w, edit(good, func(f *sealedFile) { f.args[6] = "penyedia:7" }))
	add("inspect-file-part-3", sealer.StepInspect, "file", "file part 3", w, edit(good, func(f *sealedFile) { f.args[7] = "3" }))
	add("inspect-v1-arguments", sealer.StepInspect, "file", "type segel-offer/v2 with version 1's three arguments", w, edit(good, func(f *sealedFile) { f.args = f.args[:3] }))
	add("inspect-point-invalid", sealer.StepInspect, "file", "U does not decode to a point of G2 (one bit of its x flipped)", w, edit(good, func(f *sealedFile) { f.body[50] ^= 1 }))

	mis := func(name, kind, comment string, file []byte) {
		v := add(name, sealer.StepInspect, "file", comment, w, file)
		v.mismatch = kind
	}
	retarget := func(change func(*sealer.Target)) []byte {
		tg := w.target
		change(&tg)
		return w.sealTo(t, tg, doc)
	}
	mis("mismatch-bidder", "bidder", "sealed for bidder penyedia-8", retarget(func(tg *sealer.Target) { tg.Bidder = "penyedia-8" }))
	mis("mismatch-file", "file", "sealed as File II, opened as File I", fII)
	mis("mismatch-tender", "tender", "sealed for another tender", retarget(func(tg *sealer.Target) { tg.Tender = "T-20261201-ZZZZ9999" }))
	mis("mismatch-round", "round", "sealed to round 101, the opener holds round 100", retarget(func(tg *sealer.Target) { tg.Round = vectorRound + 1 }))
	mis("mismatch-committee", "committee", "sealed to another committee", retarget(func(tg *sealer.Target) { tg.Members = other.c }))
	onC2 := *w
	onC2.beacon = c2.beacon
	mis("mismatch-chain", "chain", "sealed on another chain", onC2.sealTo(t, sealer.Target{Chain: c2.beacon.Chain(), Round: vectorRound, Members: w.c,
		Tender: w.target.Tender, Bidder: w.target.Bidder, File: 1}, doc))

	tlBroken := w.craft(t, good, func(f *sealedFile, _ *secrets) { f.body[100] ^= 1 })
	add("time-lock-half-altered", sealer.StepTimeLockHalf, "file", "one bit of V flipped, the shares and MAC made to match", w, tlBroken, w.contribute(t, tlBroken)...)
	v = add("time-lock-half-round-rewritten", sealer.StepTimeLockHalf, "file", "sealed to round 100, the round argument rewritten to 101, the shares and MAC made to match", w,
		w.craft(t, good, func(f *sealedFile, _ *secrets) { f.args[0] = strconv.Itoa(vectorRound + 1) }))
	v.round, v.sig, v.target.Round = vectorRound+1, c1.sig(t, vectorRound+1), vectorRound+1
	v.contributions = w.contribute(t, v.file)

	v = add("contribution-bad-key", sealer.StepContribution, "member", "member 1 contributes, member 2's contribution is a random key", w, good, cs[0], bad)
	v.refused = []int{2}
	add("contributions-one-of-two", sealer.StepContributions, "committee", "only member 1 contributes", w, good, cs[0])
	add("contributions-none", sealer.StepContributions, "committee", "no member contributes", w, good)
	twoClaims := w.craft(t, good, func(f *sealedFile, _ *secrets) { f.wrapOf(2)[10] ^= 1; f.wrapOf(3)[1130] ^= 1 })
	v = add("contributions-two-claims", sealer.StepContributions, "committee", "the key wraps of members 2 and 3 are garbage (or the members say so: nobody can tell): they claim, member 1 contributes", w, twoClaims, w.contribute(t, twoClaims, 1)...)
	v.claims = []string{"2 key", "3 key"}
	shareClaim := w.craft(t, good, func(_ *sealedFile, s *secrets) { rand.Read(s.keys[1]) })
	v = add("contributions-share-claim", sealer.StepContributions, "committee", "member 2's share is sealed under another key than the one its wrap holds: member 2 claims its share, member 1 contributes", w, shareClaim, w.contribute(t, shareClaim, 1)...)
	v.claims = []string{"2 share"}

	inconsistent := w.craft(t, good, func(_ *sealedFile, s *secrets) { s.shares[2][5] ^= 0x40 })
	ics := w.contribute(t, inconsistent)
	add("shares-inconsistent", sealer.StepShares, "file", "member 3's share is off the polynomial, sealed by the bidder so that it authenticates; all three contribute", w, inconsistent, ics...)
	add("header-mac-inconsistent-share-combined", sealer.StepHeaderMAC, "file", "the same file, members 1 and 3 contribute: the combined key is wrong", w, inconsistent, ics[0], ics[2])
	macFlipped := edit(good, func(f *sealedFile) { f.mac = otherMAC(f.mac) })
	add("header-mac-flipped", sealer.StepHeaderMAC, "file", "another MAC, canonically encoded", w, macFlipped, w.contribute(t, macFlipped)...)
	second := split(t, w.seal(t, doc))
	mixed := w.craft(t, good, func(f *sealedFile, _ *secrets) { copy(f.body[:v2IBE], second.body[:v2IBE]) })
	add("header-mac-halves-mixed", sealer.StepHeaderMAC, "file", "the time-locked half of another offer, shares and MAC of this one made to match it", w, mixed, w.contribute(t, mixed)...)

	add("payload-altered", sealer.StepPayload, "file", "one bit of the ciphertext flipped", w, flip(good, len(good)-20), cs...)
	bs := split(t, big)
	dropped := w.craft(t, big, func(f *sealedFile, _ *secrets) { f.args[4] = strconv.Itoa(64 << 10) })
	dropped = dropped[:len(dropped)-len(bs.rest)+16+64<<10+16]
	add("payload-last-chunk-dropped", sealer.StepPayload, "file", "two chunks, the last cut off and the length rewritten to one chunk's: the first chunk is not marked last", w, dropped, w.contribute(t, dropped, 1, 2)...)

	dir := filepath.Join("testdata", "vectors-v2")
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		if err := os.WriteFile(filepath.Join(dir, v.name), v.marshal(t), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func (v *v2VectorOut) marshal(t *testing.T) []byte {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "expect: %s\n", v.expect)
	if v.fault != "" {
		fmt.Fprintf(&buf, "fault: %s\n", v.fault)
	}
	if v.mismatch != "" {
		fmt.Fprintf(&buf, "mismatch: %s\n", v.mismatch)
	}
	fmt.Fprintf(&buf, "chain: %s\n", v.w.beacon.Chain().MarshalInfo())
	fmt.Fprintf(&buf, "round: %d\n", v.round)
	fmt.Fprintf(&buf, "signature: %s\n", hex.EncodeToString(v.sig))
	fmt.Fprintf(&buf, "threshold: %d\n", v.w.c.Threshold())
	for _, m := range v.w.members {
		fmt.Fprintf(&buf, "member: %s\n", m)
	}
	fmt.Fprintf(&buf, "tender: %s\nbidder: %s\nfile: %d\n", v.target.Tender, v.target.Bidder, v.target.File)
	for _, c := range v.contributions {
		text, err := c.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&buf, "contribution: %s\n", text)
	}
	for _, i := range v.refused {
		fmt.Fprintf(&buf, "refused: %d\n", i)
	}
	for _, c := range v.claims {
		fmt.Fprintf(&buf, "claim: %s\n", c)
	}
	if v.plaintext != nil {
		fmt.Fprintf(&buf, "payload: %x\n", sha256.Sum256(v.plaintext))
	}
	fmt.Fprintf(&buf, "comment: %s\n\n", v.comment)
	buf.Write(v.file)
	return buf.Bytes()
}
