package main

import (
	"errors"
	"fmt"
	"io"

	"filippo.io/age"
	"filippo.io/age/armor"
	"github.com/segel-lpse/segel/timelock"
)

const tlockUsage = `Usage:
    segel tlock encrypt --chain CHAIN (--round R | --time T) [-a] [-o OUTPUT] [INPUT]
    segel tlock decrypt --chain CHAIN BEACON [-o OUTPUT] [INPUT]

tlock makes and opens plain time-locked age files, in drand's format: files
encrypted here open with drand's tle, and tle's files open here. Anyone can
open them once the round's signature is published; no committee key is
involved (for offers, use segel seal).

BEACON is one of:
    --signature HEX          the round's beacon signature (verified first)
    --beacon URL[,URL]       drand HTTP relays, such as https://api.drand.sh
    --local-beacon KEYFILE [--genesis T] [--period D]
                             a local beacon's key (see segel beacon)

Options:
    --chain CHAIN        "quicknet" or a drand /info JSON file; the chain
                         hash inside a file never overrides it
    --round R            the round to lock to
    --time T             lock to the first round published at or after T
                         (RFC 3339 or unix seconds; tle would round down)
    -a, --armor          encrypt to ASCII armor (decrypt detects it)
    -o, --output OUTPUT  write to OUTPUT

Binary output is never written to a terminal; use -a or -o.

Exit status: 0 success, 1 failure, 2 usage error, 3 too early.
`

func runTlock(e *env, args []string) error {
	if len(args) == 0 {
		return usageErrorf(tlockUsage, "missing tlock command: encrypt or decrypt")
	}
	switch args[0] {
	case "-h", "-help", "--help":
		fmt.Fprint(e.stdout, tlockUsage)
		return errHelp
	case "encrypt":
		return runTlockEncrypt(e, args[1:])
	case "decrypt":
		return runTlockDecrypt(e, args[1:])
	}
	return usageErrorf(tlockUsage, "unknown tlock command %q", args[0])
}

func runTlockEncrypt(e *env, args []string) error {
	fs := newFlagSet("tlock encrypt")
	var chainArg, out string
	var round roundFlag
	var at timeFlag
	var armored bool
	fs.StringVar(&chainArg, "chain", "", "")
	fs.Var(&round, "round", "")
	fs.Var(&at, "time", "")
	fs.BoolVar(&armored, "a", false, "")
	fs.BoolVar(&armored, "armor", false, "")
	fs.StringVar(&out, "o", "", "")
	fs.StringVar(&out, "output", "", "")
	pos, err := parse(e, fs, tlockUsage, args)
	if err != nil {
		return err
	}
	in, err := atMostOne(tlockUsage, pos)
	if err != nil {
		return err
	}
	if round.set == at.set {
		return usageErrorf(tlockUsage, "give exactly one of --round and --time")
	}
	c, err := loadChain(tlockUsage, chainArg)
	if err != nil {
		return err
	}
	r := round.round
	if at.set {
		r = c.RoundAt(at.t)
	}
	rcpt, err := timelock.NewRecipient(c, r)
	if err != nil {
		return err
	}
	src, closeIn, err := openInput(e, in)
	if err != nil {
		return err
	}
	defer closeIn()
	o, err := newOutput(e, out, !armored)
	if err != nil {
		return err
	}
	defer o.abort()
	if err := tlockEncrypt(o, src, rcpt, armored); err != nil {
		return err
	}
	if err := o.commit(); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "segel: round: %d\nsegel: opens: %s\n", r, formatTime(c.TimeOf(r)))
	return nil
}

// tlockEncrypt writes src encrypted to rcpt, closing every layer in order
// and reporting each Close error.
func tlockEncrypt(dst io.Writer, src io.Reader, rcpt age.Recipient, armored bool) error {
	var aw io.WriteCloser
	if armored {
		aw = armor.NewWriter(dst)
		dst = aw
	}
	w, err := age.Encrypt(dst, rcpt)
	if err != nil {
		return fmt.Errorf("failed to encrypt: %w", err)
	}
	if _, err := io.Copy(w, src); err != nil {
		return fmt.Errorf("failed to encrypt: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("failed to encrypt: %w", err)
	}
	if aw != nil {
		if err := aw.Close(); err != nil {
			return fmt.Errorf("failed to write armor: %w", err)
		}
	}
	return nil
}

func runTlockDecrypt(e *env, args []string) error {
	fs := newFlagSet("tlock decrypt")
	var chainArg, out string
	var bf beaconFlags
	fs.StringVar(&chainArg, "chain", "", "")
	fs.StringVar(&out, "o", "", "")
	fs.StringVar(&out, "output", "", "")
	bf.register(fs)
	pos, err := parse(e, fs, tlockUsage, args)
	if err != nil {
		return err
	}
	in, err := atMostOne(tlockUsage, pos)
	if err != nil {
		return err
	}
	if err := bf.check(tlockUsage); err != nil {
		return err
	}
	c, err := bf.chain(tlockUsage, chainArg)
	if err != nil {
		return err
	}
	src, closeIn, err := openInput(e, in)
	if err != nil {
		return err
	}
	defer closeIn()

	hr := &headReader{r: dearmor(src)}
	stanzas, whole, err := timelock.ReadStanzas(hr)
	if err != nil && hr.truncated(err) {
		return fmt.Errorf("%s: the file is truncated: it ends inside the header (%d bytes)", inputName(in), hr.n)
	} else if err != nil {
		return fmt.Errorf("%s: not an age file: %w", inputName(in), err)
	}
	round, err := tlockRound(stanzas, c)
	if err != nil {
		return fmt.Errorf("%s: %w", inputName(in), err)
	}
	b, err := bf.beacon(c, round)
	if err != nil {
		return err
	}
	r, err := timelock.Open(e.ctx, whole, b)
	if err != nil {
		if errors.Is(err, timelock.ErrTooEarly) {
			return &tooEarlyError{what: "file", round: round, at: c.TimeOf(round)}
		}
		return fmt.Errorf("failed to decrypt: %w", err)
	}
	o, err := newOutput(e, out, false)
	if err != nil {
		return err
	}
	defer o.abort()
	if _, err := io.Copy(o, r); err != nil {
		return fmt.Errorf("failed to decrypt: %w", err)
	}
	return o.commit()
}

// ageIntro is the first line of every age file.
const ageIntro = "age-encryption.org/v1\n"

// headReader counts what is read through it and keeps the first bytes, to
// tell a file cut inside its header from one that is not an age file.
type headReader struct {
	r     io.Reader
	n     int64
	start []byte
}

func (h *headReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	if k := min(n, len(ageIntro)-len(h.start)); k > 0 {
		h.start = append(h.start, p[:k]...)
	}
	h.n += int64(n)
	return n, err
}

// truncated reports whether err, from reading the header, means the file
// began as an age file and ended before its header did.
func (h *headReader) truncated(err error) bool {
	return (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)) && string(h.start) == ageIntro
}
