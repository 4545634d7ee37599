package tender

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/sealer"
)

// Opening files, for v1 ceremonies and v2 completions alike: bounded
// parallelism, a plaintext sink, and the step and fault of each failure.

// putBytes stores a small document (a signed report) in Blobs.
func (e *Engine) putBytes(ctx context.Context, b []byte) ([32]byte, error) {
	info, err := e.cfg.Blobs.Put(ctx, bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return [32]byte{}, fmt.Errorf("tender: storing report: %w", err)
	}
	return info.Digest, nil
}

type failure struct {
	step, fault, detail string
	stanzas             []string
}

type openResult struct {
	plaintext [32]byte
	fail      *failure
	abort     error         // the ceremony cannot go on (the committee's storage failed)
	tally     *sealer.Tally // v2: what became of the contributions, when the header passed inspection
}

// openFunc opens one offer read from src, returning its plaintext and, for
// a v2 file, the tally of its contributions; it fails as sealer's opening
// functions do, with an *sealer.OpenError naming the step.
type openFunc func(src io.Reader, o Offer) (io.Reader, *sealer.Tally, error)

// delivered returns the offers of file part file at its closing with the
// committed files that arrived after closing, in log order. It holds the
// tender's fence, so a delivery is either seen here or refused (the
// opening time has passed).
func (e *Engine) delivered(ctx context.Context, t *Tender, file int) ([]Offer, error) {
	mu := e.tenderLock(t.ID)
	mu.Lock()
	defer mu.Unlock()
	closing := t.closing(file)
	offers := slices.Clone(closing.Offers)
	byBidder := map[string]int{}
	for i, o := range offers {
		if o.awaitsDelivery() {
			byBidder[o.Bidder] = i
		}
	}
	if len(byBidder) > 0 {
		end, err := e.logSize(ctx)
		if err != nil {
			return nil, err
		}
		entries, err := e.tenderEntries(ctx, t, end)
		if err != nil {
			return nil, err
		}
		received, _, _ := offerTypes(t.V2())
		for _, le := range entries {
			if le.Index <= closing.LogIndex {
				continue
			}
			ent, err := auditlog.ParseEntry(le.Data)
			if err != nil || ent.Type != received || t.V2() && ent.Value("file") != uintEntry(file) {
				continue
			}
			o, err := offerFromEntry(ent, le.Index)
			if err != nil {
				return nil, err
			}
			if i, ok := byBidder[o.Bidder]; ok && o.delivers(offers[i]) {
				offers[i].Delivered, offers[i].LogIndex, offers[i].Received, offers[i].Header = true, o.LogIndex, o.Received, o.Header
				delete(byBidder, o.Bidder)
			}
		}
	}
	slices.SortFunc(offers, func(a, b Offer) int { return cmp.Compare(a.LogIndex, b.LogIndex) })
	return offers, nil
}

// openAll opens offers with open, at most OpenWorkers at once.
func (e *Engine) openAll(ctx context.Context, offers []Offer, open openFunc, sink Sink) []openResult {
	results := make([]openResult, len(offers))
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(e.cfg.OpenWorkers, len(results)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				results[i] = e.openOne(ctx, offers[i], open, sink)
			}
		}()
	}
	for i := range results {
		select {
		case work <- i:
		case <-ctx.Done():
		}
	}
	close(work)
	wg.Wait()
	return results
}

