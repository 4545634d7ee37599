package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"github.com/segel-lpse/segel/client"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/timelock"
)

const sealUsage = `Usage:
    segel seal --chain CHAIN (--round R | --time T) --committee RECIPIENT [-o OUTPUT] [INPUT]
    segel seal --lpse URL --tender ID [--chain CHAIN] [-o OUTPUT] [INPUT]
    segel seal --lpse URL --tender ID --part N --trusted KEYS [--token-file FILE]
               [--chain CHAIN] [-o OUTPUT] [INPUT]

seal encrypts an offer document so that it opens only after the tender's
opening round AND only with the committee's key. The document is encrypted
once; the file key is split between a time-lock to the round and a wrap to
the committee's post-quantum hybrid key (doc/spec/offer.md).

Before writing, seal checks its own output the way the server will, and
prints on standard error the facts the tender must match and the SHA-256 and
size that the LPSE's receipt will bind:

    segel: round: 12345678
    segel: opens: 2026-01-02T03:04:06Z
    segel: chain: 52db9ba7… (quicknet)
    segel: committee key id: 0123456789abcdef
    segel: size: 1234
    segel: sha256: …

With --lpse and --tender, seal takes the tender's round and committee key
from the LPSE's server and checks them against the pinned chain first: the
tender must name the pinned chain, its round must be the chain's first round
at or after its opening time, its opening must not be before its deadline,
and the round must not be published yet. Otherwise seal refuses, saying
which, and exits 1: a server cannot make offers open early by naming another
chain or round. CHAIN is then quicknet unless given; pin a deployment's own
local beacon with the chain info file it publishes (its /v1/chain), kept
beforehand, never fetched at sealing time.

A tender announced with a committee of members' own keys (a method:
single-file, two-file, two-stage; doc/spec/opening.md) takes its offers in
file parts, each sealed to the committee's k-of-n keys, the part's round,
the tender, the part and the bidder: give --part 1 (File I, stage 1, or
the only file) or --part 2 (File II, the price; stage 2), and the bidder's
API token (--token-file FILE or $SEGEL_TOKEN), which names the bidder.
The committee and the part's round must be the ones the tender's log
names (GET /v1/tenders/{tender}/log), verified with the log key of the
LPSE's keys file KEYS (its /v1/keys, obtained out of band) and replayed:
a server that names a committee of its own keys is refused
(doc/spec/opening.md §2.2).

Options:
    --chain CHAIN           "quicknet" or a drand /info JSON file
    --round R               the tender's opening round
    --time T                the opening time (RFC 3339 or unix seconds): seals
                            to the first round published at or after T
    --committee RECIPIENT   the committee's age1pq1… public key, or a file
                            holding it (a .pub file or the key file)
    --lpse URL              the LPSE's server, such as https://lpse.example.go.id
    --tender ID             the tender to seal to, as the LPSE names it
    --part N                the file part, for a tender with a method
    --token-file FILE       with --part: the bidder's API token
    --trusted KEYS          with --part: the LPSE's keys file, whose log key
                            the committee is checked against
    -o, --output OUTPUT     write the sealed offer to OUTPUT

A sealed offer is binary: seal refuses to write it to a terminal.

Exit status: 0 success, 1 failure, 2 usage error, 4 (with --lpse) the LPSE
could not be reached: run it again.
`

