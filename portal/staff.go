package portal

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/client"
)

// The LPSE staff's (verifier's and admin's) pages: the registration
// queue, the user list, one account with its documents and the decisions
// about it (verify, approve, reject, deactivate, reactivate), and the
// blacklist requests officials file. Notices and complaints are in
// staffdesk.go. Every page acts through the API as the signed-in staff
// member, so the API's rules decide: an LPSE staff account, for one, is
// reviewed by an admin only. The account's page offers only what the
// API would allow, and shows the API's refusal of anything else.

var staffRoles = []api.Role{api.RoleVerifier, api.RoleAdmin}

func (s *Site) staffPages() []page {
	return []page{
		{"GET", "/staff", staffRoles, (*visit).staffQueue},
		{"GET", "/staff/users", staffRoles, (*visit).staffUsers},
		{"GET", "/staff/users/{user}", staffRoles, (*visit).staffUser},
		{"GET", "/staff/users/{user}/documents/{kind}", staffRoles, (*visit).staffDocument},
		{"POST", "/staff/users/{user}/documents/{kind}/verify", staffRoles, staffAct("verified", func(v *visit, id string) error {
			return v.api.VerifyDocument(v.ctx(), id, api.DocumentKind(v.r.PathValue("kind")))
		})},
		{"POST", "/staff/users/{user}/approve", staffRoles, staffAct("approved", func(v *visit, id string) error {
			return v.api.Approve(v.ctx(), id)
		})},
		{"POST", "/staff/users/{user}/reject", staffRoles, staffAct("rejected", func(v *visit, id string) error {
			return v.api.Reject(v.ctx(), id, strings.TrimSpace(v.r.PostFormValue("reason")))
		})},
		{"POST", "/staff/users/{user}/deactivate", staffRoles, staffAct("deactivated", (*visit).deactivate)},
		{"POST", "/staff/users/{user}/reactivate", staffRoles, staffAct("reactivated", func(v *visit, id string) error {
			return v.api.Reactivate(v.ctx(), id, strings.TrimSpace(v.r.PostFormValue("reason")))
		})},
		{"GET", "/staff/blacklist", staffRoles, (*visit).staffBlacklist},
		{"POST", "/staff/blacklist/{request}/approve", staffRoles, (*visit).blacklistDecide},
		{"POST", "/staff/blacklist/{request}/reject", staffRoles, (*visit).blacklistDecide},
		{"GET", "/staff/notices", staffRoles, (*visit).staffNotices},
		{"POST", "/staff/notices", staffRoles, (*visit).publishNotice},
		{"POST", "/staff/notices/{notice}/withdraw", staffRoles, (*visit).withdrawNotice},
		{"GET", "/staff/complaints", staffRoles, (*visit).staffComplaints},
		{"GET", "/staff/complaints/{complaint}", staffRoles, (*visit).staffComplaint},
		{"POST", "/staff/complaints/{complaint}", staffRoles, (*visit).updateComplaint},
	}
}

// IsStaff reports whether the visitor is LPSE staff, for the menu.
func (vw *view) IsStaff() bool {
	u := vw.v.user
	return u != nil && isStaffRole(u.Role)
}

// StaffPage reports whether the page is one of the staff's.
func (vw *view) StaffPage() bool { return strings.HasPrefix(vw.Page, "staff-") }

// VerifiedCount says how many of an account's documents were verified
// against their originals: "2 of 4 verified".
func (vw *view) VerifiedCount(u api.User) string {
	n := 0
	for _, d := range u.Documents {
		if d.VerifiedBy != "" {
			n++
		}
	}
	return vw.T("staff.users.verified-count", n, len(u.Documents))
}

// staffPageSize is how many accounts a page of the queue or the user
// list shows.
const staffPageSize = 50

// staffUsersData is the registration queue or the user list.
type staffUsersData struct {
	// Queue: the registration queue (pending accounts only), else the
	// user list with its filters.
	Queue               bool
	Query, Status, Role string
	Statuses            []api.AccountStatus
	Roles               []api.Role
	Users               []api.User
	Page                int
	Prev, Next          string
}

var (
	accountStatuses = []api.AccountStatus{api.StatusPending, api.StatusActive, api.StatusRejected, api.StatusDeactivated}
	accountRoles    = []api.Role{api.RoleProvider, api.RolePokja, api.RolePejabatPengadaan, api.RolePPK, api.RolePAKPA,
		api.RoleAuditor, api.RoleVerifier, api.RoleAdmin}
)

func (v *visit) staffQueue() error { return v.staffList(true) }
func (v *visit) staffUsers() error { return v.staffList(false) }

