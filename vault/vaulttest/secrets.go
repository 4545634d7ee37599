package vaulttest

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"testing"

	"github.com/tink-crypto/tink-go/v2/aead/subtle"
	"github.com/tink-crypto/tink-go/v2/insecurecleartextkeyset"
	"github.com/tink-crypto/tink-go/v2/keyset"

	"github.com/segel-lpse/segel/vault"
)

// TestSecrets checks [vault.Keyring] and [vault.Documents] on a backend,
// including that no secret reaches the backend's storage in plaintext.
func TestSecrets(t *testing.T, newStore func(t *testing.T) Store) {
	t.Run("WrongKEK", func(t *testing.T) { testWrongKEK(t, newStore(t)) })
	t.Run("AEADAndRotate", func(t *testing.T) { testAEADRotate(t, newStore(t)) })
	t.Run("Seeds", func(t *testing.T) { testSeeds(t, newStore(t)) })
	t.Run("NoSwapping", func(t *testing.T) { testNoSwapping(t, newStore(t)) })
	t.Run("NeverPlaintext", func(t *testing.T) { testNeverPlaintext(t, newStore(t)) })
	t.Run("RewrapKEK", func(t *testing.T) { testRewrapKEK(t, newStore(t)) })
	t.Run("Documents", func(t *testing.T) { testDocuments(t, newStore(t)) })
}

func newKEK(t *testing.T) (*vault.KEK, string) {
	t.Helper()
	s := vault.GenerateKEK()
	k, err := vault.ParseKEK(s)
	if err != nil {
		t.Fatalf("ParseKEK(GenerateKEK()): %v", err)
	}
	return k, s
}

func keyring(t *testing.T, r vault.Records, kek *vault.KEK) *vault.Keyring {
	t.Helper()
	k, err := vault.NewKeyring(testContext(t), r, kek)
	if err != nil {
		t.Fatalf("NewKeyring: %v", err)
	}
	return k
}

func testWrongKEK(t *testing.T, s Store) {
	b, _ := open(t, s)
	kek, _ := newKEK(t)
	other, _ := newKEK(t)
	keyring(t, b, kek)
	if _, err := vault.NewKeyring(testContext(t), b, other); !errors.Is(err, vault.ErrCorrupt) {
		t.Fatalf("NewKeyring with another KEK: %v, want ErrCorrupt", err)
	}
	keyring(t, b, kek)
}

func testAEADRotate(t *testing.T, s Store) {
	ctx := testContext(t)
	b, closeB := open(t, s)
	kek, _ := newKEK(t)
	k := keyring(t, b, kek)
	a, err := k.AEAD(ctx, "receipts-db")
	if err != nil {
		t.Fatalf("AEAD: %v", err)
	}
	ct1, err := a.Encrypt([]byte("first"), []byte("ad"))
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Rotate(ctx, "receipts-db"); err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	closeB()

	// After reopening, the rotated keyset encrypts under a new key and
	// still decrypts what the old key made.
	b, _ = open(t, s)
	k = keyring(t, b, kek)
	a2, err := k.AEAD(ctx, "receipts-db")
	if err != nil {
		t.Fatalf("AEAD after reopen: %v", err)
	}
	ct2, err := a2.Encrypt([]byte("second"), []byte("ad"))
	if err != nil {
		t.Fatal(err)
	}
	// Tink prefixes ciphertexts with 0x01 and the 4-byte key ID.
	if bytes.Equal(ct1[:5], ct2[:5]) {
		t.Errorf("ciphertexts before and after Rotate carry the same key ID %x", ct1[:5])
	}
	for ct, want := range map[string]string{string(ct1): "first", string(ct2): "second"} {
		if pt, err := a2.Decrypt([]byte(ct), []byte("ad")); err != nil || string(pt) != want {
			t.Errorf("Decrypt after rotation = %q, %v; want %q", pt, err, want)
		}
	}
	if err := k.Rotate(ctx, "never-created"); !errors.Is(err, vault.ErrNotFound) {
		t.Errorf("Rotate of unknown secret: %v, want ErrNotFound", err)
	}
	if _, err := k.AEAD(ctx, "_reserved"); err == nil {
		t.Errorf("AEAD with a reserved name succeeded")
	}
}

