package server

import (
	"net/http"

	"github.com/segel-lpse/segel/tender"
)

func (s *Server) getOCDS(w http.ResponseWriter, r *http.Request) {
	b, err := s.Engine.OCDS(r.Context(), r.PathValue("tender"), s.cfg.Publisher)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

func (s *Server) getNotices(w http.ResponseWriter, r *http.Request) {
	n, err := s.Engine.Notices(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list(n))
}

func (s *Server) postNotice(w http.ResponseWriter, r *http.Request) {
	var j struct {
		Kind  string `json:"kind"`
		Title string `json:"title"`
		Text  string `json:"text"`
	}
	if err := readJSON(w, r, maxJSON, &j); err != nil {
		s.fail(w, r, err)
		return
	}
	n, err := s.Engine.PublishNotice(r.Context(), user(r).ID, tender.NoticeKind(j.Kind), j.Title, j.Text)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, n)
}

func (s *Server) getComplaints(w http.ResponseWriter, r *http.Request) {
	c, err := s.Engine.Complaints(r.Context(), user(r).ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list(c))
}

func (s *Server) postComplaint(w http.ResponseWriter, r *http.Request) {
	var j struct {
		Subject string `json:"subject"`
		Text    string `json:"text"`
	}
	if err := readJSON(w, r, maxJSON, &j); err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.Engine.FileComplaint(r.Context(), user(r).ID, j.Subject, j.Text)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

func (s *Server) postComplaintUpdate(w http.ResponseWriter, r *http.Request) {
	var j struct {
		Status   string `json:"status"`
		Response string `json:"response"`
	}
	if err := readJSON(w, r, maxJSON, &j); err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.Engine.UpdateComplaint(r.Context(), user(r).ID, r.PathValue("complaint"), tender.ComplaintStatus(j.Status), j.Response)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) getPlans(w http.ResponseWriter, r *http.Request) {
	p, err := s.Engine.Plans(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list(p))
}

func (s *Server) postPlan(w http.ResponseWriter, r *http.Request) {
	var j struct {
		ID     string `json:"id"`
		Title  string `json:"title"`
		Budget int64  `json:"budget"`
		Text   string `json:"text"`
	}
	if err := readJSON(w, r, maxJSON, &j); err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.Engine.AnnouncePlan(r.Context(), user(r).ID, j.ID, j.Title, j.Budget, j.Text)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, p)
}
