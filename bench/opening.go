package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"runtime"
	"sync"
	"time"

	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/tender"
	"github.com/segel-lpse/segel/vault"
)

// OpeningResult is every figure of the opening peak.
type OpeningResult struct {
	Tenders     int   `json:"tenders"`
	Offers      int   `json:"offers"` // in all tenders
	PlainBytes  int64 `json:"plain_bytes"`
	SealedBytes int64 `json:"sealed_bytes"`

	Submit     Usage       `json:"submit"` // not the measured phase: for reference
	SubmitRate float64     `json:"submit_offers_per_s"`
	Usage      Usage       `json:"usage"` // the measured phase: all tenders opening at once
	OffersPerS float64     `json:"offers_per_s"`
	MBPerS     float64     `json:"mb_per_s"` // plaintext, 10^6 bytes
	PerOffer   Percentiles `json:"per_offer_latency"`
	PerTender  Percentiles `json:"per_tender_wall"`
	Limit      Limit       `json:"limit"`
	Ratio      float64     `json:"wall_over_limit"`
	// CPURatio is the CPU the opening used over the CPU the limit counts
	// (limit × cores): above 1 is work the limit does not count, while
	// Ratio also grows when the cores are not all ours (a shared machine)
	// or the engine waits (storage, log).
	CPURatio     float64 `json:"cpu_over_limit_cpu"`
	LimitSeconds float64 `json:"limit_s"`

	Opened           int      `json:"opened"`
	Failed           int      `json:"failed"`
	ReportsVerified  int      `json:"reports_verified"`
	ReceiptsVerified int      `json:"receipts_verified"`
	ProofsVerified   int      `json:"proofs_verified"`
	Problems         []string `json:"problems,omitempty"`

	Spans []Span `json:"-"` // per offer, for the timeline plot
}

// Span is one offer's opening, in seconds since the phase started.
type Span struct {
	Tender     int
	Start, End float64
	Bytes      int64
}

// submitted is what a bidder keeps: the receipt and what it sent.
type submitted struct {
	sent    sealed
	receipt *tender.Receipt
}

