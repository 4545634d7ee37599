// Command segel is the bidder, committee and auditor tool of Segel: it makes
// committee keys, seals offers to a tender's opening time and committee,
// submits them to an LPSE (resumably) and fetches their receipts and proof
// files, inspects and opens them, makes and opens plain drand-compatible
// tlock files, verifies receipts, proof files and audit bundles offline, and
// runs a local beacon.
//
// Run "segel --help" for the commands and "segel help COMMAND" for each;
// "segel --version" prints the version.
// Commands, exit codes and file formats are documented in doc/cli.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/segel-lpse/segel/timelock"
)

const usage = `Usage:
    segel keygen [-o OUTPUT]
    segel keygen -y [INPUT]
    segel seal --chain CHAIN (--round R | --time T) --committee RECIPIENT [-o OUTPUT] [INPUT]
    segel seal --lpse URL --tender ID [--chain CHAIN] [-o OUTPUT] [INPUT]
    segel seal --lpse URL --tender ID --part N [--token-file FILE] [--chain CHAIN] [-o OUTPUT] [INPUT]
    segel submit --lpse URL --tender ID --trusted KEYS [--chain CHAIN] [-o PREFIX] (DOCUMENT | --sealed FILE)
    segel submit --part N --lpse URL --tender ID --trusted KEYS [--chain CHAIN] [-o PREFIX] (DOCUMENT | --sealed FILE)
    segel receipt --lpse URL --tender ID --trusted KEYS [--bidder ID] [-o OUTPUT]
    segel proof --lpse URL --trusted KEYS [-o OUTPUT] [RECEIPT]
    segel inspect --chain CHAIN [INPUT]
    segel open --chain CHAIN -i KEYFILE BEACON [-o OUTPUT] [INPUT]
    segel tlock encrypt --chain CHAIN (--round R | --time T) [-a] [-o OUTPUT] [INPUT]
    segel tlock decrypt --chain CHAIN BEACON [-o OUTPUT] [INPUT]
    segel verify [--trusted KEYS] FILE|DIR
    segel member key [-o OUTPUT]
    segel member register --lpse URL -i KEYFILE
    segel announce --lpse URL --tender ID --title TITLE --document FILE --method M --member USER... [--threshold K] --deadline T --opening T [--file-ii-opening T]
    segel contribute --lpse URL --tender ID --part N -i KEYFILE --trusted KEYS [--chain CHAIN] [--checkpoint FILE]
    segel opening start|complete --lpse URL --tender ID --part N [--accept-failures]
    segel evaluation propose|approve --lpse URL --tender ID (RESULTS | DIGEST)
    segel stage-two --lpse URL --tender ID --deadline T --opening T
    segel help [COMMAND]
    segel --version
    segel beacon keygen [-o OUTPUT]
    segel beacon info --key KEYFILE [--genesis T] [--period D] [-o OUTPUT]
    segel beacon sign --key KEYFILE [--genesis T] [--period D] ROUND
    segel beacon serve --key KEYFILE [--genesis T] [--period D] [--addr ADDR]

CHAIN is "quicknet" (drand's League of Entropy network) or a drand chain
info JSON file, such as one written by "segel beacon info" or served at
lpsed's /v1/chain.

BEACON is how a round's signature is obtained, one of:
    --signature HEX          the round's beacon signature
    --beacon URL[,URL]       drand HTTP relays, such as https://api.drand.sh
    --local-beacon KEYFILE [--genesis T] [--period D]
                             a local beacon's key (its custodian only)

submit, receipt and the committee's commands (member register, announce,
contribute, opening, evaluation, stage-two) take the API token from --token-file FILE or the
SEGEL_TOKEN environment variable, never from the command line.

INPUT defaults to standard input and OUTPUT to standard output; "-" names
them explicitly. Run "segel help COMMAND" or "segel COMMAND --help" for the
details of a command.

Exit status:
    0  success
    1  failure (the reason is printed on standard error)
    2  usage error
    3  too early: the round's beacon signature is not published yet
    4  interrupted: the LPSE could not be reached, or the connection kept
       failing; run the same command again (submit resumes its upload)
`

