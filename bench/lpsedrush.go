package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/client"
	"github.com/segel-lpse/segel/sealer"
)

// runLPSEDRush starts lpsed as its own process (or, with -lpsed-url,
// uses the one running there), sets up its people and tenders through
// the API with a real-time schedule, seals every offer to its tender, and
// rushes it over HTTP at the same arrival times as the other servers;
// then verifies everything it acknowledged.
func runLPSEDRush(ctx context.Context, c Config, data string, offers []*rushOffer, stderr io.Writer) (res *RushResult, err error) {
	var p *lpsedProc
	var admin *client.Client
	tag := 0
	if c.LPSEDURL != "" {
		p = &lpsedProc{url: c.LPSEDURL, drop: func() error { return nil }}
		wctx, cancel := context.WithTimeout(ctx, time.Minute)
		err := client.New(p.url).WaitReady(wctx)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("-lpsed-url: %w", err)
		}
		if admin, err = client.New(p.url).Login(ctx, c.LPSEDAdmin, os.Getenv(adminPasswordEnv)); err != nil {
			return nil, fmt.Errorf("-lpsed-admin: logging in to %s: %w", p.url, err)
		}
		tag = 1 + int(time.Now().UnixNano()%999999) // this run's people and tenders, apart from earlier runs'
	} else if p, err = startLPSED(ctx, c, filepath.Join(data, "lpsed")); err != nil {
		return nil, err
	}
	defer func() {
		if cerr := p.Close(); cerr != nil && res != nil {
			res.Problems = append(res.Problems, "stopping lpsed: "+cerr.Error())
		}
	}()
	per := (c.Bidders + c.RushTenders - 1) / c.RushTenders
	if per > 9000 {
		return nil, fmt.Errorf("lpsed: %d bidders per tender; at most 9,000 (raise -rush-tenders)", per)
	}
	names := make([]string, per)
	for j := range names {
		names[j] = fmt.Sprintf("penyedia-%05d", j+1)
	}
	w, pa, err := lpsedAccounts(ctx, p.url, admin, tag, names, stderr)
	if err != nil {
		return nil, fmt.Errorf("lpsed: %w", err)
	}
	chain, err := w.anon.Chain(ctx)
	if err != nil {
		return nil, err
	}

	// The deadline is real time: it must leave room to announce, register
	// and seal before the window opens. Time one seal to a throwaway
	// target to estimate the rest.
	margin := c.LPSEDMargin
	if margin == 0 {
		t0 := time.Now()
		doc := plaintext(nil, int64(c.RushMedian), c.Seed, 0, 0)
		var buf bytes.Buffer
		if _, err := sealTo(&buf, doc, sealer.Target{Chain: chain, Round: chain.CurrentRound(time.Now()) + 3600, Committee: w.committee.Recipient()}); err != nil {
			return nil, err
		}
		seal := time.Since(t0) * time.Duration(c.Bidders) / time.Duration(runtime.GOMAXPROCS(0))
		register := time.Duration(c.RushTenders*(per+4)) * 4 * time.Millisecond
		margin = 3*time.Second + 2*(seal+register)
	}
	deadline := time.Now().Add(margin + c.Window + c.Grace).Truncate(time.Second).Add(time.Second)
	windowStart := deadline.Add(-c.Grace - c.Window)
	if err := w.announce(ctx, pa, c.RushTenders, deadline, chain.Period()); err != nil {
		return nil, fmt.Errorf("lpsed: %w", err)
	}
	targets := map[string]sealer.Target{}
	for _, t := range w.tenders {
		if targets[t.ID], err = w.anon.Target(ctx, t.ID); err != nil {
			return nil, err
		}
	}
	lofs, err := sealFor(c, w, targets, offers, filepath.Join(data, "lpsed-sealed"), stderr)
	if err != nil {
		return nil, err
	}
	if left := time.Until(windowStart); left < 500*time.Millisecond {
		return nil, fmt.Errorf("lpsed: setup and sealing ran %v past the margin of %v; raise -lpsed-margin", -left, margin)
	}
	w.withTransport(c.Conns)
	profiled := p.profile(ctx, time.Until(windowStart)+c.Window+5*time.Second, c.Out)
	server := &serverCPU{read: p.cpu, external: true}
	if c.LPSEDURL != "" {
		server = nil // another machine's CPU is not ours to read
	}
	res, outs := rush(ctx, c, modeLPSED, lpsedSubmitter{w.bidders}, lofs, windowStart, server, stderr)
	res.Server = c.LPSEDURL
	if err := profiled(); err != nil {
		res.Problems = append(res.Problems, "profiling lpsed: "+err.Error())
	}
	verifyLPSED(ctx, w, res, lofs, outs, deadline)
	return res, nil
}

