package main

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/client"
	"golang.org/x/mod/sumdb/note"
)

const verifyUsage = `Usage:
    segel verify [--trusted KEYS] FILE|DIR

verify checks, offline, against pinned public keys:
    - a signed receipt (segel-receipt/v1, or v2 for a file part);
    - an offer proof file (segel-proof/v1: receipt, log entry, inclusion
      proof and signed checkpoint);
    - an audit bundle directory (doc/spec/audit-bundle.md): checkpoints and
      their consistency, every entry's inclusion, receipts, the beacon
      signature, witness and opening reports, and the tender replayed from
      its log entries;
    - a portal builds document (the JSON of lpsed's /v1/portal/builds):
      the builds of the web portal's browser code the LPSE logged when it
      started serving them, each entry's inclusion in a signed checkpoint
      (compare the digests with go run ./portal/internal/genstatic -digest).
It prints what it verified on standard output and exits 0 only if
everything verifies.

KEYS is the LPSE's keys file, exactly what lpsed serves at /v1/keys
(curl -o keys.txt https://LPSE/v1/keys), obtained by other means than the
bundle and compared with the keys the LPSE publishes:

    segel-keys/v1
    log: lpse.example.go.id/log+1a2b3c4d+Ab…
    receipt: lpse.example.go.id/receipt+5e6f7a8b+Cd…
    report: lpse.example.go.id/report+9a0b1c2d+Ef…
    chain: 52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971

For receipts and proof files KEYS may instead list verifier keys, one per
line ("#" comments allowed); the log key is the one named after the log's
origin. KEYS is required for receipts and proof files. A bundle verified
without it is only shown consistent with its own keys.txt: verify says so
on standard output ("pinned: none") and standard error.

Options:
    --trusted KEYS   the pinned public keys

Exit status: 0 verified, 1 not verified or failure, 2 usage error.
`

// maxTrustedKeysSize caps a trusted keys file.
const maxTrustedKeysSize = 64 << 10

const (
	receiptHeader   = "segel-receipt/v1\n"
	receiptHeaderV2 = "segel-receipt/v2\n" // a file part's receipt (doc/spec/receipt.md)
	proofHeader     = "segel-proof/v1\n"
	keysHeader      = "segel-keys/v1\n"
)

func runVerify(e *env, args []string) error {
	fs := newFlagSet("verify")
	var trusted string
	fs.StringVar(&trusted, "trusted", "", "")
	pos, err := parse(e, fs, verifyUsage, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErrorf(verifyUsage, "verify takes one FILE or DIR")
	}
	name := pos[0]
	st, err := os.Stat(name)
	if err != nil {
		return err
	}
	if st.IsDir() {
		return verifyBundle(e, name, trusted)
	}
	if trusted == "" {
		return usageErrorf(verifyUsage, "missing --trusted KEYS: a receipt or proof file verifies only against pinned keys")
	}
	keys, err := loadTrustedKeys(trusted)
	if err != nil {
		return err
	}
	b, err := readSmallFile(name, client.MaxPortalBuildsSize)
	if err != nil {
		return err
	}
	if bytes.HasPrefix(bytes.TrimLeft(b, " \t\r\n"), []byte("{")) {
		return verifyPortalBuilds(e, name, b, keys)
	}
	if len(b) > auditlog.MaxProofFileSize {
		return fmt.Errorf("%s: %d bytes, more than a receipt or proof file may have (%d)", name, len(b), auditlog.MaxProofFileSize)
	}
	switch {
	case hasHeader(b, receiptHeader), hasHeader(b, receiptHeaderV2):
		if err := damagedNote(b, "receipt"); err != nil {
			return fmt.Errorf("%s: receipt does not verify: %w", name, err)
		}
		r, err := verifyReceipt(b, keys)
		if err != nil {
			return fmt.Errorf("%s: receipt does not verify: %w", name, err)
		}
		fmt.Fprintf(e.stdout, "file: receipt\n")
		printReceipt(e.stdout, r)
		fmt.Fprintf(e.stdout, "verified: receipt signature\n")
		return nil
	case hasHeader(b, proofHeader):
		if err := damagedNote(b, "proof"); err != nil {
			return fmt.Errorf("%s: proof file does not verify: %w", name, err)
		}
		r, c, err := verifyProofFile(b, keys)
		if err != nil {
			return fmt.Errorf("%s: proof file does not verify: %w", name, err)
		}
		fmt.Fprintf(e.stdout, "file: proof file\n")
		printReceipt(e.stdout, r)
		fmt.Fprintf(e.stdout, "checkpoint: %s size %d root %s\n", c.Origin, c.Size, c.Hash)
		fmt.Fprintf(e.stdout, "verified: receipt signature, checkpoint signature, inclusion of the entry in the log\n")
		return nil
	}
	return fmt.Errorf("%s: not a receipt (%q), a proof file (%q) nor a portal builds document (JSON)", name, receiptHeader[:len(receiptHeader)-1], proofHeader[:len(proofHeader)-1])
}

