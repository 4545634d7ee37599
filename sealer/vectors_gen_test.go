package sealer_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/cryptotest"
	"time"

	"filippo.io/age"
	"filippo.io/age/armor"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/timelock"
)

var updateVectors = flag.Bool("update", false, "regenerate testdata/vectors (then review and commit them)")

// The vectors' beacon chains: local beacons from fixed seeds, so that
// their signatures can be made again. Nothing about them is secret.
const (
	vectorSeed      = "segel-offer/v1 known-answer vectors, chain 1"
	vectorOtherSeed = "segel-offer/v1 known-answer vectors, chain 2"
	vectorRound     = 100
)

type vectorChain struct {
	beacon *timelock.LocalBeacon
}

func newVectorChain(t *testing.T, seed string) vectorChain {
	key, err := timelock.LocalKeyFromSeed([]byte(seed))
	if err != nil {
		t.Fatal(err)
	}
	b, err := timelock.NewLocalBeacon(timelock.LocalConfig{
		Key: key, Genesis: time.Unix(1_760_000_000, 0), Period: 3 * time.Second,
		Now: func() time.Time { return time.Unix(1_900_000_000, 0) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return vectorChain{b}
}

func (c vectorChain) sig(t *testing.T, round uint64) []byte {
	sig, err := c.beacon.Signature(context.Background(), round)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func (c vectorChain) seal(t *testing.T, round uint64, committee *age.HybridIdentity, doc []byte) []byte {
	var buf bytes.Buffer
	target := sealer.Target{Chain: c.beacon.Chain(), Round: round, Committee: committee.Recipient()}
	if _, err := sealer.Seal(&buf, bytes.NewReader(doc), target); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sealedFile is a sealed offer taken apart, to be put together again with
// changes.
type sealedFile struct {
	typ  string
	args []string
	body []byte
	mac  string // the closing line, without its newline
	rest []byte // the payload
}

func split(t testing.TB, file []byte) *sealedFile {
	end := bytes.Index(file, []byte("\n--- "))
	lines := strings.Split(string(file[:end]), "\n")
	stanza := strings.Fields(lines[1])
	body, err := base64.RawStdEncoding.DecodeString(strings.Join(lines[2:], ""))
	if err != nil {
		t.Fatal(err)
	}
	macEnd := end + 1 + bytes.IndexByte(file[end+1:], '\n')
	return &sealedFile{typ: stanza[1], args: stanza[2:], body: body,
		mac: string(file[end+1 : macEnd]), rest: file[macEnd+1:]}
}

func (f *sealedFile) clone() *sealedFile {
	g := *f
	g.args = append([]string(nil), f.args...)
	g.body = bytes.Clone(f.body)
	return &g
}

func (f *sealedFile) bytes() []byte { return f.encode(64) }

// encode writes f as age does, with the body's base64 wrapped at cols.
func (f *sealedFile) encode(cols int) []byte {
	var buf bytes.Buffer
	buf.WriteString("age-encryption.org/v1\n")
	buf.WriteString(strings.Join(append([]string{"->", f.typ}, f.args...), " ") + "\n")
	enc := base64.RawStdEncoding.EncodeToString(f.body)
	for len(enc) >= cols {
		buf.WriteString(enc[:cols] + "\n")
		enc = enc[cols:]
	}
	buf.WriteString(enc + "\n")
	buf.WriteString(f.mac + "\n")
	buf.Write(f.rest)
	return buf.Bytes()
}

// offsetV is where V starts in the stanza body (doc/spec/offer.md, "Body").
const offsetV = 96

type vectorOut struct {
	name, expect, mismatch, comment string
	chain                           timelock.Chain
	round                           uint64
	sig                             []byte
	identity                        *age.HybridIdentity
	plaintext                       []byte // with expect "success"
	file                            []byte
}

// generateVectors writes testdata/vectors afresh. Sealing is randomized;
// the randomness is fixed here so that a regeneration changes only what
// the code changed, but the vectors are what is committed, and
// TestVectors only reads them.
func generateVectors(t *testing.T) {
	cryptotest.SetGlobalRandom(t, 1)
	c1, c2 := newVectorChain(t, vectorSeed), newVectorChain(t, vectorOtherSeed)
	committee, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	other, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	small := []byte("Penawaran harga: Rp 1.234.567.890 (known-answer vector)\n")
	twoChunks := make([]byte, 64<<10+1)
	for i := range twoChunks {
		twoChunks[i] = byte(i * 7)
	}
	good := c1.seal(t, vectorRound, committee, small)
	goodParts := split(t, good)
	big := c1.seal(t, vectorRound, committee, twoChunks)
	payloadStart := len(big) - len(split(t, big).rest)

	var vs []vectorOut
	add := func(name, expect, comment string, file []byte) {
		vs = append(vs, vectorOut{name: name, expect: expect, comment: comment, chain: c1.beacon.Chain(),
			round: vectorRound, sig: c1.sig(t, vectorRound), identity: committee, file: file})
	}
	edit := func(change func(f *sealedFile)) []byte {
		f := goodParts.clone()
		change(f)
		return f.bytes()
	}
	flip := func(b []byte, i int) []byte { b = bytes.Clone(b); b[i] ^= 1; return b }

	add("success-small", "success", "a small offer", good)
	vs[len(vs)-1].plaintext = small
	add("success-empty", "success", "an empty document", c1.seal(t, vectorRound, committee, nil))
	vs[len(vs)-1].plaintext = []byte{}
	add("success-two-chunks", "success", "64 KiB + 1 byte: a full STREAM chunk and a last chunk of 1 byte", big)
	vs[len(vs)-1].plaintext = twoChunks

	add("header-empty", sealer.StepHeader, "an empty file", []byte{})
	add("header-not-age", sealer.StepHeader, "not an age file", []byte("Penawaran harga: Rp 1.234.567.890\n"))
	var armored bytes.Buffer
	aw := armor.NewWriter(&armored)
	aw.Write(good)
	aw.Close()
	add("header-armored", sealer.StepHeader, "the good file, ASCII-armored: offers are binary", armored.Bytes())
	add("header-no-mac", sealer.StepHeader, "the file cut before the header's closing --- line",
		good[:bytes.Index(good, []byte("\n--- "))+1])
	add("header-body-wrapped-60", sealer.StepHeader, "stanza body base64 wrapped at 60 columns, not 64",
		goodParts.encode(60))
	padded := goodParts.encode(64)
	at := bytes.Index(padded, []byte("\n--- "))
	padded = append(append(bytes.Clone(padded[:at]), '='), padded[at:]...)
	add("header-body-padded", sealer.StepHeader, "stanza body base64 with = padding", padded)
	add("header-crlf", sealer.StepHeader, "header lines end in CRLF",
		append(bytes.ReplaceAll(good[:len(good)-len(goodParts.rest)], []byte("\n"), []byte("\r\n")), goodParts.rest...))
	add("header-mac-noncanonical", sealer.StepHeader, "the MAC's base64 has nonzero trailing bits",
		edit(func(f *sealedFile) { f.mac = nonCanonical(f.mac) }))

	add("inspect-tlock-type", sealer.StepInspect, "stanza type tlock: a plain timelock file has no committee half",
		edit(func(f *sealedFile) { f.typ = timelock.StanzaType; f.args = f.args[:2] }))
	add("inspect-v2-type", sealer.StepInspect, "stanza type segel-offer/v2, which a v1 reader refuses",
		edit(func(f *sealedFile) { f.typ = "segel-offer/v2" }))
	stanzaEnd := bytes.Index(good, []byte("\n--- ")) + 1
	twoStanzas := append(bytes.Clone(good[:stanzaEnd]), good[len("age-encryption.org/v1\n"):]...)
	add("inspect-two-stanzas", sealer.StepInspect, "the offer's stanza twice: a sealed offer has exactly one", twoStanzas)
	add("inspect-two-args", sealer.StepInspect, "stanza without its committee key id",
		edit(func(f *sealedFile) { f.args = f.args[:2] }))
	add("inspect-four-args", sealer.StepInspect, "stanza with a fourth argument",
		edit(func(f *sealedFile) { f.args = append(f.args, "x") }))
	add("inspect-round-zero", sealer.StepInspect, "round 0", edit(func(f *sealedFile) { f.args[0] = "0" }))
	add("inspect-round-leading-zero", sealer.StepInspect, "round 0100: not canonical decimal",
		edit(func(f *sealedFile) { f.args[0] = "0" + f.args[0] }))
	add("inspect-round-plus", sealer.StepInspect, "round +100: not canonical decimal",
		edit(func(f *sealedFile) { f.args[0] = "+" + f.args[0] }))
	add("inspect-key-id-uppercase", sealer.StepInspect, "committee key id in uppercase hex",
		edit(func(f *sealedFile) { f.args[2] = strings.ToUpper(f.args[2]) }))
	add("inspect-key-id-short", sealer.StepInspect, "committee key id of 14 hex digits",
		edit(func(f *sealedFile) { f.args[2] = f.args[2][:14] }))
	add("inspect-body-short", sealer.StepInspect, "stanza body of 1279 bytes",
		edit(func(f *sealedFile) { f.body = f.body[:len(f.body)-1] }))
	add("inspect-body-long", sealer.StepInspect, "stanza body of 1281 bytes",
		edit(func(f *sealedFile) { f.body = append(f.body, 0) }))
	add("inspect-point-infinity", sealer.StepInspect, "U is the point at infinity",
		edit(func(f *sealedFile) { copy(f.body, append([]byte{0xc0}, make([]byte, 95)...)) }))
	add("inspect-point-invalid", sealer.StepInspect, "U does not decode to a point of G2 (one bit of its x flipped)",
		edit(func(f *sealedFile) { f.body[50] ^= 1 }))

	mis := func(name, kind, comment string, file []byte) {
		add(name, sealer.StepInspect, comment, file)
		vs[len(vs)-1].mismatch = kind
	}
	mis("mismatch-round", "round", "sealed to round 101; the identity holds round 100",
		c1.seal(t, vectorRound+1, committee, small))
	mis("mismatch-chain", "chain", "sealed on another chain", c2.seal(t, vectorRound, committee, small))
	mis("mismatch-chain-uppercase", "chain", "the chain hash in uppercase hex: not the pinned chain's hash",
		edit(func(f *sealedFile) { f.args[1] = strings.ToUpper(f.args[1]) }))
	mis("mismatch-committee", "committee", "sealed to another committee key", c1.seal(t, vectorRound, other, small))

	add("time-lock-half-altered", sealer.StepTimeLockHalf, "one bit of V flipped",
		edit(func(f *sealedFile) { f.body[offsetV] ^= 1 }))
	add("time-lock-half-round-rewritten", sealer.StepTimeLockHalf, "sealed to round 100, the round argument rewritten to 101",
		edit(func(f *sealedFile) { f.args[0] = strconv.Itoa(vectorRound + 1) }))
	vs[len(vs)-1].round, vs[len(vs)-1].sig = vectorRound+1, c1.sig(t, vectorRound+1)
	add("committee-half-altered", sealer.StepCommitteeHalf, "one bit of the committee half's AEAD tag flipped",
		edit(func(f *sealedFile) { f.body[len(f.body)-1] ^= 1 }))
	add("committee-half-key-id-rewritten", sealer.StepCommitteeHalf, "sealed to one committee, the key id rewritten to the other's, opened by the other",
		edit(func(f *sealedFile) { f.args[2] = sealer.KeyID(other.Recipient()) }))
	vs[len(vs)-1].identity = other

	add("header-mac-flipped", sealer.StepHeaderMAC, "another MAC, canonically encoded",
		edit(func(f *sealedFile) { f.mac = otherMAC(f.mac) }))
	second := split(t, c1.seal(t, vectorRound, committee, small))
	add("header-mac-halves-mixed", sealer.StepHeaderMAC, "the committee half of another offer to the same round and committee: both halves decrypt, to the wrong file key",
		edit(func(f *sealedFile) { copy(f.body[128:], second.body[128:]) }))

	add("payload-header-only", sealer.StepPayload, "the file cut right after the header", good[:len(good)-len(goodParts.rest)])
	add("payload-nonce-cut", sealer.StepPayload, "the file cut within the payload's 16-byte nonce", good[:len(good)-len(goodParts.rest)+8])
	add("payload-cut", sealer.StepPayload, "the last byte cut", good[:len(good)-1])
	add("payload-altered", sealer.StepPayload, "one bit of the ciphertext flipped", flip(good, len(good)-20))
	add("payload-trailing-data", sealer.StepPayload, "one byte after the last chunk", append(bytes.Clone(good), 0))
	add("payload-last-chunk-dropped", sealer.StepPayload, "two chunks, the last cut off: the first is not marked last",
		big[:payloadStart+16+64<<10+16])
	add("payload-first-chunk-altered", sealer.StepPayload, "two chunks, one bit of the first flipped", flip(big, payloadStart+100))

	dir := filepath.Join("testdata", "vectors")
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		var buf bytes.Buffer
		fmt.Fprintf(&buf, "expect: %s\n", v.expect)
		if v.mismatch != "" {
			fmt.Fprintf(&buf, "mismatch: %s\n", v.mismatch)
		}
		fmt.Fprintf(&buf, "chain: %s\n", v.chain.MarshalInfo())
		fmt.Fprintf(&buf, "round: %d\n", v.round)
		fmt.Fprintf(&buf, "signature: %s\n", hex.EncodeToString(v.sig))
		fmt.Fprintf(&buf, "identity: %s\n", v.identity)
		if v.plaintext != nil {
			fmt.Fprintf(&buf, "payload: %x\n", sha256.Sum256(v.plaintext))
		}
		fmt.Fprintf(&buf, "comment: %s\n\n", v.comment)
		buf.Write(v.file)
		if err := os.WriteFile(filepath.Join(dir, v.name), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// otherMAC returns the closing line with another, canonically encoded
// MAC.
func otherMAC(line string) string {
	mac, _ := base64.RawStdEncoding.DecodeString(strings.TrimPrefix(line, "--- "))
	mac[0] ^= 1
	return "--- " + base64.RawStdEncoding.EncodeToString(mac)
}

// nonCanonical returns the closing line with the MAC's last base64 digit
// changed in its unused low bits: the same bytes, non-canonically
// encoded.
func nonCanonical(line string) string {
	const digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	last := strings.IndexByte(digits, line[len(line)-1])
	return line[:len(line)-1] + string(digits[last^1])
}
