package main

import (
	"bytes"
	"crypto/sha256"
	"io"
	"runtime"
	"slices"
	"sync"
	"time"

	"filippo.io/age"
	"github.com/cloudflare/circl/ecc/bls12381"
	"github.com/segel-lpse/segel/sealer"
)

// Limit is what the opening could cost at best on this machine, measured
// in the same run: the bytes at the single-core age decryption rate, plus
// one fixed cost per offer, spread over the cores the run may use.
type Limit struct {
	// AgeRate is age.Decrypt's single-goroutine payload rate, plaintext
	// bytes per second (ChaCha20-Poly1305 STREAM).
	AgeRate float64 `json:"age_bytes_per_s"`
	// Pairing is one BLS12-381 pairing (circl bls12381.Pair), the heart of
	// the time-lock half.
	Pairing time.Duration `json:"pairing_ns"`
	// PerOffer is the fixed cost of opening one offer: age.Decrypt of an
	// empty sealed offer to EOF — header parse, the pairing, the ML-KEM-768
	// + X25519 decapsulation, the header MAC and the one final chunk.
	PerOffer time.Duration `json:"per_offer_fixed_ns"`
	// SHA256Rate is one core's SHA-256 rate. Not in the limit: the engine
	// hashes each sealed file (the vault re-checks its digest) and each
	// plaintext (for the opening report), work the limit does not count.
	SHA256Rate float64 `json:"sha256_bytes_per_s"`
	Cores      int     `json:"cores"`
	// ParallelCost is what the per-offer fixed cost becomes when Cores
	// goroutines, each on its own thread, decrypt at once, over PerOffer
	// (both in thread CPU time). The limit assumes 1: cores that do not
	// slow each other down. On virtual CPUs that share a physical core,
	// caches or a power budget with their siblings it is above 1, and
	// no program can reach the limit on them.
	ParallelCost float64 `json:"parallel_cost"`
	// Readings is how many times the limit was measured; each field above
	// is the median of the readings. PerOfferMin and PerOfferMax show
	// their spread: a single-thread figure on shared vCPUs moves by a
	// third between minutes.
	Readings    int           `json:"readings"`
	PerOfferMin time.Duration `json:"per_offer_fixed_min_ns"`
	PerOfferMax time.Duration `json:"per_offer_fixed_max_ns"`
}

// limitReadings is how many times measureLimit measures the limit.
const limitReadings = 3