// verifyPortalBuilds verifies a portal builds document against the
// trusted log key and prints the builds the log records.
func verifyPortalBuilds(e *env, name string, b []byte, keys *trustedKeys) error {
	candidates := keys.list
	if keys.roles != nil {
		candidates = []note.Verifier{keys.roles.Log}
	}
	var errs []error
	for _, k := range candidates {
		pb, c, err := client.VerifyPortalBuilds(b, k)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintf(e.stdout, "file: portal builds\n")
		fmt.Fprintf(e.stdout, "serving: %s\n", pb.Serving)
		for _, build := range pb.Builds {
			fmt.Fprintf(e.stdout, "build: %s index %d since %s\n", build.Digest, build.Index, build.Time.UTC().Format(time.RFC3339Nano))
		}
		fmt.Fprintf(e.stdout, "checkpoint: %s size %d root %s\n", c.Origin, c.Size, c.Hash)
		fmt.Fprintf(e.stdout, "verified: checkpoint signature, inclusion of %d portal-build entries in the log\n", len(pb.Builds))
		return nil
	}
	return fmt.Errorf("%s: portal builds do not verify: %w", name, errors.Join(errs...))
}

// damagedNote recognises the ways a signed note is commonly damaged in
// transit, which make it fail with a message that does not say why: an
// empty line after the signatures (a JSON string printed with jq -r, an
// editor's final newline) and CRLF line ends. The signed bytes are what
// is signed, so segel never repairs them: it says how to get them whole.
// A note's last line is a signature line: it never ends with an empty one.
func damagedNote(b []byte, kind string) error {
	switch {
	case bytes.HasSuffix(b, []byte("\n\n")):
		return fmt.Errorf("the file has an extra newline after the note — was it extracted with jq -r? "+
			"the bytes are what is signed: fetch it byte-exact with segel %s", kind)
	case bytes.Contains(b, []byte("\r\n")):
		return fmt.Errorf("the file has CRLF line ends (was it saved on Windows, or copied through an editor?): "+
			"the bytes are what is signed: fetch it byte-exact with segel %s", kind)
	}
	return nil
}

// hasHeader reports whether b starts with the first line header, also
// with a CR before its LF, which damagedNote explains.
func hasHeader(b []byte, header string) bool {
	line := strings.TrimSuffix(header, "\n")
	return bytes.HasPrefix(b, []byte(header)) || bytes.HasPrefix(b, []byte(line+"\r\n"))
}

func printReceipt(w io.Writer, r auditlog.Receipt) {
	fmt.Fprintf(w, "origin: %s\nindex: %d\ntender: %s\nbidder: %s\nsha256: %s\nsize: %d\nreceived: %s\n",
		r.Origin, r.Index, r.Tender, r.Bidder, hex.EncodeToString(r.SHA256[:]), r.Size, r.Received.UTC().Format(time.RFC3339Nano))
	if r.File != 0 {
		fmt.Fprintf(w, "file part: %d\nheader sha256: %s\n", r.File, hex.EncodeToString(r.Header[:]))
	}
}

// trustedKeys are the pinned keys of --trusted: the roles of a segel-keys/v1
// file, or a plain list of verifier keys whose roles are found by trying.
type trustedKeys struct {
	roles *audit.Trusted  // nil for a plain list
	list  []note.Verifier // every key
}

