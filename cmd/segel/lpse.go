package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/client"
	"github.com/segel-lpse/segel/timelock"
)

// The commands that talk to an LPSE (submit, receipt, proof) share how
// they find it, authenticate, retry and fail.

// maxTokenFileSize caps a token file; a token is under 100 bytes.
const maxTokenFileSize = 4 << 10

// tokenEnv is the environment variable holding the API token.
const tokenEnv = "SEGEL_TOKEN"

// loadToken returns the API token of --token-file, or else of $SEGEL_TOKEN.
// A token is never a flag value: ps shows those to every user.
func loadToken(e *env, usage, file string) (string, error) {
	var tok, from string
	switch {
	case file != "":
		b, err := readSmallFile(file, maxTokenFileSize)
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("--token-file %s: no such file", file)
		} else if err != nil {
			return "", fmt.Errorf("failed to read the token: %w", err)
		}
		lines := contentLines(b)
		if len(lines) != 1 {
			return "", fmt.Errorf("--token-file %s: want one line, the API token from POST /v1/login; found %d", file, len(lines))
		}
		tok, from = strings.TrimSpace(lines[0]), "--token-file "+file
	case e.getenv != nil && e.getenv(tokenEnv) != "":
		tok, from = strings.TrimSpace(e.getenv(tokenEnv)), tokenEnv
	default:
		return "", usageErrorf(usage, "missing API token: put it in a file for --token-file FILE, or in $%s (never on the command line, where ps shows it); lpsed gives one at POST /v1/login", tokenEnv)
	}
	if tok == "" || strings.ContainsFunc(tok, func(r rune) bool { return r <= ' ' || r > '~' }) {
		return "", fmt.Errorf("%s: not an API token (printable ASCII without spaces, as POST /v1/login answers)", from)
	}
	return tok, nil
}

// noTokenFlag is --token, which exists only to refuse: a token given on
// the command line is visible to every user of the machine.
type noTokenFlag struct{}

func (noTokenFlag) String() string { return "" }
func (noTokenFlag) Set(string) error {
	return fmt.Errorf("a token on the command line is visible to every user (ps): use --token-file FILE or $%s", tokenEnv)
}

// checkLPSEURL refuses an --lpse value that is not an http(s) URL.
func checkLPSEURL(lpse string) error {
	if !strings.HasPrefix(lpse, "https://") && !strings.HasPrefix(lpse, "http://") {
		return fmt.Errorf("--lpse %q is not an http(s) URL, such as https://lpse.example.go.id", lpse)
	}
	return nil
}

// stallTimeout is how long a request may make no progress (no byte of the
// body taken, no byte of the answer read) before it is abandoned as stalled.
const stallTimeout = time.Minute

// newLPSEClient returns a client of the LPSE at lpse, pinned to chain c,
// with token (if any), whose requests are abandoned when they stall and
// whose upload bytes go to bar.
func newLPSEClient(lpse string, c timelock.Chain, token string, bar *progressBar, more ...client.Option) (*client.Client, error) {
	if err := checkLPSEURL(lpse); err != nil {
		return nil, err
	}
	base := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   30 * time.Second,
		ResponseHeaderTimeout: 5 * time.Minute, // a finish assembles and checks the whole file
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	// No overall timeout: a chunk over a slow link may take minutes. A
	// request that stops moving is abandoned instead.
	hc := &http.Client{Transport: &watchTransport{base: base, idle: stallTimeout, sent: bar.sent}}
	opts := []client.Option{client.WithChain(c), client.WithHTTPClient(hc)}
	if token != "" {
		opts = append(opts, client.WithToken(token))
	}
	return client.New(lpse, append(opts, more...)...), nil
}

// errAgain marks a failure that running the same command again may cure:
// the exit code is exitAgain.
var errAgain = errors.New("run the same command again")

// againError is a failure of the network or of the LPSE's side, with what
// running the command again does.
type againError struct {
	err  error
	hint string
}

func (e *againError) Error() string   { return e.err.Error() + "; " + e.hint }
func (e *againError) Unwrap() []error { return []error{e.err, errAgain} }

// netErr explains the failure of a call to the LPSE: one that may pass
// later exits with exitAgain and says so with hint; a refused token says
// how to get a new one.
func netErr(err error, hint string) error {
	switch client.ErrorCode(err) {
	case "bad-token", "token-expired", "token-revoked", api.CodeUnauthenticated:
		return fmt.Errorf("%w: the LPSE refused the API token; log in again (POST /v1/login) and put the new token in the --token-file or $%s", err, tokenEnv)
	}
	if err != nil && client.Retryable(err) && !errors.Is(err, errAgain) {
		return &againError{err: err, hint: hint}
	}
	return err
}

// retrier retries calls that fail in a way that may pass (client.Retryable),
// with a doubling wait, saying so with say.
type retrier struct {
	ctx     context.Context
	retries int
	backoff time.Duration
	say     func(format string, args ...any)
}

func (r *retrier) do(what string, f func() error) error {
	wait := r.backoff
	for attempt := 0; ; attempt++ {
		err := f()
		if err == nil || !client.Retryable(err) || attempt >= r.retries {
			return err
		}
		r.say("%s: %v; trying again in %s", what, err, wait)
		select {
		case <-r.ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, 30*time.Second)
	}
}
