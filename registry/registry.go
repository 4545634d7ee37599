package registry

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/segel-lpse/segel/vault"
)

// DocumentStore stores registration documents encrypted at rest. ad binds a
// ciphertext to its account and kind; Open with another ad must fail.
// *vault.Documents implements it.
type DocumentStore interface {
	Put(ctx context.Context, r io.Reader, maxSize int64, ad []byte) (vault.BlobInfo, error)
	Open(ctx context.Context, digest [32]byte, ad []byte) (io.ReadCloser, error)
}

// Appender appends entries to the audit log and returns their indexes.
// *auditlog.Log implements it.
type Appender interface {
	Append(ctx context.Context, entries ...[]byte) ([]int64, error)
}

// Config configures a Registry. Records, Documents and Log are required.
type Config struct {
	// Records holds the accounts, in tables prefixed registry_
	// (doc/spec/registry.md §8).
	Records vault.Records
	// Documents stores the registration documents, encrypted at rest.
	Documents DocumentStore
	// Log receives an entry for every decision (doc/spec/entries.md).
	Log Appender
	// Now is the registry's clock; nil means time.Now.
	Now func() time.Time
	// Logger receives operational messages (an audit append that failed);
	// nil discards them.
	Logger *slog.Logger

	// MaxDocumentSize caps each document in bytes; 0 means 10 MiB.
	MaxDocumentSize int64
	// MaxFailedLogins is how many failed password checks in a row lock an
	// account; 0 means 5.
	MaxFailedLogins int
	// LockoutPeriod is how long a locked account stays locked; 0 means 15
	// minutes.
	LockoutPeriod time.Duration
	// Password is the argon2id cost of new password hashes; the zero value
	// means m=19456 KiB, t=2, p=1.
	Password PasswordParams
}

// Registry is the registry of SPSE users. It is safe for concurrent use;
// several Registries (in several processes) may share one vault.Records.
type Registry struct {
	records  vault.Records
	docs     DocumentStore
	log      Appender
	now      func() time.Time
	logger   *slog.Logger
	maxDoc   int64
	maxFail  int
	lockout  time.Duration
	password PasswordParams
	dummy    string // a hash verified for unknown emails, so they cost the same
}

// New returns a Registry. It does no I/O.
func New(cfg Config) (*Registry, error) {
	if cfg.Records == nil || cfg.Documents == nil || cfg.Log == nil {
		return nil, errors.New("registry: Config.Records, Config.Documents and Config.Log are required")
	}
	r := &Registry{
		records: cfg.Records, docs: cfg.Documents, log: cfg.Log,
		now: cfg.Now, logger: cfg.Logger, maxDoc: cfg.MaxDocumentSize,
		maxFail: cfg.MaxFailedLogins, lockout: cfg.LockoutPeriod, password: cfg.Password,
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.logger == nil {
		r.logger = slog.New(slog.DiscardHandler)
	}
	if r.maxDoc == 0 {
		r.maxDoc = 10 << 20
	}
	if r.maxFail == 0 {
		r.maxFail = 5
	}
	if r.lockout == 0 {
		r.lockout = 15 * time.Minute
	}
	if r.password == (PasswordParams{}) {
		r.password = defaultPasswordParams()
	}
	if r.maxDoc < 0 || r.maxFail < 0 || r.lockout < 0 || r.password.Time < 1 ||
		r.password.Threads < 1 || r.password.MemoryKiB < 8*uint32(r.password.Threads) {
		return nil, errors.New("registry: Config has a negative limit or invalid password parameters")
	}
	r.dummy = hashPassword("segel registry: unknown email", r.password)
	return r, nil
}

// Tables (doc/spec/registry.md §8).
const (
	tableUsers      = "registry_users"
	tableEmails     = "registry_emails"
	tableNPWP       = "registry_npwp"
	tableNIK        = "registry_nik"
	tableTokens     = "registry_tokens"
	tableCommittees = "registry_committees"
	tableOutbox     = "registry_outbox"
	tableBlacklist  = "registry_blacklist"

	tableCommitteeKeys = "registry_committee_keys" // user/time → CommitteeKey
	tableKeyOwners     = "registry_key_owners"     // SHA-256 of a recipient → user
	tableKeyChallenges = "registry_key_challenges" // user → keyChallenge
)

// getJSON reads table/key into v.
func getJSON(tx vault.Tx, table, key string, v any) error {
	b, err := tx.Get(table, key)
	if err != nil {
		return err
	}
	return unmarshal(table, key, b, v)
}

// unmarshal decodes b, the value of table/key, into v.
func unmarshal(table, key string, b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("registry: %s/%s: %w: %v", table, key, vault.ErrCorrupt, err)
	}
	return nil
}

// putJSON stores v under table/key.
func putJSON(tx vault.Tx, table, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.Put(table, key, b)
}

// newID returns prefix followed by 16 lowercase base32 characters of 10
// random bytes.
func newID(prefix string) string {
	var b [10]byte
	rand.Read(b[:])
	return prefix + base32Lower.EncodeToString(b[:])
}

// base32Lower is RFC 4648 base32 in lowercase without padding. It is a
// package-level value only because encodings are immutable.
var base32Lower = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// clock returns the registry's time in UTC without a monotonic reading, as
// stored and logged.
func (r *Registry) clock() time.Time { return r.now().UTC().Round(0) }
