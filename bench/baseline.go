package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"
)

// baselineServer is the floor a submission server cannot go below on this
// machine: an HTTP server that receives each offer's bytes, writes them to
// a file and fsyncs it, and nothing else (no parsing, hashing, database
// or log). It runs in-process; each request's CPU time is measured on its
// own OS thread so the client's share can be told apart.
type baselineServer struct {
	dir   string
	srv   *http.Server
	url   string
	n     atomic.Int64
	cpuNs atomic.Int64
}

func startBaseline(dir string) (*baselineServer, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	b := &baselineServer{dir: dir, url: "http://" + ln.Addr().String()}
	b.srv = &http.Server{Handler: b, ReadHeaderTimeout: 10 * time.Second}
	go b.srv.Serve(ln)
	return b, nil
}

func (b *baselineServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	t0 := threadCPU()
	defer func() { b.cpuNs.Add(int64(threadCPU() - t0)) }()

	if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, "/offers/") {
		http.Error(w, "POST /offers/TENDER/BIDDER", http.StatusNotFound)
		return
	}
	name := fmt.Sprintf("%08d", b.n.Add(1))
	if err := b.store(filepath.Join(b.dir, name), r.Body); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusCreated)
	io.WriteString(w, name)
}

func (b *baselineServer) store(path string, body io.Reader) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, body)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// serverCPU is the CPU time spent in request handlers so far.
func (b *baselineServer) serverCPU() time.Duration { return time.Duration(b.cpuNs.Load()) }

// Close stops the server. Every answer of the rush has been received by
// then, so connections still open are idle keep-alives or ones the client
// gave up on: after a grace period they are closed, not waited for (on a
// loaded CI machine Shutdown's wait ran out and failed a finished run).
func (b *baselineServer) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.srv.Shutdown(ctx); errors.Is(err, context.DeadlineExceeded) {
		return b.srv.Close()
	} else if err != nil {
		return err
	}
	return nil
}
