package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Config is one run of the harness: a preset, then the flags given on the
// command line on top of it.
type Config struct {
	Preset   string `json:"preset"`
	Out      string `json:"out"`
	Seed     uint64 `json:"seed"`
	Postgres string `json:"-"` // DSN; empty means the embedded backend under Out
	Backend  string `json:"backend"`

	// Opening peak.
	Opening bool          `json:"opening"`
	Tenders int           `json:"tenders"`      // T
	Offers  int           `json:"offers"`       // N per tender
	Median  Size          `json:"median_bytes"` // of the plaintext size distribution
	Sigma   float64       `json:"sigma"`        // of ln(size)
	MaxSize Size          `json:"max_bytes"`    // sizes are capped here
	Period  time.Duration `json:"period"`       // local beacon period
	Workers int           `json:"workers"`      // open workers per tender; 0 = GOMAXPROCS

	// Deadline rush.
	Rush        bool          `json:"rush"`
	Bidders     int           `json:"bidders"`      // B
	RushTenders int           `json:"rush_tenders"` // the B bidders are spread over these
	RushMedian  Size          `json:"rush_median_bytes"`
	RushSigma   float64       `json:"rush_sigma"`
	Window      time.Duration `json:"window"`              // arrivals fall in the last Window before the deadline
	Curve       string        `json:"curve"`               // uniform, linear or exp
	Steep       float64       `json:"steep"`               // exp curve: rate across the window
	Grace       time.Duration `json:"grace"`               // deadline = end of window + Grace
	Conns       int           `json:"conns"`               // offers in flight at most (connections)
	LPSED       bool          `json:"lpsed"`               // also rush lpsed over HTTP, as its own process
	LPSEDMargin time.Duration `json:"lpsed_margin"`        // setup time before lpsed's window; 0 = estimated
	LPSEDURL    string        `json:"lpsed_url,omitempty"` // rush the lpsed running there instead of starting one
	LPSEDAdmin  string        `json:"-"`                   // that lpsed's admin (email); password in $SEGEL_BENCH_ADMIN_PASSWORD

	// Profiles of the opening's measured phase, and of lpsed during its
	// rush, for engineers.
	CPUProfile   string `json:"-"`
	BlockProfile string `json:"-"`
	LPSEDProfile bool   `json:"-"`
}

// flagHelp is -help: usage was printed, nothing else to say.
var flagHelp = flag.ErrHelp

// presets are the named starting points; flags override their fields.
var presets = map[string]Config{
	// default: the size mix (median 2 MiB) at a modest count.
	"default": {
		Tenders: 10, Offers: 20, Median: 2 << 20, Sigma: 0.6, MaxSize: 32 << 20, Period: time.Second,
		Bidders: 400, RushTenders: 10, RushMedian: 2 << 20, RushSigma: 0.6, Window: 30 * time.Second,
		Curve: "exp", Steep: 3, Grace: 5 * time.Second, Conns: 64,
	},
	// smoke: under a minute, for CI.
	"smoke": {
		Tenders: 3, Offers: 10, Median: 64 << 10, Sigma: 0.8, MaxSize: 1 << 20, Period: time.Second,
		Bidders: 60, RushTenders: 3, RushMedian: 64 << 10, RushSigma: 0.5, Window: 4 * time.Second,
		Curve: "exp", Steep: 3, Grace: 3 * time.Second, Conns: 16,
	},
	// small: a few minutes; 1/10 of target.
	"small": {
		Tenders: 30, Offers: 30, Median: 256 << 10, Sigma: 0.6, MaxSize: 8 << 20, Period: time.Second,
		Bidders: 2000, RushTenders: 20, RushMedian: 256 << 10, RushSigma: 0, Window: 20 * time.Second,
		Curve: "exp", Steep: 3, Grace: 10 * time.Second, Conns: 64,
	},
	// target: the targets.
	"target": {
		Tenders: 100, Offers: 100, Median: 256 << 10, Sigma: 0.6, MaxSize: 8 << 20, Period: time.Second,
		Bidders: 20000, RushTenders: 100, RushMedian: 256 << 10, RushSigma: 0, Window: 60 * time.Second,
		Curve: "exp", Steep: 3, Grace: 15 * time.Second, Conns: 128,
	},
}

