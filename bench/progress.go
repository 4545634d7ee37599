package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// progress draws a bar on stderr while a phase runs.
type progress struct {
	w     io.Writer
	label string
	total int64
	done  atomic.Int64
	fail  atomic.Int64
	start time.Time
	stop  chan struct{}
	wg    sync.WaitGroup
}

func newProgress(w io.Writer, label string, total int) *progress {
	p := &progress{w: w, label: label, total: int64(total), start: time.Now(), stop: make(chan struct{})}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				p.draw()
				fmt.Fprintln(p.w)
				return
			case <-t.C:
				p.draw()
			}
		}
	}()
	return p
}

func (p *progress) Add(n int)  { p.done.Add(int64(n)) }
func (p *progress) Fail(n int) { p.fail.Add(int64(n)) }

func (p *progress) draw() {
	const width = 30
	done := p.done.Load()
	frac := 0.0
	if p.total > 0 {
		frac = min(float64(done)/float64(p.total), 1)
	}
	bar := strings.Repeat("#", int(frac*width)) + strings.Repeat(".", width-int(frac*width))
	el := time.Since(p.start)
	failed := ""
	if f := p.fail.Load(); f > 0 {
		failed = fmt.Sprintf(" %d failed", f)
	}
	fmt.Fprintf(p.w, "\r%-22s [%s] %d/%d %5.1fs %7.1f/s%s ", p.label, bar, done, p.total, el.Seconds(), float64(done)/el.Seconds(), failed)
}

func (p *progress) Done() {
	close(p.stop)
	p.wg.Wait()
}
