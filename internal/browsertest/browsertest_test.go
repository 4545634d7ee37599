package browsertest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

func TestStarts(t *testing.T) {
	ctx := New(t)
	ua, err := chromedp.Run(ctx, chromedp.Evaluate[string](`navigator.userAgent`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ua, "HeadlessChrome/") {
		t.Errorf("user agent %q is not headless Chromium's", ua)
	}
}

// stopTB records New's verdict instead of ending the test.
type stopTB struct {
	testing.TB
	skip, fatal string
}

type stopped struct{}

func (s *stopTB) Helper() {}
func (s *stopTB) Skipf(format string, args ...any) {
	s.skip = fmt.Sprintf(format, args...)
	panic(stopped{})
}
func (s *stopTB) Fatalf(format string, args ...any) {
	s.fatal = fmt.Sprintf(format, args...)
	panic(stopped{})
}

func newWithout(t *testing.T) (s *stopTB) {
	saved := candidates
	candidates = []string{"/nonexistent/chromium"}
	defer func() { candidates = saved }()
	s = &stopTB{TB: t}
	defer func() {
		if r := recover(); r != nil && r != (stopped{}) {
			panic(r)
		}
	}()
	New(s)
	return s
}

// TestMissingBrowser checks that without a browser New skips, saying so
// and how to install one, unless SEGEL_REQUIRE_BROWSER=1 makes it fail.
func TestMissingBrowser(t *testing.T) {
	t.Setenv(EnvRequire, "")
	s := newWithout(t)
	if s.fatal != "" || !strings.Contains(s.skip, "SKIPPING") || !strings.Contains(s.skip, "apt-get install chromium") || !strings.Contains(s.skip, EnvRequire+"=1") {
		t.Errorf("no browser: skip %q, fatal %q", s.skip, s.fatal)
	}
	t.Setenv(EnvRequire, "1")
	s = newWithout(t)
	if s.skip != "" || !strings.Contains(s.fatal, "a browser is required") {
		t.Errorf("no browser, %s=1: skip %q, fatal %q", EnvRequire, s.skip, s.fatal)
	}
}

// recordTB runs New's cleanups when told, and records its errors.
type recordTB struct {
	testing.TB
	cleanups []func()
	errors   []string
}

func (r *recordTB) Helper()                   { r.TB.Helper() }
func (r *recordTB) Cleanup(f func())          { r.cleanups = append(r.cleanups, f) }
func (r *recordTB) Errorf(f string, a ...any) { r.errors = append(r.errors, fmt.Sprintf(f, a...)) }

// TestUncaughtException checks that an exception the page does not catch
// fails the test.
func TestUncaughtException(t *testing.T) {
	r := &recordTB{TB: t}
	ctx := New(r)
	defer func() {
		for i := len(r.cleanups) - 1; i >= 0; i-- {
			r.cleanups[i]()
		}
		if len(r.errors) != 1 || !strings.Contains(r.errors[0], "Error: boom") {
			t.Errorf("errors: %q, want one uncaught exception saying boom", r.errors)
		}
	}()
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`setTimeout(() => { throw new Error("boom"); }, 0); true`))
	if err != nil {
		t.Fatal(err)
	}
	// The exception is reported before this answer, and Listen sees events
	// in the order they arrive.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`new Promise(r => setTimeout(() => r(true), 100))`, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatal(err)
	}
}
