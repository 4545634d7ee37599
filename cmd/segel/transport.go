package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// errStalled ends a request that made no progress for a while: on a link
// that stops moving without breaking, TCP alone can take a quarter of an
// hour to give up. It is a net.Error timeout, which client.Retryable
// retries.
var errStalled error = stallError{}

type stallError struct{}

func (stallError) Error() string   { return "the connection stalled" }
func (stallError) Timeout() bool   { return true }
func (stallError) Temporary() bool { return true }

// watchTransport abandons a request when, for idle, no byte of its body
// was taken and no byte of its answer arrived; and tells sent, if not nil,
// how many body bytes were taken, for a progress bar. Once a body is all
// sent the server may take its time to answer (a finish checks and stores
// the whole offer): the base transport's ResponseHeaderTimeout bounds
// that wait instead.
type watchTransport struct {
	base http.RoundTripper
	idle time.Duration
	sent func(n int)
}

func (t *watchTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(req.Context())
	w := &watchdog{timer: time.AfterFunc(t.idle, func() { cancel(errStalled) }), idle: t.idle, ctx: ctx}
	out := req.Clone(ctx)
	if req.Body != nil && req.Body != http.NoBody {
		out.Body = &watchedBody{rc: req.Body, w: w, sent: t.sent}
	}
	resp, err := t.base.RoundTrip(out)
	if err != nil {
		err = w.explain(err)
		w.timer.Stop()
		cancel(nil)
		return nil, err
	}
	w.poke()
	resp.Body = &watchedAnswer{rc: resp.Body, w: w, cancel: cancel}
	return resp, nil
}

// watchdog is one request's stall timer.
type watchdog struct {
	timer *time.Timer
	idle  time.Duration
	ctx   context.Context
}

func (w *watchdog) poke() { w.timer.Reset(w.idle) }

// explain replaces the cancellation error of a stalled request, which
// would read as the caller's own cancellation, by errStalled.
func (w *watchdog) explain(err error) error {
	if err != nil && err != io.EOF && errors.Is(context.Cause(w.ctx), errStalled) {
		return fmt.Errorf("%w: no progress for %s", errStalled, w.idle)
	}
	return err
}

type watchedBody struct {
	rc   io.ReadCloser
	w    *watchdog
	sent func(int)
}

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 {
		b.w.poke()
		if b.sent != nil {
			b.sent(n)
		}
	}
	if err == io.EOF {
		b.w.timer.Stop() // sent: the answer's wait is the transport's
	}
	return n, err
}

func (b *watchedBody) Close() error { return b.rc.Close() }

type watchedAnswer struct {
	rc     io.ReadCloser
	w      *watchdog
	cancel context.CancelCauseFunc
}

func (a *watchedAnswer) Read(p []byte) (int, error) {
	n, err := a.rc.Read(p)
	if n > 0 {
		a.w.poke()
	}
	return n, a.w.explain(err)
}

func (a *watchedAnswer) Close() error {
	a.w.timer.Stop()
	err := a.rc.Close()
	a.cancel(nil)
	return err
}
