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
	"runtime/debug"
	"strings"
	"time"

	"github.com/segel-lpse/segel/server"
	"github.com/segel-lpse/segel/timelock"
	"github.com/segel-lpse/segel/timelock/beaconhttp"
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
	fs.StringVar(&o.data, "data", "", "data directory of the embedded backend, "+defaultData+" if empty, holding DATA/kek.txt if no KEK is given; with --postgres, only where /metrics reports free space")
	fs.StringVar(&o.postgres, "postgres", os.Getenv("SEGEL_POSTGRES"), "PostgreSQL DSN; the embedded backend if empty (env SEGEL_POSTGRES)")
	fs.StringVar(&o.kekFile, "kek-file", os.Getenv("SEGEL_KEK_FILE"), "key-encryption key file (env SEGEL_KEK_FILE; or SEGEL_KEK holding the key); if neither, the embedded backend uses DATA/kek.txt, created at first start, and --postgres refuses to start (lpsed kek -o FILE makes one)")
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

// defaultData is the embedded backend's data directory when --data is empty.
const defaultData = "segel-data"

// deployment opens the backend and builds the server from o. It logs what
// the server runs on: name, version, backend, KEK source, beacon chain.
func (o *options) deployment(ctx context.Context, logger *slog.Logger) (*server.Server, vault.Backend, error) {
	if o.shared && o.postgres == "" {
		return nil, nil, errors.New("--shared needs --postgres: an embedded data directory belongs to one process")
	}
	kek, kekSource, err := givenKEK(o.kekFile)
	if err != nil {
		return nil, nil, err
	}
	var backend vault.Backend
	if o.postgres != "" {
		if kek == nil {
			return nil, nil, o.errNoKEK()
		}
		backend, err = vault.OpenPostgres(ctx, vault.PostgresConfig{DSN: o.postgres})
	} else {
		if o.data == "" {
			o.data = defaultData
		}
		// OpenEmbedded locks the directory, so the KEK is created (below)
		// by the one process that owns it.
		backend, err = vault.OpenEmbedded(ctx, vault.EmbeddedConfig{Dir: o.data, SyncEachBlob: o.syncEach})
	}
	if err != nil {
		return nil, nil, err
	}
	// "embedded DIR" or "postgres USER@HOST:PORT/DB", without password.
	where := fmt.Sprint(backend)
	if kek == nil {
		if kek, kekSource, err = dataKEK(o.data, logger); err != nil {
			backend.Close()
			return nil, nil, err
		}
	}
	data := "none"
	if o.data != "" {
		data = absPath(o.data)
	}
	logger.Info("lpsed starting", "name", o.name, "version", version(), "backend", where, "data", data, "kek", kekSource)
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
		cfg.Beacon, err = beaconhttp.New(timelock.Quicknet, beaconhttp.Config{URLs: strings.Split(o.relays, ",")})
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
	logChain(logger, s.Beacon.Chain(), cfg.Beacon == nil)
	return s, backend, nil
}

// logChain logs the chain offers are sealed to, loudly if it is the local
// beacon's: its key is in the vault, so whoever holds the vault and the KEK
// can compute any round's signature and open every offer early.
func logChain(logger *slog.Logger, c timelock.Chain, local bool) {
	attrs := []any{"chain", c.HashHex(), "period", c.Period(), "genesis", c.Genesis()}
	switch {
	case local:
		logger.Warn("local beacon: whoever holds the vault and the KEK can open every offer before its deadline; for trials only, use --beacon quicknet for real tenders",
			append([]any{"beacon", "local"}, attrs...)...)
	case c.Equal(timelock.Quicknet):
		logger.Info("beacon", append([]any{"beacon", "drand quicknet"}, attrs...)...)
	default:
		logger.Info("beacon", append([]any{"beacon", "drand"}, attrs...)...)
	}
}

// givenKEK reads the key-encryption key the operator gave, SEGEL_KEK or
// the file (--kek-file or SEGEL_KEK_FILE); nil if neither is set. source
// says which, for the log.
func givenKEK(file string) (kek *vault.KEK, source string, err error) {
	if v := os.Getenv("SEGEL_KEK"); v != "" {
		kek, err = vault.ParseKEK(v)
		return kek, "SEGEL_KEK", err
	}
	if file == "" {
		return nil, "", nil
	}
	kek, err = vault.LoadKEKFile(file)
	return kek, "file " + absPath(file), err
}

// dataKEK reads DATA/kek.txt, writing a new KEK there on first start of
// the embedded backend: the one place lpsed makes a KEK unasked, inside
// the data directory the operator chose (or the default).
func dataKEK(data string, logger *slog.Logger) (*vault.KEK, string, error) {
	path := absPath(filepath.Join(data, "kek.txt"))
	source := "file " + path
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		if err := writeNewKEK(path); err != nil {
			return nil, "", err
		}
		logger.Warn("KEK created at "+path+"; keep it apart from backups: move it to other media and pass --kek-file (or SEGEL_KEK)", "path", path)
		source += " (created now)"
	}
	kek, err := vault.LoadKEKFile(path)
	return kek, source, err
}

// writeNewKEK writes a new KEK to path, which must not exist, readable only
// by its owner. It is synced before it is used: secrets wrapped under a
// KEK that a power cut then lost could never be opened again.
func writeNewKEK(path string) (err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("%s exists: lpsed never writes a KEK over a file (the secrets under an old key would be lost); choose a new name", path)
	} else if err != nil {
		return fmt.Errorf("writing a new KEK: %w", err)
	}
	defer func() {
		if err != nil {
			os.Remove(path)
			err = fmt.Errorf("writing a new KEK to %s: %w", path, err)
		}
	}()
	_, err = io.WriteString(f, vault.GenerateKEK()+"\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// errNoKEK is the refusal to start on PostgreSQL without a KEK: lpsed has
// no directory of its own there, and instances sharing the database must
// share one KEK, so it does not invent one.
func (o *options) errNoKEK() error {
	msg := "--postgres needs the deployment's key-encryption key, and lpsed does not make one up: " +
		"create it once with `lpsed kek -o FILE` (keep FILE off the backup media, readable only by lpsed), " +
		"then pass --kek-file FILE, SEGEL_KEK_FILE=FILE or SEGEL_KEK=KEY to every instance"
	data := o.data
	if data == "" {
		data = defaultData
	}
	if old := filepath.Join(data, "kek.txt"); fileExists(old) {
		msg += fmt.Sprintf("; %s exists (an earlier lpsed wrote it there): if this database was made with it, pass --kek-file %s", old, old)
	}
	return errors.New(msg)
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// absPath is path made absolute for the log, or path if that fails.
func absPath(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}

// version is lpsed's module version and VCS revision, as the build
// recorded them.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v += " " + s.Value
		case "vcs.modified":
			if s.Value == "true" {
				v += "+modified"
			}
		}
	}
	return v
}

// runKEK is lpsed kek: a new key-encryption key, to FILE or stdout.
func runKEK(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("lpsed kek", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "", "write the key to this new file (mode 0600) instead of stdout")
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(stderr, "lpsed: usage: lpsed kek [-o FILE]")
		return 2
	}
	if *out == "" {
		fmt.Fprintln(stdout, vault.GenerateKEK())
		return 0
	}
	if err := writeNewKEK(*out); err != nil {
		fmt.Fprintf(stderr, "lpsed: kek: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "lpsed: kek: wrote a new key-encryption key to %s; keep two copies offline, apart from the backups\n", *out)
	return 0
}
