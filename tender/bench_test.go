package tender

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/vault"
)

// BenchmarkOpening opens one tender of 1,000 offers of 256 KiB on the
// embedded backend, next to the ideal parallel time: the per-offer cost
// of opening with the sealer alone (read from memory, no storage, no
// log), summed and divided by the cores used, measured in the same run.
//
//	go test -run '^$' -bench Opening -benchtime 1x ./tender
//
// Report ceremony/ideal: the cost of storage, logging and reports.
func BenchmarkOpening(b *testing.B) {
	const offers, size = 1000, 256 << 10
	e, tn, files := benchTender(b, offers, size)
	for i, f := range files {
		if _, err := e.engine.Submit(e.ctx, benchBidder(i), tn.ID, bytes.NewReader(f)); err != nil {
			b.Fatal(err)
		}
	}
	sample := files[0]
	e.set(e.beacon.Chain().TimeOf(tn.Round))
	sig, err := e.beacon.Signature(e.ctx, tn.Round)
	if err != nil {
		b.Fatal(err)
	}
	id, err := sealer.NewIdentity(e.beacon.Chain(), tn.Round, sig, e.committee)
	if err != nil {
		b.Fatal(err)
	}

	// The per-offer sealer cost, one core.
	const probes = 50
	start := time.Now()
	for range probes {
		r, err := age.Decrypt(bytes.NewReader(sample), id)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, r)
	}
	perOffer := time.Since(start) / probes
	cores := min(runtime.GOMAXPROCS(0), e.engine.cfg.OpenWorkers)
	ideal := perOffer * offers / time.Duration(cores)

	b.ResetTimer()
	start = time.Now()
	op, err := e.engine.Open(e.ctx, "pokja-1", tn.ID, Ceremony{Committee: e.committee, Witnesses: []string{"pokja-1"}})
	if err != nil {
		b.Fatal(err)
	}
	wall := time.Since(start)
	b.StopTimer()
	if len(op.Witness) != 0 || len(op.Report.Offers) != offers {
		b.Fatalf("opened %d offers with %d failures", len(op.Report.Offers), len(op.Witness))
	}
	b.ReportMetric(float64(perOffer.Microseconds()), "µs/offer-sealer")
	b.ReportMetric(ideal.Seconds(), "s-ideal")
	b.ReportMetric(wall.Seconds(), "s-ceremony")
	b.ReportMetric(float64(wall)/float64(ideal), "ceremony/ideal")
}

// BenchmarkSubmit submits 256 KiB offers from 64 concurrent bidders to one
// tender on the embedded backend, next to a baseline measured in the same
// run: the same bytes written to files and fsynced by 64 writers. Report
// offers/s and submit/baseline, the cost per offer of the engine's checks,
// storage, log and receipt over a bare durable write, and the process's
// CPU time per submitted offer (user + system, getrusage).
//
//	go test -run '^$' -bench Submit -benchtime 3000x ./tender
func BenchmarkSubmit(b *testing.B) {
	const conc, size = 64, 256 << 10
	n := b.N
	e, tn, offers := benchTender(b, n, size)
	run := func(f func(i int) error) time.Duration {
		var next atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		for range conc {
			wg.Go(func() {
				for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
					if err := f(i); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		return time.Since(start)
	}
	// The baseline runs before and after the engine, and their mean is
	// the reference: on a shared machine the cost of a write varies over
	// a run.
	dir := b.TempDir()
	writeAll := func(round int) time.Duration {
		return run(func(i int) error {
			f, err := os.Create(filepath.Join(dir, fmt.Sprintf("%d-%d", round, i)))
			if err != nil {
				return err
			}
			defer f.Close()
			if _, err := f.Write(offers[i]); err != nil {
				return err
			}
			return f.Sync()
		})
	}
	before := writeAll(0)
	b.ResetTimer()
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(0, &ru0)
	wall := run(func(i int) error {
		_, err := e.engine.Submit(e.ctx, benchBidder(i), tn.ID, bytes.NewReader(offers[i]))
		return err
	})
	b.StopTimer()
	syscall.Getrusage(0, &ru1)
	cpu := time.Duration(ru1.Utime.Nano() - ru0.Utime.Nano() + ru1.Stime.Nano() - ru0.Stime.Nano())
	baseline := (before + writeAll(1)) / 2
	b.ReportMetric(float64(n)/wall.Seconds(), "offers/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(n), "cpu-µs/offer")
	b.ReportMetric(float64(n)/baseline.Seconds(), "baseline-offers/s")
	b.ReportMetric(float64(wall)/float64(baseline), "submit/baseline")
}

// benchTender announces a tender on a fresh embedded backend and registers
// n bidders ("bench-000000"…), each with an offer of size bytes sealed to
// it (random first bytes): what bidders bring to a benchmark.
func benchTender(b *testing.B, n, size int) (*env, *Tender, [][]byte) {
	backend, err := vault.OpenEmbedded(b.Context(), vault.EmbeddedConfig{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { backend.Close() })
	e := newEnv(b, backend)
	tn := e.announce(b)
	e.set(testStart.Add(time.Minute))
	target, _ := tn.Target(e.engine)
	offers := make([][]byte, n)
	doc := make([]byte, size)
	for i := range n {
		bidder := benchBidder(i)
		e.dir.providers[bidder] = nil
		if err := e.engine.Register(e.ctx, bidder, tn.ID); err != nil {
			b.Fatal(err)
		}
		rand.Read(doc[:64])
		var buf bytes.Buffer
		if _, err := sealer.Seal(&buf, bytes.NewReader(doc), target); err != nil {
			b.Fatal(err)
		}
		offers[i] = buf.Bytes()
	}
	return e, tn, offers
}

func benchBidder(i int) string { return fmt.Sprintf("bench-%06d", i) }
