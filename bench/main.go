// Command bench is Segel's load harness: the opening peak (many tenders
// opening at once) and the deadline rush (every bidder submitting in the
// last minute), with the limit and the baseline each is measured against.
// See README.md.
//
// Exit codes: 0 the run completed and everything verified; 1 the run
// completed but a receipt, proof, report or acknowledged offer failed to
// verify (or an offer failed to open); 2 bad usage or the run could not
// complete.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(args []string, stderr io.Writer) int {
	c, err := parseConfig(args, stderr)
	if err != nil {
		if !errors.Is(err, flagHelp) {
			fmt.Fprintf(stderr, "segel bench: %v\n", err)
		}
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	r, err := bench(ctx, c, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "segel bench: %v\n", err)
		return 2
	}
	fmt.Fprintf(stderr, "segel bench: wrote %s\n", filepath.Join(r.Config.Out, "report.md"))
	if !r.OK {
		for _, p := range r.Problems {
			fmt.Fprintf(stderr, "segel bench: %s\n", p)
		}
		return 1
	}
	return 0
}

func bench(ctx context.Context, c Config, stderr io.Writer) (*Report, error) {
	if c.Out == "" {
		dir, err := os.MkdirTemp("", "segel-bench-")
		if err != nil {
			return nil, err
		}
		c.Out = dir
	}
	if err := os.MkdirAll(c.Out, 0o755); err != nil {
		return nil, err
	}
	data := filepath.Join(c.Out, "data")
	if err := os.RemoveAll(data); err != nil {
		return nil, err
	}
	// The data (vault, sealed files) can be gigabytes; keep only the report.
	defer os.RemoveAll(data)

	r := &Report{Started: time.Now(), Config: c, Machine: machine()}
	d, err := deploy(ctx, c, data)
	if err != nil {
		return nil, err
	}
	defer d.Close()

	if c.Opening {
		if r.Opening, err = runOpening(ctx, c, d, stderr); err != nil {
			return nil, fmt.Errorf("opening: %w", err)
		}
		for _, p := range r.Opening.Problems {
			r.Problems = append(r.Problems, "opening: "+p)
		}
		if o := r.Opening; o.Opened != o.Offers || o.ReceiptsVerified != o.Offers || o.ProofsVerified != o.Offers || o.ReportsVerified != o.Tenders {
			r.Problems = append(r.Problems, fmt.Sprintf("opening: %d/%d opened, %d/%d receipts and %d proofs verified, %d/%d reports verified",
				o.Opened, o.Offers, o.ReceiptsVerified, o.Offers, o.ProofsVerified, o.ReportsVerified, o.Tenders))
		}
	}
	if c.Rush {
		if err := runRushes(ctx, c, d, data, r, stderr); err != nil {
			return nil, fmt.Errorf("rush: %w", err)
		}
	}
	r.OK = len(r.Problems) == 0
	r.Seconds = time.Since(r.Started).Seconds()
	plots, err := writePlots(c.Out, r)
	r.Plots = plots
	if err != nil {
		r.Problems = append(r.Problems, err.Error()) // a missing plot does not fail the run
	}
	return r, writeReport(c.Out, r)
}

// runRushes seals the rush's offers once, then rushes the fsync baseline
// and the engine with the same bytes at the same arrival times.
func runRushes(ctx context.Context, c Config, d *deployment, data string, r *Report, stderr io.Writer) error {
	offers, tenders, deadline, err := sealRush(ctx, c, d, filepath.Join(data, "rush-sealed"), stderr)
	if err != nil {
		return err
	}

	b, err := startBaseline(filepath.Join(data, "baseline"))
	if err != nil {
		return err
	}
	base, outs := rush(ctx, c, modeBaseline, newHTTPSubmitter(b.url, c.Conns), offers, time.Now(), &serverCPU{read: b.serverCPU}, stderr)
	if err := b.Close(); err != nil {
		return err
	}
	verifyBaseline(b.dir, base, offers, outs)
	os.RemoveAll(b.dir)

	// Set the engine's clock so the window ends Grace before the deadline.
	start := time.Now().Add(time.Second)
	d.jumpTo(deadline.Add(-c.Window - c.Grace - time.Until(start)))
	eng, outs := rush(ctx, c, modeEngine, engineSubmitter{d}, offers, start, nil, stderr)
	verifyRush(ctx, d, eng, offers, outs, tenders, deadline)

	r.Rush = []*RushResult{base, eng}
	if base.AcceptedPS > 0 && base.PeakPS > 0 {
		r.RushRatio, r.PeakRatio = eng.AcceptedPS/base.AcceptedPS, eng.PeakPS/base.PeakPS
	}
	if c.LPSED {
		lp, err := runLPSEDRush(ctx, c, data, offers, stderr)
		if err != nil {
			return fmt.Errorf("lpsed: %w", err)
		}
		r.Rush = append(r.Rush, lp)
		if base.AcceptedPS > 0 && base.PeakPS > 0 {
			r.LPSEDRatio, r.LPSEDPeakRatio = lp.AcceptedPS/base.AcceptedPS, lp.PeakPS/base.PeakPS
		}
		if lp.Lost > 0 || lp.ReceiptsVerified != lp.Accepted || lp.InClosing != lp.Accepted {
			r.Problems = append(r.Problems, fmt.Sprintf("lpsed rush: %d lost; %d/%d receipts verified, %d/%d in the closing and the bundle",
				lp.Lost, lp.ReceiptsVerified, lp.Accepted, lp.InClosing, lp.Accepted))
		}
		for _, p := range lp.Problems {
			r.Problems = append(r.Problems, "lpsed rush: "+p)
		}
	}
	if len(base.Errors) > 0 {
		r.Problems = append(r.Problems, fmt.Sprintf("baseline: errors %s", errorsText(base.Errors)))
	}
	for _, p := range base.Problems {
		r.Problems = append(r.Problems, "baseline: "+p)
	}
	if eng.Lost > 0 || eng.ReceiptsVerified != eng.Accepted || eng.InClosing != eng.Accepted {
		r.Problems = append(r.Problems, fmt.Sprintf("engine rush: %d lost; %d/%d receipts verified, %d/%d in the closing",
			eng.Lost, eng.ReceiptsVerified, eng.Accepted, eng.InClosing, eng.Accepted))
	}
	for _, p := range eng.Problems {
		r.Problems = append(r.Problems, "engine rush: "+p)
	}
	return nil
}
