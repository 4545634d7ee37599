package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	iofs "io/fs"
	"os"
	"strings"
	"time"

	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/client"
	"github.com/segel-lpse/segel/member"
	"github.com/segel-lpse/segel/timelock"
)

// The opening protocol's commands (doc/spec/opening.md): a pokja member's
// own key and its registration, the announcement of a tender with a
// committee of members' keys, each member's contributions computed on its
// own machine, the part's opening started and completed, the File I
// evaluation, stage 2.

const memberUsage = `Usage:
    segel member key [-o OUTPUT]
    segel member register --lpse URL -i KEYFILE [--token-file FILE]

member key makes a committee member's own opening key: an age post-quantum
hybrid key, as segel keygen makes, written to OUTPUT (a file created with
mode 0600; standard output by default). Keep it on your own device: it
never leaves it, and no request of segel sends it. Keep every key you
registered until every tender announced with it has completed its
openings.

member register registers the key of KEYFILE as your opening key at the
LPSE, proving that you hold it: the LPSE encrypts a random challenge to
its public key, segel decrypts it here with KEYFILE and sends back only
the answer. Tenders announced from then on seal to it.

The API token comes from --token-file FILE or $SEGEL_TOKEN.

Exit status: 0 done, 1 failure, 2 usage error, 4 the LPSE could not be
reached: run it again.
`

const announceUsage = `Usage:
    segel announce --lpse URL --tender ID --title TITLE --document FILE
                   --method single-file|two-file|two-stage --member USER...
                   [--threshold K] --deadline T --opening T [--file-ii-opening T]
                   [--submission-start T] [--registration-end T]
                   [--clarification-end T] [--objection-days N]
                   [--token-file FILE]

announce announces a tender whose committee is its members' own opening
keys (doc/spec/opening.md), as a member of the committee the PA/KPA
assigned to ID: it stores the tender document (FILE) and announces the
tender with its method, its members (one --member per user id: the
assigned committee, each with a registered key) and K, how many of them
together open a file (a majority; the least majority if absent). A
two-file tender needs --file-ii-opening, after --opening: File II's round,
the earliest any price opens. The submission window starts now unless
--submission-start; registration and clarification end at the deadline
unless given. It prints the tender: its committee id, k of n, and each
part's round.

Times are RFC 3339 or unix seconds.

Exit status: 0 announced, 1 refused or failed, 2 usage error, 4 the LPSE
could not be reached.
`

const contributeUsage = `Usage:
    segel contribute --lpse URL --tender ID --part N -i KEYFILE --trusted KEYS
                     [--chain CHAIN] [--checkpoint FILE] [--token-file FILE]

contribute is a committee member's turn in the opening of file part N
(1 or 2) of a tender, once a member started it (segel opening start). It
fetches the evidence, verifies it here against the pinned log key of KEYS
and the pinned chain (and, with --checkpoint FILE, that the log extends
the checkpoint kept in FILE from an earlier run, which it then updates):
the committee is the logged one and KEYFILE's key is on it, every header
is a current file of the part as the log says, and a File II is only a
bidder's who passed the fixed evaluation. Only then does it compute, with
KEYFILE, a contribution (or a claim, if its share does not open) for each
file, and send them as one batch (segel-contributions/v1). The key never
leaves this machine; it refuses, computing nothing, when the evidence does
not check. It prints what it sent and the log index of the batch's entry.

Exit status: 0 sent, 1 refused or failed, 2 usage error, 4 the LPSE could
not be reached.
`

