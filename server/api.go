package server

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/registry"
)

type userKey struct{}

// user returns the authenticated user of a request.
func user(r *http.Request) registry.User {
	u, _ := r.Context().Value(userKey{}).(registry.User)
	return u
}

// authenticate resolves the bearer token of r, if any, or else the
// portal's session cookie — which authenticates only together with the
// session's CSRF token in X-Segel-CSRF, from the portal's own origin
// (portal.Site.SessionToken): the cookie alone, which a browser attaches
// to any request it makes, never does.
func (s *Server) authenticate(r *http.Request) (*http.Request, error) {
	h := r.Header.Get("Authorization")
	var secret string
	if h == "" {
		token, ok, err := s.portal.SessionToken(r)
		switch {
		case !ok:
			return r, errUnauthenticated
		case err != nil:
			return r, fmt.Errorf("%w: %v", errUnauthenticated, err)
		}
		secret = token
	} else {
		var ok bool
		if secret, ok = strings.CutPrefix(h, "Bearer "); !ok {
			return r, fmt.Errorf("%w: Authorization is not a Bearer token", errUnauthenticated)
		}
	}
	u, err := s.Registry.Authenticate(r.Context(), secret)
	if err != nil {
		return r, err
	}
	return r.WithContext(context.WithValue(r.Context(), userKey{}, u)), nil
}

// statusWriter remembers the status code, and the error code fail
// answered, for metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
	code   api.Code
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
// A submission, whole or the finish of an upload, is also counted by its
// outcome: accepted, or the code of its refusal.
func (s *Server) observe(rt route, h http.HandlerFunc) http.HandlerFunc {
	submission := rt.method == "POST" && (rt.path == "/v1/tenders/{tender}/offers" || rt.path == "/v1/uploads/{upload}/finish")
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		h(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		s.metrics.requests.WithLabelValues(rt.path, strconv.Itoa(sw.status)).Observe(time.Since(start).Seconds())
		if submission {
			outcome := "accepted"
			if sw.status/100 != 2 {
				outcome = string(cmp.Or(sw.code, api.CodeInternal))
			}
			s.metrics.submissions.WithLabelValues(outcome).Inc()
		}
	}
}

func drain(r io.Reader) { io.Copy(io.Discard, io.LimitReader(r, 1<<20)) }
