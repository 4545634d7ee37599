package main

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdCutProxy serves $LPSE through a proxy that breaks the connection the
// way a bad link does, and sets $CUT to its URL:
//
//	cutproxy once N     cuts the upload chunk in flight when N bytes of
//	                    chunks have passed, once, mid-body: the server
//	                    keeps nothing of that chunk, the client sees its
//	                    connection drop; then lets everything through
//	cutproxy down N     cuts as once, and from then on drops every request
//	cutproxy stall N    stops reading the chunk in flight at N bytes, holds
//	                    the connection open, and creates the file "stalled"
//	cutproxy finish     lets everything through, but drops the connection of
//	                    the first upload finish after the server answered it
//	cutproxy heal       the link is back: the script's last proxy lets new
//	                    requests through
//
// Requests it cut or dropped are counted in the file "cuts".
func cmdCutProxy(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 || (args[0] == "finish" || args[0] == "heal") != (len(args) == 1) {
		ts.Fatalf("usage: cutproxy once|down|stall N | cutproxy finish | cutproxy heal")
	}
	if args[0] == "heal" {
		p, ok := proxies.Load(ts)
		if !ok {
			ts.Fatalf("cutproxy heal: no proxy")
		}
		p.(*cutProxy).mu.Lock()
		p.(*cutProxy).healed = true
		p.(*cutProxy).mu.Unlock()
		return
	}
	p := &cutProxy{mode: args[0], upstream: ts.Getenv("LPSE"), quit: make(chan struct{}), dir: ts.MkAbs(".")}
	if len(args) == 2 {
		n, err := strconv.ParseInt(args[1], 10, 64)
		ts.Check(err)
		p.at = n
	}
	switch p.mode {
	case "once", "down", "stall", "finish":
	default:
		ts.Fatalf("cutproxy: unknown mode %q", p.mode)
	}
	srv := httptest.NewServer(p)
	proxies.Store(ts, p)
	ts.Defer(func() {
		proxies.Delete(ts)
		close(p.quit) // a stalled request returns, so Close can wait for it
		srv.Close()
	})
	ts.Setenv("CUT", srv.URL)
}

// proxies holds each script's last proxy, for cutproxy heal.
var proxies sync.Map // *testscript.TestScript → *cutProxy

type cutProxy struct {
	mode     string
	upstream string
	at       int64 // bytes of chunks to let through before cutting
	quit     chan struct{}
	dir      string

	mu     sync.Mutex
	passed int64 // bytes of chunks let through
	cut    bool  // the cut happened
	cuts   int
	healed bool // new requests pass
}

var errCut = errors.New("cut by the test proxy")

func (p *cutProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	down := p.mode == "down" && p.cut && !p.healed
	healed := p.healed
	p.mu.Unlock()
	if down {
		p.drop(w)
		return
	}
	var body io.Reader = r.Body
	if r.Method == "PUT" && p.mode != "finish" && !healed {
		body = &cutReader{r: r.Body, p: p}
	}
	out, err := http.NewRequestWithContext(r.Context(), r.Method, p.upstream+r.URL.RequestURI(), body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	out.Header = r.Header.Clone()
	out.ContentLength = r.ContentLength
	if r.ContentLength == 0 {
		out.Body = http.NoBody
	}
	resp, err := http.DefaultTransport.RoundTrip(out)
	if cr, ok := body.(*cutReader); ok && cr.cut {
		if resp != nil {
			resp.Body.Close()
		}
		p.drop(w)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	if p.mode == "finish" && strings.HasSuffix(r.URL.Path, "/finish") {
		p.mu.Lock()
		first := !p.cut
		p.cut = true
		p.mu.Unlock()
		if first {
			io.Copy(io.Discard, resp.Body) // the server has answered
			p.drop(w)
			return
		}
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

// drop closes the client's connection without an answer.
func (p *cutProxy) drop(w http.ResponseWriter) {
	p.mu.Lock()
	p.cuts++
	n := p.cuts
	p.mu.Unlock()
	os.WriteFile(p.dir+"/cuts", []byte(strconv.Itoa(n)+"\n"), 0o644)
	conn, buf, err := w.(http.Hijacker).Hijack()
	if err != nil {
		panic(err)
	}
	buf.Flush()
	conn.Close()
}

// cutReader passes a chunk's body upstream until the proxy's cut point.
type cutReader struct {
	r   io.Reader
	p   *cutProxy
	cut bool
}

func (c *cutReader) Read(b []byte) (int, error) {
	p := c.p
	p.mu.Lock()
	left := int64(-1) // no cut pending
	if !p.cut {
		left = p.at - p.passed
	}
	p.mu.Unlock()
	if left == 0 {
		c.cut = true
		p.mu.Lock()
		p.cut = true
		p.mu.Unlock()
		if p.mode == "stall" {
			os.WriteFile(p.dir+"/stalled", nil, 0o644)
			select {
			case <-p.quit:
			case <-time.After(time.Minute):
			}
		}
		return 0, errCut
	}
	if left > 0 && int64(len(b)) > left {
		b = b[:left]
	}
	n, err := c.r.Read(b)
	p.mu.Lock()
	p.passed += int64(n)
	p.mu.Unlock()
	return n, err
}

// cmdWaitFile waits until a file exists, for at most 30 seconds.
func cmdWaitFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waitfile FILE")
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(ts.MkAbs(args[0])); err == nil {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("%s did not appear in time", args[0])
		}
		time.Sleep(20 * time.Millisecond)
	}
}
