package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/server"
	"github.com/segel-lpse/segel/timelock"
	"github.com/segel-lpse/segel/timelock/beaconhttp"
	"github.com/segel-lpse/segel/vault"
	"golang.org/x/mod/sumdb/tlog"
)

// serverLog is the audit log server.Build keeps in the vault: the one a
// backup header records.
const serverLog = "main"

// report is what verifyDeployment proved, beyond the vault's own checks.
type report struct {
	origin, logKey string
	size           int64 // log entries
	checkpointSize int64 // entries covered by the verified checkpoint
	offers         int   // offer-received entries whose blob is present
}

// verifyDeployment checks a restored deployment once the vault has
// verified its storage (every blob rehashed, every log's entries hashed
// to its stored tree, the log's size and latest checkpoint those the
// backup recorded):
//
//   - it opens with server.Build and the KEK: the keyring accepts the KEK,
//     the signing keys unwrap, and auditlog.Open finds the stored tree at
//     the root hash of the latest stored checkpoint;
//   - the latest checkpoint verifies with the deployment's log key, and
//     its root hash is that of the stored tree (tlog.TreeHash) at its
//     size, so the entries the vault rehashed are the ones it signs;
//   - the sealed file of every offer-received entry is stored.
func verifyDeployment(ctx context.Context, backend vault.Backend, kek *vault.KEK, m *vault.Manifest, name string) (*report, error) {
	state := m.Log(serverLog)
	if origin, _, _ := strings.Cut(string(state.Checkpoint), "\n"); origin != "" {
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
	rep := &report{origin: s.Log.Origin(), logKey: s.Keys.Log.Name() + "+" + fmt.Sprintf("%08x", s.Keys.Log.KeyHash()), size: state.Size}
	if state.Checkpoint != nil {
		cp, err := auditlog.VerifyCheckpoint(state.Checkpoint, s.Keys.Log)
		if err != nil {
			return nil, fmt.Errorf("the backup's checkpoint does not verify with the deployment's log key: %w", err)
		}
		if cp.Size > state.Size {
			return nil, fmt.Errorf("the checkpoint covers %d entries but the log has %d", cp.Size, state.Size)
		}
		st := backend.AuditLog(serverLog)
		root, err := tlog.TreeHash(cp.Size, tlog.HashReaderFunc(func(x []int64) ([]tlog.Hash, error) { return st.ReadHashes(ctx, x) }))
		if err != nil {
			return nil, err
		}
		if root != cp.Hash {
			return nil, fmt.Errorf("the log's first %d entries do not hash to the signed checkpoint's root", cp.Size)
		}
		rep.checkpointSize = cp.Size
	}
	const batch = 1000
	for start := int64(0); start < state.Size; start += batch {
		entries, err := s.Log.Entries(ctx, start, min(start+batch, state.Size))
		if err != nil {
			return nil, err
		}
		for i, e := range entries {
			if err := checkOfferBlob(ctx, backend, e); err != nil {
				return nil, fmt.Errorf("log entry %d: %w", start+int64(i), err)
			} else if strings.HasPrefix(string(e), "segel-entry/v1 offer-received\n") {
				rep.offers++
			}
		}
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
