package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/client"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/timelock"
)

const submitUsage = `Usage:
    segel submit --lpse URL --tender ID --trusted KEYS [--chain CHAIN] [-o PREFIX]
                 [--part N] [--token-file FILE] (DOCUMENT | --sealed FILE)

submit takes an offer document to a verified receipt. It fetches the tender
from the LPSE and checks its time-lock against the pinned chain (as
"segel seal --lpse" does), seals DOCUMENT to it, uploads the sealed file in
chunks, and writes the LPSE's receipt and the offer's proof file, both
verified against the pinned keys KEYS before it reports success:

    PREFIX.age       the sealed offer (keep it: the receipt binds its SHA-256)
    PREFIX.receipt   the signed receipt, byte for byte as signed
    PREFIX.proof     the proof file: the receipt, its log entry and its
                     inclusion in a signed checkpoint

PREFIX is the tender id unless -o gives one (ID.file1, ID.file2 with
--part). A tender announced with a committee of members' keys (a method,
doc/spec/opening.md) takes each file part on its own: --part 1 for File I
(or the only file), --part 2 for File II (the price) or stage 2; each is
sealed to its part's round and to the bidder, and gets its own receipt;
the committee and the round must be the ones the tender's log, verified
with the log key of KEYS (which must then be the keys file), names
(doc/spec/opening.md §2.2). With --sealed FILE, submit
uploads an offer sealed beforehand (segel seal), after checking its header
against the tender; no PREFIX.age is written.

A cut connection is retried, with a doubling wait, from where the server
says the upload stands. A run that is interrupted (killed, or the link
stays down) leaves PREFIX.upload, naming the upload and the sealed file:
run the same command again and it continues, neither resealing nor sending
again what the server holds. An offer the LPSE already holds (the answer
was lost) is not sent again: its receipt is fetched. submit never
overwrites the files of an earlier submission: to replace an offer before
the deadline, submit the new one with another -o PREFIX.

While uploading, a progress bar is drawn on standard error if it is a
terminal. The facts of the seal (round, opening, chain, committee key id,
size, SHA-256) and diagnostics go to standard error, nothing to standard
output.

The API token comes from --token-file FILE (one line) or $SEGEL_TOKEN, never
from the command line. lpsed gives one at POST /v1/login:

    curl -s -H 'Content-Type: application/json' -d @login.json \
        https://LPSE/v1/login | jq -r .token > token.txt

Options:
    --lpse URL           the LPSE's server, such as https://lpse.example.go.id
    --tender ID          the tender, as the LPSE names it
    --trusted KEYS       the LPSE's keys file (its /v1/keys, obtained out of
                         band and compared), as for segel verify
    --chain CHAIN        the pinned beacon chain; default quicknet
    -o, --output PREFIX  where the files go; default the tender id
    --sealed FILE        upload FILE, already sealed, instead of a DOCUMENT
    --token-file FILE    the API token
    --chunk-size SIZE    bytes per request, such as 512KiB, at most 16MiB;
                         default 4MiB (a cut loses at most one chunk)
    --retries N          failures in a row retried before giving up; default 8
    --part N             the file part, for a tender with a method: 1 or 2

Exit status:
    0  submitted: the receipt and proof file are written and verified
    1  failure: an unsafe tender, an offer or token the LPSE refused, a file
       in the way, a receipt or proof file that does not verify, …
    2  usage error
    4  interrupted: the LPSE could not be reached or the connection kept
       failing; run the same command again to continue
`

// againSubmit is what running submit again does.
const againSubmit = "run the same command again: it continues where this one stopped"

