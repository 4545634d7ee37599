// Command lpsed is Segel's reference server for an LPSE.
//
// Usage:
//
//	lpsed demo [--data DIR]
//
// demo runs Segel's core on the embedded default: it seals an offer to a
// round of a local beacon and to a committee key, stores it durably,
// receipts and logs it, shows that nobody can open it before the round,
// waits for the round and opens it.
//
// Exit codes: 0 success, 1 failure, 2 usage error.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
)

const usage = `Usage:
    lpsed demo [--data DIR]    run the sealed-offer demo on the embedded default

Exit codes: 0 success, 1 failure, 2 usage error.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "demo":
		fs := flag.NewFlagSet("demo", flag.ContinueOnError)
		fs.SetOutput(stderr)
		data := fs.String("data", "", "data directory (default: a new temporary directory)")
		if err := fs.Parse(args[1:]); err != nil {
			return 2
		}
		if err := runDemo(ctx, stdout, *data); err != nil {
			fmt.Fprintf(stderr, "lpsed: %v\n", err)
			return 1
		}
		return 0
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "lpsed: unknown command %q\n%s", args[0], usage)
		return 2
	}
}
