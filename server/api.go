package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/segel-lpse/segel/registry"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/tender"
	"github.com/segel-lpse/segel/timelock"
	"github.com/segel-lpse/segel/vault"
)

// maxJSON caps a JSON request body; registration, which carries its
// documents, has its own cap (Limits).
const maxJSON = 1 << 20

// apiError is the body of every error response.
type apiError struct {
	Code  string `json:"code"`  // stable, for programs
	Error string `json:"error"` // what was wrong and what to do, for people
}

// errorStatus maps an error to an HTTP status and a stable code. Errors
// not listed are 500: a fault of the server, logged.
func errorStatus(err error) (int, string) {
	type m struct {
		target error
		status int
		code   string
	}
	for _, c := range []m{
		{timelock.ErrTooEarly, http.StatusTooEarly, "too-early"},
		{tender.ErrNotFound, http.StatusNotFound, "not-found"},
		{registry.ErrUnknownUser, http.StatusNotFound, "unknown-user"},
		{vault.ErrNotFound, http.StatusNotFound, "not-found"},
		{tender.ErrLate, http.StatusConflict, "late"},
		{tender.ErrNotYetOpen, http.StatusConflict, "not-yet-open"},
		{tender.ErrDuplicate, http.StatusConflict, "duplicate"},
		{tender.ErrBusy, http.StatusConflict, "busy"},
		{tender.ErrState, http.StatusConflict, "wrong-state"},
		{tender.ErrTooManyUploads, http.StatusConflict, "too-many-uploads"},
		{registry.ErrWrongState, http.StatusConflict, "wrong-state"},
		{registry.ErrDuplicateEmail, http.StatusConflict, "duplicate-email"},
		{registry.ErrDuplicateNPWP, http.StatusConflict, "duplicate-npwp"},
		{registry.ErrDocumentsUnverified, http.StatusConflict, "documents-unverified"},
		{tender.ErrTooLarge, http.StatusRequestEntityTooLarge, "too-large"},
		{registry.ErrDocumentTooLarge, http.StatusRequestEntityTooLarge, "too-large"},
		{tender.ErrWrongSeal, http.StatusUnprocessableEntity, "wrong-seal"},
		{sealer.ErrWrongCommittee, http.StatusUnprocessableEntity, "wrong-committee-key"},
		{registry.ErrBadCredentials, http.StatusUnauthorized, "bad-credentials"},
		{registry.ErrBadToken, http.StatusUnauthorized, "bad-token"},
		{registry.ErrTokenExpired, http.StatusUnauthorized, "token-expired"},
		{registry.ErrTokenRevoked, http.StatusUnauthorized, "token-revoked"},
		{registry.ErrLockedOut, http.StatusLocked, "locked-out"},
		{tender.ErrNotRegistered, http.StatusForbidden, "not-registered"},
		{registry.ErrBlacklisted, http.StatusForbidden, "blacklisted"},
		{registry.ErrDeactivated, http.StatusForbidden, "deactivated"},
		{registry.ErrNotVerified, http.StatusForbidden, "not-verified"},
		{registry.ErrRejected, http.StatusForbidden, "rejected"},
		{registry.ErrSeparationOfDuties, http.StatusForbidden, "separation-of-duties"},
		{tender.ErrForbidden, http.StatusForbidden, "forbidden"},
		{registry.ErrForbidden, http.StatusForbidden, "forbidden"},
		{registry.ErrRoleMismatch, http.StatusForbidden, "forbidden"},
		{errForbidden, http.StatusForbidden, "forbidden"},
		{errUnauthenticated, http.StatusUnauthorized, "unauthenticated"},
		{errBadRequest, http.StatusBadRequest, "bad-request"},
		{errMediaType, http.StatusUnsupportedMediaType, "unsupported-media-type"},
		{errBodyTooLarge, http.StatusRequestEntityTooLarge, "too-large"},
		{errRateLimited, http.StatusTooManyRequests, "rate-limited"},
		{tender.ErrInvalid, http.StatusBadRequest, "invalid"},
		{registry.ErrInvalid, http.StatusBadRequest, "invalid"},
	} {
		if errors.Is(err, c.target) {
			return c.status, c.code
		}
	}
	return http.StatusInternalServerError, "internal"
}

func isTooEarly(err error) bool { return errors.Is(err, timelock.ErrTooEarly) }

var (
	errForbidden       = errors.New("not allowed for this user")
	errUnauthenticated = errors.New("authentication required: send Authorization: Bearer <token> (POST /v1/login)")
	errBadRequest      = errors.New("bad request")
	errMediaType       = errors.New("unsupported media type")
	errBodyTooLarge    = errors.New("request body too large")
)

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, code := errorStatus(err)
	msg := err.Error()
	if status == http.StatusInternalServerError {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		msg = "internal error; the operator has been told (see the server log)"
	}
	if status == http.StatusTooEarly {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, status, apiError{Code: code, Error: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// list is s, or an empty slice if s is nil: lists are answered as [], never
// null.
func list[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func writeText(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write(b)
}

// readJSON decodes a JSON request body strictly: the right content type, a
// size cap, no unknown fields, nothing after the value.
func readJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	if err := wantType(r, "application/json"); err != nil {
		return err
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return fmt.Errorf("%w: the limit is %d bytes", errBodyTooLarge, limit)
		}
		if errors.Is(err, errBodyTooLarge) {
			return err // the route's cap (limit), which says so
		}
		return fmt.Errorf("%w: body is not the expected JSON: %v", errBadRequest, err)
	}
	// Only white space may follow. (Decoder.More is not this check: it
	// reports false before a stray "}" or "]".)
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: body has data after the JSON value", errBadRequest)
	}
	return nil
}

func wantType(r *http.Request, want string) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != want {
		return fmt.Errorf("%w: Content-Type must be %s, not %q", errMediaType, want, r.Header.Get("Content-Type"))
	}
	return nil
}

type userKey struct{}

// user returns the authenticated user of a request.
func user(r *http.Request) registry.User {
	u, _ := r.Context().Value(userKey{}).(registry.User)
	return u
}

// authenticate resolves the bearer token of r, if any.
func (s *Server) authenticate(r *http.Request) (*http.Request, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return r, errUnauthenticated
	}
	secret, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		return r, fmt.Errorf("%w: Authorization is not a Bearer token", errUnauthenticated)
	}
	u, err := s.Registry.Authenticate(r.Context(), secret)
	if err != nil {
		return r, err
	}
	return r.WithContext(context.WithValue(r.Context(), userKey{}, u)), nil
}

// statusWriter remembers the status code for metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe records a request's latency under its route pattern.
func (s *Server) observe(route string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		h(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		s.metrics.requests.WithLabelValues(route, strconv.Itoa(sw.status)).Observe(time.Since(start).Seconds())
	}
}

func drain(r io.Reader) { io.Copy(io.Discard, io.LimitReader(r, 1<<20)) }
