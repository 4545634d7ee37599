// Package browsertest starts a real, headless Chromium for tests and
// drives it with chromedp, as the PostgreSQL suites use a real server: a
// test that needs a browser calls New, which skips loudly when none is
// installed, unless SEGEL_REQUIRE_BROWSER=1 (as in CI, whose .ci/run
// installs Debian's chromium), when it fails.
package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// EnvRequire names the variable that makes a missing browser a failure.
const EnvRequire = "SEGEL_REQUIRE_BROWSER"

// candidates are the browsers looked for, in order: Debian's chromium
// first, the browser CI installs.
var candidates = []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome-stable", "google-chrome"}

// Find returns the path of the browser New starts, or an error saying how
// to install one.
func Find() (string, error) {
	for _, c := range candidates {
		if p, err := exec.LookPath(c); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no Chromium found (looked for " + strings.Join(candidates, ", ") + "); install Debian's chromium: apt-get install chromium")
}

// Flags are the browser's command-line flags: headless, without the
// sandbox (tests run as root in CI's containers), the GPU, QUIC, and
// everything that would reach the network on its own.
var Flags = []string{
	"headless", "no-sandbox", "disable-gpu", "disable-quic", "no-first-run",
	"disable-background-networking", "disable-component-update", "disable-sync",
	"disable-default-apps", "disable-extensions", "disable-breakpad", "no-default-browser-check",
	"disable-dev-shm-usage", "password-store=basic", "use-mock-keychain", "mute-audio", "hide-scrollbars",
}

// New starts a browser with a fresh profile and returns the context of
// its first tab, for chromedp. The browser stops when tb ends. Console
// messages go to tb.Log; an uncaught exception in the page fails the test.
func New(tb testing.TB) context.Context {
	tb.Helper()
	path, err := Find()
	if err != nil {
		if os.Getenv(EnvRequire) == "1" {
			tb.Fatalf("%v (%s=1: a browser is required)", err, EnvRequire)
		}
		tb.Skipf("SKIPPING browser test: %v; set %s=1 to make this a failure", err, EnvRequire)
	}
	opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(path), chromedp.UserDataDir(tb.TempDir())}
	for _, f := range Flags {
		name, value, ok := strings.Cut(f, "=")
		if ok {
			opts = append(opts, chromedp.Flag(name, value))
		} else {
			opts = append(opts, chromedp.Flag(name, true))
		}
	}
	var out lockedBuffer
	opts = append(opts, chromedp.CombinedOutput(&out))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithLogf(tb.Logf))
	var mu sync.Mutex
	var exceptions []string
	tb.Cleanup(func() {
		cancel()
		cancelAlloc()
		mu.Lock()
		defer mu.Unlock()
		for _, e := range exceptions {
			tb.Errorf("uncaught exception in the page: %s", e)
		}
	})
	start := time.Now()
	err = chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			var args []string
			for _, a := range ev.Args {
				if a.Value != nil {
					args = append(args, string(a.Value))
				} else {
					args = append(args, a.Description)
				}
			}
			tb.Logf("browser console.%s: %s", ev.Type, strings.Join(args, " "))
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			desc := d.Text
			if d.Exception != nil {
				desc += " " + d.Exception.Description
			}
			mu.Lock()
			exceptions = append(exceptions, fmt.Sprintf("%s:%d: %s", d.URL, d.LineNumber+1, desc))
			mu.Unlock()
		}
	})
	if err != nil {
		tb.Fatalf("starting %s: %v\n%s", path, err, out.String())
	}
	tb.Logf("started %s in %v", path, time.Since(start).Round(time.Millisecond))
	return ctx
}

// lockedBuffer collects the browser's output, for the error when it does
// not start.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() < 64<<10 {
		l.b.Write(p)
	}
	return len(p), nil
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
