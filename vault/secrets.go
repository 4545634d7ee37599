package vault

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tink-crypto/tink-go/v2/aead"
	"github.com/tink-crypto/tink-go/v2/keyset"
	tinkpb "github.com/tink-crypto/tink-go/v2/proto/tink_go_proto"
	"github.com/tink-crypto/tink-go/v2/streamingaead"
	"github.com/tink-crypto/tink-go/v2/tink"
)

// SecretsTable is the records table holding wrapped secrets, one record per
// secret name.
const SecretsTable = "secrets"

// kekCheckName is the record that lets NewKeyring detect a wrong KEK at
// start-up instead of at the first decryption. Secret names cannot start
// with "_" (see checkSecretName), so it never collides with one.
const kekCheckName = "_kek-check"

// The kinds of secret a Keyring holds. The kind is part of the associated
// data of the wrapping, so one kind cannot be passed off as another.
const (
	kindAEAD      = "aead"           // tink keyset, AES256_GCM
	kindStreaming = "streaming-aead" // tink keyset, AES256_GCM_HKDF_1MB
	kindSeed      = "seed"           // raw bytes, for keys tink has no type for
)

// wrapLabel starts the associated data of every wrapping (spec: vault v1).
const wrapLabel = "segel vault secret v1"

// maxSeedSize caps Seed: a signing or beacon seed is tens of bytes.
const maxSeedSize = 1024

// Keyring holds a deployment's long-term secrets in [Records], each wrapped
// under the key-encryption key so that neither the data directory, the
// database nor a backup reveals them.
//
// Keys that tink has a type for are tink keysets (AEAD and streaming AEAD),
// written with keyset.WriteWithAssociatedData. Keys it has no suitable type
// for are raw seeds: golang.org/x/mod/sumdb/note signs with an Ed25519 key it
// derives from raw seed bytes, which tink's ed25519 signature keys do not
// export, and the BLS12-381 key of a local beacon is not in tink at all.
// Seeds are encrypted with the KEK directly, in the same envelope.
//
// The associated data of every wrapping is wrapLabel, the kind and the name,
// so a wrapped secret copied onto another name or kind fails to unwrap.
type Keyring struct {
	records Records
	kek     *KEK
}

// secretRecord is the JSON stored in SecretsTable.
type secretRecord struct {
	Version int       `json:"v"`       // 1
	Kind    string    `json:"kind"`    // kindAEAD, kindStreaming or kindSeed
	Created time.Time `json:"created"` // first creation
	Rotated time.Time `json:"rotated,omitzero"`
	Wrapped []byte    `json:"wrapped"` // tink EncryptedKeyset (binary) or KEK-sealed seedList
}

// seedList is the plaintext of a seed secret: every version, newest last.
type seedList struct {
	Seeds [][]byte `json:"seeds"`
}

