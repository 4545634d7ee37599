package portal

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestInProcess checks the pages' transport: the request as the API sees
// it (the visitor's address, the trusted proxy's header), the answer
// streamed, an aborted answer broken, a canceled request ended.
func TestInProcess(t *testing.T) {
	release := make(chan struct{})
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/whoami":
			w.Header().Set("Content-Length", "29")
			io.WriteString(w, r.RemoteAddr+" "+r.Header.Get("X-Forwarded-For"))
		case "/stream":
			w.WriteHeader(http.StatusAccepted)
			io.WriteString(w, "first ")
			<-release // the client reads the first part before the handler ends
			io.WriteString(w, "second")
		case "/abort":
			io.WriteString(w, "partial")
			panic(http.ErrAbortHandler)
		case "/echo":
			b, _ := io.ReadAll(r.Body)
			w.Header().Set("Content-Type", r.Header.Get("Content-Type"))
			w.Write(b)
		case "/hang":
			<-r.Context().Done()
		}
	})
	tr := &inProcess{api: api, forward: "X-Forwarded-For"}
	hc := &http.Client{Transport: tr}
	page, _ := http.NewRequest("GET", "/tenders", nil)
	page.RemoteAddr = "203.0.113.9:5555"
	page.Header.Set("X-Forwarded-For", "198.51.100.1")
	ctx := withOrigin(context.Background(), page)

	req, _ := http.NewRequestWithContext(ctx, "GET", "http://lpsed.internal/whoami", nil)
	req.Header.Set("X-Forwarded-For", "6.6.6.6") // the page's own claim is replaced
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if string(b) != "203.0.113.9:5555 198.51.100.1" || resp.ContentLength != 29 {
		t.Errorf("whoami: %q (length %d)", b, resp.ContentLength)
	}

	req, _ = http.NewRequestWithContext(ctx, "GET", "http://lpsed.internal/stream", nil)
	resp, err = hc.Do(req)
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("stream: %v %v", resp, err)
	}
	first := make([]byte, 6)
	if _, err := io.ReadFull(resp.Body, first); err != nil || string(first) != "first " {
		t.Fatalf("stream: first part %q, %v", first, err)
	}
	close(release)
	rest, _ := io.ReadAll(resp.Body)
	if string(rest) != "second" {
		t.Errorf("stream: rest %q", rest)
	}

	req, _ = http.NewRequestWithContext(ctx, "POST", "http://lpsed.internal/echo", strings.NewReader(`{"a":1}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err = hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	if string(b) != `{"a":1}` || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("echo: %q %q", b, resp.Header.Get("Content-Type"))
	}

	req, _ = http.NewRequestWithContext(ctx, "GET", "http://lpsed.internal/abort", nil)
	resp, err = hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(resp.Body); !errors.Is(err, errAborted) {
		t.Errorf("abort: reading the body: %v, want errAborted", err)
	}

	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	req, _ = http.NewRequestWithContext(cctx, "GET", "http://lpsed.internal/hang", nil)
	if _, err := hc.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("hang: %v, want the context's deadline", err)
	}
}
