package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"filippo.io/age"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/timelock"
)

const openUsage = `Usage:
    segel open --chain CHAIN -i KEYFILE BEACON [-o OUTPUT] [INPUT]

open decrypts a sealed offer with the committee's key file and the beacon
signature of the offer's opening round. It checks first that the key is the
one the offer is sealed to, then gets the round's signature, then decrypts.

BEACON is one of:
    --signature HEX          the round's beacon signature (verified first)
    --beacon URL[,URL]       drand HTTP relays, such as https://api.drand.sh,
                             or a "segel beacon serve" URL
    --local-beacon KEYFILE [--genesis T] [--period D]
                             a local beacon's key (see segel beacon); with it,
                             --chain may be left out

Options:
    --chain CHAIN          "quicknet" or a drand /info JSON file
    -i, --identity KEYFILE the committee key file (segel keygen)
    -o, --output OUTPUT    write the document to OUTPUT; it is removed if the
                           offer fails to open part way

Exit status:
    0  opened
    1  failure: wrong committee key, malformed or altered offer, …
    2  usage error
    3  too early: the opening round's signature is not published yet
`

func runOpen(e *env, args []string) error {
	fs := newFlagSet("open")
	var chainArg, keyFile, out string
	var bf beaconFlags
	fs.StringVar(&chainArg, "chain", "", "")
	fs.StringVar(&keyFile, "i", "", "")
	fs.StringVar(&keyFile, "identity", "", "")
	fs.StringVar(&out, "o", "", "")
	fs.StringVar(&out, "output", "", "")
	bf.register(fs)
	pos, err := parse(e, fs, openUsage, args)
	if err != nil {
		return err
	}
	in, err := atMostOne(openUsage, pos)
	if err != nil {
		return err
	}
	if keyFile == "" {
		return usageErrorf(openUsage, "missing -i KEYFILE: the committee key file")
	}
	if err := bf.check(openUsage); err != nil {
		return err
	}
	c, err := bf.chain(openUsage, chainArg)
	if err != nil {
		return err
	}
	id, err := loadCommitteeIdentity(keyFile)
	if err != nil {
		return err
	}
	src, closeIn, err := openInput(e, in)
	if err != nil {
		return err
	}
	defer closeIn()
	src = dearmor(src)

	// Read the header once to learn the round and committee, then hand the
	// whole file to sealer.Open.
	var seen bytes.Buffer
	h, err := sealer.Inspect(io.TeeReader(src, &seen), c)
	if err != nil {
		if _, _, ok := inspectTlock(io.MultiReader(&seen, src), c); ok {
			return fmt.Errorf("%s: a plain tlock file, not a sealed offer: open it with segel tlock decrypt", inputName(in))
		}
		return fmt.Errorf("%s: not a well-formed sealed offer for chain %s: %w", inputName(in), chainDesc(c), err)
	}
	if mine := sealer.KeyID(id.Recipient()); mine != h.CommitteeKeyID {
		return wrongCommittee(keyFile, h.CommitteeKeyID, mine)
	}
	b, err := bf.beacon(c, h.Round)
	if err != nil {
		return err
	}
	r, err := sealer.Open(e.ctx, io.MultiReader(&seen, src), b, id)
	if err != nil {
		return openError(err, c, h, keyFile, id)
	}
	o, err := newOutput(e, out, false)
	if err != nil {
		return err
	}
	defer o.abort()
	if _, err := io.Copy(o, r); err != nil {
		return fmt.Errorf("failed to open the offer: %w", err)
	}
	return o.commit()
}

func wrongCommittee(keyFile, sealedTo, mine string) error {
	return fmt.Errorf("wrong committee key: the offer is sealed to committee key id %s, but %s holds key id %s: %w",
		sealedTo, keyFile, mine, sealer.ErrWrongCommittee)
}

// openError explains why sealer.Open refused.
func openError(err error, c timelock.Chain, h *sealer.Header, keyFile string, id *age.HybridIdentity) error {
	switch {
	case errors.Is(err, timelock.ErrTooEarly):
		return &tooEarlyError{what: "offer", round: h.Round, at: c.TimeOf(h.Round)}
	case errors.Is(err, sealer.ErrWrongCommittee):
		return wrongCommittee(keyFile, h.CommitteeKeyID, sealer.KeyID(id.Recipient()))
	}
	return fmt.Errorf("failed to open the offer: %w", err)
}
