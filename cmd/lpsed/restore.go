package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"filippo.io/age"
	"github.com/segel-lpse/segel/vault"
)

// runRestore is lpsed restore: it restores a backup archive into a new or
// empty data directory or PostgreSQL database (the vault checks the
// archive and verifies what it restored), then verifies the deployment
// against its latest signed checkpoint with the KEK. On any failure the
// target is left empty.
func runRestore(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("lpsed restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", "", "backup archive to restore (required)")
	identity := fs.String("identity", "", "age identity file that decrypts the archive (required)")
	data := fs.String("data", "", "new or empty data directory to restore an embedded backup into")
	postgres := fs.String("postgres", "", "DSN of a new, empty PostgreSQL database to restore a PostgreSQL backup into")
	kekFile := fs.String("kek-file", os.Getenv("SEGEL_KEK_FILE"), "the deployment's key-encryption key, to verify the restore (env SEGEL_KEK_FILE; or SEGEL_KEK holding the key)")
	name := fs.String("name", "lpse.local", "deployment name, used only if the backup has no signed checkpoint to take it from")
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	if fs.NArg() > 0 || *from == "" || *identity == "" || (*data == "") == (*postgres == "") {
		fmt.Fprintln(stderr, "lpsed: usage: lpsed restore --from FILE --identity KEYFILE (--data NEWDIR | --postgres DSN)")
		return 2
	}
	kek, err := restoreKEK(*kekFile)
	if err != nil {
		fmt.Fprintf(stderr, "lpsed: restore: %v\n", err)
		return 2
	}
	ids, err := readIdentities(*identity)
	if err != nil {
		fmt.Fprintf(stderr, "lpsed: restore: %v\n", err)
		return 2
	}
	m, rep, err := restore(ctx, *from, ids, *data, *postgres, func(ctx context.Context, b vault.Backend, m *vault.Manifest) (*report, error) {
		return verifyDeployment(ctx, b, kek, m, *name)
	})
	if err != nil {
		fmt.Fprintf(stderr, "lpsed: restore: %v\n", err)
		return 1
	}
	target := *data
	if *postgres != "" {
		target = "the PostgreSQL database"
	}
	fmt.Fprintf(stdout, "restored %s backup of %s into %s: %d files match SHA256SUMS\n", m.Kind, m.Created.Format("2006-01-02 15:04:05Z"), target, m.Files)
	fmt.Fprintf(stdout, "verified: log %q has %d entries, rehashed; checkpoint at size %d signed by %s; %d blobs (%d bytes) hash to their names; %d offers' blobs present\n",
		rep.origin, rep.size, rep.checkpointSize, rep.logKey, m.Blobs, m.BlobBytes, rep.offers)
	if rep.checkpointSize < rep.size {
		fmt.Fprintf(stdout, "note: entries %d to %d were not yet covered by a signed checkpoint when the backup was taken\n", rep.checkpointSize, rep.size-1)
	}
	return 0
}

// restore decrypts the archive at from and restores it into the data
// directory or the PostgreSQL database, with verify as the vault's last
// check. The restored vault is closed again: start lpsed on it.
func restore(ctx context.Context, from string, ids []age.Identity, data, postgres string,
	verify func(context.Context, vault.Backend, *vault.Manifest) (*report, error)) (*vault.Manifest, *report, error) {
	f, err := os.Open(from)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	ar, err := age.Decrypt(bufio.NewReaderSize(f, 1<<20), ids...)
	if err != nil {
		return nil, nil, fmt.Errorf("decrypting %s: %w", from, err)
	}
	var rep *report
	check := func(ctx context.Context, b vault.Backend, m *vault.Manifest) (err error) {
		rep, err = verify(ctx, b, m)
		return err
	}
	var b vault.Backend
	var m *vault.Manifest
	if postgres != "" {
		b, m, err = vault.RestorePostgres(ctx, vault.PostgresConfig{DSN: postgres}, ar, check)
	} else {
		b, m, err = vault.RestoreEmbedded(ctx, vault.EmbeddedConfig{Dir: data}, ar, check)
	}
	if err != nil {
		return nil, nil, err
	}
	if err := b.Close(); err != nil {
		return nil, nil, err
	}
	return m, rep, nil
}

// restoreKEK reads the KEK that restore needs to verify the deployment. It
// never creates one: a restore with a new KEK could not open any secret.
func restoreKEK(file string) (*vault.KEK, error) {
	if v := os.Getenv("SEGEL_KEK"); v != "" {
		return vault.ParseKEK(v)
	}
	if file == "" {
		return nil, errors.New("the deployment's KEK is needed to verify the restore (it is never in the backup): set SEGEL_KEK or --kek-file")
	}
	return vault.LoadKEKFile(file)
}

func readIdentities(path string) ([]age.Identity, error) {
	b, err := readCapped(path, 1<<20)
	if err != nil {
		return nil, fmt.Errorf("identity file: %w", err)
	}
	ids, err := age.ParseIdentities(strings.NewReader(string(b)))
	if err != nil {
		return nil, fmt.Errorf("identity file %s: %w", path, err)
	}
	return ids, nil
}