// NewKeyring returns a Keyring storing secrets in r under kek. On first use
// of r it records a check value; afterwards it refuses a different KEK with
// an error that says so, before any secret is touched.
func NewKeyring(ctx context.Context, r Records, kek *KEK) (*Keyring, error) {
	if kek == nil {
		return nil, errors.New("vault: NewKeyring: nil key-encryption key")
	}
	k := &Keyring{records: r, kek: kek}
	ad := k.ad(kindSeed, kekCheckName)
	err := r.Update(ctx, func(tx Tx) error {
		v, err := tx.Get(SecretsTable, kekCheckName)
		if errors.Is(err, ErrNotFound) {
			ct, err := kek.aead.Encrypt([]byte(wrapLabel), ad)
			if err != nil {
				return err
			}
			return tx.Insert(SecretsTable, kekCheckName, ct)
		}
		if err != nil {
			return err
		}
		if pt, err := kek.aead.Decrypt(v, ad); err != nil || string(pt) != wrapLabel {
			return wrongKEKError{}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}

// AEAD returns the AEAD for secret name (AES-256-GCM tink keyset), creating
// the keyset on first use. The primitive encrypts under the primary key at
// the time of the call and decrypts with every key in the keyset.
func (k *Keyring) AEAD(ctx context.Context, name string) (tink.AEAD, error) {
	h, err := k.handle(ctx, name, kindAEAD)
	if err != nil {
		return nil, err
	}
	a, err := aead.New(h)
	if err != nil {
		return nil, fmt.Errorf("vault: secret %s: %w", name, err)
	}
	return a, nil
}

// StreamingAEAD returns the streaming AEAD for secret name (tink
// AES256_GCM_HKDF_1MB keyset), creating it on first use.
func (k *Keyring) StreamingAEAD(ctx context.Context, name string) (tink.StreamingAEAD, error) {
	h, err := k.handle(ctx, name, kindStreaming)
	if err != nil {
		return nil, err
	}
	s, err := streamingaead.New(h)
	if err != nil {
		return nil, fmt.Errorf("vault: secret %s: %w", name, err)
	}
	return s, nil
}

// Seed returns the current raw seed of secret name, creating size random
// bytes on first use. It fails if the stored seed has a different size.
func (k *Keyring) Seed(ctx context.Context, name string, size int) ([]byte, error) {
	if size <= 0 || size > maxSeedSize {
		return nil, fmt.Errorf("vault: seed %s: size %d out of range 1..%d", name, size, maxSeedSize)
	}
	seeds, err := k.seeds(ctx, name, size)
	if err != nil {
		return nil, err
	}
	cur := seeds[len(seeds)-1]
	if len(cur) != size {
		return nil, fmt.Errorf("vault: seed %s is %d bytes, asked for %d", name, len(cur), size)
	}
	return cur, nil
}

// Seeds returns every version of seed secret name, oldest first; the last
// is the one Seed returns. Old versions stay so that what they signed can be
// re-verified and their public keys re-derived.
func (k *Keyring) Seeds(ctx context.Context, name string) ([][]byte, error) {
	return k.seeds(ctx, name, 0)
}

// Rotate adds a new key to secret name and makes it primary (for seeds: a
// new current seed of the same size). Older keys stay in the keyset, so
// ciphertexts they made still decrypt. It returns ErrNotFound if name has
// never been created.
func (k *Keyring) Rotate(ctx context.Context, name string) error {
	if err := checkSecretName(name); err != nil {
		return err
	}
	return k.records.Update(ctx, func(tx Tx) error {
		rec, err := k.get(tx, name)
		if err != nil {
			return err
		}
		switch rec.Kind {
		case kindAEAD, kindStreaming:
			h, err := k.unwrapKeyset(rec, name)
			if err != nil {
				return err
			}
			m := keyset.NewManagerFromHandle(h)
			id, err := m.Add(template(rec.Kind))
			if err == nil {
				err = m.SetPrimary(id)
			}
			if err == nil {
				h, err = m.Handle()
			}
			if err != nil {
				return fmt.Errorf("vault: rotating %s: %w", name, err)
			}
			if rec.Wrapped, err = k.wrapKeyset(h, rec.Kind, name); err != nil {
				return err
			}
		case kindSeed:
			list, err := k.unwrapSeeds(rec, name)
			if err != nil {
				return err
			}
			seed := make([]byte, len(list.Seeds[len(list.Seeds)-1]))
			rand.Read(seed)
			list.Seeds = append(list.Seeds, seed)
			if rec.Wrapped, err = k.wrapSeeds(list, name); err != nil {
				return err
			}
		default:
			return fmt.Errorf("vault: secret %s has unknown kind %q: %w", name, rec.Kind, ErrCorrupt)
		}
		rec.Rotated = time.Now().UTC()
		return k.put(tx, name, rec)
	})
}

// RewrapKEK re-wraps every secret in r from the key-encryption key old to
// new, in one transaction: either all secrets move to the new KEK or none
// does. Keep the old KEK until the call has returned successfully.
func RewrapKEK(ctx context.Context, r Records, old, new *KEK) error {
	if old == nil || new == nil {
		return errors.New("vault: RewrapKEK: nil key-encryption key")
	}
	ko, kn := &Keyring{records: r, kek: old}, &Keyring{records: r, kek: new}
	return r.Update(ctx, func(tx Tx) error {
		var names []string
		err := tx.Scan(SecretsTable, "", func(name string, _ []byte) error {
			names = append(names, name)
			return nil
		})
		if err != nil {
			return err
		}
		for _, name := range names {
			if name == kekCheckName {
				v, err := tx.Get(SecretsTable, name)
				if err != nil {
					return err
				}
				ad := ko.ad(kindSeed, name)
				pt, err := old.aead.Decrypt(v, ad)
				if err != nil {
					return wrongKEKError{what: "the old KEK"}
				}
				ct, err := new.aead.Encrypt(pt, ad)
				if err != nil {
					return err
				}
				if err := tx.Put(SecretsTable, name, ct); err != nil {
					return err
				}
				continue
			}
			rec, err := ko.get(tx, name)
			if err != nil {
				return err
			}
			switch rec.Kind {
			case kindSeed:
				list, err := ko.unwrapSeeds(rec, name)
				if err != nil {
					return err
				}
				rec.Wrapped, err = kn.wrapSeeds(list, name)
				if err != nil {
					return err
				}
			default:
				h, err := ko.unwrapKeyset(rec, name)
				if err != nil {
					return err
				}
				if rec.Wrapped, err = kn.wrapKeyset(h, rec.Kind, name); err != nil {
					return err
				}
			}
			if err := kn.put(tx, name, rec); err != nil {
				return err
			}
		}
		return nil
	})
}

// handle returns the keyset of name, creating it with the template of kind.
func (k *Keyring) handle(ctx context.Context, name, kind string) (*keyset.Handle, error) {
	if err := checkSecretName(name); err != nil {
		return nil, err
	}
	var h *keyset.Handle
	err := k.getOrCreate(ctx, name, kind, func() (secretRecord, error) {
		nh, err := keyset.NewHandle(template(kind))
		if err != nil {
			return secretRecord{}, fmt.Errorf("vault: creating %s: %w", name, err)
		}
		w, err := k.wrapKeyset(nh, kind, name)
		return secretRecord{Wrapped: w}, err
	}, func(rec secretRecord) error {
		var err error
		h, err = k.unwrapKeyset(rec, name)
		return err
	})
	return h, err
}

func (k *Keyring) seeds(ctx context.Context, name string, size int) ([][]byte, error) {
	if err := checkSecretName(name); err != nil {
		return nil, err
	}
	var seeds [][]byte
	create := func() (secretRecord, error) {
		if size == 0 {
			return secretRecord{}, fmt.Errorf("vault: seed %s: %w", name, ErrNotFound)
		}
		seed := make([]byte, size)
		rand.Read(seed)
		w, err := k.wrapSeeds(seedList{Seeds: [][]byte{seed}}, name)
		return secretRecord{Wrapped: w}, err
	}
	err := k.getOrCreate(ctx, name, kindSeed, create, func(rec secretRecord) error {
		list, err := k.unwrapSeeds(rec, name)
		seeds = list.Seeds
		return err
	})
	return seeds, err
}

// getOrCreate reads secret name, creating it with create if absent (in one
// Update, so concurrent first uses agree on one secret), and passes it to use.
func (k *Keyring) getOrCreate(ctx context.Context, name, kind string, create func() (secretRecord, error), use func(secretRecord) error) error {
	// Fast path: most calls find the secret; a View does not contend.
	var rec secretRecord
	err := k.records.View(ctx, func(tx Tx) error {
		var err error
		rec, err = k.get(tx, name)
		return err
	})
	if errors.Is(err, ErrNotFound) {
		err = k.records.Update(ctx, func(tx Tx) error {
			var err error
			rec, err = k.get(tx, name)
			if !errors.Is(err, ErrNotFound) {
				return err
			}
			if rec, err = create(); err != nil {
				return err
			}
			rec.Version, rec.Kind, rec.Created = 1, kind, time.Now().UTC()
			return k.put(tx, name, rec)
		})
	}
	if err != nil {
		return err
	}
	if rec.Kind != kind {
		return fmt.Errorf("vault: secret %s is a %s, not a %s", name, rec.Kind, kind)
	}
	return use(rec)
}

func (k *Keyring) get(tx Tx, name string) (secretRecord, error) {
	v, err := tx.Get(SecretsTable, name)
	if err != nil {
		return secretRecord{}, fmt.Errorf("vault: secret %s: %w", name, err)
	}
	var rec secretRecord
	if err := json.Unmarshal(v, &rec); err != nil || rec.Version != 1 {
		return secretRecord{}, fmt.Errorf("vault: secret %s: unreadable record (version %d): %w", name, rec.Version, ErrCorrupt)
	}
	return rec, nil
}

func (k *Keyring) put(tx Tx, name string, rec secretRecord) error {
	v, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("vault: secret %s: %w", name, err)
	}
	return tx.Put(SecretsTable, name, v)
}

func (k *Keyring) ad(kind, name string) []byte {
	return []byte(wrapLabel + "\x00" + kind + "\x00" + name)
}

func (k *Keyring) wrapKeyset(h *keyset.Handle, kind, name string) ([]byte, error) {
	var buf bytes.Buffer
	if err := h.WriteWithAssociatedData(keyset.NewBinaryWriter(&buf), k.kek.aead, k.ad(kind, name)); err != nil {
		return nil, fmt.Errorf("vault: wrapping %s: %w", name, err)
	}
	return buf.Bytes(), nil
}

func (k *Keyring) unwrapKeyset(rec secretRecord, name string) (*keyset.Handle, error) {
	h, err := keyset.ReadWithAssociatedData(keyset.NewBinaryReader(bytes.NewReader(rec.Wrapped)), k.kek.aead, k.ad(rec.Kind, name))
	if err != nil {
		return nil, fmt.Errorf("vault: secret %s %w: %w", name, errWrongKEK, ErrCorrupt)
	}
	return h, nil
}

func (k *Keyring) wrapSeeds(list seedList, name string) ([]byte, error) {
	pt, err := json.Marshal(list)
	if err != nil {
		return nil, err
	}
	defer clear(pt)
	ct, err := k.kek.aead.Encrypt(pt, k.ad(kindSeed, name))
	if err != nil {
		return nil, fmt.Errorf("vault: wrapping %s: %w", name, err)
	}
	return ct, nil
}

func (k *Keyring) unwrapSeeds(rec secretRecord, name string) (seedList, error) {
	pt, err := k.kek.aead.Decrypt(rec.Wrapped, k.ad(kindSeed, name))
	if err != nil {
		return seedList{}, fmt.Errorf("vault: secret %s %w: %w", name, errWrongKEK, ErrCorrupt)
	}
	defer clear(pt)
	var list seedList
	if err := json.Unmarshal(pt, &list); err != nil || len(list.Seeds) == 0 {
		return seedList{}, fmt.Errorf("vault: secret %s: unreadable seed list: %w", name, ErrCorrupt)
	}
	list.Seeds = slices.Clip(list.Seeds)
	return list, nil
}

func template(kind string) *tinkpb.KeyTemplate {
	if kind == kindStreaming {
		return streamingaead.AES256GCMHKDF1MBKeyTemplate()
	}
	return aead.AES256GCMKeyTemplate()
}

// checkSecretName allows record keys that do not start with "_", which is
// reserved for the Keyring's own records.
func checkSecretName(name string) error {
	if err := checkKey(name); err != nil {
		return fmt.Errorf("vault: secret name: %w", err)
	}
	if name[0] == '_' {
		return fmt.Errorf("vault: secret name %q: names starting with _ are reserved", name)
	}
	return nil
}
