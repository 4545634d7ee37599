// Package client is a typed Go client for the JSON API of lpsed, Segel's
// reference server (server.Build; the routes are listed at /openapi.json).
// It is for SPSE integrators, bidders' tools, tests and the load harness.
//
// A Client talks to one server as one caller: New gives an anonymous
// client for the public endpoints, Login an authenticated one. Every call
// takes a context first. Offers and documents are streamed, never buffered
// whole; every response is read under a size cap.
//
// Requests and answers are the types of package api, the wire the server
// speaks: client.Announce takes an api.Announcement and returns an
// *api.Tender. A refusal by the server is an *APIError carrying the HTTP
// status and the API's stable code (api.CodeLate, api.CodeDuplicate,
// api.CodeWrongSeal, …), for callers to branch on:
//
//	rc, err := bidder.SubmitOffer(ctx, tenderID, f)
//	if client.ErrorCode(err) == api.CodeLate { … }
//
// Offers are sealed to the beacon chain the client pins, quicknet unless
// WithChain names another, never to a chain the server names: Target
// refuses a tender whose chain, round or times would let its offers open
// before the tender's opening time.
//
// The package depends on Segel's pure packages only (sealer, timelock,
// audit, auditlog), never on its storage: a bidder's tool built on it
// carries no database driver.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/timelock"
	"golang.org/x/mod/sumdb/note"
)

// Response caps: what the client reads of an answer at most, by kind.
const (
	maxJSONResponse  = 16 << 20 // lists of tenders or messages included
	maxErrorResponse = 64 << 10
	maxTextResponse  = 8 << 20 // receipts, proof files, reports, keys
	maxBundle        = 1 << 30 // an audit bundle's tar (no sealed files)
)

// Client calls one lpsed as one user (or anonymously). Its methods are
// safe for concurrent use. The zero value is not usable; call New.
type Client struct {
	base  string
	http  *http.Client
	token string
	chain timelock.Chain // pinned: what Target seals to
	// logKey, pinned, verifies the log a v2 tender's committee and rounds
	// are read from (FileTarget).
	logKey note.Verifier
	// tokenID, user and role are set by Login.
	tokenID string
	user    string
	role    api.Role
}

// An Option configures New.
type Option func(*Client)

// WithHTTPClient makes the client send its requests through hc (its
// transport, timeouts, TLS). http.DefaultClient if not given.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.http = hc } }

// WithChain pins the beacon chain that offers are sealed to
// (timelock.Quicknet if not given), as the LPSE publishes it: Target
// refuses a tender on any other chain. A deployment on its own local
// beacon is pinned with that beacon's chain info, obtained once out of
// band (its /v1/chain, or the file of "segel beacon info") and kept,
// never taken from the server each time an offer is sealed.
func WithChain(c timelock.Chain) Option { return func(cl *Client) { cl.chain = c } }

// WithLogKey pins the audit log's key (audit.Trusted's Log, from the keys
// file the LPSE publishes, obtained once out of band and kept, never taken
// from the server each time): FileTarget seals a v2 tender's file part
// only to the committee and the round the log, verified with it, names.
func WithLogKey(v note.Verifier) Option { return func(c *Client) { c.logKey = v } }

// WithToken authenticates every request with an API token from
// POST /v1/login (see Login), as "Authorization: Bearer TOKEN".
func WithToken(token string) Option { return func(c *Client) { c.token = token } }

// New returns a client of the server at baseURL, such as
// "http://127.0.0.1:8080".
func New(baseURL string, opts ...Option) *Client {
	c := &Client{base: strings.TrimRight(baseURL, "/"), http: http.DefaultClient, chain: timelock.Quicknet}
	for _, o := range opts {
		o(c)
	}
	if c.chain.IsZero() {
		c.chain = timelock.Quicknet
	}
	return c
}

// Login logs in with email and password and returns a client that
// calls the server as that user; c itself is unchanged.
func (c *Client) Login(ctx context.Context, email, password string) (*Client, error) {
	var tok api.Session
	if err := c.call(ctx, "POST", "/v1/login", api.LoginRequest{Email: email, Password: password}, &tok); err != nil {
		return nil, err
	}
	u := *c
	u.token, u.tokenID, u.user, u.role = tok.Token, tok.TokenID, tok.User, tok.Role
	return &u, nil
}

// UserID is the id of the logged-in user; "" unless the client came from
// Login.
func (c *Client) UserID() string { return c.user }

// Role is the role of the logged-in user, such as api.RoleProvider; ""
// unless the client came from Login.
func (c *Client) Role() api.Role { return c.role }

// Token is the API token the client sends, if any.
func (c *Client) Token() string { return c.token }

// TokenID is the id of the client's API token, such as "t-…", which
// names it for RevokeToken; "" unless the client came from Login.
func (c *Client) TokenID() string { return c.tokenID }

