package audit

import (
	"fmt"
	"strings"

	"github.com/segel-lpse/segel/internal/canon"

	"golang.org/x/mod/sumdb/note"

	"github.com/segel-lpse/segel/auditlog"
)

// keysHeader is the first line of a keys file (doc/spec/audit-bundle.md §2).
const keysHeader = "segel-keys/v1\n"

// MaxKeysSize is the largest keys file accepted, in bytes.
const MaxKeysSize = 4 << 10

// Trusted are the public keys an audit bundle is verified against: the
// bundle's keys.txt, or an auditor's --trusted file obtained from the LPSE by
// other means. A nil key or an empty Chain pins nothing: Verify then takes
// that key from the bundle and says so in Result.Unpinned.
type Trusted struct {
	Log     note.Verifier // the audit log's key, named after its origin
	Receipt note.Verifier // the LPSE's receipt key
	Report  note.Verifier // the key that signs witness and opening reports
	Chain   string        // the beacon chain hash, 64 lowercase hex digits

	// keys holds the canonical key strings, for Marshal and comparison.
	keys [3]string
}

// NewTrusted returns the Trusted keys for three canonical verifier key strings
// (as auditlog.GenerateKey returns them) and a chain hash.
func NewTrusted(logKey, receiptKey, reportKey, chainHash string) (*Trusted, error) {
	var t Trusted
	vkeys := [3]string{logKey, receiptKey, reportKey}
	for i, dst := range []*note.Verifier{&t.Log, &t.Receipt, &t.Report} {
		v, err := auditlog.NewVerifier(vkeys[i])
		if err != nil {
			return nil, fmt.Errorf("%w: keys: %s key: %v", ErrMalformed, keyNames[i], err)
		}
		*dst = v
	}
	t.keys = vkeys
	if t.Log.Name() == t.Receipt.Name() || t.Log.Name() == t.Report.Name() || t.Receipt.Name() == t.Report.Name() {
		return nil, fmt.Errorf("%w: keys: log, receipt and report keys must have distinct names", ErrMalformed)
	}
	if err := canon.KindSHA256.Check(chainHash); err != nil {
		return nil, fmt.Errorf("%w: keys: chain: %v", ErrMalformed, err)
	}
	t.Chain = chainHash
	return &t, nil
}

var keyNames = [3]string{"log", "receipt", "report"}

// ParseTrusted parses a keys file (doc/spec/audit-bundle.md §2): the format
// of a bundle's keys.txt and of the file given to segel verify --trusted.
// All four keys are required. Errors wrap ErrMalformed.
func ParseTrusted(text []byte) (*Trusted, error) {
	if len(text) > MaxKeysSize {
		return nil, fmt.Errorf("%w: keys: %d bytes, more than %d", ErrMalformed, len(text), MaxKeysSize)
	}
	rest, ok := strings.CutPrefix(string(text), keysHeader)
	if !ok {
		return nil, fmt.Errorf("%w: keys: first line is not %q", ErrMalformed, strings.TrimSpace(keysHeader))
	}
	l := canon.Lines{Text: rest}
	var vals [4]string
	for i, k := range []string{"log", "receipt", "report", "chain"} {
		v, err := l.Next(k)
		if err != nil {
			return nil, fmt.Errorf("%w: keys: %v", ErrMalformed, err)
		}
		vals[i] = v
	}
	if err := l.End(); err != nil {
		return nil, fmt.Errorf("%w: keys: %v", ErrMalformed, err)
	}
	return NewTrusted(vals[0], vals[1], vals[2], vals[3])
}

// Marshal returns the keys file of t. All four keys must be set, through
// NewTrusted or ParseTrusted.
func (t *Trusted) Marshal() ([]byte, error) {
	if t.keys[0] == "" || t.Log == nil || t.Receipt == nil || t.Report == nil || t.Chain == "" {
		return nil, fmt.Errorf("%w: keys: Marshal needs all four keys, from NewTrusted or ParseTrusted", ErrMalformed)
	}
	return fmt.Appendf(nil, "%slog: %s\nreceipt: %s\nreport: %s\nchain: %s\n",
		keysHeader, t.keys[0], t.keys[1], t.keys[2], t.Chain), nil
}
