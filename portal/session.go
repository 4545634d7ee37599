package portal

import (
	"net"
	"net/http"
	"strings"
)

// Sessions. Signing in is POST /v1/login through the pages; the API
// token it answers is kept in the session cookie (Secure, HttpOnly,
// SameSite=Strict) and sent, as a bearer token, with every API call a
// page makes for the visitor. The registry checks it in the database, so
// any instance of a deployment serves any visitor. Signing out revokes
// the token.

func (s *Site) sessionPages() []page {
	return []page{
		{"GET", "/login", nil, (*visit).loginPage},
		{"POST", "/login", nil, (*visit).login},
		{"POST", "/logout", signedIn, (*visit).logout},
	}
}

type loginData struct {
	Email, Next string
	// Insecure says the page was reached over plain HTTP from another
	// machine: browsers keep no Secure cookie then, so sign-in cannot
	// work until the deployment is served over HTTPS.
	Insecure bool
}

func (v *visit) loginPage() error {
	if v.user != nil {
		v.redirect(v.after(v.r.URL.Query().Get("next")))
		return nil
	}
	v.showLogin(http.StatusOK, loginData{Next: localPath(v.r.URL.Query().Get("next"))}, nil)
	return nil
}

func (v *visit) showLogin(status int, d loginData, se *shownError) {
	d.Insecure = !secure(v.r)
	v.render(status, "login", view{Title: v.cat.T("login.title"), Data: d, Error: se})
}

func (v *visit) login() error {
	email := strings.TrimSpace(v.r.PostFormValue("email"))
	d := loginData{Email: email, Next: localPath(v.r.PostFormValue("next"))}
	c, err := v.api.Login(v.ctx(), email, v.r.PostFormValue("password"))
	if se := v.shown(err); se != nil {
		v.showLogin(v.status(err), d, se)
		return nil
	} else if err != nil {
		return err
	}
	// A new session, and the pre-session that bound the login form ends:
	// a token known before sign-in is never the session's.
	// The cookie lives as long as the browser session; the token itself
	// expires after the API's 12 hours.
	http.SetCookie(v.w, cookie(SessionCookie, c.Token(), 0))
	http.SetCookie(v.w, cookie(preCookie, "", -1))
	v.redirect(v.after(d.Next))
	return nil
}

// after is where a visitor goes once signed in: where they were going, or
// their account's page.
func (v *visit) after(next string) string {
	if p := localPath(next); p != "" && !strings.HasPrefix(p, "/login") {
		return p
	}
	return "/account"
}

func (v *visit) logout() error {
	id, _, _ := strings.Cut(v.session, ".")
	err := v.api.RevokeToken(v.ctx(), id)
	v.endSession()
	if err != nil {
		return err
	}
	v.redirect("/?ok=signed-out")
	return nil
}

// secure reports whether r reached the portal over HTTPS (directly or
// through a proxy that says so), or from the same machine, where
// browsers treat http://localhost as secure.
func secure(r *http.Request) bool {
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		return true
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