func presetNames() string {
	var names []string
	for n := range presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// parseConfig reads the preset named by -preset, then applies every other
// flag given on top of it.
func parseConfig(args []string, stderr io.Writer) (Config, error) {
	name := "default"
	for i, a := range args {
		a = strings.TrimLeft(a, "-")
		if v, ok := strings.CutPrefix(a, "preset="); ok {
			name = v
		} else if a == "preset" && i+1 < len(args) {
			name = args[i+1]
		}
	}
	c, ok := presets[name]
	if !ok {
		return Config{}, fmt.Errorf("unknown preset %q (have %s)", name, presetNames())
	}
	c.Preset, c.Seed, c.Opening, c.Rush = name, 1, true, true

	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: go run . -preset NAME -out DIR [flags]\n\npresets: %s\n\n", presetNames())
		fs.PrintDefaults()
	}
	fs.StringVar(&c.Preset, "preset", c.Preset, "starting configuration: "+presetNames())
	fs.StringVar(&c.Out, "out", "", "directory for report.md, report.json, plots and (embedded backend) data; a temp dir if empty")
	fs.Uint64Var(&c.Seed, "seed", c.Seed, "seed of the size and arrival PRNG (runs with the same seed are the same workload)")
	fs.StringVar(&c.Postgres, "postgres", "", "PostgreSQL DSN; the embedded backend (SQLite + files under -out) if empty")
	fs.BoolVar(&c.Opening, "opening", c.Opening, "run the opening peak")
	fs.IntVar(&c.Tenders, "tenders", c.Tenders, "opening: tenders T opened at once")
	fs.IntVar(&c.Offers, "offers", c.Offers, "opening: offers N per tender")
	fs.Var(&c.Median, "median", "opening: median plaintext size (e.g. 256KiB, 2MiB)")
	fs.Float64Var(&c.Sigma, "sigma", c.Sigma, "opening: sigma of the log-normal size distribution (0 = all sizes equal the median)")
	fs.Var(&c.MaxSize, "max-size", "opening: cap on plaintext size")
	fs.DurationVar(&c.Period, "period", c.Period, "local beacon period (whole seconds)")
	fs.IntVar(&c.Workers, "workers", c.Workers, "opening: open workers per tender (0 = GOMAXPROCS)")
	fs.BoolVar(&c.Rush, "rush", c.Rush, "run the deadline rush")
	fs.IntVar(&c.Bidders, "bidders", c.Bidders, "rush: bidders B, one offer each")
	fs.IntVar(&c.RushTenders, "rush-tenders", c.RushTenders, "rush: tenders the bidders are spread over")
	fs.Var(&c.RushMedian, "rush-median", "rush: median plaintext size")
	fs.Float64Var(&c.RushSigma, "rush-sigma", c.RushSigma, "rush: sigma of the size distribution")
	fs.DurationVar(&c.Window, "window", c.Window, "rush: arrivals fall in this last stretch before the deadline")
	fs.StringVar(&c.Curve, "curve", c.Curve, "rush: arrival density over the window: uniform, linear (rising to the deadline) or exp")
	fs.Float64Var(&c.Steep, "steep", c.Steep, "rush: exp curve steepness (density at the deadline is e^steep times that at the window's start)")
	fs.DurationVar(&c.Grace, "grace", c.Grace, "rush: the deadline is this long after the window ends")
	fs.IntVar(&c.Conns, "conns", c.Conns, "rush: offers in flight at most (like a server's connection limit)")
	fs.BoolVar(&c.LPSED, "lpsed", c.LPSED, "rush: also rush lpsed over HTTP: build cmd/lpsed, run it as its own process (embedded, or with -postgres in a new database on that server, dropped afterwards) and set it up through the API")
	fs.DurationVar(&c.LPSEDMargin, "lpsed-margin", c.LPSEDMargin, "rush: time from lpsed's announcement to its window, for registering and sealing (0 = estimated from one seal)")
	fs.StringVar(&c.LPSEDURL, "lpsed-url", "", "rush: the lpsed already running at this URL (e.g. a staging server on its own machine) instead of starting one; implies -lpsed, needs -lpsed-admin")
	fs.StringVar(&c.LPSEDAdmin, "lpsed-admin", "", "rush: with -lpsed-url, the email of an active admin of that lpsed; its password is read from $"+adminPasswordEnv)
	fs.BoolVar(&c.LPSEDProfile, "lpsed-profile", false, "rush: profile lpsed (its --debug-addr) during its rush into OUT/lpsed-{cpu,block,mutex}.pprof")
	fs.StringVar(&c.CPUProfile, "cpuprofile", "", "write a CPU profile of the opening's measured phase to this file")
	fs.StringVar(&c.BlockProfile, "blockprofile", "", "write a blocking profile of the opening's measured phase to this file")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return Config{}, flagHelp
		}
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	return c, c.check()
}

