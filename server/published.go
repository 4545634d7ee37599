package server

import (
	"io"
	"net/http"
)

// The documents and texts the engine names by SHA-256 in tenders, notices,
// plans and complaints (tender/published.go decides who may read which),
// and sendDocument, which every route answering with a stored document
// uses.

func (s *Server) getTenderDocument(w http.ResponseWriter, r *http.Request) {
	digest, err := parseHexDigest(r.PathValue("digest"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rc, err := s.Engine.TenderDocument(r.Context(), r.PathValue("tender"), digest)
	s.sendDocument(w, r, rc, err, binaryBody)
}

func (s *Server) getNoticeText(w http.ResponseWriter, r *http.Request) {
	rc, err := s.Engine.NoticeText(r.Context(), r.PathValue("notice"))
	s.sendDocument(w, r, rc, err, textUTF8)
}

func (s *Server) getPlanText(w http.ResponseWriter, r *http.Request) {
	rc, err := s.Engine.PlanText(r.Context(), r.PathValue("plan"))
	s.sendDocument(w, r, rc, err, textUTF8)
}

func (s *Server) getComplaintDocument(w http.ResponseWriter, r *http.Request) {
	digest, err := parseHexDigest(r.PathValue("digest"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rc, err := s.Engine.ComplaintDocument(r.Context(), user(r).ID, r.PathValue("complaint"), digest)
	s.sendDocument(w, r, rc, err, textUTF8)
}

const textUTF8 = "text/plain; charset=utf-8"

// sendDocument answers with rc's bytes, or with err.
func (s *Server) sendDocument(w http.ResponseWriter, r *http.Request, rc io.ReadCloser, err error, contentType string) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer rc.Close()
	w.Header().Set("Content-Type", contentType)
	if _, err := io.Copy(w, rc); err != nil {
		s.log.Error("sending a document", "path", r.URL.Path, "err", err)
	}
}
