package server

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/internal/canon"
	"github.com/segel-lpse/segel/portal"
	"github.com/segel-lpse/segel/vault"
)

// The LPSE web portal (package portal) is served at every path the API
// does not use; its pages call the API in-process, with the signed-in
// visitor's token (doc/spec/portal.md §7).

// newPortal builds the portal over the API's handler api. Its CSRF key is
// a vault secret, so that every instance of a deployment accepts the
// forms any of them served.
func (s *Server) newPortal(ctx context.Context, keyring *vault.Keyring, api http.Handler) (*portal.Site, error) {
	key, err := keyring.Seed(ctx, "portal-csrf", portal.MinCSRFKeySize)
	if err != nil {
		return nil, fmt.Errorf("server: portal CSRF key: %w", err)
	}
	keys, err := s.Keys.Marshal()
	if err != nil {
		return nil, err
	}
	return portal.New(portal.Config{
		API: api, CSRFKey: key, Chain: s.Beacon.Chain().MarshalInfo(), Keys: keys,
		Name: s.cfg.Name, ClientIPHeader: s.limits.ClientIPHeader, Logger: s.log, Now: s.now,
	})
}

// The build of the portal's static files an instance serves is logged
// once per deployment (doc/spec/entries.md §3.4), decided in the records
// before it is appended, as the tender engine does with its changes.

// buildsTable holds, by build digest, the portal builds logged.
const buildsTable = "portal_builds"

// buildRecord is a build's record: the entry decided and, once appended,
// where.
type buildRecord struct {
	Digest  string
	Time    time.Time
	Entry   []byte
	LogSize int64  // the log's size when decided: the entry is at or after it
	Index   *int64 // nil until appended
}

// buildLease is how long an instance that decided to log a build is left
// to append it before another completes the record.
const buildLease = time.Minute

// logPortalBuild logs the build this binary serves, unless the
// deployment logged it before. A decision that was not completed (a
// crash between the record and the append) is completed: the entry is
// looked for in the log first, so it is never appended twice by a
// restart.
func (s *Server) logPortalBuild(ctx context.Context) error {
	digest := portal.BuildDigest()
	now := s.now().UTC()
	var rec buildRecord
	decided := false
	err := s.cfg.Backend.Update(ctx, func(tx vault.Tx) error {
		b, err := tx.Get(buildsTable, digest)
		if err == nil {
			return json.Unmarshal(b, &rec)
		}
		if !errors.Is(err, vault.ErrNotFound) {
			return err
		}
		ent, err := auditlog.MarshalEntry("portal-build", "digest", digest, "time", canon.FormatTime(now))
		if err != nil {
			return err
		}
		rec = buildRecord{Digest: digest, Time: now, Entry: ent, LogSize: s.Log.Size()}
		b, err = json.Marshal(rec)
		if err != nil {
			return err
		}
		err = tx.Insert(buildsTable, digest, b)
		if errors.Is(err, vault.ErrExists) {
			return nil // another instance decided it just now, and appends it
		}
		decided = err == nil
		return err
	})
	if err != nil {
		return fmt.Errorf("server: recording the portal build: %w", err)
	}
	switch {
	case rec.Index != nil:
		return nil
	case !decided && now.Sub(rec.Time) < buildLease:
		return nil // another instance, starting now, appends it
	}
	index, err := s.findEntry(ctx, rec.LogSize, rec.Entry)
	if err != nil {
		return err
	}
	if index < 0 {
		ix, err := s.Log.Append(ctx, rec.Entry)
		if err != nil {
			return fmt.Errorf("server: logging the portal build: %w", err)
		}
		index = ix[0]
	}
	rec.Index = &index
	err = s.cfg.Backend.Update(ctx, func(tx vault.Tx) error {
		b, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		return tx.Put(buildsTable, digest, b)
	})
	if err != nil {
		return fmt.Errorf("server: recording the portal build: %w", err)
	}
	s.log.Info("portal build logged", "digest", digest, "index", index)
	// A checkpoint that includes it, so that proofs of it need no new one.
	_, err = s.Log.Checkpoint(ctx)
	return err
}

