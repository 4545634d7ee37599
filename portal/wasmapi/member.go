package wasmapi

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/member"
	"github.com/segel-lpse/segel/sealer"
	"golang.org/x/mod/sumdb/tlog"
)

// A pokja member's side of the opening protocol (doc/spec/opening.md) in
// the browser: the member's opening key is a file the member chooses, read
// by the page into WebAssembly memory; these functions use it there and
// return only what may be sent — a key challenge's answer, a batch of
// contributions — never the key.

// Size caps of a member's inputs.
const (
	// MaxKeyFileSize caps a key file: one AGE-SECRET-KEY-PQ-1 line of
	// under 100 bytes, and comments.
	MaxKeyFileSize = 64 << 10
	// MaxEvidenceSize caps the evidence of a part's opening: every entry
	// of a tender (a few hundred bytes each) with its inclusion proof
	// (about 30 hashes), and the part's headers (about 2 KB each).
	MaxEvidenceSize = 64 << 20
)

const hybridIdentityPrefix = "AGE-SECRET-KEY-PQ-1"

// KeyFile is a member's new opening key: the file to keep, and what may
// be shown and registered.
type KeyFile struct {
	File      string `json:"file"`      // the key file's text: comments and the secret key line
	Recipient string `json:"recipient"` // age1pq1…: what is registered
	KeyID     string `json:"key_id"`
}

// GenerateKey generates a member's opening key (age's ML-KEM-768 +
// X25519), in the form segel keygen writes: the page offers the file as
// a download and registers the recipient.
func GenerateKey(now time.Time) (*KeyFile, error) {
	id, err := age.GenerateHybridIdentity()
	if err != nil {
		return nil, err
	}
	r := id.Recipient()
	text := fmt.Sprintf("# created: %s\n# public key: %s\n# key id: %s\n%s\n", now.UTC().Format(time.RFC3339), r, sealer.KeyID(r), id)
	return &KeyFile{File: text, Recipient: r.String(), KeyID: sealer.KeyID(r)}, nil
}

// ParseKeyFile parses a member's key file (segel keygen's, age-keygen
// -pq's, or GenerateKey's): comment lines and exactly one
// AGE-SECRET-KEY-PQ-1 line.
func ParseKeyFile(b []byte) (*age.HybridIdentity, error) {
	if len(b) > MaxKeyFileSize {
		return nil, fmt.Errorf("%w: key file: %d bytes, more than %d: not a key file", ErrInput, len(b), MaxKeyFileSize)
	}
	var lines []string
	for l := range strings.SplitSeq(string(b), "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 || !strings.HasPrefix(lines[0], hybridIdentityPrefix) {
		return nil, fmt.Errorf("%w: key file: want one %s… line (a member's opening key, as segel keygen writes it), found %d key lines", ErrInput, hybridIdentityPrefix, len(lines))
	}
	id, err := age.ParseHybridIdentity(lines[0])
	if err != nil {
		return nil, fmt.Errorf("%w: key file: %v", ErrInput, err)
	}
	return id, nil
}

// KeyAnswer is a key challenge answered: the body of POST
// /v1/committee-keys.
type KeyAnswer struct {
	Answer    string `json:"answer"`    // 32 lowercase hex digits
	Recipient string `json:"recipient"` // the key file's recipient
	KeyID     string `json:"key_id"`
}

// AnswerChallenge answers the registry's key challenge (the armored age
// file of api.KeyChallenge) with the member's key file, refusing a
// challenge for another recipient than the key's.
func AnswerChallenge(challenge []byte, recipient string, keyFile []byte) (*KeyAnswer, error) {
	id, err := ParseKeyFile(keyFile)
	if err != nil {
		return nil, err
	}
	r := id.Recipient()
	if recipient != "" && recipient != r.String() {
		return nil, fmt.Errorf("%w: the challenge is for key %s, the key file chosen is %s: choose the key file of the key being registered",
			ErrInput, keyIDOf(recipient), sealer.KeyID(r))
	}
	secret, err := member.AnswerKeyChallenge(challenge, id)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInput, err)
	}
	return &KeyAnswer{Answer: hex.EncodeToString(secret), Recipient: r.String(), KeyID: sealer.KeyID(r)}, nil
}

func keyIDOf(recipient string) string {
	r, err := age.ParseHybridRecipient(recipient)
	if err != nil {
		return "(not a key)"
	}
	return sealer.KeyID(r)
}

