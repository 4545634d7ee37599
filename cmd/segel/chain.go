package main

import (
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/segel-lpse/segel/timelock"
)

// maxChainInfoSize caps a chain info file, as timelock does (doc/spec/timelock.md §5).
const maxChainInfoSize = 16 << 10

// loadChain pins the chain named by a --chain flag: "quicknet", or a drand
// /info JSON file. The chain hash found inside a ciphertext never selects it.
func loadChain(usage, name string) (timelock.Chain, error) {
	switch name {
	case "":
		return timelock.Chain{}, usageErrorf(usage, "missing --chain: give quicknet or a drand /info JSON file")
	case "quicknet":
		return timelock.Quicknet, nil
	}
	b, err := readSmallFile(name, maxChainInfoSize)
	if errors.Is(err, fs.ErrNotExist) {
		return timelock.Chain{}, fmt.Errorf("--chain %s: no such file, and not a built-in chain: the built-in one is quicknet; a file must be a drand /info JSON document (lpsed serves one at /v1/chain, segel beacon info writes one)", name)
	}
	if err != nil {
		return timelock.Chain{}, fmt.Errorf("failed to read chain info: %w", err)
	}
	c, err := timelock.ParseChainInfo(b)
	if err != nil {
		return timelock.Chain{}, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

// chainDesc names a chain in messages: its hash, then its beacon id.
func chainDesc(c timelock.Chain) string {
	if id := c.BeaconID(); id != "" {
		return c.HashHex() + " (" + id + ")"
	}
	return c.HashHex()
}

// formatTime formats a round time for people and scripts alike.
func formatTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339)
}

// until describes how far in the future t is: seconds up to two days, then
// days (time.Duration cannot hold rounds centuries away).
func until(t time.Time) string {
	now := time.Now()
	if !t.After(now) {
		return "now"
	}
	if days := (t.Unix() - now.Unix()) / 86400; days >= 2 {
		return fmt.Sprintf("in %d days", days)
	}
	return "in " + t.Sub(now).Round(time.Second).String()
}

// tooEarlyError says when a file opens; it wraps timelock.ErrTooEarly, which
// makes the exit code 3.
type tooEarlyError struct {
	what  string
	round uint64
	at    time.Time
}

func (e *tooEarlyError) Error() string {
	return fmt.Sprintf("too early: the %s opens at round %d, at %s (%s); its beacon signature is not published yet",
		e.what, e.round, formatTime(e.at), until(e.at))
}

func (e *tooEarlyError) Unwrap() error { return timelock.ErrTooEarly }