// adminPasswordEnv holds the -lpsed-admin's password (kept out of the
// process list).
const adminPasswordEnv = "SEGEL_BENCH_ADMIN_PASSWORD"

func (c *Config) check() error {
	if c.LPSEDURL != "" {
		c.LPSED = true
		switch {
		case c.LPSEDAdmin == "" || os.Getenv(adminPasswordEnv) == "":
			return fmt.Errorf("-lpsed-url needs -lpsed-admin EMAIL and the admin's password in $%s", adminPasswordEnv)
		case c.LPSEDProfile:
			return fmt.Errorf("-lpsed-profile works only with the lpsed the bench starts; profile a remote lpsed through its own --debug-addr")
		case !strings.HasPrefix(c.LPSEDURL, "http://") && !strings.HasPrefix(c.LPSEDURL, "https://"):
			return fmt.Errorf("-lpsed-url %q: give the base URL, e.g. https://lpse-staging.example.go.id", c.LPSEDURL)
		}
		c.LPSEDURL = strings.TrimRight(c.LPSEDURL, "/")
	}
	switch {
	case c.Tenders < 1 || c.Offers < 1:
		return fmt.Errorf("-tenders and -offers must be positive")
	case c.Median < 1 || c.MaxSize < c.Median:
		return fmt.Errorf("-median must be positive and at most -max-size")
	case c.Sigma < 0 || c.RushSigma < 0:
		return fmt.Errorf("-sigma must not be negative")
	case c.Period < time.Second || c.Period%time.Second != 0:
		return fmt.Errorf("-period must be a whole number of seconds")
	case c.Bidders < 1 || c.RushTenders < 1 || c.Conns < 1:
		return fmt.Errorf("-bidders, -rush-tenders and -conns must be positive")
	case c.RushMedian < 1 || c.RushMedian > c.MaxSize:
		return fmt.Errorf("-rush-median must be positive and at most -max-size")
	case c.Window <= 0:
		return fmt.Errorf("-window must be positive")
	}
	if _, err := arrivalCurve(c.Curve, c.Steep); err != nil {
		return err
	}
	c.Backend = "embedded"
	if c.Postgres != "" {
		c.Backend = "postgres"
	}
	return nil
}

// Size is a byte count that reads and prints as 64KiB, 2MiB, 1GiB or bytes.
type Size int64

func (s Size) String() string {
	switch {
	case s >= 1<<30 && s%(1<<30) == 0:
		return fmt.Sprintf("%dGiB", s>>30)
	case s >= 1<<20 && s%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", s>>20)
	case s >= 1<<10 && s%(1<<10) == 0:
		return fmt.Sprintf("%dKiB", s>>10)
	}
	return strconv.FormatInt(int64(s), 10)
}

func (s *Size) Set(v string) error {
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}} {
		if n, ok := strings.CutSuffix(v, u.suffix); ok {
			v, mult = n, u.m
			break
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return fmt.Errorf("size %q: want a number with an optional KiB, MiB or GiB suffix", v)
	}
	*s = Size(n * mult)
	return nil
}
