package tender

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/timelock"
	"github.com/segel-lpse/segel/vault"
	"golang.org/x/mod/sumdb/note"
)

// Directory answers who may act in a tender, and who sits on its
// committee with which opening key. The engine defines it and never stores
// users itself; package directory implements it over package registry.
type Directory interface {
	// CheckProvider returns nil if userID is a verified, active provider
	// who may take part in tenders, and otherwise an error saying why not.
	CheckProvider(ctx context.Context, userID string) error
	// CheckRole returns nil if userID is active and holds role.
	CheckRole(ctx context.Context, userID string, role Role) error
	// CheckAssignable returns nil if userID may be assigned to role on a
	// tender: active, holding the role, and not excluded by separation of
	// duties (LPSE staff never sit on a committee, art. 21.3).
	CheckAssignable(ctx context.Context, userID string, role Role) error
	// Committee returns the committee assigned to tender id: its members,
	// each with its opening key in force (doc/spec/opening.md §2.1), or
	// an error saying why there is none (no committee assigned).
	Committee(ctx context.Context, id string) ([]Member, error)
}

// A Member is a committee member as the Directory knows it.
type Member struct {
	User string
	// Key is the member's opening key in force, an age hybrid recipient
	// "age1pq1…"; empty if the member has registered none.
	Key string
}

// A SecretBox encrypts secrets at rest with associated data, which must be
// given again to decrypt. tink.AEAD implements it.
type SecretBox interface {
	Encrypt(plaintext, associatedData []byte) ([]byte, error)
	Decrypt(ciphertext, associatedData []byte) ([]byte, error)
}

// Role is a procurement role the engine asks the Directory about.
type Role string

const (
	RolePAKPA     Role = "pa-kpa" // budget user / proxy, announces plans
	RoleCommittee Role = "pokja"  // procurement committee member
	RolePPK       Role = "ppk"    // commitment-making official, awards
)

// Config configures an Engine. Every field without a default is required.
type Config struct {
	// Records holds tenders, offers and reports; Blobs holds documents,
	// sealed offers and signed reports. One vault backend provides both.
	Records vault.Records
	Blobs   vault.Blobs
	// Log is the audit log every event is appended to.
	Log *auditlog.Log
	// ReceiptSigner signs receipts; ReportSigner signs witness and opening
	// reports. Keys distinct from the log's.
	ReceiptSigner note.Signer
	ReportSigner  note.Signer
	// Beacon gives the signatures of opening rounds; its chain is the
	// chain every tender is locked to.
	Beacon timelock.Beacon
	// Directory answers who may act.
	Directory Directory
	// Secrets encrypts what the engine keeps secret for a while: the
	// member keys of a v2 opening's contributions, kept from their arrival
	// until the part's opening report is logged, then deleted
	// (doc/spec/opening.md §5.2). A tink.AEAD (vault.Keyring.AEAD) is one.
	// Required for v2 openings; v1 tenders do without.
	Secrets SecretBox
	// MaxOfferSize caps a sealed offer; 256 MiB if zero.
	MaxOfferSize int64
	// OpenWorkers bounds the offers opened at once; 4 if zero.
	OpenWorkers int
	// Uploads bounds resumable uploads; see UploadLimits for the defaults.
	Uploads UploadLimits
	// Shared says that other engines (server instances) use the same
	// backend at the same time. A bidder's submission then waits
	// (ErrBusy) while another instance may still be logging that
	// bidder's previous one; alone, the engine knows no other is.
	Shared bool
	// Now is the engine's clock for accepting submissions; time.Now if nil.
	Now func() time.Time
	// Logger receives operational messages; none if nil.
	Logger *slog.Logger
}

// Engine runs tenders. It is safe for concurrent use, and several engines
// (server instances) may share one backend.
type Engine struct {
	cfg   Config
	chain timelock.Chain
	now   func() time.Time
	log   *slog.Logger
	locks sync.Map // tender id → *sync.RWMutex: submissions share, closing excludes
	keyed sync.Map // key → *sync.Mutex, see lock

	reconciling  sync.RWMutex // submissions share, reconcile excludes (reconcile.go)
	unreconciled atomic.Bool  // the index may lack logged offers

	recipientsMu sync.Mutex
	recipients   map[string]*age.HybridRecipient // committee keys, see recipient
	committees   map[string]*sealer.Committee    // v2 committees by id, see committee

	headersMu sync.Mutex
	headers   map[[32]byte]*sealer.Header // v2 files' parsed headers by file digest, see header
}

// lock returns the process-wide mutex for key (one bidder's submissions).
func (e *Engine) lock(key string) *sync.Mutex {
	mu, _ := e.keyed.LoadOrStore(key, new(sync.Mutex))
	return mu.(*sync.Mutex)
}

// tenderLock fences submissions (read side) from closing (write side)
// within this process; across processes the closing state in Records
// does, see Close and Submit.
func (e *Engine) tenderLock(id string) *sync.RWMutex {
	mu, _ := e.locks.LoadOrStore(id, new(sync.RWMutex))
	return mu.(*sync.RWMutex)
}

// New returns an engine for cfg.
func New(cfg Config) (*Engine, error) {
	switch {
	case cfg.Records == nil || cfg.Blobs == nil:
		return nil, errors.New("tender: config needs Records and Blobs")
	case cfg.Log == nil:
		return nil, errors.New("tender: config needs an audit Log")
	case cfg.ReceiptSigner == nil || cfg.ReportSigner == nil:
		return nil, errors.New("tender: config needs ReceiptSigner and ReportSigner")
	case cfg.Beacon == nil:
		return nil, errors.New("tender: config needs a Beacon")
	case cfg.Directory == nil:
		return nil, errors.New("tender: config needs a Directory")
	}
	if cfg.MaxOfferSize == 0 {
		cfg.MaxOfferSize = 256 << 20
	}
	if cfg.OpenWorkers == 0 {
		cfg.OpenWorkers = 4
	}
	e := &Engine{cfg: cfg, chain: cfg.Beacon.Chain(), now: cfg.Now, log: cfg.Logger, recipients: map[string]*age.HybridRecipient{},
		committees: map[string]*sealer.Committee{}, headers: map[[32]byte]*sealer.Header{}}
	if e.now == nil {
		e.now = time.Now
	}
	e.unreconciled.Store(true)
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	return e, nil
}

// Chain returns the beacon chain tenders are locked to.
func (e *Engine) Chain() timelock.Chain { return e.chain }
