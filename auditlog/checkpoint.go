package auditlog

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/segel-lpse/segel/internal/canon"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Size caps of checkpoints (doc/spec/auditlog.md §3).
const (
	// MaxCheckpointSize is the largest signed checkpoint accepted, in bytes.
	MaxCheckpointSize = 16 << 10
	maxOriginLen      = 255
	maxExtensions     = 16
	maxExtensionLen   = 1024
)

// A Checkpoint is the signed head of a log: a C2SP tlog-checkpoint
// (https://c2sp.org/tlog-checkpoint).
type Checkpoint struct {
	Origin     string    // identity of the log; equals its key name
	Size       int64     // number of entries
	Hash       tlog.Hash // RFC 6962 root hash of the first Size entries
	Extensions []string  // opaque extension lines; Segel logs write none
}

// VerifyCheckpoint verifies a signed checkpoint against the pinned log key and
// returns it. The checkpoint's origin must equal logKey.Name(). Signatures by
// other keys (such as witness cosignatures) are ignored. Errors wrap
// ErrMalformed or ErrSignature.
func VerifyCheckpoint(signed []byte, logKey note.Verifier) (Checkpoint, error) {
	text, err := canon.OpenNote(signed, MaxCheckpointSize, logKey, ErrSignature, ErrMalformed)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("checkpoint: %w", err)
	}
	c, err := parseCheckpoint([]byte(text))
	if err != nil {
		return Checkpoint{}, err
	}
	if c.Origin != logKey.Name() {
		return Checkpoint{}, fmt.Errorf("%w: checkpoint origin %q is not the log key name %q", ErrSignature, c.Origin, logKey.Name())
	}
	return c, nil
}

// parseCheckpoint parses the note text of a checkpoint, strictly.
func parseCheckpoint(text []byte) (Checkpoint, error) {
	fail := func(format string, args ...any) (Checkpoint, error) {
		return Checkpoint{}, fmt.Errorf("%w: checkpoint: %s", ErrMalformed, fmt.Sprintf(format, args...))
	}
	if len(text) > MaxCheckpointSize {
		return fail("%d bytes, more than %d", len(text), MaxCheckpointSize)
	}
	if !utf8.Valid(text) {
		return fail("not UTF-8")
	}
	s := string(text)
	if !strings.HasSuffix(s, "\n") {
		return fail("no final newline")
	}
	lines := strings.Split(s[:len(s)-1], "\n")
	if len(lines) < 3 {
		return fail("%d lines, want at least 3", len(lines))
	}
	var c Checkpoint
	if err := checkOrigin(lines[0]); err != nil {
		return fail("%v", err)
	}
	c.Origin = lines[0]
	size, err := canon.ParseUint(lines[1])
	if err != nil {
		return fail("tree size: %v", err)
	}
	c.Size = size
	if c.Hash, err = parseHash(lines[2]); err != nil {
		return fail("root hash: %v", err)
	}
	if ext := lines[3:]; len(ext) > 0 {
		if len(ext) > maxExtensions {
			return fail("%d extension lines, more than %d", len(ext), maxExtensions)
		}
		for _, e := range ext {
			if e == "" || len(e) > maxExtensionLen || strings.ContainsFunc(e, isControl) {
				return fail("extension line must be 1 to %d bytes without control characters", maxExtensionLen)
			}
		}
		c.Extensions = ext
	}
	return c, nil
}

// marshal returns the note text of c.
func (c Checkpoint) marshal() ([]byte, error) {
	var b strings.Builder
	b.WriteString(c.Origin + "\n")
	b.WriteString(strconv.FormatInt(c.Size, 10) + "\n")
	b.WriteString(base64.StdEncoding.EncodeToString(c.Hash[:]) + "\n")
	for _, e := range c.Extensions {
		b.WriteString(e + "\n")
	}
	text := []byte(b.String())
	// Check c by parsing what we wrote: one definition of valid.
	if _, err := parseCheckpoint(text); err != nil {
		return nil, err
	}
	return text, nil
}

// checkOrigin checks the Segel profile of origins: 1 to 255 bytes of
// printable ASCII other than '+', so that the origin is a valid key name.
func checkOrigin(origin string) error {
	if len(origin) == 0 || len(origin) > maxOriginLen {
		return fmt.Errorf("origin must be 1 to %d bytes", maxOriginLen)
	}
	for i := 0; i < len(origin); i++ {
		if c := origin[i]; c <= ' ' || c > '~' || c == '+' {
			return fmt.Errorf("origin contains %q", c)
		}
	}
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || 0x80 <= r && r < 0xa0 }

// parseHash parses the canonical base64 encoding of a hash.
func parseHash(s string) (tlog.Hash, error) {
	var h tlog.Hash
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || len(b) != len(h) || base64.StdEncoding.EncodeToString(b) != s {
		return h, fmt.Errorf("%.60q is not a canonical base64 hash", s)
	}
	copy(h[:], b)
	return h, nil
}