func (v *visit) staffList(queue bool) error {
	q := v.r.URL.Query()
	d := staffUsersData{Queue: queue, Query: strings.TrimSpace(q.Get("q")), Status: q.Get("status"), Role: q.Get("role"),
		Statuses: accountStatuses, Roles: accountRoles, Page: 1}
	path, title := "/staff/users", v.cat.T("staff.users.title")
	if queue {
		d.Status, path, title = string(api.StatusPending), "/staff", v.cat.T("staff.queue.title")
	}
	if p, err := strconv.Atoi(q.Get("page")); err == nil && p > 1 && p <= 100000 {
		d.Page = p
	}
	us, err := v.api.Users(v.ctx(), client.UserQuery{Status: api.AccountStatus(d.Status), Role: api.Role(d.Role), Text: d.Query,
		Limit: staffPageSize + 1, Offset: (d.Page - 1) * staffPageSize})
	if se := v.shown(err); se != nil {
		v.render(v.status(err), "staff-users", view{Title: title, Data: d, Error: se})
		return nil
	} else if err != nil {
		return err
	}
	if len(us) > staffPageSize {
		us = us[:staffPageSize]
		q.Set("page", strconv.Itoa(d.Page+1))
		d.Next = path + "?" + q.Encode()
	}
	if d.Page > 1 {
		q.Set("page", strconv.Itoa(d.Page-1))
		d.Prev = path + "?" + q.Encode()
	}
	d.Users = us
	v.render(http.StatusOK, "staff-users", view{Title: title, Data: d})
	return nil
}

// staffUserData is one account as its reviewer sees it, with the forms
// of what may be decided about it now.
type staffUserData struct {
	U *api.User
	// AllVerified: every document was verified against its original, so
	// the registration may be approved.
	AllVerified bool
	// Form names the form a refusal is shown for ("reject",
	// "deactivate", "reactivate"), Reason and Until what was typed in it.
	Form, Reason, Until string
	// Blacklist is the blacklist requests about the account.
	Blacklist []api.BlacklistRequest
	// Reviewer is the role that opens the account's documents and
	// verifies, approves or rejects it (registry.md §2): an admin for
	// LPSE staff, a verifier for everyone else; Reviews whether the
	// visitor has it. Sanctions whether the visitor may deactivate and
	// reactivate it (an admin only, for LPSE staff). The API decides
	// either way; the page offers only what it would allow.
	Reviewer           api.Role
	Reviews, Sanctions bool
}

// isStaffRole reports whether r is an LPSE staff role.
func isStaffRole(r api.Role) bool { return r == api.RoleVerifier || r == api.RoleAdmin }

func (v *visit) staffUser() error {
	return v.showStaffUser(http.StatusOK, v.r.PathValue("user"), staffUserData{}, nil)
}

// showStaffUser renders account id's page with status; d carries a
// refused form's values, se its refusal.
func (v *visit) showStaffUser(status int, id string, d staffUserData, se *shownError) error {
	u, err := v.api.User(v.ctx(), id)
	if err != nil {
		return err
	}
	d.U, d.AllVerified = u, len(u.Documents) > 0
	d.Reviewer = api.RoleVerifier
	if isStaffRole(u.Role) {
		d.Reviewer = api.RoleAdmin
	}
	d.Reviews = v.user.Role == d.Reviewer
	d.Sanctions = v.user.Role == api.RoleAdmin || !isStaffRole(u.Role)
	for _, doc := range u.Documents {
		if doc.VerifiedBy == "" {
			d.AllVerified = false
		}
	}
	if u.Role == api.RoleProvider {
		rs, err := v.api.BlacklistRequests(v.ctx())
		if err != nil {
			return err
		}
		for _, r := range rs {
			if r.User == u.ID {
				d.Blacklist = append(d.Blacklist, r)
			}
		}
	}
	v.render(status, "staff-user", view{Title: u.Name, Data: d, Error: se})
	return nil
}

// staffAct is the page of a decision about the account in the path: do
// asks the API, and the account's page is shown again, with the
// decision's notice, or with the API's refusal and what was typed.
func staffAct(ok string, do func(v *visit, id string) error) func(*visit) error {
	return func(v *visit) error {
		id := v.r.PathValue("user")
		err := do(v, id)
		if se := v.shown(err); se != nil {
			d := staffUserData{Form: v.r.PostFormValue("form"), Reason: v.r.PostFormValue("reason"), Until: v.r.PostFormValue("until")}
			return v.showStaffUser(v.status(err), id, d, se)
		} else if err != nil {
			return err
		}
		v.redirect("/staff/users/" + pathEscape(id) + "?ok=staff." + ok)
		return nil
	}
}