// measureLimit measures the limit limitReadings times and keeps the
// median of each part.
func measureLimit(target sealer.Target, sig []byte, committee *age.HybridIdentity) (Limit, error) {
	var ls []Limit
	for range limitReadings {
		l, err := measureLimitOnce(target, sig, committee)
		if err != nil {
			return l, err
		}
		ls = append(ls, l)
	}
	median := func(f func(Limit) float64) float64 {
		v := make([]float64, len(ls))
		for i, l := range ls {
			v[i] = f(l)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	out := ls[0]
	out.AgeRate = median(func(l Limit) float64 { return l.AgeRate })
	out.Pairing = time.Duration(median(func(l Limit) float64 { return float64(l.Pairing) }))
	out.PerOffer = time.Duration(median(func(l Limit) float64 { return float64(l.PerOffer) }))
	out.SHA256Rate = median(func(l Limit) float64 { return l.SHA256Rate })
	out.ParallelCost = median(func(l Limit) float64 { return l.ParallelCost })
	out.Readings = len(ls)
	out.PerOfferMin, out.PerOfferMax = ls[0].PerOffer, ls[0].PerOffer
	for _, l := range ls {
		out.PerOfferMin = min(out.PerOfferMin, l.PerOffer)
		out.PerOfferMax = max(out.PerOfferMax, l.PerOffer)
	}
	return out, nil
}

// Seconds is the limit for offers offers of bytes plaintext bytes in all.
func (l Limit) Seconds(bytes int64, offers int) float64 {
	return (float64(bytes)/l.AgeRate + float64(offers)*l.PerOffer.Seconds()) / float64(l.Cores)
}

const limitPayload = 8 << 20 // bytes decrypted per age-rate sample

// measureLimitOnce measures the limit's parts on one goroutine, in CPU time, with offers
// sealed to target and opened with the round's signature sig.
func measureLimitOnce(target sealer.Target, sig []byte, committee *age.HybridIdentity) (Limit, error) {
	l := Limit{Cores: min(runtime.GOMAXPROCS(0), runtime.NumCPU())}
	// Timed in this thread's CPU time, not wall time: on a shared machine
	// a single goroutine is descheduled, and wall time would inflate the
	// limit by whatever else runs.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	id, err := sealer.NewIdentity(target.Chain, target.Round, sig, committee)
	if err != nil {
		return l, err
	}
	var big, empty bytes.Buffer
	doc := plaintext(nil, limitPayload, 0, -1, -1)
	if _, err := sealTo(&big, doc, target); err != nil {
		return l, err
	}
	if _, err := sealTo(&empty, nil, target); err != nil {
		return l, err
	}
	decrypt := func(b []byte) (int64, error) {
		r, err := age.Decrypt(bytes.NewReader(b), id)
		if err != nil {
			return 0, err
		}
		return io.Copy(io.Discard, r)
	}

	// The fixed cost first: it is subtracted from the big samples.
	var n int
	var el time.Duration
	for t0 := threadCPU(); el < 300*time.Millisecond || n < 20; el = threadCPU() - t0 {
		if _, err := decrypt(empty.Bytes()); err != nil {
			return l, err
		}
		n++
	}
	l.PerOffer = el / time.Duration(n)

	var total int64
	n, el = 0, 0
	for t0 := threadCPU(); el < 500*time.Millisecond || n < 2; el = threadCPU() - t0 {
		m, err := decrypt(big.Bytes())
		if err != nil {
			return l, err
		}
		total += m
		n++
	}
	l.AgeRate = float64(total) / (el - time.Duration(n)*l.PerOffer).Seconds()

	g1, g2 := bls12381.G1Generator(), bls12381.G2Generator()
	n, el = 0, 0
	for t0 := threadCPU(); el < 200*time.Millisecond || n < 20; el = threadCPU() - t0 {
		bls12381.Pair(g1, g2)
		n++
	}
	l.Pairing = el / time.Duration(n)

	n, el = 0, 0
	for t0 := threadCPU(); el < 200*time.Millisecond; el = threadCPU() - t0 {
		sha256.Sum256(doc)
		n++
	}
	l.SHA256Rate = float64(n) * limitPayload / el.Seconds()

	parallel, err := parallelFixedCost(l.Cores, func() error {
		_, err := decrypt(empty.Bytes())
		return err
	})
	if err != nil {
		return l, err
	}
	l.ParallelCost = float64(parallel) / float64(l.PerOffer)
	return l, nil
}

// parallelFixedCost runs op on cores goroutines at once, each locked to
// its own thread, and returns op's mean cost in thread CPU time.
func parallelFixedCost(cores int, op func() error) (time.Duration, error) {
	costs := make([]time.Duration, cores)
	errs := make([]error, cores)
	var ready, wg sync.WaitGroup
	ready.Add(cores)
	start := make(chan struct{})
	for i := range cores {
		wg.Go(func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			ready.Done()
			<-start
			var n int
			var el time.Duration
			for t0 := threadCPU(); el < 300*time.Millisecond || n < 20; el = threadCPU() - t0 {
				if errs[i] = op(); errs[i] != nil {
					return
				}
				n++
			}
			costs[i] = el / time.Duration(n)
		})
	}
	ready.Wait()
	close(start)
	wg.Wait()
	var sum time.Duration
	for i := range cores {
		if errs[i] != nil {
			return 0, errs[i]
		}
		sum += costs[i]
	}
	return sum / time.Duration(cores), nil
}
