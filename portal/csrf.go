package portal

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Cross-site request forgery. Every form a page serves carries a token
// bound to the visitor's session: the HMAC-SHA256, under the
// deployment's CSRF key (a vault secret, the same on every instance), of
// the session's API token — or, before sign-in, of a random pre-session
// cookie. Every POST to a page must carry the token, and a browser's
// Sec-Fetch-Site (or, without it, its Origin) must say the request comes
// from the portal's own origin. The browser's own calls to the JSON API
// (the upload of a sealed offer) are authenticated by the session
// cookie only together with the same token in the X-Segel-CSRF header
// (SessionToken).

const (
	// SessionCookie holds a signed-in visitor's API token.
	SessionCookie = "segel_session"
	// CSRFHeader carries the CSRF token of a browser's call to the API.
	CSRFHeader = "X-Segel-CSRF"
	// preCookie binds the forms of a visitor not signed in (login,
	// registration) to the browser that loaded them.
	preCookie = "segel_presession"
	csrfField = "csrf"
	// MinCSRFKeySize is the shortest CSRF key New accepts.
	MinCSRFKeySize = 32
)

// csrfLabel separates the HMAC's inputs from any other use of the key.
const csrfLabel = "segel-portal-csrf/v1\n"

// ErrCSRF is returned for a request whose CSRF token or origin does not
// show that it comes from a page of the portal.
var ErrCSRF = errors.New("portal: request not from the portal's own page")

// csrfToken returns the token of binding ("session " + token, or
// "pre " + pre-session value).
func (s *Site) csrfToken(binding string) string {
	m := hmac.New(sha256.New, s.csrfKey)
	m.Write([]byte(csrfLabel + binding))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (s *Site) validCSRF(binding, token string) bool {
	return token != "" && hmac.Equal([]byte(token), []byte(s.csrfToken(binding)))
}

// sameOrigin checks the browser's own word on where r comes from:
// Sec-Fetch-Site if it sends one (every current browser does), else
// Origin. A request with neither (not a browser's) is left to the token.
func sameOrigin(r *http.Request) error {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" {
		if site != "same-origin" {
			return fmt.Errorf("%w: Sec-Fetch-Site is %q", ErrCSRF, site)
		}
		return nil
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || o == "null" || !strings.EqualFold(u.Host, r.Host) {
			return fmt.Errorf("%w: Origin %q is not this site (%s)", ErrCSRF, o, r.Host)
		}
	}
	return nil
}

// SessionToken returns the API token of a browser's call to the JSON API
// that carries the session cookie and no Authorization header: ok is
// false when there is no session cookie. The cookie alone never
// authenticates: the call must carry the session's CSRF token in the
// X-Segel-CSRF header, which only the portal's own pages know, and come
// from the portal's origin; otherwise SessionToken returns ErrCSRF,
// saying what was missing.
func (s *Site) SessionToken(r *http.Request) (token string, ok bool, err error) {
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return "", false, nil
	}
	if err := sameOrigin(r); err != nil {
		return "", true, err
	}
	h := r.Header.Get(CSRFHeader)
	if h == "" {
		return "", true, fmt.Errorf("%w: a session cookie authenticates an API call only with the %s header of the portal's page; programs send Authorization: Bearer TOKEN", ErrCSRF, CSRFHeader)
	}
	if !s.validCSRF("session "+c.Value, h) {
		return "", true, fmt.Errorf("%w: the %s header does not match the session; reload the page", ErrCSRF, CSRFHeader)
	}
	return c.Value, true, nil
}

// newPreSession returns a fresh pre-session value.
func newPreSession() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// cookie returns a cookie as every cookie of the portal is set: for the
// whole site, never to scripts, only over HTTPS (browsers treat
// http://localhost as secure), and never sent with a cross-site request.
func cookie(name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode}
}