// Contribution is a member's turn computed in the browser: the batch to
// send and what to check the server's answer against. It holds nothing
// of the key.
type Contribution struct {
	Tender      string `json:"tender"`
	File        int    `json:"file"`
	Member      int    `json:"member"` // the member's index on the committee
	Threshold   int    `json:"threshold"`
	Members     int    `json:"members"`
	Files       int    `json:"files"`       // answers in the batch
	Contributed int    `json:"contributed"` // of them, contributions
	Claimed     int    `json:"claimed"`     // of them, claims (the member's wrap or share did not open)
	Batch       string `json:"batch"`       // segel-contributions/v1: the body to POST
	List        string `json:"list"`        // SHA-256 of the list the server must log, hex
	Checkpoint  string `json:"checkpoint"`  // the verified checkpoint: pass it as previous next time
	Size        int64  `json:"size"`        // its tree size
}

// Contribute is a member's turn for file part file of tender id, in the
// browser (doc/spec/opening.md §5.2), as client.Contribute does it: it
// checks the evidence (api.Evidence's JSON) against the pinned keys' log
// key and the pinned chain — and, if previous is not empty, that its
// checkpoint extends previous — with member.Verify; checks every header
// against the log and computes the answers with the key file's key
// (member.Tender.Answers, which refuses a failed bidder's File II); and
// returns the batch to send. The key is used here and is in nothing
// returned.
func Contribute(evidence, keys, pinnedChain []byte, id string, file int, keyFile, previous []byte) (*Contribution, error) {
	key, err := ParseKeyFile(keyFile)
	if err != nil {
		return nil, err
	}
	trusted, err := parseKeys(keys)
	if err != nil {
		return nil, err
	}
	chain, err := parseChain(pinnedChain)
	if err != nil {
		return nil, fmt.Errorf("%w: pinned chain: %v", ErrInput, err)
	}
	if chain.HashHex() != trusted.Chain {
		return nil, fmt.Errorf("%w: the pinned chain is %s, the pinned keys name %s", ErrInput, chain.HashHex(), trusted.Chain)
	}
	if len(evidence) > MaxEvidenceSize {
		return nil, fmt.Errorf("%w: evidence: %d bytes, more than %d", ErrInput, len(evidence), MaxEvidenceSize)
	}
	var ev api.Evidence
	d := json.NewDecoder(bytes.NewReader(evidence))
	if err := d.Decode(&ev); err != nil {
		return nil, fmt.Errorf("%w: evidence: %v", ErrInput, err)
	}
	if ev.Tender != id || ev.File != file {
		return nil, fmt.Errorf("%w: asked for file %d of tender %s, the server answered file %d of %s", member.ErrRefused, file, id, ev.File, ev.Tender)
	}
	mev := member.Evidence{Checkpoint: []byte(ev.Checkpoint)}
	if len(previous) > 0 {
		mev.Previous = previous
		mev.Consistency = hashes(ev.Consistency)
	}
	for _, le := range ev.Entries {
		mev.Entries = append(mev.Entries, audit.LogEntry{Index: le.Index, Data: []byte(le.Data), Inclusion: hashes(le.Inclusion)})
	}
	t, err := member.Verify(mev, id, trusted.Log, chain)
	if err != nil {
		return nil, err
	}
	headers := make([]member.Header, len(ev.Headers))
	for i, h := range ev.Headers {
		headers[i] = member.Header{Bidder: h.Bidder, File: h.File, Index: h.Index, Header: []byte(h.Header)}
	}
	answers, err := t.Answers(file, headers, key)
	if err != nil {
		return nil, err
	}
	if len(answers) == 0 {
		return nil, fmt.Errorf("%w: the server shows no file of part %d of tender %s to contribute to", member.ErrRefused, file, id)
	}
	me := t.Committee.Index(key.Recipient())
	b := &member.Batch{Tender: id, File: file, Member: me, Answers: answers}
	text, err := b.Marshal()
	if err != nil {
		return nil, err
	}
	out := &Contribution{Tender: id, File: file, Member: me, Threshold: t.Committee.Threshold(), Members: len(t.Committee.Members()),
		Files: len(answers), Batch: string(text), Checkpoint: ev.Checkpoint, Size: t.Size}
	for _, a := range answers {
		if a.Contribution != nil {
			out.Contributed++
		} else {
			out.Claimed++
		}
	}
	list := member.ListDigest(answers)
	out.List = hex.EncodeToString(list[:])
	return out, nil
}

func hashes(ds []api.Digest) []tlog.Hash {
	out := make([]tlog.Hash, len(ds))
	for i, d := range ds {
		out[i] = tlog.Hash(d)
	}
	return out
}
