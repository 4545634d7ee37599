package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/segel-lpse/segel/vault"
)

// stringsFlag is a repeatable string flag.
type stringsFlag []string

func (s *stringsFlag) String() string     { return strings.Join(*s, ",") }
func (s *stringsFlag) Set(v string) error { *s = append(*s, v); return nil }

// runBackup is lpsed backup: one age-encrypted archive of the vault
// (doc/spec/backup.md), taken while the server may be running
// (regulation art. 19). It opens the vault read-only: it needs no lock
// on the data directory, no write rights, and migrates nothing.
func runBackup(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("lpsed backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "segel-data", "data directory of the embedded backend")
	postgres := fs.String("postgres", os.Getenv("SEGEL_POSTGRES"), "PostgreSQL DSN to back up instead of --data (env SEGEL_POSTGRES)")
	to := fs.String("to", "", "new archive to write (required; never over an existing file); written to FILE.tmp, synced, then renamed")
	var recipients stringsFlag
	fs.Var(&recipients, "recipient", "age recipient (age1… X25519 or age1pq1… hybrid) to encrypt to; repeatable")
	recipientsFile := fs.String("recipients-file", os.Getenv("SEGEL_BACKUP_RECIPIENTS_FILE"), "file of age recipients, one a line (env SEGEL_BACKUP_RECIPIENTS_FILE)")
	server := fs.String("server", "", "base URL of the running lpsed: ask it to sign a checkpoint of the whole log first")
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	if fs.NArg() > 0 || *to == "" {
		fmt.Fprintln(stderr, "lpsed: usage: lpsed backup [--data DIR | --postgres DSN] --to FILE --recipient age1… | --recipients-file FILE")
		return 2
	}
	recips, err := parseRecipients(recipients, *recipientsFile)
	if err != nil {
		fmt.Fprintf(stderr, "lpsed: backup: %v\n", err)
		return 2
	}
	// Refused before any work; write checks again at the rename.
	if _, err := os.Lstat(*to); err == nil {
		fmt.Fprintf(stderr, "lpsed: backup: %v\n", errArchiveExists(*to))
		return 1
	}
	start := time.Now()
	if *server != "" {
		if err := requestCheckpoint(ctx, *server); err != nil {
			fmt.Fprintf(stderr, "lpsed: backup: %v\n", err)
			return 1
		}
	}
	// The database copy and PostgreSQL's tables are staged next to the
	// archive, on the backup medium, not in the data directory.
	staging := filepath.Dir(*to)
	var backend vault.Backend
	if *postgres != "" {
		backend, err = vault.OpenPostgres(ctx, vault.PostgresConfig{DSN: *postgres, ReadOnly: true, MaxConns: 2, TempDir: staging})
	} else {
		backend, err = vault.OpenEmbedded(ctx, vault.EmbeddedConfig{Dir: *data, ReadOnly: true, Readers: 2, TempDir: staging})
	}
	if err != nil {
		fmt.Fprintf(stderr, "lpsed: backup: %v\n", err)
		return 1
	}
	defer backend.Close()
	b := backup{to: *to, recipients: recips}
	m, err := b.write(func(w io.Writer) (*vault.Manifest, error) { return backend.Snapshot(ctx, w) })
	if err != nil {
		fmt.Fprintf(stderr, "lpsed: backup: %v\n", err)
		return 1
	}
	for _, path := range m.Skipped {
		fmt.Fprintf(stderr, "lpsed: backup: warning: skipped %s: not a blob file\n", path)
	}
	fmt.Fprintf(stdout, "backup %s: %s backend, schema %d, log size %d, %d files (%d bytes of data), archive %d bytes, %s\n",
		*to, m.Kind, m.Schema, m.Log(serverLog).Size, m.Files, m.Bytes, b.archiveBytes, time.Since(start).Round(time.Millisecond))
	if m.Log(serverLog).Checkpoint == nil {
		fmt.Fprintln(stderr, "lpsed: backup: warning: the log has no signed checkpoint yet; restore can only rehash it (use --server)")
	}
	return 0
}

// parseRecipients reads the age recipients given on the command line and
// in a recipients file.
func parseRecipients(flags []string, file string) ([]age.Recipient, error) {
	text := strings.Join(flags, "\n")
	if file != "" {
		b, err := readCapped(file, 1<<20)
		if err != nil {
			return nil, fmt.Errorf("recipients file: %w", err)
		}
		text += "\n" + string(b)
	}
	if strings.TrimSpace(text) == "" {
		return nil, errors.New("no recipients: give --recipient age1… or --recipients-file FILE (the archive is encrypted to them)")
	}
	recips, err := age.ParseRecipients(strings.NewReader(text))
	if err != nil {
		return nil, fmt.Errorf("recipients: %w", err)
	}
	return recips, nil
}

func readCapped(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err == nil && int64(len(b)) > max {
		err = fmt.Errorf("%s is larger than %d bytes", path, max)
	}
	return b, err
}

// requestCheckpoint asks a running server to sign and store a checkpoint of
// its whole log, so that the snapshot's latest checkpoint covers it.
func requestCheckpoint(ctx context.Context, base string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", strings.TrimSuffix(base, "/")+"/v1/log/checkpoint", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("asking the server for a checkpoint: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("asking the server for a checkpoint: %s", resp.Status)
	}
	return nil
}

// backup writes one archive.
type backup struct {
	to           string
	recipients   []age.Recipient
	archiveBytes int64
}

// errArchiveExists refuses to replace an archive: the older one may be
// the last good backup.
func errArchiveExists(path string) error {
	return fmt.Errorf("%s exists: backup never replaces an archive (it may be the last good one); give a new name, such as segel-$(date +%%F).age, or move the old one away first", path)
}

// write streams the archive snapshot writes into an age file to
// b.to: into FILE.tmp, which is synced and given the name FILE only once
// complete, so FILE is never partial. FILE.tmp is created exclusively: a
// second backup to the same FILE at once fails instead of writing into
// the first one's file.
func (b *backup) write(snapshot func(io.Writer) (*vault.Manifest, error)) (m *vault.Manifest, err error) {
	tmp := b.to + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("%s exists: another backup to %s is running, or one was killed; if none runs, remove it", tmp, b.to)
	} else if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	aw, err := age.Encrypt(bw, b.recipients...)
	if err != nil {
		return nil, fmt.Errorf("encrypting to the recipients: %w", err)
	}
	if m, err = snapshot(aw); err != nil {
		return nil, err
	}
	if err := aw.Close(); err != nil {
		return nil, err
	}
	if err := bw.Flush(); err != nil {
		return nil, err
	}
	if err := f.Sync(); err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	if err := publish(tmp, b.to); err != nil {
		return nil, err
	}
	b.archiveBytes = st.Size()
	return m, syncDir(filepath.Dir(b.to))
}

// publish gives the complete file tmp the name path, unless path exists.
// A hard link never replaces its target; on file systems without hard
// links (FAT media) a check just before the rename stands in for it.
func publish(tmp, path string) error {
	err := os.Link(tmp, path)
	if err == nil {
		return os.Remove(tmp)
	}
	if _, serr := os.Lstat(path); serr == nil {
		return errArchiveExists(path)
	}
	if errors.Is(err, fs.ErrExist) {
		return err
	}
	return os.Rename(tmp, path)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