func testSeeds(t *testing.T, s Store) {
	ctx := testContext(t)
	b, closeB := open(t, s)
	kek, _ := newKEK(t)
	k := keyring(t, b, kek)
	s1, err := k.Seed(ctx, "log-signing", 32)
	if err != nil || len(s1) != 32 {
		t.Fatalf("Seed = %x, %v", s1, err)
	}
	closeB()
	b, _ = open(t, s)
	k = keyring(t, b, kek)
	if again, err := k.Seed(ctx, "log-signing", 32); err != nil || !bytes.Equal(again, s1) {
		t.Fatalf("Seed after reopen = %x, %v; want %x", again, err, s1)
	}
	if _, err := k.Seed(ctx, "log-signing", 64); err == nil {
		t.Errorf("Seed with another size succeeded")
	}
	for _, n := range []int{0, -1, 1025} {
		if _, err := k.Seed(ctx, "x", n); err == nil {
			t.Errorf("Seed of size %d succeeded", n)
		}
	}
	if _, err := k.AEAD(ctx, "log-signing"); err == nil {
		t.Errorf("AEAD on a seed secret succeeded")
	}
	if err := k.Rotate(ctx, "log-signing"); err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	s2, err := k.Seed(ctx, "log-signing", 32)
	if err != nil || bytes.Equal(s2, s1) {
		t.Fatalf("Seed after Rotate = %x, %v; want a new seed", s2, err)
	}
	all, err := k.Seeds(ctx, "log-signing")
	if err != nil || len(all) != 2 || !bytes.Equal(all[0], s1) || !bytes.Equal(all[1], s2) {
		t.Fatalf("Seeds = %x, %v; want [old new]", all, err)
	}
	if _, err := k.Seeds(ctx, "absent"); !errors.Is(err, vault.ErrNotFound) {
		t.Errorf("Seeds of unknown secret: %v, want ErrNotFound", err)
	}
}

