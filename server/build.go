package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/directory"
	"github.com/segel-lpse/segel/helpdesk"
	"github.com/segel-lpse/segel/portal"
	"github.com/segel-lpse/segel/registry"
	"github.com/segel-lpse/segel/tender"
	"github.com/segel-lpse/segel/timelock"
	"github.com/segel-lpse/segel/vault"
	"golang.org/x/mod/sumdb/note"
)

// Config configures Build. Backend and KEK are required.
type Config struct {
	// Backend stores everything: vault.OpenEmbedded or vault.OpenPostgres.
	Backend vault.Backend
	// KEK wraps every secret kept in Backend.
	KEK *vault.KEK
	// Name identifies the deployment in key names and the log origin,
	// such as "lpse.jogjakota.go.id"; "lpse.local" if empty.
	Name string
	// Beacon gives opening rounds' signatures. If nil, the server runs a
	// local beacon whose key is kept in the vault and serves it under
	// /beacon/ (drand's HTTP API); see LocalPeriod.
	Beacon timelock.Beacon
	// LocalPeriod is the local beacon's period; 1 s if zero. Its genesis
	// is fixed at first start and kept in the vault.
	LocalPeriod time.Duration
	// MaxOfferSize caps a sealed offer; 256 MiB if zero.
	MaxOfferSize int64
	// OpenWorkers bounds the offers opened at once per tender; 4 if zero.
	OpenWorkers int
	// Shared says several servers use Backend at once (PostgreSQL).
	Shared bool
	// Now is the server's clock; time.Now if nil.
	Now func() time.Time
	// Logger receives operational messages; none if nil.
	Logger *slog.Logger
	// Metrics is where the server registers its metrics; a new registry if
	// nil. /metrics serves it.
	Metrics *prometheus.Registry
	// Publisher names the LPSE in OCDS exports; Name and a placeholder
	// OCID prefix if empty.
	Publisher tender.Publisher
	// DataDir, if set, is the directory whose free space /metrics reports.
	DataDir string
	// Limits caps request bodies and rate-limits the routes anyone may
	// call without a token; see Limits for the defaults.
	Limits Limits
	// Uploads bounds resumable uploads; see tender.UploadLimits.
	Uploads tender.UploadLimits
	// UploadSweep is how often the server removes expired uploads and
	// deletes their chunks, in a goroutine that stops with Build's
	// context; 10 minutes if zero, never if negative (uploads then expire
	// only when used).
	UploadSweep time.Duration
}

// Server is a built deployment.
type Server struct {
	cfg      Config
	Engine   *tender.Engine
	Helpdesk *helpdesk.Desk
	Registry *registry.Registry
	Log      *auditlog.Log
	Beacon   timelock.Beacon
	// Keys are the deployment's public keys, as auditors pin them.
	Keys *audit.Trusted

	local   *timelock.LocalBeacon
	opened  *vault.Documents // opened offer documents, encrypted at rest
	metrics *metrics
	limits  Limits
	rates   [3]*rateLimiter // registration, login, proofs; see rateFor
	handler http.Handler
	portal  *portal.Site
	doc     []byte // the OpenAPI document
	now     func() time.Time
	log     *slog.Logger
}