const openingUsage = `Usage:
    segel opening start --lpse URL --tender ID --part N [--token-file FILE]
    segel opening complete --lpse URL --tender ID --part N [--accept-failures]
                           [-o OUTPUT] [--token-file FILE]

opening start starts the opening of file part N of a tender whose
committee is its members' keys, once the part's round is out (exit 3
before: run it again later) and, for File II, once the File I evaluation
is fixed. Members then contribute (segel contribute).

opening complete completes it, by a member who sent a batch: every file of
the part opens, fails (with a witness report) or, for a failed bidder's
File II, is withheld. Without --accept-failures the LPSE refuses while
some file has fewer than k contributions, naming the files and who has not
answered; with it, those files fail. It prints each file's outcome and
writes the signed opening report to OUTPUT (standard output by default).

Exit status: 0 done, 1 refused or failed, 2 usage error, 3 too early, 4
the LPSE could not be reached.
`

const evaluationUsage = `Usage:
    segel evaluation propose --lpse URL --tender ID RESULTS [--token-file FILE]
    segel evaluation approve --lpse URL --tender ID DIGEST [--token-file FILE]

evaluation propose proposes the File I evaluation of a two-file or
two-stage tender once File I has opened. RESULTS is a file of one line per
bidder of File I:

    BIDDER passed|failed REASONS…

(lines starting with # and blank lines are skipped). The reasons are kept
by the LPSE and logged only by their SHA-256. The proposal counts as your
approval; it prints the evaluation's digest, which the other members
approve with evaluation approve. k approvals of one digest fix it.

Exit status: 0 done, 1 refused or failed, 2 usage error, 4 the LPSE could
not be reached.
`

const stageTwoUsage = `Usage:
    segel stage-two --lpse URL --tender ID --deadline T --opening T [--token-file FILE]

stage-two announces stage 2 of a two-stage tender, once the stage 1
evaluation is fixed: its window ends at the deadline, and its files are
sealed to the first round at or after its opening. Times are RFC 3339 or
unix seconds.

Exit status: 0 announced, 1 refused or failed, 2 usage error, 4 the LPSE
could not be reached.
`

// lpseFlags are the flags of every command that acts at an LPSE as its
// user: --lpse, --token-file (never --token).
type lpseFlags struct {
	lpse, tokenFile string
}

func (l *lpseFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&l.lpse, "lpse", "", "")
	fs.StringVar(&l.tokenFile, "token-file", "", "")
	fs.Var(noTokenFlag{}, "token", "")
}

// client returns the client of the LPSE, authenticated, pinned to c.
func (l *lpseFlags) client(e *env, usage string, c timelock.Chain) (*client.Client, error) {
	if l.lpse == "" {
		return nil, usageErrorf(usage, "missing --lpse URL")
	}
	token, err := loadToken(e, usage, l.tokenFile)
	if err != nil {
		return nil, err
	}
	return newLPSEClient(l.lpse, c, token, nil)
}

// partFlag parses --part.
func partFlag(usage string, n int) error {
	if n != 1 && n != 2 {
		return usageErrorf(usage, "--part %d: a file part is 1 (File I, or the only file) or 2 (File II, stage 2)", n)
	}
	return nil
}

func runMember(e *env, args []string) error {
	if len(args) == 0 {
		return usageErrorf(memberUsage, "member needs a subcommand: key or register")
	}
	switch args[0] {
	case "key":
		fs := newFlagSet("member key")
		var out string
		fs.StringVar(&out, "o", "", "")
		fs.StringVar(&out, "output", "", "")
		pos, err := parse(e, fs, memberUsage, args[1:])
		if err != nil {
			return err
		}
		if len(pos) > 0 {
			return usageErrorf(memberUsage, "member key takes no arguments, got %q", pos)
		}
		return keygen(e, out)
	case "register":
		fs := newFlagSet("member register")
		var l lpseFlags
		var keyFile string
		l.register(fs)
		fs.StringVar(&keyFile, "i", "", "")
		fs.StringVar(&keyFile, "identity", "", "")
		pos, err := parse(e, fs, memberUsage, args[1:])
		if err != nil {
			return err
		}
		switch {
		case len(pos) > 0:
			return usageErrorf(memberUsage, "member register takes no arguments, got %q", pos)
		case keyFile == "":
			return usageErrorf(memberUsage, "missing -i KEYFILE: your opening key (segel member key)")
		}
		key, err := loadCommitteeIdentity(keyFile)
		if err != nil {
			return err
		}
		cl, err := l.client(e, memberUsage, timelock.Quicknet)
		if err != nil {
			return err
		}
		k, err := cl.RegisterMemberKey(e.ctx, key)
		if err != nil {
			return netErr(fmt.Errorf("registering the key of %s: %w", keyFile, err), "run the same command again")
		}
		fmt.Fprintf(e.stderr, "segel: registered opening key %s of %s at %s; tenders announced from then on seal to it\n",
			k.KeyID, k.User, k.Registered.Format(time.RFC3339))
		return nil
	}
	return usageErrorf(memberUsage, "unknown member subcommand %q: key or register", args[0])
}

