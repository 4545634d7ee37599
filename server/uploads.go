package server

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/segel-lpse/segel/api"
)

func (s *Server) postCommitment(r *http.Request, j api.CommitRequest) (api.Commitment, error) {
	c, err := s.Engine.Commit(r.Context(), user(r).ID, r.PathValue("tender"), j.SHA256, j.Size)
	if err != nil {
		return api.Commitment{}, err
	}
	t, err := s.Engine.Get(r.Context(), c.Tender)
	if err != nil {
		return api.Commitment{}, err
	}
	return commitmentView(t, c, 1), nil
}

func (s *Server) postUpload(r *http.Request, j api.UploadRequest) (api.Upload, error) {
	file := j.File
	if file == 0 {
		file = 1
	}
	u, err := s.Engine.File(r.PathValue("tender"), file).BeginUpload(r.Context(), user(r).ID, j.Size)
	if err != nil {
		return api.Upload{}, err
	}
	return uploadView(u), nil
}

func (s *Server) getUpload(r *http.Request, _ none) (api.Upload, error) {
	u, err := s.Engine.GetUpload(r.Context(), user(r).ID, r.PathValue("upload"))
	if err != nil {
		return api.Upload{}, err
	}
	return uploadView(u), nil
}

func (s *Server) putUploadChunk(r *http.Request) (api.Upload, error) {
	offset, err := strconv.ParseInt(r.URL.Query().Get("offset"), 10, 64)
	if err != nil || offset < 0 {
		return api.Upload{}, fmt.Errorf("%w: ?offset= must be the byte offset of this chunk (GET the upload to learn it)", errBadRequest)
	}
	u, err := s.Engine.UploadChunk(r.Context(), user(r).ID, r.PathValue("upload"), offset, r.Body)
	if err != nil {
		drain(r.Body)
		return api.Upload{}, err
	}
	return uploadView(u), nil
}

func (s *Server) postUploadFinish(r *http.Request, _ none) (api.Receipt, error) {
	rc, err := s.Engine.FinishUpload(r.Context(), user(r).ID, r.PathValue("upload"))
	if err != nil {
		return api.Receipt{}, err
	}
	s.metrics.bytesStored.Add(float64(rc.Size))
	return receiptView(rc), nil
}