func runSubmit(e *env, args []string) error {
	fs := newFlagSet("submit")
	s := &submission{e: e}
	var chainArg, trusted, tokenFile, doc string
	chunk := sizeFlag{n: client.DefaultChunkSize}
	retries := client.DefaultRetries
	fs.StringVar(&s.lpse, "lpse", "", "")
	fs.StringVar(&s.tender, "tender", "", "")
	fs.StringVar(&trusted, "trusted", "", "")
	fs.StringVar(&chainArg, "chain", "quicknet", "")
	fs.StringVar(&s.prefix, "o", "", "")
	fs.StringVar(&s.prefix, "output", "", "")
	fs.StringVar(&s.given, "sealed", "", "")
	fs.StringVar(&tokenFile, "token-file", "", "")
	fs.Var(noTokenFlag{}, "token", "")
	fs.Var(&chunk, "chunk-size", "")
	fs.IntVar(&retries, "retries", retries, "")
	fs.IntVar(&s.part, "part", 0, "")
	pos, err := parse(e, fs, submitUsage, args)
	if err != nil {
		return err
	}
	if doc, err = atMostOne(submitUsage, pos); err != nil {
		return err
	}
	switch {
	case s.lpse == "" || s.tender == "":
		return usageErrorf(submitUsage, "missing --lpse URL or --tender ID")
	case trusted == "":
		return usageErrorf(submitUsage, "missing --trusted KEYS: the LPSE's keys file (its /v1/keys, obtained out of band); the receipt and proof file are verified against it")
	case doc == "" && s.given == "":
		return usageErrorf(submitUsage, "missing the offer: a DOCUMENT to seal, or --sealed FILE")
	case doc != "" && s.given != "":
		return usageErrorf(submitUsage, "give a DOCUMENT to seal or --sealed FILE, not both")
	case doc == "-":
		return usageErrorf(submitUsage, "the DOCUMENT must be a file, not standard input: submit reads it again to continue an interrupted upload")
	case chunk.n > client.MaxChunk:
		return usageErrorf(submitUsage, "--chunk-size %d: the LPSE takes at most %d bytes (16MiB) per chunk", chunk.n, client.MaxChunk)
	case retries < 0:
		return usageErrorf(submitUsage, "--retries %d: want 0 or more", retries)
	case s.part != 0 && s.part != 1 && s.part != 2:
		return usageErrorf(submitUsage, "--part %d: a file part is 1 (File I, or the only file) or 2 (File II, stage 2)", s.part)
	}
	if s.prefix == "" {
		if s.tender != filepath.Base(s.tender) || strings.HasPrefix(s.tender, ".") {
			return usageErrorf(submitUsage, "tender id %q cannot name files: give -o PREFIX", s.tender)
		}
		s.prefix = s.tender
		if s.part != 0 {
			s.prefix += ".file" + strconv.Itoa(s.part)
		}
	}
	s.doc = doc
	token, err := loadToken(e, submitUsage, tokenFile)
	if err != nil {
		return err
	}
	if s.keys, err = loadTrustedKeys(trusted); err != nil {
		return err
	}
	if s.chain, err = loadChain(submitUsage, chainArg); err != nil {
		return err
	}
	if s.keys.roles != nil && s.keys.roles.Chain != s.chain.HashHex() {
		return fmt.Errorf("%s pins beacon chain %s, but --chain pins %s: pin the chain this LPSE publishes (its /v1/chain, kept beforehand) with --chain FILE",
			trusted, s.keys.roles.Chain, chainDesc(s.chain))
	}
	if s.part != 0 && s.keys.roles == nil {
		return fmt.Errorf("%s is a plain list of keys: --part needs the LPSE's keys file (segel-keys/v1, its /v1/keys), whose log key the tender's committee is checked against", trusted)
	}
	s.upOpts = client.UploadOptions{ChunkSize: chunk.n, Retries: max(retries, 0), Backoff: backoff}
	if retries == 0 {
		s.upOpts.Retries = -1
	}
	s.retry = &retrier{ctx: e.ctx, retries: retries, backoff: backoff, say: s.say}
	return s.run(token)
}

// backoff is the first wait before a retry.
const backoff = time.Second

// submission is one run of segel submit.
type submission struct {
	e                    *env
	lpse, tender, prefix string
	part                 int    // --part: the file part; 0 for a version 1 tender
	doc, given           string // DOCUMENT, or --sealed FILE
	docHex               string // SHA-256 of DOCUMENT, hex
	keys                 *trustedKeys
	chain                timelock.Chain
	upOpts               client.UploadOptions
	retry                *retrier
	cl                   *client.Client
	bar                  *progressBar

	state  *uploadState
	sealed string // the sealed file
	sha    [32]byte
	size   int64
}

func (s *submission) say(format string, args ...any) {
	msg := "segel: " + fmt.Sprintf(format, args...)
	if s.bar != nil {
		s.bar.note(msg)
		return
	}
	fmt.Fprintln(s.e.stderr, msg)
}

func (s *submission) path(ext string) string { return s.prefix + ext }