// stringsFlag is a repeatable string flag.
type stringsFlag []string

func (f *stringsFlag) String() string     { return strings.Join(*f, ",") }
func (f *stringsFlag) Set(s string) error { *f = append(*f, s); return nil }

func runAnnounce(e *env, args []string) error {
	fs := newFlagSet("announce")
	var l lpseFlags
	var id, title, docFile, method string
	var members stringsFlag
	var k, objection int
	var deadline, opening, fileII, start, regEnd, clarEnd timeFlag
	l.register(fs)
	fs.StringVar(&id, "tender", "", "")
	fs.StringVar(&title, "title", "", "")
	fs.StringVar(&docFile, "document", "", "")
	fs.StringVar(&method, "method", "", "")
	fs.Var(&members, "member", "")
	fs.IntVar(&k, "threshold", 0, "")
	fs.IntVar(&objection, "objection-days", 5, "")
	fs.Var(&deadline, "deadline", "")
	fs.Var(&opening, "opening", "")
	fs.Var(&fileII, "file-ii-opening", "")
	fs.Var(&start, "submission-start", "")
	fs.Var(&regEnd, "registration-end", "")
	fs.Var(&clarEnd, "clarification-end", "")
	pos, err := parse(e, fs, announceUsage, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return usageErrorf(announceUsage, "announce takes no arguments, got %q", pos)
	case id == "" || title == "" || docFile == "":
		return usageErrorf(announceUsage, "missing --tender ID, --title TITLE or --document FILE")
	case method == "":
		return usageErrorf(announceUsage, "missing --method: single-file, two-file or two-stage")
	case !deadline.set || !opening.set:
		return usageErrorf(announceUsage, "missing --deadline T or --opening T")
	case method == string(api.MethodTwoFile) && !fileII.set:
		return usageErrorf(announceUsage, "a two-file tender needs --file-ii-opening T, after --opening")
	case method != string(api.MethodTwoFile) && fileII.set:
		return usageErrorf(announceUsage, "--file-ii-opening is for a two-file tender")
	}
	cl, err := l.client(e, announceUsage, timelock.Quicknet)
	if err != nil {
		return err
	}
	f, err := os.Open(docFile)
	if err != nil {
		return fmt.Errorf("failed to open the tender document: %w", err)
	}
	defer f.Close()
	doc, err := cl.UploadDocument(e.ctx, f)
	if err != nil {
		return netErr(fmt.Errorf("storing the tender document: %w", err), "run the same command again")
	}
	sch := api.Schedule{SubmissionStart: time.Now().UTC(), Deadline: deadline.t, Opening: opening.t, ObjectionDays: objection,
		RegistrationEnd: deadline.t, ClarificationEnd: deadline.t}
	if start.set {
		sch.SubmissionStart = start.t
	}
	if regEnd.set {
		sch.RegistrationEnd = regEnd.t
	}
	if clarEnd.set {
		sch.ClarificationEnd = clarEnd.t
	}
	if fileII.set {
		sch.FileIIOpening = fileII.t
	}
	t, err := cl.Announce(e.ctx, api.Announcement{ID: id, Title: title, Document: doc, Method: api.Method(method),
		Members: members, Threshold: k, Schedule: sch})
	if err != nil {
		return netErr(fmt.Errorf("announcing %s: %w", id, err), "run the same command again")
	}
	fmt.Fprintf(e.stdout, "tender: %s\nmethod: %s\ncommittee: %s (%d of %d)\n", t.ID, t.Method, t.CommitteeKeyID, t.Threshold, len(t.Members))
	for _, m := range t.Members {
		fmt.Fprintf(e.stdout, "member %d: %s\n", m.Index, m.User)
	}
	for _, p := range t.Parts {
		if p.Round == 0 {
			fmt.Fprintf(e.stdout, "file %d: announced after the stage 1 evaluation\n", p.File)
			continue
		}
		fmt.Fprintf(e.stdout, "file %d: deadline %s, opens %s, round %d\n", p.File, formatTime(p.Deadline), formatTime(p.Opening), p.Round)
	}
	return nil
}