// Build assembles a deployment from cfg: it loads (or, on first start,
// creates) the signing keys from the vault, opens the audit log, and
// builds the registry, the tender engine and the HTTP handler.
func Build(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Backend == nil || cfg.KEK == nil {
		return nil, errors.New("server: config needs a Backend and a KEK")
	}
	if cfg.Name == "" {
		cfg.Name = "lpse.local"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Publisher.Name == "" {
		cfg.Publisher = tender.Publisher{Name: "LPSE " + cfg.Name, URI: "https://" + cfg.Name, OCIDPrefix: "ocds-000000"}
	}
	if err := cfg.Publisher.Check(); err != nil {
		return nil, fmt.Errorf("server: Config.Publisher: %w", err)
	}
	if cfg.Metrics == nil {
		cfg.Metrics = prometheus.NewRegistry()
	}
	s := &Server{cfg: cfg, now: cfg.Now, log: cfg.Logger, limits: cfg.Limits.withDefaults()}
	s.rates = newRates(s.limits)
	keyring, err := vault.NewKeyring(ctx, cfg.Backend, cfg.KEK)
	if err != nil {
		return nil, fmt.Errorf("server: opening the keyring: %w", err)
	}
	origin := cfg.Name + "/log"
	logSigner, logVKey, err := signer(ctx, keyring, "log-key", origin)
	if err != nil {
		return nil, err
	}
	rcptSigner, rcptVKey, err := signer(ctx, keyring, "receipt-key", cfg.Name+"/receipts")
	if err != nil {
		return nil, err
	}
	reportSigner, reportVKey, err := signer(ctx, keyring, "report-key", cfg.Name+"/reports")
	if err != nil {
		return nil, err
	}
	if s.Beacon = cfg.Beacon; s.Beacon == nil {
		if s.local, err = localBeacon(ctx, cfg, keyring); err != nil {
			return nil, err
		}
		s.Beacon = s.local
	}
	if s.metrics, err = newMetrics(cfg.Metrics, s); err != nil {
		return nil, err
	}
	if s.Keys, err = audit.NewTrusted(logVKey, rcptVKey, reportVKey, s.Beacon.Chain().HashHex()); err != nil {
		return nil, err
	}
	s.Log, err = auditlog.Open(ctx, auditlog.Config{
		Storage: cfg.Backend.AuditLog("main"), Origin: origin, Signer: logSigner, CheckpointEvery: 1000,
	})
	if err != nil {
		return nil, fmt.Errorf("server: opening the audit log: %w", err)
	}
	s.opened = vault.NewDocuments(cfg.Backend, keyring, "opened-offers")
	s.Registry, err = registry.New(registry.Config{
		Records:         cfg.Backend,
		Documents:       vault.NewDocuments(cfg.Backend, keyring, "registry-documents"),
		MaxDocumentSize: s.limits.MaxDocumentSize,
		Log:             s.Log,
		Now:             cfg.Now,
		Logger:          cfg.Logger,
	})
	if err != nil {
		return nil, err
	}
	contributions, err := keyring.AEAD(ctx, "tender-contributions")
	if err != nil {
		return nil, err
	}
	s.Engine, err = tender.New(tender.Config{
		Records: cfg.Backend, Blobs: cfg.Backend, Log: s.Log,
		ReceiptSigner: rcptSigner, ReportSigner: reportSigner,
		Beacon: s.Beacon, Directory: directory.New(s.Registry), Secrets: contributions,
		MaxOfferSize: cfg.MaxOfferSize, OpenWorkers: cfg.OpenWorkers, Shared: cfg.Shared, Uploads: cfg.Uploads,
		Now: cfg.Now, Logger: cfg.Logger,
	})
	if err != nil {
		return nil, err
	}
	s.Helpdesk, err = helpdesk.New(helpdesk.Config{
		Records: cfg.Backend, Blobs: cfg.Backend, Log: s.Log, Directory: directory.NewHelpdesk(s.Registry),
		Now: cfg.Now, Logger: cfg.Logger,
	})
	if err != nil {
		return nil, err
	}
	if s.handler, err = s.routes(ctx, keyring); err != nil {
		return nil, err
	}
	if err := s.logPortalBuild(ctx); err != nil {
		return nil, err
	}
	if err := s.buildDocument(); err != nil {
		return nil, err
	}
	if every := cfg.UploadSweep; every >= 0 {
		if every == 0 {
			every = 10 * time.Minute
		}
		go s.sweepUploads(ctx, every)
	}
	return s, nil
}

// sweepUploads removes expired uploads every period until ctx ends.
func (s *Server) sweepUploads(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n, err := s.Engine.ExpireUploads(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("expiring uploads", "err", err)
		} else if n > 0 {
			s.log.Info("expired uploads removed", "count", n)
		}
	}
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// signer loads the note key called name from the keyring's seed secret,
// creating the seed on first use.
func signer(ctx context.Context, k *vault.Keyring, secret, name string) (note.Signer, string, error) {
	seed, err := k.Seed(ctx, secret, auditlog.SeedSize)
	if err != nil {
		return nil, "", fmt.Errorf("server: %s: %w", secret, err)
	}
	skey, vkey, err := auditlog.KeyFromSeed(name, seed)
	if err != nil {
		return nil, "", err
	}
	s, err := note.NewSigner(skey)
	return s, vkey, err
}

// localBeacon builds the deployment's local beacon: its key from a vault
// seed, its genesis and period from a record written at first start.
func localBeacon(ctx context.Context, cfg Config, k *vault.Keyring) (*timelock.LocalBeacon, error) {
	seed, err := k.Seed(ctx, "local-beacon", 32)
	if err != nil {
		return nil, fmt.Errorf("server: local beacon key: %w", err)
	}
	key, err := timelock.LocalKeyFromSeed(seed)
	if err != nil {
		return nil, err
	}
	period := cfg.LocalPeriod
	if period == 0 {
		period = time.Second
	}
	type schedule struct {
		Genesis int64
		Period  int64
	}
	want := schedule{Genesis: cfg.Now().Add(-time.Minute).Unix(), Period: int64(period / time.Second)}
	var got schedule
	err = cfg.Backend.Update(ctx, func(tx vault.Tx) error {
		b, err := tx.Get("server_config", "local-beacon")
		if errors.Is(err, vault.ErrNotFound) {
			b, _ = json.Marshal(want)
			got = want
			return tx.Put("server_config", "local-beacon", b)
		} else if err != nil {
			return err
		}
		return json.Unmarshal(b, &got)
	})
	if err != nil {
		return nil, fmt.Errorf("server: local beacon schedule: %w", err)
	}
	if got.Period != want.Period {
		return nil, fmt.Errorf("server: the local beacon's period is fixed at %ds since its first start; %ds was asked", got.Period, want.Period)
	}
	return timelock.NewLocalBeacon(timelock.LocalConfig{
		Key: key, Genesis: time.Unix(got.Genesis, 0), Period: time.Duration(got.Period) * time.Second,
		BeaconID: "segel-local", Now: cfg.Now,
	})
}