func testNoSwapping(t *testing.T, s Store) {
	ctx := testContext(t)
	b, _ := open(t, s)
	kek, _ := newKEK(t)
	k := keyring(t, b, kek)
	for _, name := range []string{"doc-a", "doc-b"} {
		if _, err := k.AEAD(ctx, name); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := k.Seed(ctx, "seed-c", 32); err != nil {
		t.Fatal(err)
	}
	// Whoever can write the database copies one wrapped secret over
	// another: the copy must not unwrap.
	copyRecord := func(from, to string) {
		mustUpdate(t, b, func(tx vault.Tx) error {
			v, err := tx.Get(vault.SecretsTable, from)
			if err != nil {
				return err
			}
			return tx.Put(vault.SecretsTable, to, v)
		})
	}
	copyRecord("doc-b", "doc-a")
	if _, err := k.AEAD(ctx, "doc-a"); !errors.Is(err, vault.ErrCorrupt) {
		t.Errorf("AEAD of a keyset copied from another name: %v, want ErrCorrupt", err)
	}
	copyRecord("seed-c", "seed-d")
	if _, err := k.Seed(ctx, "seed-d", 32); !errors.Is(err, vault.ErrCorrupt) {
		t.Errorf("Seed copied from another name: %v, want ErrCorrupt", err)
	}
}

// encodings returns needle as raw bytes, lowercase hex, and the base64
// characters that depend only on needle at each of the three alignments.
func encodings(needle []byte) [][]byte {
	out := [][]byte{needle, []byte(hex.EncodeToString(needle))}
	for k := range 3 {
		e := base64.StdEncoding.EncodeToString(append(make([]byte, k), needle...))
		out = append(out, []byte(e[4:len(e)-4]))
	}
	return out
}

func wantAbsent(t *testing.T, s Store, what string, needle []byte) {
	t.Helper()
	for _, e := range encodings(needle) {
		if s.Contains(e) {
			t.Errorf("%s found in the backend's raw storage as %.16q…", what, e)
		}
	}
}

func testNeverPlaintext(t *testing.T, s Store) {
	ctx := testContext(t)
	b, _ := open(t, s)
	kek, kekText := newKEK(t)
	k := keyring(t, b, kek)
	seed, err := k.Seed(ctx, "beacon", 32)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"aead-key", "stream-key"} {
		if name == "aead-key" {
			_, err = k.AEAD(ctx, name)
		} else {
			_, err = k.StreamingAEAD(ctx, name)
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := k.Rotate(ctx, name); err != nil {
			t.Fatal(err)
		}
	}
	doc := randomBytes(9, 200<<10)
	docs := vault.NewDocuments(b, k, "stream-key")
	if _, err := docs.Put(ctx, bytes.NewReader(doc), int64(len(doc)), []byte("user-1/ktp")); err != nil {
		t.Fatal(err)
	}

	// The positive control: the harness does find what is stored.
	wrapped := getRecord(t, b, vault.SecretsTable, "aead-key")
	var rec struct{ Wrapped []byte }
	if err := json.Unmarshal(wrapped, &rec); err != nil || len(rec.Wrapped) < 32 {
		t.Fatalf("secrets record: %v", err)
	}
	if !s.Contains(rec.Wrapped[len(rec.Wrapped)-32:]) && !s.Contains([]byte(hex.EncodeToString(rec.Wrapped[len(rec.Wrapped)-32:]))) &&
		!s.Contains(wrapped[len(wrapped)-40:]) {
		t.Fatalf("Contains does not find the stored wrapped keyset: the scan is broken")
	}

	wantAbsent(t, s, "seed", seed)
	wantAbsent(t, s, "document plaintext", doc[1000:1064])
	raw, _ := base64.StdEncoding.DecodeString(kekText)
	wantAbsent(t, s, "KEK", raw)
	// Unwrap the stored keysets as the spec says (associated data
	// "segel vault secret v1\x00<kind>\x00<name>") and look for every key.
	kekAEAD, err := subtle.NewAESGCM(raw)
	if err != nil {
		t.Fatal(err)
	}
	for name, kind := range map[string]string{"aead-key": "aead", "stream-key": "streaming-aead"} {
		var rec struct{ Wrapped []byte }
		json.Unmarshal(getRecord(t, b, vault.SecretsTable, name), &rec)
		h, err := keyset.ReadWithAssociatedData(keyset.NewBinaryReader(bytes.NewReader(rec.Wrapped)), kekAEAD,
			[]byte("segel vault secret v1\x00"+kind+"\x00"+name))
		if err != nil {
			t.Fatalf("unwrapping %s as specified: %v", name, err)
		}
		ks := insecurecleartextkeyset.KeysetMaterial(h)
		if len(ks.Key) != 2 {
			t.Errorf("%s holds %d keys after one rotation, want 2", name, len(ks.Key))
		}
		for _, key := range ks.Key {
			v := key.KeyData.Value // serialized key proto; key_value is its last field
			if len(v) < 32 {
				t.Fatalf("%s: short key data", name)
			}
			wantAbsent(t, s, name+" key material", v[len(v)-32:])
		}
	}
}

func getRecord(t *testing.T, r vault.Records, table, key string) []byte {
	t.Helper()
	v, err := get(t, r, table, key)
	if err != nil {
		t.Fatalf("Get(%s, %s): %v", table, key, err)
	}
	return v
}

func testRewrapKEK(t *testing.T, s Store) {
	ctx := testContext(t)
	b, _ := open(t, s)
	oldKEK, _ := newKEK(t)
	newKEK, _ := newKEK(t)
	k := keyring(t, b, oldKEK)
	a, err := k.AEAD(ctx, "k1")
	if err != nil {
		t.Fatal(err)
	}
	ct, _ := a.Encrypt([]byte("msg"), nil)
	seed, err := k.Seed(ctx, "s1", 32)
	if err != nil {
		t.Fatal(err)
	}
	if err := vault.RewrapKEK(ctx, b, newKEK, oldKEK); !errors.Is(err, vault.ErrCorrupt) {
		t.Fatalf("RewrapKEK from the wrong old KEK: %v, want ErrCorrupt", err)
	}
	if err := vault.RewrapKEK(ctx, b, oldKEK, newKEK); err != nil {
		t.Fatalf("RewrapKEK: %v", err)
	}
	if _, err := vault.NewKeyring(ctx, b, oldKEK); !errors.Is(err, vault.ErrCorrupt) {
		t.Errorf("NewKeyring with the retired KEK: %v, want ErrCorrupt", err)
	}
	k = keyring(t, b, newKEK)
	a, err = k.AEAD(ctx, "k1")
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := a.Decrypt(ct, nil); err != nil || string(pt) != "msg" {
		t.Errorf("Decrypt after RewrapKEK = %q, %v", pt, err)
	}
	if got, err := k.Seed(ctx, "s1", 32); err != nil || !bytes.Equal(got, seed) {
		t.Errorf("Seed after RewrapKEK = %x, %v; want %x", got, err, seed)
	}
}

func testDocuments(t *testing.T, s Store) {
	ctx := testContext(t)
	b, _ := open(t, s)
	kek, _ := newKEK(t)
	k := keyring(t, b, kek)
	docs := vault.NewDocuments(b, k, "registry-documents")
	ad := []byte("user-42/npwp")
	read := func(d [32]byte, ad []byte) ([]byte, error) {
		rc, err := docs.Open(ctx, d, ad)
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		return io.ReadAll(rc)
	}
	for _, n := range []int{0, 1, 1<<20 + 5} {
		doc := randomBytes(11, n)
		info, err := docs.Put(ctx, &oddReader{data: doc}, int64(n), ad)
		if err != nil {
			t.Fatalf("Put(%d bytes): %v", n, err)
		}
		if info.Digest == sha256.Sum256(doc) || info.Size <= int64(n) {
			t.Errorf("Put(%d bytes) stored %v: that is not a ciphertext", n, info)
		}
		if got, err := read(info.Digest, ad); err != nil || !bytes.Equal(got, doc) {
			t.Errorf("Open(%d bytes) = %d bytes, %v", n, len(got), err)
		}
		if got, err := read(info.Digest, []byte("user-43/npwp")); err == nil {
			t.Errorf("Open with other associated data returned %d bytes and no error", len(got))
		}
	}
	const max = 1000
	for _, n := range []int{max - 1, max, max + 1} {
		_, err := docs.Put(ctx, bytes.NewReader(randomBytes(12, n)), max, ad)
		if n <= max && err != nil {
			t.Errorf("Put(%d bytes, max %d): %v", n, max, err)
		}
		if n > max && !errors.Is(err, vault.ErrTooLarge) {
			t.Errorf("Put(%d bytes, max %d): %v, want ErrTooLarge", n, max, err)
		}
	}
	// Rotation keeps stored documents readable.
	doc := randomBytes(13, 5000)
	info, err := docs.Put(ctx, bytes.NewReader(doc), 5000, ad)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Rotate(ctx, "registry-documents"); err != nil {
		t.Fatal(err)
	}
	if got, err := read(info.Digest, ad); err != nil || !bytes.Equal(got, doc) {
		t.Errorf("Open after Rotate = %d bytes, %v", len(got), err)
	}
}
