package main

import (
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/segel-lpse/segel/timelock"
)

const beaconUsage = `Usage:
    segel beacon keygen [-o OUTPUT]
    segel beacon info --key KEYFILE [--genesis T] [--period D] [-o OUTPUT]
    segel beacon sign --key KEYFILE [--genesis T] [--period D] ROUND
    segel beacon serve --key KEYFILE [--genesis T] [--period D] [--addr ADDR]

A local beacon is a drand-compatible beacon chain (quicknet's scheme) whose
key the deployment holds, for demos, tests and isolated networks. WHOEVER
HOLDS ITS KEY CAN SIGN ANY ROUND EARLY, and so open any file locked to its
chain before its time: lock production tenders to quicknet.

    keygen   generates a key file (mode 0600, never overwritten):
                 # segel local beacon key: …
                 # created: 2026-01-02T03:04:05Z
                 # public key: <hex of the compressed G2 public key>
                 <hex of the 32-byte secret key>
    info     prints the chain's drand /info JSON, for --chain INFO.json
    sign     prints the hex beacon signature of ROUND, whatever the time
    serve    serves drand's HTTP API (/info, /public/latest, /public/ROUND,
             also under /CHAINHASH/) until SIGINT or SIGTERM; rounds not yet
             due get 425 Too Early

Options:
    --key KEYFILE        the local beacon's key file
    --genesis T          time of round 1 (RFC 3339 or unix seconds, a whole
                         second); defaults to the key's "# created:" time
    --period D           time between rounds (whole seconds); default 1s
    --addr ADDR          serve's listen address; default 127.0.0.1:8081
    -o, --output OUTPUT  where keygen and info write

The same key, genesis and period always make the same chain.

Exit status: 0 success, 1 failure, 2 usage error.
`

func runBeacon(e *env, args []string) error {
	if len(args) == 0 {
		return usageErrorf(beaconUsage, "missing beacon command: keygen, info, sign or serve")
	}
	switch args[0] {
	case "-h", "-help", "--help":
		fmt.Fprint(e.stdout, beaconUsage)
		return errHelp
	case "keygen":
		return runBeaconKeygen(e, args[1:])
	case "info":
		return runBeaconInfo(e, args[1:])
	case "sign":
		return runBeaconSign(e, args[1:])
	case "serve":
		return runBeaconServe(e, args[1:])
	}
	return usageErrorf(beaconUsage, "unknown beacon command %q", args[0])
}

func runBeaconKeygen(e *env, args []string) error {
	fs := newFlagSet("beacon keygen")
	var out string
	fs.StringVar(&out, "o", "", "")
	fs.StringVar(&out, "output", "", "")
	pos, err := parse(e, fs, beaconUsage, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErrorf(beaconUsage, "beacon keygen takes no arguments")
	}
	o, err := newKeyOutput(e, out)
	if err != nil {
		return err
	}
	defer o.abort()
	key, err := timelock.GenerateLocalKey()
	if err != nil {
		return fmt.Errorf("failed to generate beacon key: %w", err)
	}
	created := time.Now().UTC().Truncate(time.Second)
	lb, err := timelock.NewLocalBeacon(timelock.LocalConfig{Key: key, Genesis: created, Period: defaultLocalPeriod})
	if err != nil {
		return fmt.Errorf("failed to generate beacon key: %w", err)
	}
	if _, err := fmt.Fprintf(o, "# segel local beacon key: whoever holds it can open files locked to its chain early\n# created: %s\n# public key: %x\n%x\n",
		created.Format(time.RFC3339), lb.Chain().PublicKey(), key); err != nil {
		return fmt.Errorf("failed to write beacon key: %w", err)
	}
	return o.commit()
}

func runBeaconInfo(e *env, args []string) error {
	fs := newFlagSet("beacon info")
	var l localBeaconFlags
	var out string
	fs.StringVar(&l.key, "key", "", "")
	l.registerTime(fs)
	fs.StringVar(&out, "o", "", "")
	fs.StringVar(&out, "output", "", "")
	pos, err := parse(e, fs, beaconUsage, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErrorf(beaconUsage, "beacon info takes no arguments")
	}
	if l.key == "" {
		return usageErrorf(beaconUsage, "missing --key")
	}
	lb, err := l.beacon()
	if err != nil {
		return err
	}
	o, err := newOutput(e, out, false)
	if err != nil {
		return err
	}
	defer o.abort()
	info := lb.Chain().MarshalInfo()
	if !strings.HasSuffix(string(info), "\n") {
		info = append(info, '\n')
	}
	if _, err := o.Write(info); err != nil {
		return fmt.Errorf("failed to write chain info: %w", err)
	}
	return o.commit()
}

func runBeaconSign(e *env, args []string) error {
	fs := newFlagSet("beacon sign")
	var l localBeaconFlags
	fs.StringVar(&l.key, "key", "", "")
	l.registerTime(fs)
	pos, err := parse(e, fs, beaconUsage, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErrorf(beaconUsage, "beacon sign takes one ROUND")
	}
	round, err := timelock.ParseRound(pos[0])
	if err != nil {
		return usageErrorf(beaconUsage, "invalid ROUND: %v", err)
	}
	if l.key == "" {
		return usageErrorf(beaconUsage, "missing --key")
	}
	lb, err := l.beacon()
	if err != nil {
		return err
	}
	// The custodian's power, made explicit: a beacon whose clock stands at
	// the round's time signs it now.
	cfg, err := l.config()
	if err != nil {
		return err
	}
	cfg.Now = func() time.Time { return lb.Chain().TimeOf(round) }
	at, err := timelock.NewLocalBeacon(cfg)
	if err != nil {
		return fmt.Errorf("local beacon: %w", err)
	}
	sig, err := at.Signature(e.ctx, round)
	if err != nil {
		return fmt.Errorf("failed to sign round %d: %w", round, err)
	}
	_, err = fmt.Fprintf(e.stdout, "%x\n", sig)
	return err
}

// localKey is a parsed local beacon key file.
type localKey struct {
	key     []byte
	created time.Time // zero if the file has no "# created:" line
}

// loadLocalKey reads a local beacon key file written by beacon keygen.
func loadLocalKey(name string) (*localKey, error) {
	b, err := readSmallFile(name, maxKeyFileSize)
	if err != nil {
		return nil, fmt.Errorf("failed to read beacon key: %w", err)
	}
	k := &localKey{}
	for l := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(strings.TrimRight(l, "\r\n"), "# created: "); ok {
			if k.created, err = time.Parse(time.RFC3339, v); err != nil {
				return nil, fmt.Errorf("%s: invalid created time: %w", name, err)
			}
		}
	}
	lines := contentLines(b)
	if len(lines) != 1 {
		return nil, fmt.Errorf("%s: want exactly one key line in a beacon key file, found %d", name, len(lines))
	}
	if len(lines[0]) != 2*timelock.LocalKeySize || strings.ToLower(lines[0]) != lines[0] {
		return nil, fmt.Errorf("%s: not a beacon key (want %d lowercase hex digits, as written by segel beacon keygen)", name, 2*timelock.LocalKeySize)
	}
	if k.key, err = hex.DecodeString(lines[0]); err != nil {
		return nil, fmt.Errorf("%s: not a beacon key: %w", name, err)
	}
	return k, nil
}