func runContribute(e *env, args []string) error {
	fs := newFlagSet("contribute")
	var l lpseFlags
	var id, keyFile, trusted, chainArg, cpFile string
	var part int
	l.register(fs)
	fs.StringVar(&id, "tender", "", "")
	fs.IntVar(&part, "part", 0, "")
	fs.StringVar(&keyFile, "i", "", "")
	fs.StringVar(&keyFile, "identity", "", "")
	fs.StringVar(&trusted, "trusted", "", "")
	fs.StringVar(&chainArg, "chain", "quicknet", "")
	fs.StringVar(&cpFile, "checkpoint", "", "")
	pos, err := parse(e, fs, contributeUsage, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return usageErrorf(contributeUsage, "contribute takes no arguments, got %q", pos)
	case id == "":
		return usageErrorf(contributeUsage, "missing --tender ID")
	case keyFile == "":
		return usageErrorf(contributeUsage, "missing -i KEYFILE: your opening key")
	case trusted == "":
		return usageErrorf(contributeUsage, "missing --trusted KEYS: the LPSE's keys file (its /v1/keys, obtained out of band); the evidence is verified against its log key")
	}
	if err := partFlag(contributeUsage, part); err != nil {
		return err
	}
	key, err := loadCommitteeIdentity(keyFile)
	if err != nil {
		return err
	}
	keys, err := loadTrustedKeys(trusted)
	if err != nil {
		return err
	}
	if keys.roles == nil {
		return fmt.Errorf("%s is a plain list of keys: contribute needs the LPSE's keys file (segel-keys/v1, its /v1/keys), which names its log key", trusted)
	}
	c, err := loadChain(contributeUsage, chainArg)
	if err != nil {
		return err
	}
	if keys.roles.Chain != c.HashHex() {
		return fmt.Errorf("%s pins beacon chain %s, but --chain pins %s: pin the chain this LPSE publishes with --chain FILE", trusted, keys.roles.Chain, chainDesc(c))
	}
	var previous []byte
	if cpFile != "" {
		b, err := os.ReadFile(cpFile)
		switch {
		case errors.Is(err, iofs.ErrNotExist):
		case err != nil:
			return fmt.Errorf("failed to read --checkpoint: %w", err)
		default:
			previous = b
		}
	}
	cl, err := l.client(e, contributeUsage, c)
	if err != nil {
		return err
	}
	ct, err := cl.Contribute(e.ctx, id, part, key, keys.roles.Log, previous)
	if errors.Is(err, member.ErrRefused) {
		return fmt.Errorf("refused, nothing computed or sent: %w", err)
	} else if err != nil {
		return netErr(fmt.Errorf("tender %s, file %d: %w", id, part, err), "run the same command again")
	}
	if cpFile != "" {
		if err := os.WriteFile(cpFile, ct.Checkpoint, 0o644); err != nil {
			return fmt.Errorf("failed to keep the checkpoint: %w", err)
		}
	}
	s := ct.Sent
	fmt.Fprintf(e.stderr, "segel: verified the log of tender %s (tree size %d): committee %s, %d of %d; you are member %d\n",
		id, ct.Tender.Size, ct.Tender.Committee.ID(), ct.Tender.Committee.Threshold(), len(ct.Tender.Users), s.Member)
	fmt.Fprintf(e.stderr, "segel: sent file %d's batch: %d contributed, %d claimed, %d refused; logged at index %d\n",
		part, s.Contributed, s.Claimed, s.Refused, s.Index)
	for _, r := range s.Refusals {
		fmt.Fprintf(e.stderr, "segel: refused: entry %d: %s\n", r.Index, r.Reason)
	}
	return nil
}

