package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/segel-lpse/segel/timelock/beaconhttp"
)

const defaultBeaconAddr = "127.0.0.1:8081"

// shutdownTimeout bounds how long serve waits for requests in flight.
const shutdownTimeout = 5 * time.Second

func runBeaconServe(e *env, args []string) error {
	fs := newFlagSet("beacon serve")
	var l localBeaconFlags
	var addr string
	fs.StringVar(&l.key, "key", "", "")
	l.registerTime(fs)
	fs.StringVar(&addr, "addr", defaultBeaconAddr, "")
	pos, err := parse(e, fs, beaconUsage, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErrorf(beaconUsage, "beacon serve takes no arguments")
	}
	if l.key == "" {
		return usageErrorf(beaconUsage, "missing --key")
	}
	lb, err := l.beacon()
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(e.ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("failed to listen: %w", err)
	}
	srv := &http.Server{
		Handler:           beaconhttp.Handler(lb),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
	c := lb.Chain()
	fmt.Fprintf(e.stderr, "segel: serving beacon chain %s on http://%s\n", chainDesc(c), ln.Addr())
	fmt.Fprintf(e.stderr, "segel: genesis %s, period %s, round %d now\n", formatTime(c.Genesis()), c.Period(), c.CurrentRound(time.Now()))

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("server stopped: %w", err)
	case <-ctx.Done():
	}
	stop() // a second signal kills the process the usual way
	fmt.Fprintf(e.stderr, "segel: shutting down\n")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("server stopped: %w", err)
	}
	return nil
}