// deactivate deactivates an account for a violation, until the start of
// the day the form names (in the deployment's zone), or indefinitely.
func (v *visit) deactivate(id string) error {
	d := api.Deactivation{Reason: strings.TrimSpace(v.r.PostFormValue("reason"))}
	if s := v.r.PostFormValue("until"); s != "" {
		day, err := time.ParseInLocation(time.DateOnly, s, v.site.loc)
		if err != nil {
			return &formError{text: v.cat.T("staff.user.until-bad", s)}
		}
		d.Until = day
	}
	return v.api.Deactivate(v.ctx(), id, d)
}

// maxDocument caps a registration document the portal relays (the
// API's own cap is lower).
const maxDocument = 64 << 20

// staffDocument sends a reviewer an applicant's registration document,
// read from the API with the reviewer's authority. What the applicant
// uploaded is untrusted: only an image the browser shows as an image is
// answered inline; anything else, HTML, SVG and PDF included, is a
// download, and the answer is sandboxed either way, so that no upload
// runs script in the portal's origin.
func (v *visit) staffDocument() error {
	id, kind := v.r.PathValue("user"), api.DocumentKind(v.r.PathValue("kind"))
	var buf bytes.Buffer
	if _, err := v.api.UserDocument(v.ctx(), id, kind, &buf, maxDocument); err != nil {
		return err
	}
	ctype, ext, inline := uploadType(buf.Bytes())
	disposition := "attachment"
	if inline {
		disposition = "inline"
	}
	h := v.w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Disposition", disposition+`; filename="`+safeName(id)+"-"+safeName(string(kind))+ext+`"`)
	h.Set("Content-Security-Policy", "default-src 'none'; img-src 'self'; sandbox; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	if v.r.Method != http.MethodHead {
		v.w.Write(buf.Bytes())
	}
	return nil
}

// uploadType is the type a registration document is answered with, by
// its first bytes: a PNG, JPEG, GIF or WebP image as itself, to be shown;
// a PDF as a PDF and anything else as bytes, to be downloaded.
func uploadType(b []byte) (ctype, ext string, inline bool) {
	switch ct := http.DetectContentType(b); ct {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return ct, "." + strings.TrimPrefix(ct, "image/"), true
	case "application/pdf":
		return ct, ".pdf", false
	}
	return "application/octet-stream", ".bin", false
}

// safeName keeps the letters, digits and dashes of s, for a file name.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return -1
	}, s)
}

// staffBlacklistData is the blacklist requests, those to decide first.
type staffBlacklistData struct {
	Pending, Decided []blacklistRow
	// Request and Reason are a refused rejection's request and the
	// reason typed.
	Request, Reason string
}

// blacklistRow is a request with the names of the provider and the
// official who filed it.
type blacklistRow struct {
	api.BlacklistRequest
	Provider, Official string
}

func (v *visit) staffBlacklist() error {
	return v.showBlacklist(http.StatusOK, staffBlacklistData{}, nil)
}

func (v *visit) showBlacklist(status int, d staffBlacklistData, se *shownError) error {
	rs, err := v.api.BlacklistRequests(v.ctx())
	if err != nil {
		return err
	}
	names := map[string]string{}
	name := func(id string) string {
		if n, ok := names[id]; ok {
			return n
		}
		if u, err := v.api.User(v.ctx(), id); err == nil {
			names[id] = u.Name
		} else {
			names[id] = ""
		}
		return names[id]
	}
	for i := len(rs) - 1; i >= 0; i-- { // newest first
		row := blacklistRow{BlacklistRequest: rs[i], Provider: name(rs[i].User), Official: name(rs[i].By)}
		if row.Decision == nil {
			d.Pending = append(d.Pending, row)
		} else {
			d.Decided = append(d.Decided, row)
		}
	}
	v.render(status, "staff-blacklist", view{Title: v.cat.T("staff.blacklist.title"), Data: d, Error: se})
	return nil
}

// blacklistDecide approves or rejects (with a reason) the request in the
// path.
func (v *visit) blacklistDecide() error {
	id := v.r.PathValue("request")
	var err error
	ok := "blacklist-approved"
	if strings.HasSuffix(v.r.URL.Path, "/reject") {
		ok = "blacklist-rejected"
		err = v.api.RejectBlacklist(v.ctx(), id, strings.TrimSpace(v.r.PostFormValue("reason")))
	} else {
		err = v.api.ApproveBlacklist(v.ctx(), id)
	}
	if se := v.shown(err); se != nil {
		return v.showBlacklist(v.status(err), staffBlacklistData{Request: id, Reason: v.r.PostFormValue("reason")}, se)
	} else if err != nil {
		return err
	}
	v.redirect("/staff/blacklist?ok=staff." + ok + "#" + url.PathEscape(id))
	return nil
}