func runOpening(e *env, args []string) error {
	if len(args) == 0 || args[0] != "start" && args[0] != "complete" {
		return usageErrorf(openingUsage, "opening needs a subcommand: start or complete")
	}
	sub := args[0]
	fs := newFlagSet("opening " + sub)
	var l lpseFlags
	var id, out string
	var part int
	var accept bool
	l.register(fs)
	fs.StringVar(&id, "tender", "", "")
	fs.IntVar(&part, "part", 0, "")
	if sub == "complete" {
		fs.BoolVar(&accept, "accept-failures", false, "")
		fs.StringVar(&out, "o", "", "")
		fs.StringVar(&out, "output", "", "")
	}
	pos, err := parse(e, fs, openingUsage, args[1:])
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return usageErrorf(openingUsage, "opening %s takes no arguments, got %q", sub, pos)
	case id == "":
		return usageErrorf(openingUsage, "missing --tender ID")
	}
	if err := partFlag(openingUsage, part); err != nil {
		return err
	}
	cl, err := l.client(e, openingUsage, timelock.Quicknet)
	if err != nil {
		return err
	}
	if sub == "start" {
		t, err := cl.StartOpening(e.ctx, id, part)
		if client.ErrorCode(err) == api.CodeTooEarly {
			return fmt.Errorf("%w: file %d of tender %s: %v", timelock.ErrTooEarly, part, id, err)
		} else if err != nil {
			return netErr(fmt.Errorf("tender %s: %w", id, err), "run the same command again")
		}
		p := t.Parts[part-1]
		fmt.Fprintf(e.stderr, "segel: the opening of file %d of tender %s started at %s (round %d); members contribute now (segel contribute)\n",
			part, id, formatTime(p.Started), p.Round)
		return nil
	}
	op, err := cl.CompleteOpening(e.ctx, id, part, accept)
	if err != nil {
		return netErr(fmt.Errorf("tender %s: %w", id, err), "run the same command again")
	}
	for _, o := range op.Offers {
		line := fmt.Sprintf("segel: %s: %s", o.Bidder, o.Outcome)
		if len(o.Contributors) > 0 {
			line += fmt.Sprintf(" (contributors %v)", o.Contributors)
		}
		fmt.Fprintln(e.stderr, line)
	}
	fmt.Fprintf(e.stderr, "segel: file %d of tender %s: %d opened, %d failed, %d withheld in %.1fs\n", part, id, op.Opened, op.Failed, op.Withheld, op.Duration)
	return writeOutput(e, out, []byte(op.Report))
}

