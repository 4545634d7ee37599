package portal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
)

// inProcess is the http.RoundTripper of the pages' API client: it calls
// the server's API handler directly, in the same process, with no socket.
// The answer is streamed through a pipe, so a page that forwards a large
// document never holds it whole.
//
// The request reaches the API as it would over the network, with the
// address of the browser the page serves (for the API's rate limits),
// taken from the page's request in the context (withOrigin).
type inProcess struct {
	api http.Handler
	// forward names the header that carries the client's address behind
	// a trusted proxy (server.Limits.ClientIPHeader); "" for none.
	forward string
}

type originKey struct{}

// withOrigin records the page's request in ctx, for the API requests the
// page makes on its behalf.
func withOrigin(ctx context.Context, r *http.Request) context.Context {
	return context.WithValue(ctx, originKey{}, r)
}

// errAborted is what a body reader meets when the API handler ends its
// answer abruptly (a panic, such as http.ErrAbortHandler).
var errAborted = errors.New("portal: the API aborted its answer")

func (t *inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	sreq := req.Clone(ctx)
	if sreq.Body == nil {
		sreq.Body = http.NoBody
	}
	sreq.RequestURI = req.URL.RequestURI()
	sreq.Proto, sreq.ProtoMajor, sreq.ProtoMinor = "HTTP/1.1", 1, 1
	sreq.RemoteAddr = "127.0.0.1:0"
	if o, ok := ctx.Value(originKey{}).(*http.Request); ok {
		sreq.RemoteAddr = o.RemoteAddr
		if t.forward != "" {
			sreq.Header.Del(t.forward)
			for _, v := range o.Header.Values(t.forward) {
				sreq.Header.Add(t.forward, v)
			}
		}
	}
	pr, pw := io.Pipe()
	w := &pipeWriter{header: http.Header{}, pw: pw, ready: make(chan struct{})}
	go func() {
		completed := false
		defer func() {
			if !completed {
				// The handler panicked: the answer is cut short, as a
				// connection the server aborts.
				w.send()
				pw.CloseWithError(fmt.Errorf("%w: %v", errAborted, recover()))
				return
			}
			w.send()
			pw.Close()
		}()
		t.api.ServeHTTP(w, sreq)
		completed = true
	}()
	select {
	case <-w.ready:
	case <-ctx.Done():
		pr.CloseWithError(ctx.Err())
		return nil, ctx.Err()
	}
	resp := &http.Response{
		Status:        strconv.Itoa(w.status) + " " + http.StatusText(w.status),
		StatusCode:    w.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        w.sent,
		Body:          pr,
		ContentLength: -1,
		Request:       req,
	}
	if n, err := strconv.ParseInt(w.sent.Get("Content-Length"), 10, 64); err == nil && n >= 0 {
		resp.ContentLength = n
	}
	if req.Method == http.MethodHead {
		resp.Body = http.NoBody
		pr.Close()
	}
	return resp, nil
}

// pipeWriter is the http.ResponseWriter of an in-process call: its
// status and header are handed over at the first write (or when the
// handler returns), its body through the pipe.
type pipeWriter struct {
	header http.Header
	pw     *io.PipeWriter
	once   sync.Once
	ready  chan struct{}
	status int
	sent   http.Header // the header as it was at the first write
}

func (w *pipeWriter) Header() http.Header { return w.header }

func (w *pipeWriter) WriteHeader(code int) {
	if code >= 100 && code < 200 {
		return // informational answers are not passed on
	}
	w.once.Do(func() {
		w.status = code
		w.sent = w.header.Clone()
		close(w.ready)
	})
}

func (w *pipeWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.pw.Write(b)
}

// Flush does nothing: the pipe hands every write over as it happens.
func (w *pipeWriter) Flush() {}

// send hands the status and header over if the handler wrote nothing.
func (w *pipeWriter) send() { w.WriteHeader(http.StatusOK) }
