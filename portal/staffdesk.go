package portal

import (
	"cmp"
	"net/http"
	"slices"
	"strings"

	"github.com/segel-lpse/segel/api"
)

// The LPSE staff's helpdesk pages: notices (write, publish, withdraw) and
// complaints (the queue, answering one, closing it).

// staffNoticesData is the notices page: the form, with what was typed if
// the API refused it, and the notices published.
type staffNoticesData struct {
	Kinds             []api.NoticeKind
	Kind, Title, Text string
	Notices           []api.Notice
	// Withdraw and Reason are a refused withdrawal's notice and the
	// reason typed.
	Withdraw, Reason string
}

var noticeKinds = []api.NoticeKind{api.NoticeMaintenance, api.NoticeOutage, api.NoticeGeneral}

func (v *visit) staffNotices() error {
	return v.showStaffNotices(http.StatusOK, staffNoticesData{Kind: string(api.NoticeGeneral)}, nil)
}

func (v *visit) showStaffNotices(status int, d staffNoticesData, se *shownError) error {
	ns, err := v.api.Notices(v.ctx())
	if err != nil {
		return err
	}
	d.Kinds, d.Notices = noticeKinds, ns
	v.render(status, "staff-notices", view{Title: v.cat.T("staff.notices.title"), Data: d, Error: se})
	return nil
}

func (v *visit) publishNotice() error {
	f := v.r.PostFormValue
	d := staffNoticesData{Kind: f("kind"), Title: strings.TrimSpace(f("title")), Text: strings.TrimSpace(strings.ReplaceAll(f("text"), "\r\n", "\n"))}
	_, err := v.api.PublishNotice(v.ctx(), api.NoticeKind(d.Kind), d.Title, d.Text)
	if se := v.shown(err); se != nil {
		return v.showStaffNotices(v.status(err), d, se)
	} else if err != nil {
		return err
	}
	v.redirect("/staff/notices?ok=staff.notice-published")
	return nil
}

// withdrawNotice withdraws the notice in the path, with a reason.
func (v *visit) withdrawNotice() error {
	id, reason := v.r.PathValue("notice"), strings.TrimSpace(v.r.PostFormValue("reason"))
	_, err := v.api.WithdrawNotice(v.ctx(), id, reason)
	if se := v.shown(err); se != nil {
		return v.showStaffNotices(v.status(err), staffNoticesData{Kind: string(api.NoticeGeneral), Withdraw: id, Reason: reason}, se)
	} else if err != nil {
		return err
	}
	v.redirect("/staff/notices?ok=staff.notice-withdrawn")
	return nil
}

// staffComplaintsData is the complaint queue: those to handle (open,
// then in progress, the oldest first), then those closed (the latest
// first).
type staffComplaintsData struct {
	Open, Closed []api.Complaint
}

func (v *visit) staffComplaints() error {
	cs, err := v.api.Complaints(v.ctx())
	if err != nil {
		return err
	}
	var d staffComplaintsData
	for _, c := range cs {
		if c.Status == api.ComplaintOpen || c.Status == api.ComplaintInProgress {
			d.Open = append(d.Open, c)
		} else {
			d.Closed = append(d.Closed, c)
		}
	}
	rank := map[api.ComplaintStatus]int{api.ComplaintOpen: 0, api.ComplaintInProgress: 1}
	slices.SortStableFunc(d.Open, func(a, b api.Complaint) int {
		return cmp.Or(cmp.Compare(rank[a.Status], rank[b.Status]), a.Filed.Compare(b.Filed))
	})
	slices.SortStableFunc(d.Closed, func(a, b api.Complaint) int { return b.Filed.Compare(a.Filed) })
	v.render(http.StatusOK, "staff-complaints", view{Title: v.cat.T("staff.complaints.title"), Data: d})
	return nil
}

// staffComplaintData is one complaint: its text, who filed it, each
// response, and the form of the next step.
type staffComplaintData struct {
	C         api.Complaint
	Text      string
	By        string // the filer's name
	Responses []response
	// Next is the statuses the complaint may move to now: in-progress
	// (answered) from open, resolved or rejected (closed) from in
	// progress; none once closed.
	Next []api.ComplaintStatus
	// Status and Response are a refused form's.
	Status, Response string
}

// response is a staff member's step of a complaint, with its text.
type response struct {
	api.ComplaintUpdate
	Text string
}

var complaintNext = map[api.ComplaintStatus][]api.ComplaintStatus{
	api.ComplaintOpen:       {api.ComplaintInProgress},
	api.ComplaintInProgress: {api.ComplaintResolved, api.ComplaintRejected},
}

func (v *visit) staffComplaint() error {
	return v.showComplaint(http.StatusOK, staffComplaintData{}, nil)
}

func (v *visit) showComplaint(status int, d staffComplaintData, se *shownError) error {
	id := v.r.PathValue("complaint")
	cs, err := v.api.Complaints(v.ctx())
	if err != nil {
		return err
	}
	i := slices.IndexFunc(cs, func(c api.Complaint) bool { return c.ID == id })
	if i < 0 {
		v.renderError(http.StatusNotFound, v.cat.T("staff.complaint.not-found", id), "")
		return nil
	}
	d.C = cs[i]
	if d.Text, err = v.api.ComplaintDocument(v.ctx(), id, d.C.Document); err != nil {
		return err
	}
	for _, u := range d.C.Updates {
		text, err := v.api.ComplaintDocument(v.ctx(), id, u.Document)
		if err != nil {
			return err
		}
		d.Responses = append(d.Responses, response{ComplaintUpdate: u, Text: text})
	}
	if u, err := v.api.User(v.ctx(), d.C.By); err == nil {
		d.By = u.Name
	}
	d.Next = complaintNext[d.C.Status]
	if d.Status == "" && len(d.Next) > 0 {
		d.Status = string(d.Next[0])
	}
	v.render(status, "staff-complaint", view{Title: d.C.Subject, Data: d, Error: se})
	return nil
}

func (v *visit) updateComplaint() error {
	id := v.r.PathValue("complaint")
	f := v.r.PostFormValue
	d := staffComplaintData{Status: f("status"), Response: strings.TrimSpace(strings.ReplaceAll(f("response"), "\r\n", "\n"))}
	_, err := v.api.UpdateComplaint(v.ctx(), id, api.ComplaintStatus(d.Status), d.Response)
	if se := v.shown(err); se != nil {
		return v.showComplaint(v.status(err), d, se)
	} else if err != nil {
		return err
	}
	v.redirect("/staff/complaints/" + pathEscape(id) + "?ok=staff.complaint-" + d.Status)
	return nil
}