// RevokeToken revokes the API token named by tokenID (see TokenID): one's
// own, or any user's as an admin. Revoking a revoked token succeeds. A
// revoked token no longer authenticates: calls with it fail with
// api.CodeTokenRevoked, and its owner logs in again. The server answers
// api.CodeNotFound if no token has that id and api.CodeForbidden for
// another user's token unless the caller is an admin.
func (c *Client) RevokeToken(ctx context.Context, tokenID string) error {
	return c.call(ctx, "POST", "/v1/tokens/"+url.PathEscape(tokenID)+"/revoke", nil, nil)
}

// APIError is the server's refusal of a request: a non-2xx answer.
type APIError struct {
	Status  int      // HTTP status
	Code    api.Code // stable code, such as api.CodeLate; "" if the body had none
	Message string   // the server's explanation, for people
	Method  string   // of the request
	Path    string   // of the request, without the query
}

func (e *APIError) Error() string {
	code := string(e.Code)
	if code == "" {
		code = http.StatusText(e.Status)
	}
	return fmt.Sprintf("lpsed: %s %s: %d %s: %s", e.Method, e.Path, e.Status, code, e.Message)
}

// ErrorCode returns the Code of the *APIError in err's chain, or "".
func ErrorCode(err error) api.Code {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

// ErrResponseTooLarge is returned when an answer exceeds the client's cap
// for its kind.
var ErrResponseTooLarge = errors.New("client: response larger than expected")

// request is one call: body, if not nil, is sent with contentType.
func (c *Client) request(ctx context.Context, method, path, contentType string, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
		if req.ContentLength == 0 && req.Body != http.NoBody {
			switch n := fileLength(body); {
			case n == 0:
				req.Body = http.NoBody
			case n > 0:
				req.ContentLength = n
			}
		}
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		e := &APIError{Status: resp.StatusCode, Method: method, Path: strings.SplitN(path, "?", 2)[0]}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorResponse))
		var j api.Error
		if json.Unmarshal(b, &j) == nil && j.Code != "" {
			e.Code, e.Message = j.Code, j.Message
		} else {
			e.Message = strings.TrimSpace(string(b))
		}
		return nil, e
	}
	return resp, nil
}

// fileLength is the bytes left in r if r is a regular file, or -1, so
// that a file is sent with a Content-Length rather than chunked.
func fileLength(r io.Reader) int64 {
	f, ok := r.(*os.File)
	if !ok {
		return -1
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return -1
	}
	off, err := f.Seek(0, io.SeekCurrent)
	if err != nil || off > fi.Size() {
		return -1
	}
	return fi.Size() - off
}

// call sends in as JSON (nothing if nil) and decodes the JSON answer into
// out (discarded if nil).
func (c *Client) call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	return c.send(ctx, method, path, "application/json", body, out)
}

// send sends body with contentType and decodes the JSON answer into out.
func (c *Client) send(ctx context.Context, method, path, contentType string, body io.Reader, out any) error {
	resp, err := c.request(ctx, method, path, contentType, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, err := io.Copy(io.Discard, io.LimitReader(resp.Body, maxJSONResponse))
		return err
	}
	b, err := readCapped(resp.Body, maxJSONResponse)
	if err != nil {
		return fmt.Errorf("client: %s %s: %w", method, path, err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("client: %s %s: decoding the answer: %w", method, path, err)
	}
	return nil
}

// text fetches a small non-JSON answer (a signed note, a report).
func (c *Client) text(ctx context.Context, method, path, contentType string, body io.Reader, limit int64) ([]byte, error) {
	resp, err := c.request(ctx, method, path, contentType, body)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := readCapped(resp.Body, limit)
	if err != nil {
		return nil, fmt.Errorf("client: %s %s: %w", method, path, err)
	}
	return b, nil
}

// stream copies a binary answer to w, at most limit bytes.
func (c *Client) stream(ctx context.Context, path string, w io.Writer, limit int64) (int64, error) {
	resp, err := c.request(ctx, "GET", path, "", nil)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(w, io.LimitReader(resp.Body, limit+1))
	if err == nil && n > limit {
		err = fmt.Errorf("client: GET %s: %w (more than %d bytes)", path, ErrResponseTooLarge, limit)
	}
	return n, err
}

func readCapped(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w (more than %d bytes)", ErrResponseTooLarge, limit)
	}
	return b, nil
}

// Healthz reports whether the server answers (GET /healthz).
func (c *Client) Healthz(ctx context.Context) error {
	var h api.Health
	return c.call(ctx, "GET", "/healthz", nil, &h)
}

// WaitReady polls Healthz until the server answers or ctx ends; lpsed
// listens only once its deployment is built, so an answer means it serves.
func (c *Client) WaitReady(ctx context.Context) error {
	for {
		err := c.Healthz(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("client: %s not ready: %w (last error: %v)", c.base, ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// get calls method path with in as JSON and decodes the answer as a T.
func get[T any](ctx context.Context, c *Client, method, path string, in any) (*T, error) {
	var v T
	if err := c.call(ctx, method, path, in, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// list GETs a JSON array from path.
func list[T any](ctx context.Context, c *Client, path string) ([]T, error) {
	var v []T
	if err := c.call(ctx, "GET", path, nil, &v); err != nil {
		return nil, err
	}
	return v, nil
}
