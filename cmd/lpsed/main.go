// Command lpsed is Segel's reference server for an LPSE.
//
// Usage:
//
//	lpsed [--addr HOST:PORT] [--data DIR] [flags]   serve the API
//	lpsed demo [--bundle DIR] [--data DIR] [--keep] run a whole tender through the API; --keep
//	                                                keeps the web portal up afterwards
//	lpsed backup --to FILE --recipient age1…        encrypted backup of the deployment
//	lpsed restore --from FILE --identity KEYFILE --data NEWDIR
//	                                                restore and verify a backup
//	lpsed kek [-o FILE]                             make a new key-encryption key
//	lpsed --version                                 print the version
//
// With no flags it serves on 127.0.0.1:8080 with the embedded backend
// (SQLite and files) under ./segel-data and a local beacon. See
// lpsed --help for the flags and doc/lpsed.md for operating it.
//
// Exit codes: 0 success, 1 failure, 2 usage error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `Usage:
    lpsed [flags]                          serve the API (lpsed --help for flags)
    lpsed demo [--bundle DIR] [--data DIR] [--addr ADDR] [--keep]
                                           run a whole tender through the HTTP API
                                           against an in-process server, which
                                           serves the web portal too; --keep
                                           keeps it up afterwards, until Ctrl-C
    lpsed backup [--data DIR | --postgres DSN] --to FILE
                 (--recipient age1… | --recipients-file FILE) [--server URL]
                                           write one age-encrypted archive of the
                                           database and the blobs (not the KEK)
    lpsed restore --from FILE --identity KEYFILE (--data NEWDIR | --postgres DSN)
                                           rebuild a deployment from an archive and
                                           verify it against its signed checkpoint
                                           (needs the KEK: SEGEL_KEK or --kek-file)
    lpsed kek [-o FILE]                    print a new key-encryption key, or write it
                                           to a new FILE (mode 0600); --postgres needs one
    lpsed --version                        print the version

Exit codes: 0 success, 1 failure, 2 usage error.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "demo":
			return runDemo(ctx, args[1:], stdout, stderr)
		case "backup":
			return runBackup(ctx, args[1:], stdout, stderr)
		case "restore":
			return runRestore(ctx, args[1:], stdout, stderr)
		case "kek":
			return runKEK(args[1:], stdout, stderr)
		case "help":
			fmt.Fprint(stdout, usage)
			return 0
		case "-version", "--version":
			fmt.Fprintf(stdout, "lpsed %s\n", version())
			return 0
		}
	}
	return serve(ctx, args, stdout, stderr)
}

// parseFlags parses args into fs. A bad flag is reported on stderr with the
// "lpsed:" prefix, then fs's usage, for exit code 2; -h prints the usage,
// for exit code 0. ok is true when the command is to run.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) (code int, ok bool) {
	usage := fs.Usage
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.Usage = usage
	fs.SetOutput(stderr)
	if err == nil {
		return 0, true
	}
	if !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(stderr, "lpsed: %v\n", err)
	}
	if usage != nil {
		usage()
	} else {
		fmt.Fprintf(stderr, "Usage of %s:\n", fs.Name())
		fs.PrintDefaults()
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0, false
	}
	return 2, false
}