func runOpening(ctx context.Context, c Config, d *deployment, stderr io.Writer) (*OpeningResult, error) {
	res := &OpeningResult{Tenders: c.Tenders, Offers: c.Tenders * c.Offers}
	bidders := make([]string, c.Offers)
	for j := range bidders {
		bidders[j] = fmt.Sprintf("penyedia-%05d", j+1)
	}
	deadline := d.now().Add(24 * time.Hour).Truncate(time.Second)
	tenders := make([]*tender.Tender, c.Tenders)
	for i := range tenders {
		t, err := d.announce(ctx, fmt.Sprintf("Paket pekerjaan %d", i+1), deadline, bidders)
		if err != nil {
			return nil, err
		}
		tenders[i] = t
	}

	// Bidders seal and submit. Sealing is their machines' work; the
	// submission is not the phase measured here either (the rush is).
	subs := make([][]submitted, c.Tenders)
	sizeTab := make([][]int64, c.Tenders)
	for i := range sizeTab {
		sizeTab[i] = sizes(c.Seed, uint64(i), c.Offers, c.Median, c.Sigma, c.MaxSize)
	}
	var mu sync.Mutex
	var firstErr error
	bar := newProgress(stderr, "opening: seal+submit", res.Offers)
	meter := startUsage()
	// Each worker submits whole tenders, in bidder order. Workaround: the
	// engine's closing lists offers by bidder, and audit refuses an opening
	// report whose offers are not in log order, so a tender whose bidders
	// submit out of name order cannot be opened (see README.md, "Found").
	work := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var doc []byte
			var buf bytes.Buffer
			for i := range work {
				for j := range c.Offers {
					s, err := submitOne(ctx, c, d, tenders[i], bidders[j], sizeTab[i][j], &doc, &buf, i, j)
					mu.Lock()
					if err != nil && firstErr == nil {
						firstErr = err
					}
					subs[i][j] = s
					res.PlainBytes += int64(len(doc))
					res.SealedBytes += s.sent.Size
					mu.Unlock()
					bar.Add(1)
				}
			}
		}()
	}
	for i := range tenders {
		subs[i] = make([]submitted, c.Offers)
	}
	for i := range tenders {
		work <- i
	}
	close(work)
	wg.Wait()
	bar.Done()
	res.Submit = meter.Stop()
	res.SubmitRate = float64(res.Offers) / res.Submit.WallSeconds
	if firstErr != nil {
		return nil, firstErr
	}

	// The round comes: jump the clock to it rather than wait.
	var last time.Time
	for _, t := range tenders {
		if at := d.beacon.Chain().TimeOf(t.Round); at.After(last) {
			last = at
		}
	}
	d.jumpTo(last)

	sink := &hashSink{blobs: d.blobs}
	bar = newProgress(stderr, "opening: open", res.Offers)
	sink.bar = bar
	openings := make([]*tender.Opening, c.Tenders)
	errs := make([]error, c.Tenders)
	tenderWall := make([]time.Duration, c.Tenders)
	ceremony := tender.Ceremony{Committee: d.committee, Witnesses: committee[:2], Sink: sink}
	stopProfiles, err := startProfiles(c)
	if err != nil {
		return nil, err
	}
	meter = startUsage()
	sink.start = meter.start
	for i, t := range tenders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			openings[i], errs[i] = d.engine.Open(ctx, committee[0], t.ID, ceremony)
			tenderWall[i] = time.Since(t0)
		}()
	}
	wg.Wait()
	res.Usage = meter.Stop()
	bar.Done()
	if err := stopProfiles(); err != nil {
		return nil, err
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	res.OffersPerS = float64(res.Offers) / res.Usage.WallSeconds
	res.MBPerS = float64(res.PlainBytes) / 1e6 / res.Usage.WallSeconds
	res.PerOffer = percentiles(sink.latencies())
	res.PerTender = percentiles(tenderWall)
	res.Spans = sink.spans(subs)

	// The limit, measured now, on the same machine and chain.
	sig, err := d.beacon.Signature(ctx, tenders[0].Round)
	if err != nil {
		return nil, err
	}
	target, err := tenders[0].Target(d.engine)
	if err != nil {
		return nil, err
	}
	res.Limit, err = measureLimit(target, sig, d.committee)
	if err != nil {
		return nil, err
	}
	res.LimitSeconds = res.Limit.Seconds(res.PlainBytes, res.Offers)
	res.Ratio = res.Usage.WallSeconds / res.LimitSeconds
	res.CPURatio = res.Usage.CPUSeconds / (res.LimitSeconds * float64(res.Limit.Cores))

	verifyOpening(ctx, d, res, tenders, openings, subs)
	return res, nil
}

func submitOne(ctx context.Context, c Config, d *deployment, t *tender.Tender, bidder string, size int64, doc *[]byte, buf *bytes.Buffer, i, j int) (submitted, error) {
	*doc = plaintext(*doc, size, c.Seed, i, j)
	target, err := t.Target(d.engine)
	if err != nil {
		return submitted{}, err
	}
	s, err := sealTo(buf, *doc, target)
	if err != nil {
		return submitted{}, fmt.Errorf("sealing offer %d of %s: %w", j, t.ID, err)
	}
	r, err := d.engine.Submit(ctx, bidder, t.ID, bytes.NewReader(buf.Bytes()))
	if err != nil {
		return submitted{}, fmt.Errorf("submitting offer %d of %s: %w", j, t.ID, err)
	}
	return submitted{sent: s, receipt: r}, nil
}

// verifyOpening checks, after the measurement, that every tender's opening
// report verifies and lists every offer as opened, and that every receipt
// verifies, names what the bidder sent, and has a proof file that verifies
// against the pinned keys.
func verifyOpening(ctx context.Context, d *deployment, res *OpeningResult, tenders []*tender.Tender, openings []*tender.Opening, subs [][]submitted) {
	problem := func(format string, args ...any) {
		if len(res.Problems) < 50 {
			res.Problems = append(res.Problems, fmt.Sprintf(format, args...))
		}
	}
	for i, t := range tenders {
		rep, err := audit.VerifyOpeningReport(openings[i].Signed, d.reportKey)
		if err != nil {
			problem("%s: opening report: %v", t.ID, err)
			continue
		}
		res.ReportsVerified++
		byBidder := map[string]audit.OpenedOffer{}
		for _, o := range rep.Offers {
			byBidder[o.Bidder] = o
			if o.Outcome == audit.OutcomeOpened {
				res.Opened++
			} else {
				res.Failed++
				problem("%s: offer of %s: %s", t.ID, o.Bidder, o.Outcome)
			}
		}
		for _, s := range subs[i] {
			if ok := verifyReceipt(ctx, d, s, problem); ok {
				res.ReceiptsVerified++
				res.ProofsVerified++
			}
			if o, ok := byBidder[s.receipt.Bidder]; !ok || o.SHA256 != s.sent.SHA256 {
				problem("%s: the opening report does not list %s's acknowledged offer", t.ID, s.receipt.Bidder)
			}
		}
	}
}

