package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/segel-lpse/segel/server"
	"github.com/segel-lpse/segel/timelock"
	"github.com/segel-lpse/segel/vault"
)

// options are lpsed's flags; SEGEL_* environment variables give defaults
// for the secret-bearing ones so they stay out of process listings.
type options struct {
	addr        string
	data        string
	postgres    string
	kekFile     string
	name        string
	beacon      string // "local" or "quicknet"
	relays      string
	period      time.Duration
	tlsCert     string
	tlsKey      string
	maxOffer    int64
	openWorkers int
	shared      bool
	debugAddr   string
	syncEach    bool
	ipHeader    string
	rateLimits  bool
}

func (o *options) flags(fs *flag.FlagSet) {
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "listen address")
	fs.StringVar(&o.data, "data", "segel-data", "data directory (embedded backend, and the KEK file if none is given)")
	fs.StringVar(&o.postgres, "postgres", os.Getenv("SEGEL_POSTGRES"), "PostgreSQL DSN; the embedded backend if empty (env SEGEL_POSTGRES)")
	fs.StringVar(&o.kekFile, "kek-file", os.Getenv("SEGEL_KEK_FILE"), "key-encryption key file; DATA/kek.txt, created if missing, if empty (env SEGEL_KEK_FILE; or SEGEL_KEK holding the key)")
	fs.StringVar(&o.name, "name", "lpse.local", "deployment name: key names and the log origin")
	fs.StringVar(&o.beacon, "beacon", "local", "beacon: local (key kept in the vault) or quicknet (drand)")
	fs.StringVar(&o.relays, "drand-relays", "https://api.drand.sh,https://drand.cloudflare.com", "drand relays for --beacon quicknet, comma-separated")
	fs.DurationVar(&o.period, "local-period", time.Second, "local beacon period (fixed at first start)")
	fs.StringVar(&o.tlsCert, "tls-cert", "", "TLS certificate file (serve HTTPS)")
	fs.StringVar(&o.tlsKey, "tls-key", "", "TLS key file")
	fs.Int64Var(&o.maxOffer, "max-offer", 256<<20, "largest sealed offer accepted, in bytes")
	fs.IntVar(&o.openWorkers, "open-workers", 4, "offers opened at once per tender")
	fs.BoolVar(&o.shared, "shared", false, "several lpsed instances share the PostgreSQL database")
	fs.BoolVar(&o.syncEach, "sync-each-blob", false, "embedded backend: fsync every stored offer on its own instead of flushing the data directory's file system once for all uploads in flight; for a file system other programs write much to")
	fs.StringVar(&o.ipHeader, "client-ip-header", "", "header holding the client address set by a trusted reverse proxy or load balancer, e.g. X-Forwarded-For; only when clients cannot reach lpsed directly")
	fs.BoolVar(&o.rateLimits, "rate-limits", true, "rate-limit registration, login and proofs per client address (off only for load tests)")
	fs.StringVar(&o.debugAddr, "debug-addr", "", "serve Go's profiles (/debug/pprof/) on this address, e.g. 127.0.0.1:6060; keep it off the network")
}

// deployment opens the backend and builds the server from o.
func (o *options) deployment(ctx context.Context, logger *slog.Logger) (*server.Server, vault.Backend, error) {
	if err := os.MkdirAll(o.data, 0o700); err != nil {
		return nil, nil, err
	}
	kek, err := o.loadKEK()
	if err != nil {
		return nil, nil, err
	}
	if o.shared && o.postgres == "" {
		return nil, nil, errors.New("--shared needs --postgres: an embedded data directory belongs to one process")
	}
	var backend vault.Backend
	if o.postgres != "" {
		backend, err = vault.OpenPostgres(ctx, vault.PostgresConfig{DSN: o.postgres})
	} else {
		backend, err = vault.OpenEmbedded(ctx, vault.EmbeddedConfig{Dir: o.data, SyncEachBlob: o.syncEach})
	}
	if err != nil {
		return nil, nil, err
	}
	cfg := server.Config{
		Backend: backend, KEK: kek, Name: o.name, LocalPeriod: o.period,
		MaxOfferSize: o.maxOffer, OpenWorkers: o.openWorkers, Logger: logger, DataDir: o.data, Shared: o.shared,
		Limits: server.Limits{ClientIPHeader: o.ipHeader},
	}
	if !o.rateLimits {
		off := server.RateLimit{Burst: -1}
		cfg.Limits.Register, cfg.Limits.Login, cfg.Limits.Proofs = off, off, off
	}
	switch o.beacon {
	case "local":
	case "quicknet":
		cfg.Beacon, err = timelock.NewHTTPBeacon(timelock.Quicknet, timelock.HTTPConfig{URLs: strings.Split(o.relays, ",")})
		if err != nil {
			backend.Close()
			return nil, nil, err
		}
	default:
		backend.Close()
		return nil, nil, fmt.Errorf("--beacon %q: want local or quicknet", o.beacon)
	}
	s, err := server.Build(ctx, cfg)
	if err != nil {
		backend.Close()
		return nil, nil, err
	}
	return s, backend, nil
}

// loadKEK reads the key-encryption key: SEGEL_KEK, --kek-file, or
// DATA/kek.txt, which is created on first start of the embedded default.
func (o *options) loadKEK() (*vault.KEK, error) {
	if v := os.Getenv("SEGEL_KEK"); v != "" {
		return vault.ParseKEK(v)
	}
	path := o.kekFile
	if path == "" {
		path = filepath.Join(o.data, "kek.txt")
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return nil, err
			}
			_, err = io.WriteString(f, vault.GenerateKEK()+"\n")
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return nil, fmt.Errorf("writing a new KEK to %s: %w", path, err)
			}
		}
	}
	return vault.LoadKEKFile(path)
}