func (s *submission) run(token string) error {
	ctx := s.e.ctx
	var err error
	if s.state, err = readState(s.path(".upload")); err != nil {
		return err
	}
	if st := s.state; st != nil && (st.LPSE != s.lpse || st.Tender != s.tender) {
		return fmt.Errorf("%s is an unfinished submission to tender %s at %s: finish it with those, or remove it (or choose another -o) to submit to %s",
			s.path(".upload"), st.Tender, st.LPSE, s.tender)
	}
	if st := s.state; st != nil && st.Part != s.part {
		return fmt.Errorf("%s is an unfinished submission of file part %d: finish it with --part %d, or remove it (or choose another -o)",
			s.path(".upload"), st.Part, st.Part)
	}
	if s.state == nil {
		for _, ext := range []string{".receipt", ".proof"} {
			if _, err := os.Lstat(s.path(ext)); err == nil {
				return fmt.Errorf("%s exists, from an earlier submission: keep it, and give this one another -o PREFIX", s.path(ext))
			}
		}
	}
	if err := s.plan(); err != nil {
		return err
	}
	// The bar is made before the client, whose transport feeds it; it
	// stays idle until the upload starts.
	s.bar = newProgressBar(s.e.stderr)
	var pin []client.Option
	if s.keys.roles != nil {
		pin = append(pin, client.WithLogKey(s.keys.roles.Log))
	}
	if s.cl, err = newLPSEClient(s.lpse, s.chain, token, s.bar, pin...); err != nil {
		return err
	}
	target, err := partTargetOf(ctx, s.cl, s.lpse, s.tender, s.part, s.retry)
	if err != nil {
		return err
	}
	// The bidder's current receipt, if any: it tests the token before
	// anything is sealed, and shows an offer already received.
	var current []byte
	err = s.retry.do("asking for the current receipt", func() (err error) {
		current, err = s.currentReceipt()
		return err
	})
	switch code := client.ErrorCode(err); {
	case code == api.CodeNotFound, code == "no-route":
		current = nil // no offer yet; or a server without the route
	case err != nil:
		return netErr(fmt.Errorf("tender %s: %w", s.tender, err), againSubmit)
	}
	if err := s.prepare(target); err != nil {
		return err
	}
	signed, err := s.receipt(current)
	if err != nil {
		return err
	}
	r, err := s.check(signed, "the LPSE's receipt")
	if err != nil {
		return err
	}
	if err := s.writeNote(s.path(".receipt"), signed); err != nil {
		return err
	}
	proof, err := s.proof(signed, r)
	if err != nil {
		return err
	}
	if err := s.writeNote(s.path(".proof"), proof); err != nil {
		return err
	}
	if err := os.Remove(s.path(".upload")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	s.say("received: %s (log index %d)", r.Received.UTC().Format(time.RFC3339), r.Index)
	s.say("receipt: %s (verified)", s.path(".receipt"))
	s.say("proof: %s (verified)", s.path(".proof"))
	return nil
}

// plan decides, before asking the LPSE anything, which sealed file this
// run sends: the file given, the one an interrupted run sealed, or a new
// seal of the document (s.docHex set, s.sealed empty). It refuses to mix
// an interrupted submission with another file.
func (s *submission) plan() error {
	st, upload := s.state, s.path(".upload")
	if s.given != "" {
		sum, size, err := hashFile(s.given)
		if err != nil {
			return err
		}
		if st != nil && st.SHA256 != hex.EncodeToString(sum[:]) {
			return fmt.Errorf("%s is an unfinished submission of another file (%s, SHA-256 %.16s…): run again with that file, or remove %s to submit this one",
				upload, st.Sealed, st.SHA256, upload)
		}
		s.sealed, s.sha, s.size = s.given, sum, size
		return nil
	}
	sum, _, err := hashFile(s.doc)
	if err != nil {
		return err
	}
	s.docHex = hex.EncodeToString(sum[:])
	age := s.path(".age")
	_, ageErr := os.Lstat(age)
	switch {
	case st != nil && st.Document == "":
		return fmt.Errorf("%s is an unfinished submission of the sealed file %s: run again with --sealed %s, or remove %s to submit a document",
			upload, st.Sealed, st.Sealed, upload)
	case st != nil && st.Document != s.docHex:
		return fmt.Errorf("%s is an unfinished submission of another document (SHA-256 %.16s…): run again with that document, or remove %s and %s to submit this one",
			upload, st.Document, upload, age)
	case st != nil && ageErr == nil:
		if s.sha, s.size, err = hashFile(age); err != nil {
			return err
		}
		if hex.EncodeToString(s.sha[:]) != st.SHA256 {
			return fmt.Errorf("%s changed since its upload began (SHA-256 %.16s…, now %x…): remove %s to start over", age, st.SHA256, s.sha[:8], upload)
		}
		s.sealed = age
	case st != nil && st.Upload != "":
		return fmt.Errorf("%s, the file of upload %s, is gone: remove %s to seal and submit the document again", age, st.Upload, upload)
	case st == nil && ageErr == nil:
		return fmt.Errorf("%s exists: submit it with --sealed %s, or give this offer another -o PREFIX", age, age)
	}
	return nil
}

// prepare makes the sealed file plan chose ready for target: it seals the
// document, or checks the sealed file's header against the tender as the
// LPSE will; and it records the state.
func (s *submission) prepare(target sealer.Target) error {
	if s.sealed == "" {
		return s.seal(target)
	}
	f, err := os.Open(s.sealed)
	if err != nil {
		return fmt.Errorf("failed to open the sealed offer: %w", err)
	}
	defer f.Close()
	h, err := sealer.Inspect(f, target.Chain)
	if err == nil {
		err = target.Check(h)
	}
	if err != nil {
		return fmt.Errorf("%s is not sealed to tender %s, and the LPSE would refuse it: %w; seal the document again (segel submit DOCUMENT, or segel seal --lpse --tender)", s.sealed, s.tender, err)
	}
	if s.state == nil {
		s.state = &uploadState{LPSE: s.lpse, Tender: s.tender, Part: s.part, Sealed: s.sealed, SHA256: hex.EncodeToString(s.sha[:]), Size: s.size}
		return s.state.write(s.path(".upload"))
	}
	if s.sealed != s.given {
		s.say("using %s, sealed from this document by an earlier run", s.sealed)
	}
	return nil
}

// seal seals the document to age through a temporary file, records the
// state, then gives the file its name: a run killed in between seals
// again, but never leaves a file an upload state does not describe.
func (s *submission) seal(target sealer.Target) error {
	age := s.path(".age")
	part := age + ".part"
	src, err := os.Open(s.doc)
	if err != nil {
		return fmt.Errorf("failed to open the document: %w", err)
	}
	defer src.Close()
	f, err := os.OpenFile(part, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("failed to write the sealed offer: %w", err)
	}
	h := sha256.New()
	sealed, err := sealer.Seal(io.MultiWriter(f, h), src, target)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(part)
		return fmt.Errorf("failed to seal: %w", err)
	}
	copy(s.sha[:], h.Sum(nil))
	s.sealed, s.size = age, sealed.Size
	s.state = &uploadState{LPSE: s.lpse, Tender: s.tender, Part: s.part, Sealed: age, SHA256: hex.EncodeToString(s.sha[:]), Size: s.size, Document: s.docHex}
	if err := s.state.write(s.path(".upload")); err != nil {
		os.Remove(part)
		return err
	}
	if err := os.Rename(part, age); err != nil {
		return fmt.Errorf("failed to name the sealed offer: %w", err)
	}
	s.say("sealed %s to tender %s: %s", s.doc, s.tender, age)
	s.say("round: %d", sealed.Header.Round)
	s.say("opens: %s", formatTime(target.Chain.TimeOf(sealed.Header.Round)))
	s.say("chain: %s", chainDesc(target.Chain))
	if s.part != 0 {
		s.say("file part: %d", s.part)
	}
	s.say("committee key id: %s", sealed.Header.CommitteeKeyID)
	s.say("size: %d", s.size)
	s.say("sha256: %x", s.sha)
	return nil
}

