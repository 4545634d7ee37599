package apitest

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
)

// Handler returns h with every exchange checked against the document h
// serves at /openapi.json (read once, now). It fails t at once if there
// is no such document.
func Handler(t TB, h http.Handler) http.Handler {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/openapi.json", nil))
	c, err := newChecker(t, rec.Body.Bytes())
	if err != nil {
		t.Errorf("%v", err)
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x := exchange{method: r.Method, path: r.URL.RequestURI(), reqType: r.Header.Get("Content-Type")}
		var reqBody *cappedBuffer
		if mediaType(x.reqType) == "application/json" && r.Body != nil {
			reqBody = &cappedBuffer{max: maxJSON}
			r.Body = readCloser{io.TeeReader(r.Body, reqBody), r.Body}
		}
		rw := &recorder{ResponseWriter: w}
		completed := false
		defer func() {
			if !completed {
				return // the handler panicked (an aborted answer): nothing to check
			}
			x.status, x.respType = rw.status, rw.Header().Get("Content-Type")
			if x.status == 0 {
				x.status = http.StatusOK
			}
			if rw.body != nil {
				x.respBody, x.respBodyCapped = rw.body.Bytes(), rw.body.over
			}
			if reqBody != nil && !reqBody.over {
				x.reqBody = reqBody.Bytes()
			}
			c.check(x)
		}()
		h.ServeHTTP(rw, r)
		completed = true
	})
}

// recorder keeps the status of an answer, and its body if JSON.
type recorder struct {
	http.ResponseWriter
	status int
	body   *cappedBuffer
}

func (w *recorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
		if mediaType(w.Header().Get("Content-Type")) == "application/json" {
			w.body = &cappedBuffer{max: maxJSON}
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.body != nil {
		w.body.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// cappedBuffer keeps the first max bytes written to it.
type cappedBuffer struct {
	bytes.Buffer
	max  int
	over bool
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > b.max {
		b.over = true
		return len(p), nil
	}
	return b.Buffer.Write(p)
}

type readCloser struct {
	io.Reader
	io.Closer
}

// Transport returns a RoundTripper that sends requests through base
// (http.DefaultTransport if nil) and checks every exchange against the
// document of the server it talks to, fetched from its /openapi.json at
// the first request. Use it where the server is not in the test's
// process (a real lpsed).
func Transport(t TB, base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{t: t, base: base}
}

type transport struct {
	t    TB
	base http.RoundTripper
	once sync.Once
	c    *checker
}

func (tr *transport) RoundTrip(r *http.Request) (*http.Response, error) {
	tr.once.Do(func() {
		req, _ := http.NewRequestWithContext(r.Context(), "GET", r.URL.Scheme+"://"+r.URL.Host+"/openapi.json", nil)
		resp, err := tr.base.RoundTrip(req)
		if err != nil {
			tr.t.Errorf("apitest: fetching the document: %v", err)
			return
		}
		defer resp.Body.Close()
		doc, err := io.ReadAll(io.LimitReader(resp.Body, maxJSON))
		if err == nil {
			tr.c, err = newChecker(tr.t, doc)
		}
		if err != nil {
			tr.t.Errorf("apitest: %v", err)
		}
	})
	x := exchange{method: r.Method, path: r.URL.RequestURI(), reqType: r.Header.Get("Content-Type")}
	if mediaType(x.reqType) == "application/json" && r.Body != nil && r.GetBody != nil {
		if body, err := r.GetBody(); err == nil {
			x.reqBody, _ = io.ReadAll(io.LimitReader(body, maxJSON))
			body.Close()
		}
	}
	resp, err := tr.base.RoundTrip(r)
	if err != nil || tr.c == nil {
		return resp, err
	}
	x.status, x.respType = resp.StatusCode, resp.Header.Get("Content-Type")
	if mediaType(x.respType) == "application/json" {
		b, err := io.ReadAll(io.LimitReader(resp.Body, maxJSON+1))
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(b))
		if err != nil {
			return resp, nil // the caller meets the broken body
		}
		x.respBody, x.respBodyCapped = b, len(b) > maxJSON
	}
	tr.c.check(x)
	return resp, nil
}
