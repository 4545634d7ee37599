package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/server"
	"github.com/segel-lpse/segel/timelock"
	"github.com/segel-lpse/segel/timelock/beaconhttp"
	"github.com/segel-lpse/segel/vault"
	"golang.org/x/mod/sumdb/tlog"
)

// report is what verifyDeployment proved.
type report struct {
	kind, created  string
	files          int
	origin, logKey string
	size           int64 // log entries, all rehashed
	checkpointSize int64 // entries covered by the verified checkpoint
	blobs          int64
	blobBytes      int64
	offers         int // offer-received entries whose blob is present
}

// verifyDeployment checks a restored deployment against the backup header:
//
//   - it opens with server.Build and the KEK: the keyring accepts the KEK,
//     the signing keys unwrap, and auditlog.Open finds the stored tree at
//     the root hash of the latest stored checkpoint;
//   - the log has the size and latest checkpoint the header recorded, and
//     that checkpoint verifies with the deployment's log key;
//   - every entry, read back and rehashed from scratch, gives the
//     checkpoint's root hash at its size and the stored tree's root hash at
//     the full size, so no entry was altered behind intact stored hashes;
//   - the blob of every offer-received entry is present, and every blob
//     reads back whole through the vault, which rehashes it.
func verifyDeployment(ctx context.Context, backend vault.Backend, kek *vault.KEK, h *header, name string, listBlobs func(context.Context) ([][32]byte, error)) (*report, error) {
	if origin, _, _ := strings.Cut(h.Log.Checkpoint, "\n"); origin != "" {
		var ok bool
		if name, ok = strings.CutSuffix(origin, "/log"); !ok {
			return nil, fmt.Errorf("the backup's checkpoint has origin %q, not a Segel deployment's", origin)
		}
	}
	// No upload sweep: it would delete chunks while blobs are checked.
	cfg := server.Config{Backend: backend, KEK: kek, Name: name, Logger: slog.New(slog.DiscardHandler), UploadSweep: -1}
	// Rebuild the beacon the deployment was built with, so that building it
	// writes nothing: the local beacon's schedule is a record; without one
	// the deployment used drand quicknet (not contacted here).
	err := backend.View(ctx, func(tx vault.Tx) error {
		b, err := tx.Get("server_config", "local-beacon")
		if errors.Is(err, vault.ErrNotFound) {
			cfg.Beacon, err = beaconhttp.New(timelock.Quicknet, beaconhttp.Config{URLs: []string{"https://api.drand.sh"}})
			return err
		} else if err != nil {
			return err
		}
		var sched struct{ Period int64 }
		if err := json.Unmarshal(b, &sched); err != nil {
			return err
		}
		cfg.LocalPeriod = time.Duration(sched.Period) * time.Second
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the beacon configuration: %w", err)
	}
	s, err := server.Build(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("the restored deployment does not open: %w", err)
	}
	rep := &report{origin: s.Log.Origin(), logKey: s.Keys.Log.Name() + "+" + fmt.Sprintf("%08x", s.Keys.Log.KeyHash())}

	st := backend.AuditLog(h.Log.Name)
	size, err := st.Size(ctx)
	if err != nil {
		return nil, err
	}
	if size != h.Log.Size {
		return nil, fmt.Errorf("the restored log has %d entries; the backup recorded %d", size, h.Log.Size)
	}
	rep.size = size
	var cp auditlog.Checkpoint
	if h.Log.Checkpoint != "" {
		stored, err := st.Checkpoint(ctx, -1)
		if err != nil {
			return nil, fmt.Errorf("the restored log's latest checkpoint: %w", err)
		}
		if string(stored) != h.Log.Checkpoint {
			return nil, errors.New("the restored log's latest checkpoint differs from the one the backup recorded")
		}
		if cp, err = auditlog.VerifyCheckpoint(stored, s.Keys.Log); err != nil {
			return nil, fmt.Errorf("the backup's checkpoint does not verify with the deployment's log key: %w", err)
		}
		if cp.Size > size {
			return nil, fmt.Errorf("the checkpoint covers %d entries but the log has %d", cp.Size, size)
		}
		rep.checkpointSize = cp.Size
	}

	// Rehash every entry.
	var tree treeBuilder
	const batch = 1000
	for start := int64(0); start < size; start += batch {
		entries, err := st.ReadEntries(ctx, start, min(start+batch, size))
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if tree.n == cp.Size && cp.Size > 0 && tree.root() != cp.Hash {
				return nil, fmt.Errorf("the log's first %d entries do not hash to the signed checkpoint's root", cp.Size)
			}
			tree.add(tlog.RecordHash(e))
			if err := checkOfferBlob(ctx, backend, e); err != nil {
				return nil, fmt.Errorf("log entry %d: %w", tree.n-1, err)
			} else if strings.HasPrefix(string(e), "segel-entry/v1 offer-received\n") {
				rep.offers++
			}
		}
	}
	if cp.Size > 0 && tree.n == cp.Size && tree.root() != cp.Hash {
		return nil, fmt.Errorf("the log's first %d entries do not hash to the signed checkpoint's root", cp.Size)
	}
	stored, err := tlog.TreeHash(size, tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) { return st.ReadHashes(ctx, idx) }))
	if err != nil {
		return nil, err
	}
	if size > 0 && tree.root() != stored {
		return nil, errors.New("the log's entries do not hash to its stored tree")
	}

	digests, err := listBlobs(ctx)
	if err != nil {
		return nil, err
	}
	for _, d := range digests {
		rc, err := backend.Open(ctx, d)
		if err != nil {
			return nil, fmt.Errorf("blob %x: %w", d, err)
		}
		n, err := io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("blob %x: %w", d, err)
		}
		rep.blobs++
		rep.blobBytes += n
	}
	return rep, nil
}