func hashFile(name string) (sum [32]byte, size int64, err error) {
	f, err := os.Open(name)
	if err != nil {
		return sum, 0, err
	}
	defer f.Close()
	h := sha256.New()
	if size, err = io.Copy(h, f); err != nil {
		return sum, 0, fmt.Errorf("failed to read %s: %w", name, err)
	}
	return [32]byte(h.Sum(nil)), size, nil
}

// binds reports whether receipt r is for this submission's sealed file.
func (s *submission) binds(r auditlog.Receipt) bool {
	return r.Tender == s.tender && r.File == s.part && r.SHA256 == s.sha && r.Size == s.size
}

// currentReceipt returns the signed receipt of the bidder's current offer
// (of the part, with --part).
func (s *submission) currentReceipt() ([]byte, error) {
	if s.part != 0 {
		return s.cl.FileReceipt(s.e.ctx, s.tender, s.part, client.Me)
	}
	return s.cl.OfferReceipt(s.e.ctx, s.tender, client.Me)
}

// check verifies a receipt against the pinned keys and that it binds the
// sealed file.
func (s *submission) check(signed []byte, what string) (auditlog.Receipt, error) {
	if err := damagedNote(signed, "receipt"); err != nil {
		return auditlog.Receipt{}, fmt.Errorf("%s does not verify: %w", what, err)
	}
	r, err := verifyReceipt(signed, s.keys)
	if err != nil {
		return r, fmt.Errorf("%s does not verify against the pinned keys: %w", what, err)
	}
	if !s.binds(r) {
		return r, fmt.Errorf("%s is for tender %s, SHA-256 %x…, %d bytes; this offer is tender %s, SHA-256 %x…, %d bytes",
			what, r.Tender, r.SHA256[:8], r.Size, s.tender, s.sha[:8], s.size)
	}
	return r, nil
}