// Exit codes, documented in usage and doc/cli.md.
const (
	exitOK       = 0
	exitFailure  = 1
	exitUsage    = 2
	exitTooEarly = 3
	exitAgain    = 4
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], &env{
		stdin:  os.Stdin,
		stdout: os.Stdout,
		stderr: os.Stderr,
		getenv: os.Getenv,
	}))
}

// env is what a command may touch of the outside world. There is no global
// state: every command gets its env and its own flag.FlagSet.
type env struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string // nil: an empty environment
}

// command is one verb (or verb group) of the CLI.
type command struct {
	usage string
	run   func(e *env, args []string) error
}

func commands() map[string]command {
	return map[string]command{
		"keygen":  {keygenUsage, runKeygen},
		"seal":    {sealUsage, runSeal},
		"inspect": {inspectUsage, runInspect},
		"open":    {openUsage, runOpen},
		"tlock":   {tlockUsage, runTlock},
		"verify":  {verifyUsage, runVerify},
		"submit":  {submitUsage, runSubmit},
		"receipt": {receiptUsage, runReceipt},
		"proof":   {proofUsage, runProof},
		"beacon":  {beaconUsage, runBeacon},

		"member":     {memberUsage, runMember},
		"announce":   {announceUsage, runAnnounce},
		"contribute": {contributeUsage, runContribute},
		"opening":    {openingUsage, runOpening},
		"evaluation": {evaluationUsage, runEvaluation},
		"stage-two":  {stageTwoUsage, runStageTwo},
	}
}

// run runs the command line args and returns the exit code.
func run(ctx context.Context, args []string, e *env) int {
	e.ctx = ctx
	if len(args) == 0 {
		fmt.Fprint(e.stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "help":
		if len(args) > 2 {
			return report(e, usageErrorf(usage, "help takes at most one COMMAND"))
		}
		if len(args) == 2 {
			cmd, ok := commands()[args[1]]
			if !ok {
				return report(e, usageErrorf(usage, "unknown command %q", args[1]))
			}
			fmt.Fprint(e.stdout, cmd.usage)
			return exitOK
		}
		fmt.Fprint(e.stdout, usage)
		return exitOK
	case "-h", "-help", "--help":
		fmt.Fprint(e.stdout, usage)
		return exitOK
	case "-version", "--version":
		fmt.Fprintf(e.stdout, "segel %s\n", version())
		return exitOK
	}
	cmd, ok := commands()[args[0]]
	if !ok {
		return report(e, usageErrorf(usage, "unknown command %q", args[0]))
	}
	return report(e, cmd.run(e, args[1:]))
}

// report prints err, if any, and returns the exit code it calls for.
func report(e *env, err error) int {
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(e.stderr, "segel: %s\n", ue.msg)
		if ue.usage != "" {
			fmt.Fprintf(e.stderr, "\n%s", ue.usage)
		}
		return exitUsage
	case errors.Is(err, timelock.ErrTooEarly):
		fmt.Fprintf(e.stderr, "segel: %v\n", err)
		return exitTooEarly
	case errors.Is(err, errAgain):
		fmt.Fprintf(e.stderr, "segel: %v\n", err)
		return exitAgain
	default:
		fmt.Fprintf(e.stderr, "segel: %v\n", err)
		return exitFailure
	}
}

// version is the module version segel was built from, or "(devel)" with the
// VCS revision (and "+modified" for a dirty tree) when built from a checkout.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	v := "(devel)"
	for _, s := range bi.Settings {
		switch {
		case s.Key == "vcs.revision":
			v += " " + s.Value
		case s.Key == "vcs.modified" && s.Value == "true":
			v += "+modified"
		}
	}
	return v
}
