package server

import (
	"net/http"

	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/helpdesk"
)

func (s *Server) getOCDS(w http.ResponseWriter, r *http.Request) {
	b, err := s.Engine.OCDS(r.Context(), r.PathValue("tender"), s.cfg.Publisher)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", jsonBody)
	w.Write(b)
}

func (s *Server) getNotices(r *http.Request, _ none) ([]api.Notice, error) {
	n, err := s.Helpdesk.Notices(r.Context())
	return views(n, noticeView), err
}

func (s *Server) postNotice(r *http.Request, j api.NoticeRequest) (api.Notice, error) {
	n, err := s.Helpdesk.PublishNotice(r.Context(), user(r).ID, helpdesk.NoticeKind(j.Kind), j.Title, j.Text)
	if err != nil {
		return api.Notice{}, err
	}
	return noticeView(*n), nil
}

func (s *Server) postNoticeWithdraw(r *http.Request, j api.Reason) (api.Notice, error) {
	n, err := s.Helpdesk.WithdrawNotice(r.Context(), user(r).ID, r.PathValue("notice"), j.Reason)
	if err != nil {
		return api.Notice{}, err
	}
	return noticeView(*n), nil
}

func (s *Server) getComplaints(r *http.Request, _ none) ([]api.Complaint, error) {
	c, err := s.Helpdesk.Complaints(r.Context(), user(r).ID)
	return views(c, complaintView), err
}

func (s *Server) postComplaint(r *http.Request, j api.ComplaintRequest) (api.Complaint, error) {
	c, err := s.Helpdesk.FileComplaint(r.Context(), user(r).ID, j.Subject, j.Text)
	if err != nil {
		return api.Complaint{}, err
	}
	return complaintView(*c), nil
}

func (s *Server) postComplaintUpdate(r *http.Request, j api.ComplaintUpdateRequest) (api.Complaint, error) {
	c, err := s.Helpdesk.UpdateComplaint(r.Context(), user(r).ID, r.PathValue("complaint"), helpdesk.ComplaintStatus(j.Status), j.Response)
	if err != nil {
		return api.Complaint{}, err
	}
	return complaintView(*c), nil
}

func (s *Server) getPlans(r *http.Request, _ none) ([]api.Plan, error) {
	p, err := s.Engine.Plans(r.Context())
	return views(p, planView), err
}

func (s *Server) postPlan(r *http.Request, j api.PlanAnnouncement) (api.Plan, error) {
	p, err := s.Engine.AnnouncePlan(r.Context(), user(r).ID, j.ID, j.Title, j.Budget, j.Text)
	if err != nil {
		return api.Plan{}, err
	}
	return planView(*p), nil
}
