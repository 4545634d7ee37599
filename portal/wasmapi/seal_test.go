package wasmapi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/segel-lpse/segel/portal/wasmapi"
	"github.com/segel-lpse/segel/sealer"
)

func (w *world) target(t testing.TB) sealer.Target {
	t.Helper()
	return sealer.Target{Chain: w.chain(), Round: 100_000_000, Committee: w.committee.Recipient()}
}

// open opens a sealed offer with the round's signature and the committee
// key, as the opening ceremony does.
func (w *world) open(t testing.TB, sealed []byte, round uint64) []byte {
	t.Helper()
	w.clock = w.chain().TimeOf(round)
	r, err := sealer.Open(context.Background(), bytes.NewReader(sealed), w.beacon, w.committee)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return plain
}

// TestSealOpens seals documents of the sizes around age's chunk
// boundaries, and checks that the sealer opens them to the same bytes,
// that Seal's digest and sizes are the file's, and that Inspect accepts
// them.
func TestSealOpens(t *testing.T) {
	w := newWorld(t)
	target := w.target(t)
	for _, n := range []int64{0, 1, 64<<10 - 1, 64 << 10, 64<<10 + 1, 128 << 10, 128<<10 + 17, 1 << 20} {
		doc := make([]byte, n)
		rand.Read(doc)
		var out bytes.Buffer
		s, err := wasmapi.Seal(&out, bytes.NewReader(doc), target)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(out.Bytes())
		if s.Size != int64(out.Len()) || s.SHA256 != hex.EncodeToString(sum[:]) || s.DocumentSize != n || s.Round != target.Round ||
			s.CommitteeKeyID != sealer.KeyID(target.Committee) || s.ChainHash != target.Chain.HashHex() {
			t.Errorf("%d bytes: Seal = %+v; file has %d bytes, SHA-256 %x", n, s, out.Len(), sum)
		}
		if got := w.open(t, out.Bytes(), target.Round); !bytes.Equal(got, doc) {
			t.Errorf("%d bytes: opened to %d other bytes", n, len(got))
		}
		in, err := wasmapi.Inspect(bytes.NewReader(out.Bytes()), int64(out.Len()), target, n, true)
		if err != nil {
			t.Fatalf("%d bytes: Inspect: %v", n, err)
		}
		if in.DocumentSize != n || in.SHA256 != s.SHA256 || in.HeaderSize+wasmapi.PayloadSize(n) != s.Size {
			t.Errorf("%d bytes: Inspect = %+v", n, in)
		}
	}
}

// TestPayloadSize checks PayloadSize against age itself, and DocumentSize
// as its exact inverse: every payload length is either what one document
// length gives, or refused.
func TestPayloadSize(t *testing.T) {
	id, _ := age.GenerateX25519Identity()
	for _, n := range []int64{0, 1, 15, 16, 17, 64<<10 - 1, 64 << 10, 64<<10 + 1, 3 << 16, 3<<16 + 5} {
		var out, head bytes.Buffer
		w, _ := age.Encrypt(&out, id.Recipient())
		w.Write(make([]byte, n))
		w.Close()
		h, _ := age.ExtractHeader(io.TeeReader(bytes.NewReader(out.Bytes()), &head))
		if got, want := wasmapi.PayloadSize(n), int64(out.Len()-len(h)); got != want {
			t.Errorf("PayloadSize(%d) = %d, age writes %d", n, got, want)
		}
	}
	const limit = 4*(64<<10+16) + 64
	docs := map[int64]int64{} // payload size → document size
	for n := int64(0); wasmapi.PayloadSize(n) <= limit; n++ {
		p := wasmapi.PayloadSize(n)
		if _, dup := docs[p]; dup {
			t.Fatalf("two documents have payloads of %d bytes", p)
		}
		docs[p] = n
	}
	for p := int64(0); p <= limit; p++ {
		n, ok := wasmapi.DocumentSize(p)
		want, wantOK := docs[p]
		if ok != wantOK || ok && n != want {
			t.Fatalf("DocumentSize(%d) = %d, %v; want %d, %v", p, n, ok, want, wantOK)
		}
	}
}

// TestInspectRefusesDamage damages a sealed file in the ways a browser's
// storage or a faulty sealer could, and checks that the self-check
// refuses each, saying so.
func TestInspectRefusesDamage(t *testing.T) {
	w := newWorld(t)
	target := w.target(t)
	doc := make([]byte, 200<<10)
	var out bytes.Buffer
	s, err := wasmapi.Seal(&out, bytes.NewReader(doc), target)
	if err != nil {
		t.Fatal(err)
	}
	good := out.Bytes()
	in, err := wasmapi.Inspect(bytes.NewReader(good), int64(len(good)), target, int64(len(doc)), false)
	if err != nil {
		t.Fatal(err)
	}
	hs := int(in.HeaderSize)
	flip := func(i int) []byte { b := bytes.Clone(good); b[i] ^= 0x01; return b }
	other := target
	other.Round++
	otherKey, _ := age.GenerateHybridIdentity()
	otherCommittee := target
	otherCommittee.Committee = otherKey.Recipient()
	for _, tt := range []struct {
		name    string
		file    []byte
		target  sealer.Target
		docSize int64
		code    string
		want    string
	}{
		{"first byte", flip(0), target, -1, "malformed-offer", "header does not parse"},
		{"round argument", bytes.Replace(good, []byte(" 100000000 "), []byte(" 100000001 "), 1), target, -1, "offer-mismatch", "sealed to round 100000001"},
		{"stanza body", flip(200), target, -1, "malformed-offer", ""},
		{"header cut", good[:hs-10], target, -1, "malformed-offer", "header does not parse"},
		{"one byte cut", good[:len(good)-1], target, s.DocumentSize, "malformed-offer", "cut or padded"},
		{"one byte added", append(bytes.Clone(good), 0), target, s.DocumentSize, "malformed-offer", "cut or padded"},
		{"payload cut to its nonce", good[:hs+15], target, -1, "malformed-offer", "a length age's STREAM never has"},
		// Cut at a chunk boundary, the length is one a shorter document
		// gives: only the document's size tells.
		{"last chunk cut", good[:hs+16+3*(64<<10+16)], target, s.DocumentSize, "malformed-offer", "holds 196608 bytes of document, the document has 204800"},
		{"another round", good, other, -1, "offer-mismatch", "the tender opens at round 100000001"},
		{"another committee", good, otherCommittee, -1, "offer-mismatch", "committee key"},
	} {
		_, err := wasmapi.Inspect(bytes.NewReader(tt.file), int64(len(tt.file)), tt.target, tt.docSize, true)
		if !errors.Is(err, wasmapi.ErrSelfCheck) || wasmapi.Code(err) != "self-check" || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Inspect = %v, want ErrSelfCheck saying %q", tt.name, err, tt.want)
			continue
		}
		var code string
		for _, c := range []struct {
			err  error
			code string
		}{{sealer.ErrMismatch, "offer-mismatch"}, {sealer.ErrMalformed, "malformed-offer"}} {
			if errors.Is(err, c.err) {
				code = c.code
				break
			}
		}
		if code != tt.code {
			t.Errorf("%s: %v wraps %q, want %q", tt.name, err, code, tt.code)
		}
	}
	// Cut at a chunk boundary, without the document's size the file looks
	// whole: the page must pass it.
	cut := good[:hs+16+3*(64<<10+16)]
	if _, err := wasmapi.Inspect(bytes.NewReader(cut), int64(len(cut)), target, -1, false); err != nil {
		t.Errorf("cut at a chunk boundary, no size: %v", err)
	}
}