// loadTrustedKeys reads a keys file (segel-keys/v1) or a list of note
// verifier keys, one per line.
func loadTrustedKeys(name string) (*trustedKeys, error) {
	b, err := readSmallFile(name, maxTrustedKeysSize)
	if err != nil {
		return nil, fmt.Errorf("failed to read trusted keys: %w", err)
	}
	if bytes.HasPrefix(b, []byte(keysHeader)) {
		t, err := audit.ParseTrusted(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return &trustedKeys{roles: t, list: []note.Verifier{t.Log, t.Receipt, t.Report}}, nil
	}
	k := &trustedKeys{}
	for i, l := range contentLines(b) {
		v, err := auditlog.NewVerifier(l)
		if err != nil {
			return nil, fmt.Errorf("%s: key %d: %w", name, i+1, err)
		}
		k.list = append(k.list, v)
	}
	if len(k.list) == 0 {
		return nil, fmt.Errorf("%s: no keys", name)
	}
	return k, nil
}

// verifyReceipt verifies a receipt against whichever trusted key signed it.
func verifyReceipt(b []byte, keys *trustedKeys) (auditlog.Receipt, error) {
	if keys.roles != nil {
		return auditlog.VerifyReceipt(b, keys.roles.Receipt)
	}
	var errs []error
	for _, k := range keys.list {
		r, err := auditlog.VerifyReceipt(b, k)
		if err == nil {
			return r, nil
		}
		errs = append(errs, err)
	}
	return auditlog.Receipt{}, mostTelling(errs)
}

// verifyProofFile tries the trusted keys as log key and receipt key. A log
// key must be named after the checkpoint's origin, which VerifyProofFile
// checks, so a wrong pairing fails on a signature and no other way.
func verifyProofFile(b []byte, keys *trustedKeys) (auditlog.Receipt, auditlog.Checkpoint, error) {
	if keys.roles != nil {
		return auditlog.VerifyProofFile(b, auditlog.Keys{Log: keys.roles.Log, Receipt: keys.roles.Receipt})
	}
	var errs []error
	for _, lk := range keys.list {
		for _, rk := range keys.list {
			if lk == rk {
				continue
			}
			r, c, err := auditlog.VerifyProofFile(b, auditlog.Keys{Log: lk, Receipt: rk})
			if err == nil {
				return r, c, nil
			}
			errs = append(errs, err)
		}
	}
	if len(errs) == 0 {
		return auditlog.Receipt{}, auditlog.Checkpoint{}, errors.New("need two trusted keys: the log key and the receipt key")
	}
	return auditlog.Receipt{}, auditlog.Checkpoint{}, mostTelling(errs)
}

// mostTelling picks, among the failures of every key tried, the one that
// says the most: a malformed file or a bad proof over a missing signature.
func mostTelling(errs []error) error {
	for _, target := range []error{auditlog.ErrMalformed, auditlog.ErrInvalidProof} {
		for _, err := range errs {
			if errors.Is(err, target) {
				return err
			}
		}
	}
	// A key that signed, but not this text, says more than the keys that
	// did not sign at all. auditlog tells them apart only in its messages.
	for _, err := range errs {
		if strings.Contains(err.Error(), "invalid signature") {
			return err
		}
	}
	if len(errs) == 1 {
		return errs[0]
	}
	return fmt.Errorf("not signed by any trusted key: %w", errs[0])
}

// verifyBundle verifies an audit bundle directory with package audit.
func verifyBundle(e *env, dir, trusted string) error {
	var pinned audit.Trusted // the zero value pins nothing
	if trusted != "" {
		keys, err := loadTrustedKeys(trusted)
		if err != nil {
			return err
		}
		if keys.roles == nil {
			return fmt.Errorf("%s: an audit bundle needs a %q keys file, which names each key's role", trusted, strings.TrimSpace(keysHeader))
		}
		pinned = *keys.roles
	}
	b, err := audit.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("%s: not a readable audit bundle: %w", dir, err)
	}
	res, err := audit.Verify(b, pinned)
	if err != nil {
		return fmt.Errorf("%s: audit bundle does not verify: %w", dir, err)
	}
	fmt.Fprintf(e.stdout, "file: audit bundle\n")
	fmt.Fprintf(e.stdout, "tender: %s\n", res.Tender)
	fmt.Fprintf(e.stdout, "round: %d\n", res.Round)
	if res.Method == "" {
		fmt.Fprintf(e.stdout, "offers: %d (opened %d, failed %d; %d superseded before closing)\n", res.Offers, res.Opened, res.Failed, res.Superseded)
	} else {
		fmt.Fprintf(e.stdout, "offers: %d bidders (files of every part: opened %d, failed %d; %d superseded before closing)\n", res.Offers, res.Opened, res.Failed, res.Superseded)
		fmt.Fprintf(e.stdout, "method: %s, members' keys; withheld: %d (File II of bidders who failed File I, never opened)\n", res.Method, res.Withheld)
	}
	fmt.Fprintf(e.stdout, "log: %d entries of the tender, %d consistent checkpoints, tree size %d\n", res.Entries, res.Checkpoints, res.TreeSize)
	fmt.Fprintf(e.stdout, "receipts: %d\n", res.Receipts)
	fmt.Fprintf(e.stdout, "sealed files: %d\n", res.Sealed)
	if len(res.Unpinned) == 0 {
		fmt.Fprintf(e.stdout, "pinned: log, receipt, report, chain\n")
	} else {
		fmt.Fprintf(e.stdout, "pinned: none of %s\n", strings.Join(res.Unpinned, ", "))
		fmt.Fprintf(e.stderr, "segel: warning: keys not pinned (%s) were taken from the bundle's keys.txt: the bundle is consistent with itself, but nothing shows it comes from the LPSE; use --trusted KEYS\n", strings.Join(res.Unpinned, ", "))
	}
	fmt.Fprintf(e.stdout, "verified: checkpoints, consistency, inclusion of every entry, receipts, beacon signature, reports, replay of the tender\n")
	return nil
}