// verifyLPSED checks every acknowledged offer: its receipt against the
// receipt key from /v1/keys and its proof file; then, after the deadline,
// that each closing counts exactly the acknowledged offers, and after the
// opening, that the audit bundle verifies (audit.Verify) and holds each
// acknowledged receipt's log entry, opened, with the acknowledged digest.
func verifyLPSED(ctx context.Context, w *lpsedWorld, res *RushResult, offers []*rushOffer, outs []outcome, deadline time.Time) {
	problem := func(format string, args ...any) {
		if len(res.Problems) < 50 {
			res.Problems = append(res.Problems, fmt.Sprintf(format, args...))
		}
	}
	acked := map[string][]int{} // tender → offers acknowledged
	receipts := make([]auditlog.Receipt, len(outs))
	verified := make([]bool, len(outs))
	var mu sync.Mutex
	lockedProblem := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		problem(format, args...)
	}
	var wg sync.WaitGroup
	slots := make(chan struct{}, 4)
	for k, o := range outs {
		if o.err != nil {
			continue
		}
		acked[offers[k].tender] = append(acked[offers[k].tender], k)
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			verified[k] = checkLPSEDReceipt(ctx, w, offers[k], o, &receipts[k], lockedProblem)
		})
	}
	wg.Wait()
	for _, ok := range verified {
		if ok {
			res.ReceiptsVerified++
			res.ProofsVerified++
		}
	}

	time.Sleep(time.Until(deadline.Add(300 * time.Millisecond)))
	var round time.Time
	for _, t := range w.tenders {
		ct, err := w.pokja.Close(ctx, t.ID)
		if err != nil {
			problem("closing %s: %v", t.ID, err)
			continue
		}
		if ct.Offers == nil || *ct.Offers != len(acked[t.ID]) {
			problem("%s closed with %v offers, %d were acknowledged", t.ID, ct.Offers, len(acked[t.ID]))
		}
		round = ct.RoundTime
	}
	time.Sleep(time.Until(round.Add(300 * time.Millisecond)))
	dir, err := os.MkdirTemp("", "segel-bench-bundles-")
	if err != nil {
		problem("%v", err)
		return
	}
	defer os.RemoveAll(dir)
	inBundle := map[int]bool{}
	for _, t := range w.tenders {
		if _, err := w.pokja.Open(ctx, t.ID, w.committee, w.members); err != nil {
			problem("opening %s: %v", t.ID, err)
			continue
		}
		b, err := w.anon.Bundle(ctx, t.ID, filepath.Join(dir, t.ID))
		if err != nil {
			problem("bundle of %s: %v", t.ID, err)
			continue
		}
		vr, err := audit.Verify(b, *w.keys)
		if err != nil {
			problem("bundle of %s does not verify: %v", t.ID, err)
			continue
		}
		if vr.Offers != len(acked[t.ID]) || vr.Opened != vr.Offers || vr.Receipts != vr.Offers {
			problem("bundle of %s: %d offers, %d opened, %d receipts; %d acknowledged", t.ID, vr.Offers, vr.Opened, vr.Receipts, len(acked[t.ID]))
		}
		entries := map[int64][]byte{}
		for _, e := range b.Entries {
			entries[e.Index] = e.Data
		}
		rep, err := audit.VerifyOpeningReport(b.OpeningReport, w.keys.Report)
		if err != nil {
			problem("opening report of %s: %v", t.ID, err)
			continue
		}
		opened := map[int64]audit.OpenedOffer{}
		for _, o := range rep.Offers {
			opened[o.Index] = o
		}
		for _, k := range acked[t.ID] {
			r := receipts[k]
			want, err := r.Entry().Marshal()
			o, ok := opened[r.Index]
			_, hasProof := b.Receipts[r.Index]
			switch {
			case err != nil || !verified[k]:
				// the receipt did not verify: a problem already, and lost
			case !bytes.Equal(entries[r.Index], want):
				problem("%s/%s: the log does not hold the acknowledged entry %d", t.ID, offers[k].bidder, r.Index)
			case !hasProof:
				problem("%s/%s: the bundle has no proof file for entry %d", t.ID, offers[k].bidder, r.Index)
			case !ok || o.SHA256 != r.SHA256 || o.Outcome != audit.OutcomeOpened:
				problem("%s/%s: entry %d is not opened in the report with the acknowledged digest", t.ID, offers[k].bidder, r.Index)
			default:
				inBundle[k] = true
			}
		}
	}
	for k, o := range outs {
		if o.err != nil {
			continue
		}
		if inBundle[k] {
			res.InClosing++
		} else {
			res.Lost++
		}
	}
}

func checkLPSEDReceipt(ctx context.Context, w *lpsedWorld, of *rushOffer, o outcome, out *auditlog.Receipt, problem func(string, ...any)) bool {
	r, err := auditlog.VerifyReceipt(o.receipt.Signed, w.keys.Receipt)
	if err != nil {
		problem("%s/%s: receipt does not verify: %v", of.tender, of.bidder, err)
		return false
	}
	*out = r
	if r.SHA256 != of.sent.SHA256 || r.Size != of.sent.Size || r.Tender != of.tender || r.Bidder != w.ids[of.bidder] {
		problem("%s/%s: receipt %d binds another offer", of.tender, of.bidder, r.Index)
		return false
	}
	pf, err := w.anon.ProofFile(ctx, o.receipt.Signed)
	if err == nil {
		var pr auditlog.Receipt
		if pr, _, err = auditlog.VerifyProofFile(pf, auditlog.Keys{Log: w.keys.Log, Receipt: w.keys.Receipt}); err == nil && pr != r {
			err = fmt.Errorf("proves receipt %d, not %d", pr.Index, r.Index)
		}
	}
	if err != nil {
		problem("%s/%s: proof file: %v", of.tender, of.bidder, err)
		return false
	}
	return true
}
