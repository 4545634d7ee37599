package main

import (
	"archive/tar"
	"bufio"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite" // database/sql driver "sqlite", as the vault uses
)

// stringsFlag is a repeatable string flag.
type stringsFlag []string

func (s *stringsFlag) String() string     { return strings.Join(*s, ",") }
func (s *stringsFlag) Set(v string) error { *s = append(*s, v); return nil }

// runBackup is lpsed backup: one age-encrypted archive of the database and
// the blobs, taken while the server may be running (regulation art. 19).
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
	b := backup{to: *to, recipients: recips, warn: func(format string, args ...any) {
		fmt.Fprintf(stderr, "lpsed: backup: warning: "+format+"\n", args...)
	}}
	var h *header
	if *postgres != "" {
		h, err = b.postgres(ctx, *postgres)
	} else {
		h, err = b.embedded(ctx, *data)
	}
	if err != nil {
		fmt.Fprintf(stderr, "lpsed: backup: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "backup %s: %s backend, schema %d, log size %d, %d files (%d bytes of data), archive %d bytes, %s\n",
		*to, h.Kind, h.Schema, h.Log.Size, b.files, b.dataBytes, b.archiveBytes, time.Since(start).Round(time.Millisecond))
	if h.Log.Checkpoint == "" {
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
	to         string
	recipients []age.Recipient
	warn       func(format string, args ...any)

	files, dataBytes, archiveBytes int64
}

// errArchiveExists refuses to replace an archive: the older one may be
// the last good backup.
func errArchiveExists(path string) error {
	return fmt.Errorf("%s exists: backup never replaces an archive (it may be the last good one); give a new name, such as segel-$(date +%%F).age, or move the old one away first", path)
}

// write streams an archive to b.to: tar inside age, into FILE.tmp, which
// is synced and given the name FILE only once complete, so FILE is never
// partial. FILE.tmp is created exclusively: a second backup to the same
// FILE at once fails instead of writing into the first one's file.
func (b *backup) write(h *header, fill func(*archiveWriter) error) (err error) {
	tmp := b.to + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s exists: another backup to %s is running, or one was killed; if none runs, remove it", tmp, b.to)
	} else if err != nil {
		return err
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
		return fmt.Errorf("encrypting to the recipients: %w", err)
	}
	a := &archiveWriter{tw: tar.NewWriter(aw)}
	hb, err := marshalHeader(h)
	if err != nil {
		return err
	}
	if err := a.addBytes(headerName, hb); err != nil {
		return err
	}
	if err := fill(a); err != nil {
		return err
	}
	if err := a.finish(); err != nil {
		return err
	}
	if err := aw.Close(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := publish(tmp, b.to); err != nil {
		return err
	}
	b.files, b.dataBytes, b.archiveBytes = int64(len(a.sums)), a.size, st.Size()
	return syncDir(filepath.Dir(b.to))
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

// embedded backs up an embedded data directory. The database is copied
// with VACUUM INTO, a consistent snapshot that SQLite takes in one read
// transaction while the server keeps writing. Blob files are copied after
// it: a blob is durable under its name before any record or log entry
// that names it commits, and the only blobs ever deleted are the chunks of
// abandoned uploads, so every other blob the snapshot refers to is there
// (blobs stored since are harmless extras; a chunk deleted meanwhile is
// skipped, and its upload is expired at its next use).
func (b *backup) embedded(ctx context.Context, dir string) (*header, error) {
	src := filepath.Join(dir, dbName)
	if _, err := os.Stat(src); err != nil {
		return nil, fmt.Errorf("no embedded database in %s: %w", dir, err)
	}
	snap, err := os.CreateTemp(filepath.Dir(b.to), ".segel-snapshot-*.db")
	if err != nil {
		return nil, err
	}
	snapPath := snap.Name()
	snap.Close() // VACUUM INTO accepts an empty file
	defer os.Remove(snapPath)
	if err := vacuumInto(ctx, src, snapPath); err != nil {
		return nil, err
	}
	h, err := describeSnapshot(ctx, snapPath)
	if err != nil {
		return nil, err
	}
	return h, b.write(h, func(a *archiveWriter) error {
		if err := addFile(a, dbName, snapPath); err != nil {
			return err
		}
		return b.addBlobs(a, filepath.Join(dir, "blobs"))
	})
}

func sqliteURL(path string, q url.Values) string {
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

func vacuumInto(ctx context.Context, src, dst string) error {
	db, err := sql.Open("sqlite", sqliteURL(src, url.Values{"_pragma": {"busy_timeout(10000)"}}))
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", dst); err != nil {
		return fmt.Errorf("snapshot of %s: %w", src, err)
	}
	return db.Close()
}

// describeSnapshot reads the header facts from a database snapshot.
func describeSnapshot(ctx context.Context, path string) (*header, error) {
	db, err := sql.Open("sqlite", sqliteURL(path, url.Values{"mode": {"ro"}}))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	var check string
	if err := db.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&check); err != nil || check != "ok" {
		return nil, fmt.Errorf("the database snapshot fails SQLite's quick_check: %q %v", check, err)
	}
	h := &header{Format: backupFormat, Kind: kindEmbedded, Created: time.Now().UTC().Truncate(time.Second)}
	err = db.QueryRowContext(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&h.Schema)
	if err != nil {
		return nil, fmt.Errorf("not a Segel vault database: %w", err)
	}
	h.Log, err = readLogState(func(q string, dst ...any) error {
		return db.QueryRowContext(ctx, strings.ReplaceAll(q, "$1", "?"), "main").Scan(dst...)
	})
	return h, err
}

// readLogState reads the size and latest checkpoint of log "main" with
// query, which runs a one-row query with the log name as its only argument.
func readLogState(query func(q string, dst ...any) error) (logState, error) {
	s := logState{Name: "main"}
	err := query("SELECT size FROM log_sizes WHERE log = $1", &s.Size)
	if err != nil && !errors.Is(err, sql.ErrNoRows) && !errors.Is(err, pgx.ErrNoRows) {
		return s, fmt.Errorf("reading the log size: %w", err)
	}
	var cp []byte
	err = query("SELECT signed FROM log_checkpoints WHERE log = $1 ORDER BY size DESC LIMIT 1", &cp)
	if err != nil && !errors.Is(err, sql.ErrNoRows) && !errors.Is(err, pgx.ErrNoRows) {
		return s, fmt.Errorf("reading the latest checkpoint: %w", err)
	}
	s.Checkpoint = string(cp)
	return s, nil
}

func addFile(a *archiveWriter, name, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	_, err = a.add(name, st.Size(), f)
	return err
}

// addBlobs archives every blob file under dir (DATA/blobs), checking that
// each still hashes to its name.
func (b *backup) addBlobs(a *archiveWriter, dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(filepath.Dir(dir), path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == "blobs/tmp" {
				return filepath.SkipDir // uploads in progress: not yet acknowledged
			}
			return nil
		}
		if !blobName.MatchString(rel) || !d.Type().IsRegular() {
			b.warn("skipping %s: not a blob file", path)
			return nil
		}
		f, err := os.Open(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // deleted since listed: a chunk of an expired upload
		} else if err != nil {
			return err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return err
		}
		got, err := a.add(rel, st.Size(), f)
		if err != nil {
			return err
		}
		if want := strings.ReplaceAll(strings.TrimPrefix(rel, "blobs/"), "/", ""); fmt.Sprintf("%x", got) != want {
			return fmt.Errorf("blob file %s does not hash to its name (SHA-256 %x): the data directory is damaged; restore it from an earlier backup", path, got)
		}
		return nil
	})
}
