package auditlog_test

import (
	"context"
	"errors"
	"github.com/segel-lpse/segel/internal/mutate"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/segel-lpse/segel/auditlog"
)

// signedCheckpoint returns a signed checkpoint of a log of size entries.
func signedCheckpoint(t *testing.T, signer note.Signer, size int) []byte {
	t.Helper()
	ctx := context.Background()
	l := newLog(t, auditlog.NewMemoryStorage(), signer, 0)
	for i := range size {
		if _, err := l.Append(ctx, entry(i)); err != nil {
			t.Fatal(err)
		}
	}
	signed, err := l.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

func TestCheckpointMutations(t *testing.T) {
	t.Parallel()
	signer, verifier := newKeys(t, testOrigin)
	for _, size := range []int{0, 1, 1234} {
		valid := signedCheckpoint(t, signer, size)
		mutate.CheckAllRejected(t, valid, func(b []byte) error {
			_, err := auditlog.VerifyCheckpoint(b, verifier)
			return err
		})
	}
}

// signText signs arbitrary checkpoint text with the test log key.
func signText(t *testing.T, signer note.Signer, text string) []byte {
	t.Helper()
	b, err := note.Sign(&note.Note{Text: text}, signer)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCheckpointText(t *testing.T) {
	signer, verifier := newKeys(t, testOrigin)
	const h = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" // SHA-256("")
	o := testOrigin + "\n"
	for _, tc := range []struct {
		name, text string
		ok         bool
	}{
		{"minimal", o + "0\n" + h + "\n", true},
		{"extension", o + "5\n" + h + "\nwitness-policy v1\n", true},
		{"largest size", o + "9223372036854775807\n" + h + "\n", true},
		{"size overflow", o + "9223372036854775808\n" + h + "\n", false},
		{"leading zero", o + "05\n" + h + "\n", false},
		{"plus sign", o + "+5\n" + h + "\n", false},
		{"negative", o + "-5\n" + h + "\n", false},
		{"space in size", o + "5 \n" + h + "\n", false},
		{"unpadded hash", o + "5\n" + strings.TrimSuffix(h, "=") + "\n", false},
		{"non-canonical hash", o + "5\n" + "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFV=\n", false},
		{"short hash", o + "5\n" + "AAAA\n", false},
		{"missing hash", o + "5\n", false},
		{"empty extension", o + "5\n" + h + "\n\nx\n", false},
		{"CR", testOrigin + "\r\n5\n" + h + "\n", false},
		{"other origin", "other.example/log\n5\n" + h + "\n", false},
		{"too many extensions", o + "5\n" + h + "\n" + strings.Repeat("x\n", 17), false},
		{"16 extensions", o + "5\n" + h + "\n" + strings.Repeat("x\n", 16), true},
		{"long extension", o + "5\n" + h + "\n" + strings.Repeat("x", 1025) + "\n", false},
		{"1024-byte extension", o + "5\n" + h + "\n" + strings.Repeat("x", 1024) + "\n", true},
	} {
		_, err := auditlog.VerifyCheckpoint(signText(t, signer, tc.text), verifier)
		if tc.ok != (err == nil) {
			t.Errorf("%s: VerifyCheckpoint(%q) = %v, want ok=%v", tc.name, tc.text, err, tc.ok)
		}
		if err != nil && !errors.Is(err, auditlog.ErrMalformed) && !errors.Is(err, auditlog.ErrSignature) {
			t.Errorf("%s: error %v wraps neither ErrMalformed nor ErrSignature", tc.name, err)
		}
	}
}

func TestCheckpointSignatures(t *testing.T) {
	signer, verifier := newKeys(t, testOrigin)
	imposter, imposterV := newKeys(t, testOrigin) // same name, other key
	witness, _ := newKeys(t, "witness.example/w1")
	valid := signedCheckpoint(t, signer, 3)
	n, err := note.Open(valid, note.VerifierList(verifier))
	if err != nil {
		t.Fatal(err)
	}
	cosigned, err := note.Sign(n, witness)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := auditlog.VerifyCheckpoint(cosigned, verifier); err != nil {
		t.Errorf("checkpoint with a witness cosignature: %v", err)
	}
	if _, err := auditlog.VerifyCheckpoint(valid, imposterV); !errors.Is(err, auditlog.ErrSignature) {
		t.Errorf("checkpoint verified with another key of the same name: %v", err)
	}
	forged := signText(t, imposter, n.Text)
	if _, err := auditlog.VerifyCheckpoint(forged, verifier); !errors.Is(err, auditlog.ErrSignature) {
		t.Errorf("checkpoint signed by an imposter = %v, want ErrSignature", err)
	}
	// A log key with a name other than the checkpoint's origin.
	otherSigner, otherV := newKeys(t, "other.example/log")
	if _, err := auditlog.VerifyCheckpoint(signText(t, otherSigner, n.Text), otherV); err == nil {
		t.Error("checkpoint whose origin is not the key name verified")
	}
	// Size cap: a note just over MaxCheckpointSize is refused before parsing.
	big := append(append([]byte{}, valid...), strings.Repeat("— witness.example/w1 AAAAAAAA\n", auditlog.MaxCheckpointSize/30)...)
	if _, err := auditlog.VerifyCheckpoint(big, verifier); !errors.Is(err, auditlog.ErrMalformed) {
		t.Errorf("oversized checkpoint = %v, want ErrMalformed", err)
	}
}

func TestVerifierKeyMutations(t *testing.T) {
	for range 3 { // several keys, so that base64 with and without '+' is covered
		_, vkey, err := auditlog.GenerateKey(testOrigin)
		if err != nil {
			t.Fatal(err)
		}
		mutate.CheckAllRejected(t, []byte(vkey), func(b []byte) error {
			_, err := auditlog.NewVerifier(string(b))
			return err
		})
	}
	if _, _, err := auditlog.GenerateKey("bad name"); err == nil {
		t.Error("GenerateKey with a space in the name succeeded")
	}
}
