package vault_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/segel-lpse/segel/vault"
)

func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "segel-example")
	defer os.RemoveAll(dir)

	b, err := vault.OpenEmbedded(ctx, vault.EmbeddedConfig{Dir: dir})
	if err != nil {
		panic(err)
	}
	defer b.Close()

	// A record, unique by NPWP.
	err = b.Update(ctx, func(tx vault.Tx) error {
		return tx.Insert("npwp", "012345678901234", []byte(`{"user":"u1"}`))
	})
	fmt.Println("insert:", err)

	// A sealed file, by content address.
	info, err := b.Put(ctx, strings.NewReader("sealed offer bytes"), 1<<20)
	if err != nil {
		panic(err)
	}
	rc, _ := b.Open(ctx, info.Digest)
	got, _ := io.ReadAll(rc)
	rc.Close()
	fmt.Printf("%d bytes, %q\n", info.Size, got)
	// Output:
	// insert: <nil>
	// 18 bytes, "sealed offer bytes"
}

func ExampleKeyring() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "segel-example")
	defer os.RemoveAll(dir)
	b, err := vault.OpenEmbedded(ctx, vault.EmbeddedConfig{Dir: dir})
	if err != nil {
		panic(err)
	}
	defer b.Close()

	// main reads the KEK from a file or the environment and passes it in.
	kek, err := vault.ParseKEK(vault.GenerateKEK())
	if err != nil {
		panic(err)
	}
	keys, err := vault.NewKeyring(ctx, b, kek)
	if err != nil {
		panic(err)
	}
	seed, _ := keys.Seed(ctx, "log-signing", 32) // raw Ed25519 seed for sumdb/note
	a, _ := keys.AEAD(ctx, "tokens")
	ct, _ := a.Encrypt([]byte("hello"), []byte("context"))
	_ = keys.Rotate(ctx, "tokens")
	a, _ = keys.AEAD(ctx, "tokens")
	pt, err := a.Decrypt(ct, []byte("context"))
	fmt.Println(len(seed), string(pt), err)
	// Output: 32 hello <nil>
}

func ExampleDocuments() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "segel-example")
	defer os.RemoveAll(dir)
	b, _ := vault.OpenEmbedded(ctx, vault.EmbeddedConfig{Dir: dir})
	defer b.Close()
	kek, _ := vault.ParseKEK(vault.GenerateKEK())
	keys, _ := vault.NewKeyring(ctx, b, kek)

	docs := vault.NewDocuments(b, keys, "registry-documents")
	ad := []byte("user-42/ktp")
	info, err := docs.Put(ctx, strings.NewReader("scan of a KTP"), 10<<20, ad)
	if err != nil {
		panic(err)
	}
	rc, _ := docs.Open(ctx, info.Digest, ad)
	defer rc.Close()
	pt, err := io.ReadAll(rc)
	fmt.Printf("%q %v\n", pt, err)
	// Output: "scan of a KTP" <nil>
}

// A backup taken beside the running owner, restored into a new directory.
func ExampleRestoreEmbedded() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "segel-example")
	defer os.RemoveAll(dir)
	b, err := vault.OpenEmbedded(ctx, vault.EmbeddedConfig{Dir: filepath.Join(dir, "live")})
	if err != nil {
		panic(err)
	}
	defer b.Close()
	if _, err := b.Put(ctx, strings.NewReader("sealed offer bytes"), 1<<20); err != nil {
		panic(err)
	}

	// lpsed backup: read-only, no lock, while b serves; the archive is a
	// tar stream, which lpsed encrypts with age.
	ro, err := vault.OpenEmbedded(ctx, vault.EmbeddedConfig{Dir: filepath.Join(dir, "live"), ReadOnly: true})
	if err != nil {
		panic(err)
	}
	var archive bytes.Buffer
	_, err = ro.Snapshot(ctx, &archive)
	ro.Close()
	if err != nil {
		panic(err)
	}

	// lpsed restore: into a new directory, verified before it returns.
	r, m, err := vault.RestoreEmbedded(ctx, vault.EmbeddedConfig{Dir: filepath.Join(dir, "restored")}, &archive, nil)
	if err != nil {
		panic(err)
	}
	defer r.Close()
	fmt.Printf("%s archive: %d blob of %d bytes, rehashed\n", m.Kind, m.Blobs, m.BlobBytes)
	// Output:
	// embedded archive: 1 blob of 18 bytes, rehashed
}
