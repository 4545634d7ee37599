package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/segel-lpse/segel/timelock"
)

// errHelp is returned by a command after it printed its usage because --help
// was asked for; the exit code is 0.
var errHelp = errors.New("help requested")

// usageError is a command line that cannot be run as written; it exits with
// code 2 and the command's usage text.
type usageError struct {
	msg   string
	usage string
}

func (e *usageError) Error() string { return e.msg }

func usageErrorf(usage, format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...), usage: usage}
}

// newFlagSet returns a flag set that reports nothing itself: parse turns its
// errors into usage errors.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("segel "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parse parses args with fs, allowing flags after positional arguments (as in
// "segel seal offer.pdf -o offer.age"), and returns the positional arguments.
// Everything after "--" is positional. --help prints usage to stdout.
func parse(e *env, fs *flag.FlagSet, usage string, args []string) ([]string, error) {
	var positional []string
	for {
		before := len(args)
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(e.stdout, usage)
				return nil, errHelp
			}
			return nil, usageErrorf(usage, "%v", err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		// flag.Parse consumed "--" if the remaining count dropped by one
		// more than the flags it parsed; detect it by looking at what it saw.
		if consumed := before - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// atMostOne returns the only positional argument, "" if there is none, or a
// usage error.
func atMostOne(usage string, positional []string) (string, error) {
	switch len(positional) {
	case 0:
		return "", nil
	case 1:
		return positional[0], nil
	default:
		return "", usageErrorf(usage, "too many arguments: %q", positional[1:])
	}
}

// parseTime parses an RFC 3339 time or a unix time in whole seconds.
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && !strings.HasPrefix(s, "+") {
		return time.Unix(n, 0), nil
	}
	return time.Time{}, fmt.Errorf("invalid time %q: want RFC 3339 (2026-01-02T10:00:00+07:00) or unix seconds", s)
}

// timeFlag is a flag.Value holding an optional time.
type timeFlag struct {
	t   time.Time
	set bool
}

func (f *timeFlag) String() string {
	if !f.set {
		return ""
	}
	return f.t.Format(time.RFC3339)
}

func (f *timeFlag) Set(s string) error {
	t, err := parseTime(s)
	if err != nil {
		return err
	}
	f.t, f.set = t, true
	return nil
}

// roundFlag is a flag.Value holding an optional round, in canonical decimal.
type roundFlag struct {
	round uint64
	set   bool
}

func (f *roundFlag) String() string {
	if !f.set {
		return ""
	}
	return strconv.FormatUint(f.round, 10)
}

func (f *roundFlag) Set(s string) error {
	r, err := timelock.ParseRound(s)
	if err != nil {
		return err
	}
	f.round, f.set = r, true
	return nil
}

// sizeFlag is a flag.Value holding a byte count: a number of bytes, or a
// number with KiB or MiB (K and M too).
type sizeFlag struct{ n int64 }

func (f *sizeFlag) String() string { return strconv.FormatInt(f.n, 10) }

func (f *sizeFlag) Set(s string) error {
	num, mult := s, int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"K", 1 << 10}, {"M", 1 << 20}} {
		if v, ok := strings.CutSuffix(s, u.suffix); ok {
			num, mult = v, u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 || strings.HasPrefix(num, "+") || n > (1<<40)/mult {
		return fmt.Errorf("invalid size %q: want a positive number of bytes, or of KiB or MiB, such as 1MiB", s)
	}
	f.n = n * mult
	return nil
}