// openOne opens one offer and says, if it fails, at which step and whose
// fault it is: the file's (as sealed by the bidder) or the system's. The
// step is the one sealer names, as for the committee's own sealer.Open,
// so that an auditor re-deriving it from the sealed file agrees. A
// failure of the committee's sink is no fault of the offer: it aborts.
func (e *Engine) openOne(ctx context.Context, o Offer, open openFunc, sink Sink) (res openResult) {
	if o.awaitsDelivery() {
		res.fail = &failure{step: audit.StepMissing, fault: audit.FaultFile,
			detail: fmt.Sprintf("the committed file (SHA-256 %x, %d bytes) did not arrive before the opening time", o.SHA256, o.Size)}
		return res
	}
	blob, err := e.cfg.Blobs.Open(ctx, o.SHA256)
	if err != nil {
		res.fail = &failure{step: audit.StepStorageRead, fault: audit.FaultSystem, detail: detail(err)}
		return res
	}
	defer blob.Close()
	src := &watchedReader{r: blob}
	fail := func(err error) openResult {
		var oe *sealer.OpenError
		if !errors.As(err, &oe) { // sealer fails only with OpenErrors
			return openResult{abort: fmt.Errorf("tender: opening the offer of %s: %w", o.Bidder, err)}
		}
		if src.err != nil { // the storage, not the file, failed
			return openResult{fail: &failure{step: audit.StepStorageRead, fault: audit.FaultSystem, detail: detail(src.err), stanzas: oe.Stanzas}}
		}
		// Before blaming the bidder, check that the stored bytes are still
		// the ones the receipt names: if not, storage damaged them.
		if ierr := e.checkBlob(ctx, o); ierr != nil {
			return openResult{fail: &failure{step: audit.StepStorageRead, fault: audit.FaultSystem,
				detail: detail(fmt.Errorf("stored file no longer matches its receipt (%v); opening failed with: %v", ierr, err)), stanzas: oe.Stanzas}}
		}
		return openResult{fail: &failure{step: oe.Step, fault: oe.Fault, detail: detail(err), stanzas: oe.Stanzas}}
	}

	r, tally, err := open(src, o)
	if err != nil {
		res := fail(err)
		res.tally = tally
		return res
	}
	out := &watchedWriter{w: io.Discard}
	if sink != nil {
		w, err := sink.Create(o.Bidder, o.SHA256)
		if err != nil {
			return openResult{abort: fmt.Errorf("tender: committee storage for %s: %w", o.Bidder, err)}
		}
		out.w, out.c = w, w
	}
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(out, h), r)
	if err == nil {
		err = out.close()
	}
	if err != nil && sink != nil {
		if derr := sink.Discard(o.Bidder, o.SHA256); derr != nil {
			e.log.Error("discarding a partial plaintext", "bidder", o.Bidder, "err", derr)
		}
	}
	switch {
	case out.err != nil:
		return openResult{abort: fmt.Errorf("tender: committee storage for %s: %w", o.Bidder, out.err)}
	case err != nil:
		res := fail(err)
		res.tally = tally
		return res
	}
	h.Sum(res.plaintext[:0])
	res.tally = tally
	return res
}

// checkBlob re-reads a stored offer and checks its SHA-256 and size
// against the receipt's.
func (e *Engine) checkBlob(ctx context.Context, o Offer) error {
	r, err := e.cfg.Blobs.Open(ctx, o.SHA256)
	if err != nil {
		return err
	}
	defer r.Close()
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return err
	}
	if [32]byte(h.Sum(nil)) != o.SHA256 || n != o.Size {
		return fmt.Errorf("%d bytes hashing to %x", n, h.Sum(nil)[:8])
	}
	return nil
}

// watchedReader remembers an error of the storage reader, so that a
// failure reading the blob is not blamed on the bidder's file.
type watchedReader struct {
	r   io.Reader
	err error
}

func (w *watchedReader) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	if err != nil && err != io.EOF {
		w.err = err
	}
	return n, err
}

// watchedWriter remembers an error of the committee's sink.
type watchedWriter struct {
	w   io.Writer
	c   io.Closer
	err error
}

func (w *watchedWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	if err != nil {
		w.err = err
	}
	return n, err
}

func (w *watchedWriter) close() error {
	if w.c == nil {
		return nil
	}
	if err := w.c.Close(); err != nil {
		w.err = err
		return err
	}
	return nil
}

// detail is an error's message as a report's text field holds it: one
// line of printable characters, at most 900 bytes.
func detail(err error) string {
	s := strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return ' '
	}, err.Error())
	if len(s) > 900 {
		s = strings.ToValidUTF8(s[:900], "")
	}
	return strings.TrimSpace(s)
}
