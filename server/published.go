package server

import (
	"bufio"
	"io"
	"net/http"

	"github.com/segel-lpse/segel/api"
)

// The documents and texts the engine names by SHA-256 in tenders and
// plans, and the helpdesk in notices and complaints (tender/published.go
// and helpdesk/complaints.go decide who may read which),
// and sendDocument, which every route answering with a stored document
// uses.

func (s *Server) getTenderDocument(w http.ResponseWriter, r *http.Request) {
	digest, err := api.ParseDigest(r.PathValue("digest"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rc, err := s.Engine.TenderDocument(r.Context(), r.PathValue("tender"), digest)
	s.sendDocument(w, r, rc, err, binaryBody)
}

func (s *Server) getNoticeText(w http.ResponseWriter, r *http.Request) {
	rc, err := s.Helpdesk.NoticeText(r.Context(), r.PathValue("notice"))
	s.sendDocument(w, r, rc, err, textUTF8)
}

func (s *Server) getPlanText(w http.ResponseWriter, r *http.Request) {
	rc, err := s.Engine.PlanText(r.Context(), r.PathValue("plan"))
	s.sendDocument(w, r, rc, err, textUTF8)
}

func (s *Server) getComplaintDocument(w http.ResponseWriter, r *http.Request) {
	digest, err := api.ParseDigest(r.PathValue("digest"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rc, err := s.Helpdesk.ComplaintDocument(r.Context(), user(r).ID, r.PathValue("complaint"), digest)
	s.sendDocument(w, r, rc, err, textUTF8)
}

const textUTF8 = "text/plain; charset=utf-8"

// sendDocument answers with rc's bytes, or with err. The first bytes are
// read before the status line is sent, so a storage error there is still
// an error response; an error after it (a broken connection, or a stored
// copy found damaged at its end) aborts the response, so that no client
// takes a cut-off or damaged document for a whole one.
func (s *Server) sendDocument(w http.ResponseWriter, r *http.Request, rc io.ReadCloser, err error, contentType string) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer rc.Close()
	br := bufio.NewReaderSize(rc, 64<<10)
	if _, err := br.Peek(1); err != nil && err != io.EOF {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if _, err := io.Copy(w, br); err != nil {
		s.log.Error("sending a document cut short", "path", r.URL.Path, "err", err)
		panic(http.ErrAbortHandler)
	}
}
