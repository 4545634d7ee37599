package client_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/client"
	"github.com/segel-lpse/segel/sealer"
)

// flaky fails some PUT requests of an upload: "cut" before the server
// sees them, "lost" after the server stored the chunk (the answer is lost
// on the way back), every second one in each case; "down" fails all of
// them.
type flaky struct {
	mode string
	mu   sync.Mutex
	puts int
}

func (f *flaky) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != "PUT" {
		return http.DefaultTransport.RoundTrip(req)
	}
	f.mu.Lock()
	f.puts++
	n := f.puts
	f.mu.Unlock()
	switch {
	case f.mode == "down", f.mode == "cut" && n%2 == 1:
		if req.Body != nil {
			io.CopyN(io.Discard, req.Body, 100)
			req.Body.Close()
		}
		return nil, errors.New("connection reset by peer (test)")
	case f.mode == "lost" && n%2 == 1:
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		resp.Body.Close()
		return nil, io.ErrUnexpectedEOF
	}
	return http.DefaultTransport.RoundTrip(req)
}

// sealedFile seals a document of size bytes to w's tender.
func sealedFile(t *testing.T, w *world, size int) []byte {
	t.Helper()
	target, err := w.anon.Target(context.Background(), w.tender.ID)
	if err != nil {
		t.Fatal(err)
	}
	doc := make([]byte, size)
	for i := range doc {
		doc[i] = byte(i * 31)
	}
	var b bytes.Buffer
	if _, err := sealer.Seal(&b, bytes.NewReader(doc), target); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestSendUpload: an upload goes through a link that cuts every other
// chunk, or loses every other answer, and the receipt binds the file; it
// comes back again with OfferReceipt.
func TestSendUpload(t *testing.T) {
	ctx := context.Background()
	ts := startServer(t)
	w, err := setup(ctx, ts.URL, 4, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	id := w.tender.ID
	keys, err := w.anon.Keys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, mode := range []string{"ok", "cut", "lost", "stale"} {
		t.Run(mode, func(t *testing.T) {
			file := sealedFile(t, w, 200_000+i)
			bidder := client.New(ts.URL, client.WithToken(w.bidders[i].Token()), client.WithHTTPClient(&http.Client{Transport: &flaky{mode: mode}}))
			up, err := bidder.BeginUpload(ctx, id, int64(len(file)))
			if err != nil {
				t.Fatal(err)
			}
			if mode == "stale" {
				// A chunk sent by an earlier run: up is behind the server.
				if _, err := bidder.PutChunk(ctx, up.ID, 0, bytes.NewReader(file[:1000])); err != nil {
					t.Fatal(err)
				}
			}
			var seen []int64
			retried := 0
			done, err := bidder.SendUpload(ctx, up, bytes.NewReader(file), client.UploadOptions{
				ChunkSize: 32 << 10, Backoff: time.Millisecond,
				Progress: func(n int64) { seen = append(seen, n) },
				Retrying: func(error, time.Duration) { retried++ },
			})
			if err != nil {
				t.Fatal(err)
			}
			if done.Received != int64(len(file)) || seen[0] != 0 || seen[len(seen)-1] != int64(len(file)) {
				t.Errorf("upload ends at %d, progress %v; want %d", done.Received, seen, len(file))
			}
			// "cut" and "lost" wait and resync; "stale" is refused at
			// offset 0 and resyncs at once, without a failure.
			if (mode == "ok" || mode == "stale") != (retried == 0) {
				t.Errorf("%d retries", retried)
			}
			rc, err := bidder.FinishUpload(ctx, up.ID)
			if err != nil {
				t.Fatal(err)
			}
			if rc.SHA256 != sha256.Sum256(file) || rc.Size != int64(len(file)) {
				t.Errorf("receipt binds %x, %d bytes; want the file sent", rc.SHA256[:8], rc.Size)
			}
			again, err := w.bidders[i].OfferReceipt(ctx, id, client.Me)
			if err != nil || !bytes.Equal(again, []byte(rc.Receipt)) {
				t.Fatalf("OfferReceipt = %q, %v; want the receipt of the submission", again, err)
			}
			if r, err := auditlog.VerifyReceipt(again, keys.Receipt); err != nil || r.Bidder != w.bidders[i].UserID() {
				t.Errorf("the receipt fetched again: %+v, %v", r, err)
			}
		})
	}

	// Another bidder's receipt is not for others; the committee before
	// closing is told when.
	_, err = w.bidders[1].OfferReceipt(ctx, id, w.bidders[0].UserID())
	wantAPIError(t, "another bidder's receipt", err, 403, api.CodeForbidden)
	_, err = w.pokja[0].OfferReceipt(ctx, id, w.bidders[0].UserID())
	wantAPIError(t, "the committee before closing", err, 409, api.CodeWrongState, "closed")
}

// TestSendUploadGivesUp: a refusal ends SendUpload at once, a link that
// stays down after Retries attempts, a canceled context at once.
func TestSendUploadGivesUp(t *testing.T) {
	ctx := context.Background()
	ts := startServer(t)
	w, err := setup(ctx, ts.URL, 1, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	file := sealedFile(t, w, 100_000)
	retried := 0
	opts := client.UploadOptions{ChunkSize: 32 << 10, Retries: 3, Backoff: time.Millisecond,
		Retrying: func(error, time.Duration) { retried++ }}

	// An upload the server does not know: not found, no retry.
	_, err = w.bidders[0].SendUpload(ctx, &api.Upload{ID: "up-none", Size: int64(len(file))}, bytes.NewReader(file), opts)
	wantAPIError(t, "unknown upload", err, 404, api.CodeNotFound)
	if retried != 0 {
		t.Errorf("a refusal was retried %d times", retried)
	}

	down := client.New(ts.URL, client.WithToken(w.bidders[0].Token()), client.WithHTTPClient(&http.Client{Transport: &flaky{mode: "down"}}))
	up, err := down.BeginUpload(ctx, w.tender.ID, int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = down.SendUpload(ctx, up, bytes.NewReader(file), opts)
	if err == nil || !strings.Contains(err.Error(), "stopped at byte 0 of") || !strings.Contains(err.Error(), "4 failed attempts") {
		t.Errorf("a link that stays down: %v", err)
	}
	if retried != 3 {
		t.Errorf("%d retries, want 3", retried)
	}

	// The upload stays, and resumes where it stands.
	st, err := w.bidders[0].UploadStatus(ctx, up.ID)
	if err != nil || st.Received != 0 {
		t.Fatalf("after the failures: %+v, %v", st, err)
	}
	if _, err := w.bidders[0].SendUpload(ctx, st, bytes.NewReader(file[:len(file)-1]), opts); err == nil || !strings.Contains(err.Error(), "reading the sealed file") {
		t.Errorf("a file shorter than the upload: %v", err)
	}

	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := w.bidders[0].SendUpload(canceled, st, bytes.NewReader(file), opts); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v", err)
	}
	for _, size := range []int64{-1, client.MaxChunk + 1} {
		if _, err := w.bidders[0].SendUpload(ctx, st, bytes.NewReader(file), client.UploadOptions{ChunkSize: size}); err == nil {
			t.Errorf("chunk size %d accepted", size)
		}
	}
}

func TestRetryable(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{&client.APIError{Status: 503}, true},
		{&client.APIError{Status: 502}, true},
		{&client.APIError{Status: 500, Code: "internal"}, true},
		{&client.APIError{Status: 429, Code: "rate-limited"}, true},
		{&client.APIError{Status: 409, Code: api.CodeBusy}, true},
		{&client.APIError{Status: 409, Code: api.CodeLate}, false},
		{&client.APIError{Status: 404, Code: api.CodeNotFound}, false},
		{&client.APIError{Status: 401, Code: "bad-token"}, false},
		{&url.Error{Op: "Put", URL: "http://x", Err: io.ErrUnexpectedEOF}, true},
		{fmt.Errorf("wrapped: %w", &url.Error{Op: "Put", URL: "http://x", Err: errors.New("connection reset by peer")}), true},
		{&url.Error{Op: "Get", URL: "https://x", Err: context.Canceled}, false},
		{client.ErrResponseTooLarge, false},
		{fmt.Errorf("reading the answer: %w", io.ErrUnexpectedEOF), true},
		{&net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}, true},
		{fmt.Errorf("%w: tender T-1 names round 1", client.ErrUnsafeTarget), false},
		{errors.New("client: decoding the answer: invalid character"), false},
		{nil, false},
	} {
		if got := client.Retryable(c.err); got != c.want {
			t.Errorf("Retryable(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

// BenchmarkSendUpload measures what resumability costs: each iteration
// sends the same 16 MiB sealed file once whole (one POST, the baseline)
// and once as a resumable upload in chunks of the sub-benchmark's size,
// against a real server on the embedded backend, and reports the ratio of
// their times (x-whole) besides each one's milliseconds. Measured in the
// same iteration, the ratio holds when the shared machine's load moves.
// Two files alternate, one sent whole and the other in chunks, each
// replacing the other as the bidder's offer.
func BenchmarkSendUpload(b *testing.B) {
	ctx := context.Background()
	ts, stop, err := newServer(ctx, b, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer stop()
	w, err := setup(ctx, ts.URL, 1, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	var files [2][]byte
	for i := range files {
		files[i] = sealedFileB(b, w, 16<<20+i)
	}
	bidder := w.bidders[0]
	for _, chunk := range []int64{1 << 20, 4 << 20, 16 << 20} {
		b.Run(fmt.Sprintf("chunks-%dMiB", chunk>>20), func(b *testing.B) {
			var whole, chunked time.Duration
			for b.Loop() {
				start := time.Now()
				if _, err := bidder.SubmitOffer(ctx, w.tender.ID, bytes.NewReader(files[0])); err != nil {
					b.Fatal(err)
				}
				whole += time.Since(start)
				start = time.Now()
				f := files[1]
				up, err := bidder.BeginUpload(ctx, w.tender.ID, int64(len(f)))
				if err != nil {
					b.Fatal(err)
				}
				if _, err := bidder.SendUpload(ctx, up, bytes.NewReader(f), client.UploadOptions{ChunkSize: chunk}); err != nil {
					b.Fatal(err)
				}
				if _, err := bidder.FinishUpload(ctx, up.ID); err != nil {
					b.Fatal(err)
				}
				chunked += time.Since(start)
			}
			b.ReportMetric(float64(chunked)/float64(whole), "x-whole")
			b.ReportMetric(float64(whole.Milliseconds())/float64(b.N), "ms-whole/op")
			b.ReportMetric(float64(chunked.Milliseconds())/float64(b.N), "ms-chunked/op")
		})
	}
}

func sealedFileB(b *testing.B, w *world, size int) []byte {
	target, err := w.anon.Target(context.Background(), w.tender.ID)
	if err != nil {
		b.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := sealer.Seal(&out, bytes.NewReader(make([]byte, size)), target); err != nil {
		b.Fatal(err)
	}
	return out.Bytes()
}
