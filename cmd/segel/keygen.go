package main

import (
	"fmt"
	"io"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/sealer"
)

const keygenUsage = `Usage:
    segel keygen [-o OUTPUT]
    segel keygen -y [INPUT]

keygen generates a committee key: a post-quantum hybrid age key (ML-KEM-768 +
X25519). The key file holds comment lines and the secret key:

    # created: 2026-01-02T03:04:05Z
    # public key: age1pq1…
    # key id: 0123456789abcdef
    AGE-SECRET-KEY-PQ-1…

The public key is what bidders seal offers to (segel seal --committee); the
key id names it in tenders and sealed offers. With -o, the file is created
with mode 0600, never overwritten, and the public key is also printed on
standard error.

Options:
    -o, --output OUTPUT   write the key file to OUTPUT
    -y                    print the public key (recipient) of the key file
                          INPUT (default standard input) instead

Exit status: 0 success, 1 failure, 2 usage error.
`

func runKeygen(e *env, args []string) error {
	fs := newFlagSet("keygen")
	var out string
	var convert bool
	fs.StringVar(&out, "o", "", "")
	fs.StringVar(&out, "output", "", "")
	fs.BoolVar(&convert, "y", false, "")
	pos, err := parse(e, fs, keygenUsage, args)
	if err != nil {
		return err
	}
	in, err := atMostOne(keygenUsage, pos)
	if err != nil {
		return err
	}
	if convert {
		return keygenConvert(e, in, out)
	}
	if in != "" {
		return usageErrorf(keygenUsage, "keygen takes no input file (did you mean -y?)")
	}
	return keygen(e, out)
}

func keygen(e *env, outName string) error {
	o, err := newKeyOutput(e, outName)
	if err != nil {
		return err
	}
	defer o.abort()
	id, err := age.GenerateHybridIdentity()
	if err != nil {
		return fmt.Errorf("failed to generate key: %w", err)
	}
	r := id.Recipient()
	if outName != "" && outName != "-" || !isTerminal(e.stdout) {
		fmt.Fprintf(e.stderr, "Public key: %s\n", r)
	}
	if _, err := fmt.Fprintf(o, "# created: %s\n# public key: %s\n# key id: %s\n%s\n",
		time.Now().UTC().Format(time.RFC3339), r, sealer.KeyID(r), id); err != nil {
		return fmt.Errorf("failed to write key: %w", err)
	}
	return o.commit()
}

func keygenConvert(e *env, inName, outName string) error {
	in, closeIn, err := openInput(e, inName)
	if err != nil {
		return err
	}
	defer closeIn()
	b, err := io.ReadAll(io.LimitReader(in, maxKeyFileSize+1))
	if err != nil {
		return fmt.Errorf("failed to read key file: %w", err)
	}
	if len(b) > maxKeyFileSize {
		return fmt.Errorf("key file larger than %d bytes", maxKeyFileSize)
	}
	name := inName
	if name == "" || name == "-" {
		name = "standard input"
	}
	id, err := parseCommitteeIdentity(name, b)
	if err != nil {
		return err
	}
	o, err := newOutput(e, outName, false)
	if err != nil {
		return err
	}
	defer o.abort()
	if _, err := fmt.Fprintln(o, id.Recipient()); err != nil {
		return fmt.Errorf("failed to write public key: %w", err)
	}
	return o.commit()
}
