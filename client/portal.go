package client

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/internal/canon"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// MaxPortalBuildsSize caps the portal builds document (GET
// /v1/portal/builds) PortalBuilds reads and VerifyPortalBuilds accepts:
// some 2,000 builds.
const MaxPortalBuildsSize = 4 << 20

// ErrPortalBuilds is wrapped by every failure of VerifyPortalBuilds.
var ErrPortalBuilds = errors.New("client: portal builds do not verify")

// PortalBuilds returns the deployment's portal builds document, as the
// server answers it (JSON), unverified: check it with VerifyPortalBuilds
// against the pinned log key, or keep it and check it later (segel
// verify).
func (c *Client) PortalBuilds(ctx context.Context) ([]byte, error) {
	return c.text(ctx, "GET", "/v1/portal/builds", "", nil, MaxPortalBuildsSize)
}

// VerifyPortalBuilds checks a portal builds document (GET
// /v1/portal/builds, doc/spec/portal.md §4) against the pinned log key:
// the checkpoint is signed by it, and every build's entry is a
// portal-build entry (doc/spec/entries.md §3.4) naming that build's digest
// and time, included at its index in the checkpoint's tree. It returns
// the builds, oldest first, and the checkpoint. The document is decoded
// strictly: no unknown field, nothing after it, each index once, in
// ascending order.
func VerifyPortalBuilds(b []byte, logKey note.Verifier) (*api.PortalBuilds, auditlog.Checkpoint, error) {
	fail := func(format string, args ...any) (*api.PortalBuilds, auditlog.Checkpoint, error) {
		return nil, auditlog.Checkpoint{}, fmt.Errorf("%w: %s", ErrPortalBuilds, fmt.Sprintf(format, args...))
	}
	if len(b) > MaxPortalBuildsSize {
		return fail("%d bytes, more than %d", len(b), MaxPortalBuildsSize)
	}
	var pb api.PortalBuilds
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&pb); err != nil {
		return fail("not the JSON of GET /v1/portal/builds: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fail("data after the JSON value")
	}
	c, err := auditlog.VerifyCheckpoint([]byte(pb.Checkpoint), logKey)
	if err != nil {
		return fail("%v", err)
	}
	last := int64(-1)
	for i, build := range pb.Builds {
		if build.Index <= last {
			return fail("build %d: index %d does not follow %d", i, build.Index, last)
		}
		last = build.Index
		e, err := auditlog.ParseEntry([]byte(build.Entry))
		if err != nil {
			return fail("build %d: %v", i, err)
		}
		if e.Type != "portal-build" || e.Value("digest") != build.Digest.String() || e.Value("time") != canon.FormatTime(build.Time) {
			return fail("build %d: the entry is not the portal-build entry of %s at %s", i, build.Digest, canon.FormatTime(build.Time))
		}
		proof := make(tlog.RecordProof, len(build.Proof))
		for j, s := range build.Proof {
			h, err := base64.StdEncoding.Strict().DecodeString(s)
			if err != nil || len(h) != len(tlog.Hash{}) || base64.StdEncoding.EncodeToString(h) != s {
				return fail("build %d: proof hash %d is not a canonical base64 SHA-256", i, j)
			}
			copy(proof[j][:], h)
		}
		if err := auditlog.CheckInclusion([]byte(build.Entry), build.Index, c, proof); err != nil {
			return fail("build %d (%s): %v", i, build.Digest, err)
		}
	}
	return &pb, c, nil
}
