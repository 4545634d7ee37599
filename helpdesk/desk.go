package helpdesk

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/vault"
)

// Directory answers who may use the helpdesk. The helpdesk never stores
// users itself; package directory implements it over package registry.
type Directory interface {
	// CheckStaff returns nil if user is active LPSE staff, who publish
	// notices and handle complaints, and otherwise an error saying why
	// not.
	CheckStaff(ctx context.Context, user string) error
	// CheckUser returns nil if user may file a complaint: a known user
	// in good standing (verified, not deactivated or blacklisted), and
	// otherwise an error saying why not.
	CheckUser(ctx context.Context, user string) error
}

// Config configures a Desk. Every field without a default is required.
type Config struct {
	// Records holds notices and complaints; Blobs holds their texts. One
	// vault backend provides both.
	Records vault.Records
	Blobs   vault.Blobs
	// Log is the audit log every notice and complaint is appended to.
	Log *auditlog.Log
	// Directory answers who may act.
	Directory Directory
	// Now is the desk's clock; time.Now if nil.
	Now func() time.Time
	// Logger receives operational messages; none if nil.
	Logger *slog.Logger
}

// Desk is the helpdesk. It is safe for concurrent use, and several desks
// (server instances) may share one backend.
type Desk struct {
	cfg   Config
	now   func() time.Time
	log   *slog.Logger
	rand  io.Reader // for ids; crypto/rand, or a test's
	keyed sync.Map  // complaint id → *sync.Mutex, see UpdateComplaint
}

// New returns a desk for cfg.
func New(cfg Config) (*Desk, error) {
	switch {
	case cfg.Records == nil || cfg.Blobs == nil:
		return nil, errors.New("helpdesk: config needs Records and Blobs")
	case cfg.Log == nil:
		return nil, errors.New("helpdesk: config needs an audit Log")
	case cfg.Directory == nil:
		return nil, errors.New("helpdesk: config needs a Directory")
	}
	d := &Desk{cfg: cfg, now: cfg.Now, log: cfg.Logger, rand: rand.Reader}
	if d.now == nil {
		d.now = time.Now
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	return d, nil
}