func runSeal(e *env, args []string) error {
	fs := newFlagSet("seal")
	var chainArg, committee, out, lpse, tenderID, tokenFile, trusted string
	var part int
	var round roundFlag
	var at timeFlag
	fs.StringVar(&chainArg, "chain", "", "")
	fs.Var(&round, "round", "")
	fs.Var(&at, "time", "")
	fs.StringVar(&committee, "committee", "", "")
	fs.StringVar(&lpse, "lpse", "", "")
	fs.StringVar(&tenderID, "tender", "", "")
	fs.IntVar(&part, "part", 0, "")
	fs.StringVar(&tokenFile, "token-file", "", "")
	fs.StringVar(&trusted, "trusted", "", "")
	fs.Var(noTokenFlag{}, "token", "")
	fs.StringVar(&out, "o", "", "")
	fs.StringVar(&out, "output", "", "")
	pos, err := parse(e, fs, sealUsage, args)
	if err != nil {
		return err
	}
	in, err := atMostOne(sealUsage, pos)
	if err != nil {
		return err
	}
	var c timelock.Chain
	var t sealer.Target
	if lpse != "" || tenderID != "" {
		if lpse == "" || tenderID == "" {
			return usageErrorf(sealUsage, "--lpse and --tender go together")
		}
		if round.set || at.set || committee != "" {
			return usageErrorf(sealUsage, "the tender fixes the round and the committee: leave out --round, --time and --committee with --tender")
		}
		if chainArg == "" {
			chainArg = "quicknet"
		}
		if c, err = loadChain(sealUsage, chainArg); err != nil {
			return err
		}
		if part == 0 {
			if trusted != "" {
				return usageErrorf(sealUsage, "--trusted goes with --part: a version 1 tender is checked against the pinned chain alone")
			}
			if t, err = tenderTarget(e.ctx, lpse, tenderID, c); err != nil {
				return err
			}
		} else {
			if err := partFlag(sealUsage, part); err != nil {
				return err
			}
			if trusted == "" {
				return usageErrorf(sealUsage, "missing --trusted KEYS: the LPSE's keys file (its /v1/keys, obtained out of band); the tender's committee is checked against its log key")
			}
			keys, err := loadTrustedKeys(trusted)
			if err != nil {
				return err
			}
			if keys.roles == nil {
				return fmt.Errorf("%s is a plain list of keys: --part needs the LPSE's keys file (segel-keys/v1, its /v1/keys), whose log key the tender's committee is checked against", trusted)
			}
			if keys.roles.Chain != c.HashHex() {
				return fmt.Errorf("%s pins beacon chain %s, but --chain pins %s: pin the chain this LPSE publishes with --chain FILE", trusted, keys.roles.Chain, chainDesc(c))
			}
			// A file part is sealed to its bidder: the token says who.
			token, err := loadToken(e, sealUsage, tokenFile)
			if err != nil {
				return err
			}
			cl, err := newLPSEClient(lpse, c, token, nil, client.WithLogKey(keys.roles.Log))
			if err != nil {
				return err
			}
			if t, err = partTargetOf(e.ctx, cl, lpse, tenderID, part, nil); err != nil {
				return err
			}
		}
	} else {
		if part != 0 || trusted != "" {
			return usageErrorf(sealUsage, "--part and --trusted go with --lpse and --tender: a file part is sealed to what the tender's committee and the part's round are")
		}
		if round.set == at.set {
			return usageErrorf(sealUsage, "give exactly one of --round and --time")
		}
		if committee == "" {
			return usageErrorf(sealUsage, "missing --committee: the committee's age1pq1… public key or its file")
		}
		if c, err = loadChain(sealUsage, chainArg); err != nil {
			return err
		}
		t = sealer.Target{Chain: c, Round: round.round}
		if at.set {
			t.Round = c.RoundAt(at.t)
		}
		if t.Committee, err = loadCommitteeRecipient(committee); err != nil {
			return err
		}
	}

	src, closeIn, err := openInput(e, in)
	if err != nil {
		return err
	}
	defer closeIn()
	o, err := newOutput(e, out, true)
	if err != nil {
		return err
	}
	defer o.abort()
	// The library does not hash (a second pass over the bytes); the CLI
	// hashes what it writes, in the same pass.
	h := sha256.New()
	sealed, err := sealer.Seal(io.MultiWriter(o, h), src, t)
	if err != nil {
		return fmt.Errorf("failed to seal: %w", err)
	}
	if err := o.commit(); err != nil {
		return err
	}

	opens := c.TimeOf(sealed.Header.Round)
	if tenderID != "" {
		fmt.Fprintf(e.stderr, "segel: tender: %s\n", tenderID)
	}
	if part != 0 {
		fmt.Fprintf(e.stderr, "segel: file part: %d, bidder %s\n", part, t.Bidder)
	}
	fmt.Fprintf(e.stderr, "segel: round: %d\n", sealed.Header.Round)
	fmt.Fprintf(e.stderr, "segel: opens: %s\n", formatTime(opens))
	fmt.Fprintf(e.stderr, "segel: chain: %s\n", chainDesc(c))
	fmt.Fprintf(e.stderr, "segel: committee key id: %s\n", sealed.Header.CommitteeKeyID)
	fmt.Fprintf(e.stderr, "segel: size: %d\n", sealed.Size)
	fmt.Fprintf(e.stderr, "segel: sha256: %s\n", hex.EncodeToString(h.Sum(nil)))
	if !opens.After(time.Now()) {
		fmt.Fprintf(e.stderr, "segel: warning: round %d was published at %s: the committee can open this offer right away\n",
			sealed.Header.Round, formatTime(opens))
	}
	return nil
}