// findEntry returns the index of entry in the log at or after start, or
// -1.
func (s *Server) findEntry(ctx context.Context, start int64, entry []byte) (int64, error) {
	size, err := s.Log.Sync(ctx)
	if err != nil {
		return 0, err
	}
	for i := start; i < size; i += 1024 {
		ents, err := s.Log.Entries(ctx, i, min(size, i+1024))
		if err != nil {
			return 0, fmt.Errorf("server: reading the log: %w", err)
		}
		for j, e := range ents {
			if bytes.Equal(e, entry) {
				return i + int64(j), nil
			}
		}
	}
	return -1, nil
}

// getPortalBuilds answers the builds logged, each with its inclusion
// proof in the latest stored checkpoint (a new one only if that does not
// include them all: a public route does not sign on every call).
func (s *Server) getPortalBuilds(r *http.Request, _ none) (api.PortalBuilds, error) {
	ctx := r.Context()
	var recs []buildRecord
	err := s.cfg.Backend.View(ctx, func(tx vault.Tx) error {
		return tx.Scan(buildsTable, "", func(_ string, b []byte) error {
			var rec buildRecord
			if err := json.Unmarshal(b, &rec); err != nil {
				return err
			}
			if rec.Index != nil {
				recs = append(recs, rec)
			}
			return nil
		})
	})
	if err != nil {
		return api.PortalBuilds{}, err
	}
	slices.SortFunc(recs, func(a, b buildRecord) int { return cmp.Compare(*a.Index, *b.Index) })
	out := api.PortalBuilds{Builds: []api.PortalBuild{}}
	if out.Serving, err = api.ParseDigest(portal.BuildDigest()); err != nil {
		return api.PortalBuilds{}, err
	}
	signed, c, err := s.checkpointCovering(ctx, recs)
	if err != nil {
		return api.PortalBuilds{}, err
	}
	out.Checkpoint = string(signed)
	for _, rec := range recs {
		proof, err := s.Log.ProveInclusion(ctx, *rec.Index, c.Size)
		if err != nil {
			return api.PortalBuilds{}, err
		}
		d, err := api.ParseDigest(rec.Digest)
		if err != nil {
			return api.PortalBuilds{}, err
		}
		b := api.PortalBuild{Digest: d, Time: rec.Time.UTC(), Index: *rec.Index, Entry: string(rec.Entry), Proof: []string{}}
		for _, h := range proof {
			b.Proof = append(b.Proof, base64.StdEncoding.EncodeToString(h[:]))
		}
		out.Builds = append(out.Builds, b)
	}
	return out, nil
}

// checkpointCovering returns the latest stored checkpoint, or a new one
// if it does not include every record's entry.
func (s *Server) checkpointCovering(ctx context.Context, recs []buildRecord) ([]byte, auditlog.Checkpoint, error) {
	need := int64(0)
	for _, rec := range recs {
		need = max(need, *rec.Index+1)
	}
	signed, err := s.cfg.Backend.AuditLog("main").Checkpoint(ctx, -1)
	if err != nil && !errors.Is(err, auditlog.ErrNotFound) {
		return nil, auditlog.Checkpoint{}, err
	}
	if err == nil {
		c, err := auditlog.VerifyCheckpoint(signed, s.Keys.Log)
		if err != nil {
			return nil, auditlog.Checkpoint{}, err
		}
		if c.Size >= need && c.Size > 0 {
			return signed, c, nil
		}
	}
	if signed, err = s.Log.Checkpoint(ctx); err != nil {
		return nil, auditlog.Checkpoint{}, err
	}
	c, err := auditlog.VerifyCheckpoint(signed, s.Keys.Log)
	return signed, c, err
}