// checkOfferBlob checks that the sealed file an offer-received entry names
// is stored.
func checkOfferBlob(ctx context.Context, blobs vault.Blobs, entry []byte) error {
	if !strings.HasPrefix(string(entry), "segel-entry/v1 offer-received\n") {
		return nil
	}
	e, err := auditlog.ParseEntry(entry)
	if err != nil {
		return err
	}
	var d [32]byte
	if n, err := hex.Decode(d[:], []byte(e.Value("sha256"))); err != nil || n != 32 {
		return fmt.Errorf("offer-received entry with a bad sha256 %q", e.Value("sha256"))
	}
	if _, err := blobs.Stat(ctx, d); err != nil {
		return fmt.Errorf("the sealed offer %x of %s is missing: %w", d, e.Value("bidder"), err)
	}
	return nil
}

// treeBuilder computes RFC 6962 root hashes of a growing list of leaves in
// O(log n) memory: a stack of the roots of complete subtrees, of strictly
// decreasing heights, as in a binary counter.
type treeBuilder struct {
	hashes  []tlog.Hash
	heights []int
	n       int64
}

func (t *treeBuilder) add(leaf tlog.Hash) {
	h, height := leaf, 0
	for k := len(t.hashes) - 1; k >= 0 && t.heights[k] == height; k-- {
		h = tlog.NodeHash(t.hashes[k], h)
		height++
		t.hashes, t.heights = t.hashes[:k], t.heights[:k]
	}
	t.hashes, t.heights = append(t.hashes, h), append(t.heights, height)
	t.n++
}

// root is the tree hash of the leaves so far (tlog.TreeHash's value).
func (t *treeBuilder) root() tlog.Hash {
	if len(t.hashes) == 0 {
		return tlog.Hash{}
	}
	h := t.hashes[len(t.hashes)-1]
	for k := len(t.hashes) - 2; k >= 0; k-- {
		h = tlog.NodeHash(t.hashes[k], h)
	}
	return h
}

// dirBlobLister lists the blob files of an embedded data directory.
func dirBlobLister(dir string) func(context.Context) ([][32]byte, error) {
	return func(ctx context.Context) ([][32]byte, error) {
		var ds [][32]byte
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, err := filepath.Rel(filepath.Dir(dir), path)
			if err != nil {
				return err
			}
			rel = filepath.ToSlash(rel)
			if !blobName.MatchString(rel) {
				return nil
			}
			var digest [32]byte
			hex.Decode(digest[:], []byte(strings.ReplaceAll(rel[len("blobs/"):], "/", "")))
			ds = append(ds, digest)
			return nil
		})
		return ds, err
	}
}

// pgBlobLister lists the blobs of a PostgreSQL vault.
func pgBlobLister(dsn string) func(context.Context) ([][32]byte, error) {
	return func(ctx context.Context) ([][32]byte, error) {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return nil, err
		}
		defer conn.Close(context.Background())
		rows, err := conn.Query(ctx, "SELECT digest FROM blobs ORDER BY digest")
		if err != nil {
			return nil, err
		}
		return pgx.CollectRows(rows, func(row pgx.CollectableRow) ([32]byte, error) {
			var b []byte
			var d [32]byte
			if err := row.Scan(&b); err != nil {
				return d, err
			}
			if copy(d[:], b) != 32 || len(b) != 32 {
				return d, fmt.Errorf("blob digest of %d bytes", len(b))
			}
			return d, nil
		})
	}
}