func runEvaluation(e *env, args []string) error {
	if len(args) == 0 || args[0] != "propose" && args[0] != "approve" {
		return usageErrorf(evaluationUsage, "evaluation needs a subcommand: propose or approve")
	}
	sub := args[0]
	fs := newFlagSet("evaluation " + sub)
	var l lpseFlags
	var id string
	l.register(fs)
	fs.StringVar(&id, "tender", "", "")
	pos, err := parse(e, fs, evaluationUsage, args[1:])
	if err != nil {
		return err
	}
	switch {
	case id == "":
		return usageErrorf(evaluationUsage, "missing --tender ID")
	case len(pos) != 1 && sub == "propose":
		return usageErrorf(evaluationUsage, "evaluation propose takes one RESULTS file")
	case len(pos) != 1:
		return usageErrorf(evaluationUsage, "evaluation approve takes one DIGEST")
	}
	cl, err := l.client(e, evaluationUsage, timelock.Quicknet)
	if err != nil {
		return err
	}
	if sub == "approve" {
		d, err := api.ParseDigest(pos[0])
		if err != nil {
			return usageErrorf(evaluationUsage, "DIGEST %q: %v", pos[0], err)
		}
		t, err := cl.ApproveEvaluation(e.ctx, id, d)
		if err != nil {
			return netErr(fmt.Errorf("tender %s: %w", id, err), "run the same command again")
		}
		if t.Evaluation != nil && t.Evaluation.Digest == d {
			fmt.Fprintf(e.stderr, "segel: the evaluation %s is fixed: passed %v, failed %v\n", d, t.Evaluation.Passed, t.Evaluation.Failed)
			return nil
		}
		for _, p := range t.Proposals {
			if p.Digest == d {
				fmt.Fprintf(e.stderr, "segel: approved %s: %d of %d approvals\n", d, len(p.Approvals), t.Threshold)
			}
		}
		return nil
	}
	b, err := readSmallFile(pos[0], 1<<20)
	if err != nil {
		return fmt.Errorf("failed to read the results: %w", err)
	}
	results, err := parseResults(b)
	if err != nil {
		return fmt.Errorf("%s: %w", pos[0], err)
	}
	p, err := cl.ProposeEvaluation(e.ctx, id, results)
	if err != nil {
		return netErr(fmt.Errorf("tender %s: %w", id, err), "run the same command again")
	}
	fmt.Fprintln(e.stdout, p.Digest)
	fmt.Fprintf(e.stderr, "segel: proposed evaluation %s (your approval counts); the other members approve it with segel evaluation approve\n", p.Digest)
	return nil
}

// parseResults parses an evaluation's results file: BIDDER passed|failed
// REASONS, one per line.
func parseResults(b []byte) ([]api.BidderResult, error) {
	var out []api.BidderResult
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 3 || f[1] != "passed" && f[1] != "failed" {
			return nil, fmt.Errorf("line %d: want BIDDER passed|failed REASONS, got %q", n, line)
		}
		out = append(out, api.BidderResult{Bidder: f[0], Passed: f[1] == "passed", Reasons: strings.Join(f[2:], " ")})
	}
	if len(out) == 0 {
		return nil, errors.New("no result: one line per bidder of File I, BIDDER passed|failed REASONS")
	}
	return out, sc.Err()
}

func runStageTwo(e *env, args []string) error {
	fs := newFlagSet("stage-two")
	var l lpseFlags
	var id string
	var deadline, opening timeFlag
	l.register(fs)
	fs.StringVar(&id, "tender", "", "")
	fs.Var(&deadline, "deadline", "")
	fs.Var(&opening, "opening", "")
	pos, err := parse(e, fs, stageTwoUsage, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return usageErrorf(stageTwoUsage, "stage-two takes no arguments, got %q", pos)
	case id == "" || !deadline.set || !opening.set:
		return usageErrorf(stageTwoUsage, "missing --tender ID, --deadline T or --opening T")
	}
	cl, err := l.client(e, stageTwoUsage, timelock.Quicknet)
	if err != nil {
		return err
	}
	t, err := cl.AnnounceStageTwo(e.ctx, id, deadline.t, opening.t)
	if err != nil {
		return netErr(fmt.Errorf("tender %s: %w", id, err), "run the same command again")
	}
	p := t.Parts[1]
	fmt.Fprintf(e.stderr, "segel: stage 2 of tender %s: deadline %s, opens %s, round %d\n", id, formatTime(p.Deadline), formatTime(p.Opening), p.Round)
	return nil
}