// verifyReceipt checks one acknowledged offer: the signed receipt, that it
// binds the bytes the bidder sent, and its proof file.
func verifyReceipt(ctx context.Context, d *deployment, s submitted, problem func(string, ...any)) bool {
	r, err := auditlog.VerifyReceipt(s.receipt.Signed, d.keys.Receipt)
	if err != nil {
		problem("receipt %d: %v", s.receipt.Index, err)
		return false
	}
	if r.SHA256 != s.sent.SHA256 || r.Size != s.sent.Size {
		problem("receipt %d binds %x (%d bytes), the bidder sent %x (%d bytes)", r.Index, r.SHA256[:8], r.Size, s.sent.SHA256[:8], s.sent.Size)
		return false
	}
	pf, err := d.engine.ProofFile(ctx, s.receipt.Signed)
	if err != nil {
		problem("receipt %d: proof file: %v", r.Index, err)
		return false
	}
	pr, _, err := auditlog.VerifyProofFile(pf, d.keys)
	if err != nil || pr != r {
		problem("receipt %d: proof file does not verify: %v", r.Index, err)
		return false
	}
	return true
}

// timedBlobs notes when the engine starts reading each sealed offer.
type timedBlobs struct {
	vault.Blobs
	opened sync.Map // [32]byte → time.Time
}

func (b *timedBlobs) Open(ctx context.Context, digest [32]byte) (io.ReadCloser, error) {
	b.opened.Store(digest, time.Now())
	return b.Blobs.Open(ctx, digest)
}

// hashSink is the committee's storage in the bench: it checksums each
// plaintext (CRC-32C, hardware-accelerated, so the sink costs next to
// nothing) and discards it. An offer's latency runs from the engine
// opening its sealed blob to the sink's Close, i.e. the whole decryption
// of that offer, including waiting on the storage but not the queueing
// before a worker picks it.
type hashSink struct {
	blobs *timedBlobs
	bar   *progress
	start time.Time
	mu    sync.Mutex
	done  []spanRec
}

type spanRec struct {
	sealed     [32]byte
	start, end time.Time
	bytes      int64
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func (s *hashSink) Create(bidder string, sealed [32]byte) (io.WriteCloser, error) {
	return &hashWriter{s: s, sealed: sealed, h: crc32.New(castagnoli)}, nil
}

func (s *hashSink) Discard(bidder string, sealed [32]byte) error { return nil }

func (s *hashSink) latencies() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]time.Duration, len(s.done))
	for i, r := range s.done {
		out[i] = r.end.Sub(r.start)
	}
	return out
}

func (s *hashSink) spans(subs [][]submitted) []Span {
	idx := map[[32]byte]int{}
	for i, ss := range subs {
		for _, o := range ss {
			idx[o.sent.SHA256] = i
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Span, len(s.done))
	for i, r := range s.done {
		out[i] = Span{Tender: idx[r.sealed], Start: r.start.Sub(s.start).Seconds(), End: r.end.Sub(s.start).Seconds(), Bytes: r.bytes}
	}
	return out
}

type hashWriter struct {
	s      *hashSink
	sealed [32]byte
	h      hash.Hash32
	n      int64
}

func (w *hashWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return w.h.Write(p)
}

func (w *hashWriter) Close() error {
	end := time.Now()
	start, _ := w.s.blobs.opened.Load(w.sealed)
	t0, _ := start.(time.Time)
	w.s.mu.Lock()
	w.s.done = append(w.s.done, spanRec{sealed: w.sealed, start: t0, end: end, bytes: w.n})
	w.s.mu.Unlock()
	w.s.bar.Add(1)
	return nil
}
