package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"

	"github.com/segel-lpse/segel/internal/demo"
)

// runDemo starts an in-process server on the embedded default and runs a
// whole tender through its HTTP API; the server also serves the web
// portal, kept up after the tender with --keep.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("lpsed demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	bundle := fs.String("bundle", "", "write the tender's audit bundle to this new directory (for segel verify)")
	data := fs.String("data", "", "data directory (default: a new temporary directory, removed afterwards)")
	addr := fs.String("addr", "127.0.0.1:0", "address to serve on (default: a free port on 127.0.0.1)")
	keep := fs.Bool("keep", false, "keep serving after the tender, until interrupted (Ctrl-C), to look at it in the web portal")
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	if err := demoRun(ctx, demoOptions{data: *data, bundle: *bundle, addr: *addr, keep: *keep}, stdout); err != nil {
		fmt.Fprintf(stderr, "lpsed: demo: %v\n", err)
		return 1
	}
	return 0
}

type demoOptions struct {
	data, bundle, addr string
	keep               bool
}

func demoRun(ctx context.Context, do demoOptions, out io.Writer) error {
	data, bundle := do.data, do.bundle
	if data == "" {
		tmp, err := os.MkdirTemp("", "segel-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		data = tmp
	}
	o := options{addr: do.addr, data: data, beacon: "local", period: 1e9, name: "lpse.demo", maxOffer: 64 << 20, openWorkers: 4}
	s, backend, err := o.deployment(ctx, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer backend.Close()
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- serveOn(sctx, ln, s.Handler(), "", "", slog.New(slog.DiscardHandler)) }()
	url := "http://" + ln.Addr().String()
	fmt.Fprintf(out, "lpsed demo: server on %s, data in %s, local beacon %s\n", url, data, s.Beacon.Chain())
	fmt.Fprintf(out, "web portal: %s/ (Bahasa Indonesia; English: %s/?lang=en)\n", url, url)
	res, err := demo.Run(ctx, demo.Config{URL: url, Out: out, BundleDir: bundle})
	if err == nil {
		fmt.Fprintf(out, "tender %s completed: %d sealed files, %d opened, %d failed with a witness report, %d prices withheld unopened; bundle verified\n",
			res.Tender, res.Offers, res.Opened, res.Failed, res.Withheld)
		if bundle != "" {
			fmt.Fprintf(out, "check it yourself: go run ./cmd/segel verify %s\n", bundle)
		}
		if do.keep {
			fmt.Fprintf(out, "\nthe web portal stays up at %s/tenders/%s until Ctrl-C; sign in (password %s) as\n", url, res.Tender, demo.Password)
			for _, a := range demo.Accounts {
				fmt.Fprintf(out, "    %-36s %s\n", a.Email, a.Role)
			}
			<-ctx.Done()
		}
	}
	stop()
	if serr := <-done; err == nil && serr != nil {
		err = serr
	}
	return err
}
