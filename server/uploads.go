package server

import (
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/segel-lpse/segel/tender"
)

func (s *Server) postCommitment(w http.ResponseWriter, r *http.Request) {
	var j struct {
		SHA256 string `json:"sha256"`
		Size   int64  `json:"size"`
	}
	if err := readJSON(w, r, maxJSON, &j); err != nil {
		s.fail(w, r, err)
		return
	}
	d, err := parseHexDigest(j.SHA256)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.Engine.Commit(r.Context(), user(r).ID, r.PathValue("tender"), d, j.Size)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := map[string]any{"index": c.LogIndex, "sha256": j.SHA256, "size": c.Size, "time": c.Time}
	if t, err := s.Engine.Get(r.Context(), c.Tender); err == nil {
		out["deliver_before"] = t.Schedule.Opening
	}
	writeJSON(w, http.StatusCreated, out)
}

type uploadJSON struct {
	ID       string    `json:"id"`
	Tender   string    `json:"tender"`
	Size     int64     `json:"size"`
	Received int64     `json:"received"`
	Started  time.Time `json:"started"`
}

func uploadView(u *tender.Upload) uploadJSON {
	return uploadJSON{ID: u.ID, Tender: u.Tender, Size: u.Size, Received: u.Received, Started: u.Started}
}

func (s *Server) postUpload(w http.ResponseWriter, r *http.Request) {
	var j struct {
		Size int64 `json:"size"`
	}
	if err := readJSON(w, r, maxJSON, &j); err != nil {
		s.fail(w, r, err)
		return
	}
	u, err := s.Engine.BeginUpload(r.Context(), user(r).ID, r.PathValue("tender"), j.Size)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, uploadView(u))
}

func (s *Server) getUpload(w http.ResponseWriter, r *http.Request) {
	u, err := s.Engine.GetUpload(r.Context(), user(r).ID, r.PathValue("upload"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, uploadView(u))
}

func (s *Server) putUploadChunk(w http.ResponseWriter, r *http.Request) {
	if err := wantType(r, binaryBody); err != nil {
		s.fail(w, r, err)
		return
	}
	offset, err := strconv.ParseInt(r.URL.Query().Get("offset"), 10, 64)
	if err != nil || offset < 0 {
		s.fail(w, r, fmt.Errorf("%w: ?offset= must be the byte offset of this chunk (GET the upload to learn it)", errBadRequest))
		return
	}
	u, err := s.Engine.UploadChunk(r.Context(), user(r).ID, r.PathValue("upload"), offset, r.Body)
	if err != nil {
		drain(r.Body)
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, uploadView(u))
}

func (s *Server) postUploadFinish(w http.ResponseWriter, r *http.Request) {
	outcome := "accepted"
	defer func() { s.metrics.submissions.WithLabelValues(outcome).Inc() }()
	rc, err := s.Engine.FinishUpload(r.Context(), user(r).ID, r.PathValue("upload"))
	if err != nil {
		_, outcome = errorStatus(err)
		s.fail(w, r, err)
		return
	}
	s.metrics.bytesStored.Add(float64(rc.Size))
	writeJSON(w, http.StatusCreated, receiptJSON{Receipt: string(rc.Signed), Index: rc.Index,
		SHA256: hex.EncodeToString(rc.SHA256[:]), Size: rc.Size, Received: rc.Received})
}
