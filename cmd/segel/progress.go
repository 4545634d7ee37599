package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// progressBar draws an upload's progress on one terminal line of standard
// error, at most ten times a second. A nil *progressBar draws nothing:
// segel draws only when standard error is a terminal.
type progressBar struct {
	mu      sync.Mutex
	w       io.Writer
	label   string
	total   int64
	held    int64 // bytes the server holds
	flight  int64 // bytes of the chunk in flight, taken by the transport
	active  bool
	began   time.Time
	from    int64 // held when the bar began, for the rate
	drawn   time.Time
	now     func() time.Time
	written bool // a line is on the screen
}

// newProgressBar returns a bar drawn on w, or nil if w is not a terminal.
func newProgressBar(w io.Writer) *progressBar {
	if !isTerminal(w) {
		return nil
	}
	return &progressBar{w: w, now: time.Now}
}

// start shows the bar for label (a file name) of total bytes, from
// received bytes on.
func (p *progressBar) start(label string, total, received int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.label, p.total = label, total
	p.active, p.held, p.flight, p.from, p.began = true, received, 0, received, p.now()
	p.draw(true)
}

// set records that the server holds received bytes.
func (p *progressBar) set(received int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.held, p.flight = received, 0
	p.draw(false)
}

// sent records n more bytes of the chunk in flight.
func (p *progressBar) sent(n int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.active {
		return
	}
	p.flight += int64(n)
	p.draw(false)
}

// note prints a line of its own above the bar.
func (p *progressBar) note(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.written {
		fmt.Fprint(p.w, "\r\033[K")
		p.written = false
	}
	fmt.Fprintln(p.w, msg)
	if p.active {
		p.draw(true)
	}
}

// stop draws the bar a last time and ends its line.
func (p *progressBar) stop() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.active {
		p.draw(true)
		fmt.Fprintln(p.w)
	}
	p.active, p.written = false, false
}

func (p *progressBar) draw(force bool) {
	now := p.now()
	if !force && now.Sub(p.drawn) < 100*time.Millisecond {
		return
	}
	p.drawn, p.written = now, true
	fmt.Fprint(p.w, "\r\033[K"+p.line(now))
}

// line renders the bar at now:
//
//	segel: T-1.age [=========>          ]  47%  1.4 of 3.0 MiB  850 KiB/s
func (p *progressBar) line(now time.Time) string {
	const width = 24
	done := min(p.held+p.flight, p.total)
	frac := 1.0
	if p.total > 0 {
		frac = float64(done) / float64(p.total)
	}
	fill := int(frac * width)
	bar := strings.Repeat("=", fill)
	if fill < width {
		bar += ">" + strings.Repeat(" ", width-fill-1)
	}
	s := fmt.Sprintf("segel: %s [%s] %3d%%  %s", p.label, bar, int(frac*100), ofSize(done, p.total))
	if secs := now.Sub(p.began).Seconds(); secs >= 1 && done > p.from {
		s += fmt.Sprintf("  %s/s", formatSize(int64(float64(done-p.from)/secs)))
	}
	return s
}

// ofSize writes "1.4 of 3.0 MiB", in the unit of the total.
func ofSize(n, total int64) string {
	unit, div := sizeUnit(total)
	if div == 1 {
		return fmt.Sprintf("%d of %d B", n, total)
	}
	return fmt.Sprintf("%.1f of %.1f %s", float64(n)/div, float64(total)/div, unit)
}

// formatSize writes a byte count for people: 512 B, 64.0 KiB, 3.2 MiB.
func formatSize(n int64) string {
	unit, div := sizeUnit(n)
	if div == 1 {
		return fmt.Sprintf("%d B", n)
	}
	return fmt.Sprintf("%.1f %s", float64(n)/div, unit)
}

func sizeUnit(n int64) (string, float64) {
	switch {
	case n >= 1<<30:
		return "GiB", 1 << 30
	case n >= 1<<20:
		return "MiB", 1 << 20
	case n >= 1<<10:
		return "KiB", 1 << 10
	}
	return "B", 1
}
