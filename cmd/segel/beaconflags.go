package main

import (
	"encoding/hex"
	"flag"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/segel-lpse/segel/timelock"
	"github.com/segel-lpse/segel/timelock/beaconhttp"
)

// beaconFlags are the ways open and tlock decrypt get a round's signature.
type beaconFlags struct {
	signature string
	urls      string
	local     localBeaconFlags
}

func (b *beaconFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&b.signature, "signature", "", "")
	fs.StringVar(&b.urls, "beacon", "", "")
	fs.StringVar(&b.local.key, "local-beacon", "", "")
	b.local.registerTime(fs)
}

// check reports a usage error unless exactly one source is given.
func (b *beaconFlags) check(usage string) error {
	n := 0
	for _, s := range []string{b.signature, b.urls, b.local.key} {
		if s != "" {
			n++
		}
	}
	if n != 1 {
		return usageErrorf(usage, "give exactly one of --signature, --beacon and --local-beacon")
	}
	if b.local.key == "" && (b.local.genesis.set || b.local.periodSet()) {
		return usageErrorf(usage, "--genesis and --period go with --local-beacon")
	}
	return nil
}

// chain pins the chain from --chain, or from the local beacon when --chain
// is not given; when both are, they must agree.
func (b *beaconFlags) chain(usage, chainArg string) (timelock.Chain, error) {
	if b.local.key == "" || chainArg != "" {
		c, err := loadChain(usage, chainArg)
		if err != nil || b.local.key == "" {
			return c, err
		}
		lb, err := b.local.beacon()
		if err != nil {
			return timelock.Chain{}, err
		}
		if !lb.Chain().Equal(c) {
			return timelock.Chain{}, fmt.Errorf("the local beacon's chain %s (with --genesis and --period) is not the pinned chain %s", chainDesc(lb.Chain()), chainDesc(c))
		}
		return c, nil
	}
	lb, err := b.local.beacon()
	if err != nil {
		return timelock.Chain{}, err
	}
	return lb.Chain(), nil
}

// beacon returns the beacon for c. round gives the round the file is locked
// to, needed only to pin a --signature.
func (b *beaconFlags) beacon(c timelock.Chain, round uint64) (timelock.Beacon, error) {
	switch {
	case b.signature != "":
		sig, err := hex.DecodeString(b.signature)
		if err != nil {
			return nil, fmt.Errorf("invalid --signature: want the hex of the round's beacon signature: %w", err)
		}
		fb, err := timelock.NewFixedBeacon(c, map[uint64][]byte{round: sig}, nil)
		if err != nil {
			return nil, fmt.Errorf("--signature is not the beacon signature of round %d of chain %s: %w", round, chainDesc(c), err)
		}
		return fb, nil
	case b.urls != "":
		urls := strings.Split(b.urls, ",")
		for _, u := range urls {
			if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
				return nil, fmt.Errorf("invalid --beacon URL %q: want http:// or https://", u)
			}
		}
		hb, err := beaconhttp.New(c, beaconhttp.Config{URLs: urls})
		if err != nil {
			return nil, err
		}
		return &diagnosedBeacon{Beacon: hb, urls: urls, client: &http.Client{Timeout: 10 * time.Second}}, nil
	default:
		return b.local.beacon()
	}
}

// localBeaconFlags name a local beacon: its key file, genesis and period.
type localBeaconFlags struct {
	key     string
	genesis timeFlag
	period  time.Duration
}

const defaultLocalPeriod = time.Second

func (l *localBeaconFlags) registerTime(fs *flag.FlagSet) {
	fs.Var(&l.genesis, "genesis", "")
	fs.DurationVar(&l.period, "period", 0, "")
}

func (l *localBeaconFlags) periodSet() bool { return l.period != 0 }

// config loads the key file and returns the local beacon's configuration.
// The genesis defaults to the key's creation time, the period to 1s.
func (l *localBeaconFlags) config() (timelock.LocalConfig, error) {
	k, err := loadLocalKey(l.key)
	if err != nil {
		return timelock.LocalConfig{}, err
	}
	cfg := timelock.LocalConfig{Key: k.key, Genesis: k.created, Period: defaultLocalPeriod}
	if l.genesis.set {
		cfg.Genesis = l.genesis.t
	}
	if l.periodSet() {
		cfg.Period = l.period
	}
	if cfg.Genesis.IsZero() {
		return timelock.LocalConfig{}, fmt.Errorf("%s has no \"# created:\" line: give --genesis", l.key)
	}
	return cfg, nil
}

// beacon returns the local beacon.
func (l *localBeaconFlags) beacon() (*timelock.LocalBeacon, error) {
	cfg, err := l.config()
	if err != nil {
		return nil, err
	}
	lb, err := timelock.NewLocalBeacon(cfg)
	if err != nil {
		return nil, fmt.Errorf("local beacon: %w", err)
	}
	return lb, nil
}
