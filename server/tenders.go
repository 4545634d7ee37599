package server

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/tender"
	"github.com/segel-lpse/segel/vault"
)

// maxDocument caps a tender document upload.
const maxDocument = 64 << 20

func (s *Server) postDocument(r *http.Request) (api.StoredDocument, error) {
	info, err := s.cfg.Backend.Put(r.Context(), r.Body, maxDocument)
	if errors.Is(err, vault.ErrTooLarge) {
		return api.StoredDocument{}, fmt.Errorf("%w: a tender document is at most %d bytes", errBodyTooLarge, maxDocument)
	} else if err != nil {
		return api.StoredDocument{}, err
	}
	return api.StoredDocument{SHA256: info.Digest, Size: info.Size}, nil
}

func (s *Server) listTenders(r *http.Request, _ none) ([]api.Tender, error) {
	ts, err := s.Engine.List(r.Context())
	return views(ts, s.tenderView), err
}

func (s *Server) getTender(r *http.Request, _ none) (api.Tender, error) {
	return s.tender(s.Engine.Get(r.Context(), r.PathValue("tender")))
}

// postTender announces a tender. Its committee is the one the PA/KPA
// assigned to the tender id in the registry (POST /v1/committees/{id}).
func (s *Server) postTender(r *http.Request, j api.Announcement) (api.Tender, error) {
	if j.ID == "" {
		return api.Tender{}, fmt.Errorf("%w: id is required: the PA/KPA assigns the committee to it first", errBadRequest)
	}
	members, err := s.Registry.Committee(r.Context(), j.ID)
	if errors.Is(err, vault.ErrNotFound) {
		return api.Tender{}, fmt.Errorf("%w: no committee is assigned to tender %s; the PA/KPA assigns one with POST /v1/committees/%s", errForbidden, j.ID, j.ID)
	} else if err != nil {
		return api.Tender{}, err
	}
	a := tender.Announcement{ID: j.ID, Title: j.Title, Plan: j.Plan, Document: j.Document, Committee: members,
		CommitteeKey: j.CommitteeKey, Schedule: schedule(j.Schedule)}
	switch {
	case j.Method != "" && j.CommitteeKey != "":
		return api.Tender{}, fmt.Errorf("%w: a tender is announced with committee_key (version 1) or with method and its members' own keys, not both", tender.ErrInvalid)
	case j.Method != "":
		a.Method, a.Threshold, a.Committee = tender.Method(j.Method), j.Threshold, j.Members
	case j.Members != nil || j.Threshold != 0 || !j.Schedule.FileIIOpening.IsZero():
		return api.Tender{}, fmt.Errorf("%w: members, threshold and file_ii_opening go with a method (single-file, two-file or two-stage)", tender.ErrInvalid)
	}
	return s.tender(s.Engine.Announce(r.Context(), user(r).ID, a))
}

func (s *Server) postAmend(r *http.Request, j api.Amendment) (api.Tender, error) {
	a := tender.Amendment{Deadline: j.Deadline}
	if !j.Document.IsZero() {
		d := [32]byte(j.Document)
		a.Document = &d
	}
	return s.tender(s.Engine.Amend(r.Context(), user(r).ID, r.PathValue("tender"), a))
}

func (s *Server) postCancel(r *http.Request, j api.Reason) (api.Tender, error) {
	return s.tender(s.Engine.Cancel(r.Context(), user(r).ID, r.PathValue("tender"), j.Reason))
}

func (s *Server) postParticipant(r *http.Request, _ none) (api.Done, error) {
	return done(s.Engine.Register(r.Context(), user(r).ID, r.PathValue("tender")), "registered")
}

func (s *Server) postOffer(r *http.Request) (api.Receipt, error) {
	rc, err := s.Engine.Submit(r.Context(), user(r).ID, r.PathValue("tender"), r.Body)
	if err != nil {
		drain(r.Body)
		return api.Receipt{}, err
	}
	s.metrics.bytesStored.Add(float64(rc.Size))
	return receiptView(rc), nil
}

func (s *Server) postClose(r *http.Request, _ none) (api.Tender, error) {
	t, err := s.Engine.Get(r.Context(), r.PathValue("tender"))
	if err != nil {
		return api.Tender{}, err
	}
	if err := s.Engine.CheckCommittee(r.Context(), user(r).ID, t); err != nil {
		return api.Tender{}, err
	}
	return s.tender(s.Engine.Close(r.Context(), t.ID))
}

// postOpen runs the opening ceremony. The committee's secret key travels
// in the request (use TLS) and is used for this ceremony only.
func (s *Server) postOpen(r *http.Request, j api.OpenRequest) (api.Opening, error) {
	id, err := age.ParseHybridIdentity(j.Identity)
	if err != nil {
		return api.Opening{}, fmt.Errorf("%w: identity is not an age post-quantum secret key: %v", errBadRequest, err)
	}
	tid := r.PathValue("tender")
	if t, err := s.Engine.Get(r.Context(), tid); err != nil {
		return api.Opening{}, err
	} else if t.V2() {
		return api.Opening{}, fmt.Errorf("%w: tender %s has a committee of members' own keys (%d of %d open each file) and never takes a committee secret key: "+
			"a member starts each part's opening (POST /v1/tenders/%s/files/{file}/opening, segel opening start), each member's tool sends its contributions "+
			"(segel contribute), and a member who did completes it (POST /v1/tenders/%s/files/{file}/complete, segel opening complete)",
			errMembersOpen, tid, t.Threshold, len(t.Members), tid, tid)
	}
	sink := &vaultSink{ctx: r.Context(), s: s, tender: tid, max: 1 << 40}
	op, err := s.Engine.Open(r.Context(), user(r).ID, tid, tender.Ceremony{Committee: id, Witnesses: j.Witnesses, Sink: sink})
	if err != nil {
		return api.Opening{}, err
	}
	s.metrics.openings.Observe(op.Duration.Seconds())
	failed := len(op.Witness)
	s.metrics.offersOpened.WithLabelValues("opened").Add(float64(len(op.Report.Offers) - failed))
	s.metrics.offersOpened.WithLabelValues("failed").Add(float64(failed))
	return api.Opening{Opened: len(op.Report.Offers) - failed, Failed: failed, Report: string(op.Signed), Duration: op.Duration.Seconds()}, nil
}

func (s *Server) getOpeningReport(w http.ResponseWriter, r *http.Request) {
	t, err := s.Engine.Get(r.Context(), r.PathValue("tender"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if t.OpeningReport == ([32]byte{}) {
		s.fail(w, r, fmt.Errorf("%w: tender %s has not been opened", tender.ErrState, t.ID))
		return
	}
	s.sendBlob(w, r, t.OpeningReport, "text/plain; charset=utf-8")
}

func (s *Server) getWitness(w http.ResponseWriter, r *http.Request) {
	t, err := s.Engine.Get(r.Context(), r.PathValue("tender"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rep, err := s.openingReport(r, t)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, o := range rep.Offers {
		if o.Bidder == r.PathValue("bidder") && o.Outcome == audit.OutcomeFailed {
			s.sendBlob(w, r, o.Digest, "text/plain; charset=utf-8")
			return
		}
	}
	s.fail(w, r, fmt.Errorf("%w: no witness report for %s in tender %s", tender.ErrNotFound, r.PathValue("bidder"), t.ID))
}

func (s *Server) openingReport(r *http.Request, t *tender.Tender) (*audit.OpeningReport, error) {
	if t.OpeningReport == ([32]byte{}) {
		return nil, fmt.Errorf("%w: tender %s has not been opened", tender.ErrState, t.ID)
	}
	return s.verifiedReport(r, t.OpeningReport)
}

// verifiedReport reads the stored signed opening report digest and
// verifies it.
func (s *Server) verifiedReport(r *http.Request, digest [32]byte) (*audit.OpeningReport, error) {
	rc, err := s.cfg.Backend.Open(r.Context(), digest)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, audit.MaxOpeningReportSize+1))
	if err != nil {
		return nil, err
	}
	return audit.VerifyOpeningReport(b, s.Keys.Report)
}

func (s *Server) getOfferDocument(w http.ResponseWriter, r *http.Request) {
	s.sendOpened(w, r, 1)
}

// getFileDocument serves the opened document of a bidder's file part.
func (s *Server) getFileDocument(w http.ResponseWriter, r *http.Request) {
	n, err := fileNumber(r.PathValue("file"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.sendOpened(w, r, n)
}

// sendOpened serves the opened document of the bidder's file part file,
// to the tender's committee.
func (s *Server) sendOpened(w http.ResponseWriter, r *http.Request, file int) {
	t, err := s.Engine.Get(r.Context(), r.PathValue("tender"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !isMember(t, user(r).ID) {
		s.fail(w, r, fmt.Errorf("%w: opened offers are for the tender's committee", errForbidden))
		return
	}
	name, ad := plaintextName(t.ID, r.PathValue("bidder"), file)
	var digest [32]byte
	err = s.cfg.Backend.View(r.Context(), func(tx vault.Tx) error {
		b, err := tx.Get(plaintextTable, name)
		if err != nil {
			return err
		}
		digest, err = api.ParseDigest(string(b))
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rc, err := s.opened.Open(r.Context(), digest, ad)
	s.sendDocument(w, r, rc, err, binaryBody)
}

// getBundle streams the tender's audit bundle as a tar archive. Sealed
// files are left out: the public needs none to verify.
func (s *Server) getBundle(w http.ResponseWriter, r *http.Request) {
	b, err := s.Engine.Bundle(r.Context(), r.PathValue("tender"), s.Keys, false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	dir, err := os.MkdirTemp("", "segel-bundle-")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer os.RemoveAll(dir)
	root := filepath.Join(dir, "bundle")
	if err := b.WriteDir(root); err != nil {
		s.fail(w, r, err)
		return
	}
	// Every entry carries the tender's opening time, which has passed once a
	// bundle exists: the same bundle makes the same archive, and tar neither
	// warns of times in the future nor dates the files 1970.
	t, err := s.Engine.Get(r.Context(), b.Tender)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	mtime := t.Schedule.Opening.UTC()
	w.Header().Set("Content-Type", "application/x-tar")
	tw := tar.NewWriter(w)
	if err := writeTarDir(tw, root, mtime); err != nil {
		s.log.Error("writing a bundle archive", "err", err)
		return
	}
	if err := tw.Close(); err != nil {
		s.log.Error("writing a bundle archive", "err", err)
	}
}

// writeTarDir writes the files under root to tw, as tar.Writer.AddFS does,
// but with every entry's time set to mtime.
func writeTarDir(tw *tar.Writer, root string, mtime time.Time) error {
	fsys := os.DirFS(root)
	return fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || name == "." {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		h, err := tar.FileInfoHeader(info, "")
		if err != nil {
			return err
		}
		h.Name, h.ModTime = name, mtime
		h.Uname, h.Gname, h.Uid, h.Gid = "", "", 0, 0
		if d.IsDir() {
			h.Name += "/"
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		f, err := fsys.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(tw, f)
		return err
	})
}

func (s *Server) getMessages(r *http.Request, _ none) ([]api.Message, error) {
	kind, err := messageKind(r)
	if err != nil {
		return nil, err
	}
	msgs, err := s.Engine.Messages(r.Context(), r.PathValue("tender"), kind)
	return views(msgs, messageView), err
}

func (s *Server) postMessage(r *http.Request, j api.Text) (api.Message, error) {
	kind, err := messageKind(r)
	if err != nil {
		return api.Message{}, err
	}
	m, err := s.Engine.Ask(r.Context(), user(r).ID, r.PathValue("tender"), kind, j.Text)
	if err != nil {
		return api.Message{}, err
	}
	return messageView(*m), nil
}

func (s *Server) postAnswer(r *http.Request, j api.Text) (api.Message, error) {
	kind, err := messageKind(r)
	if err != nil {
		return api.Message{}, err
	}
	msg, err := api.ParseDigest(r.PathValue("digest"))
	if err != nil {
		return api.Message{}, err
	}
	m, err := s.Engine.Reply(r.Context(), user(r).ID, r.PathValue("tender"), kind, msg, j.Text)
	if err != nil {
		return api.Message{}, err
	}
	return messageView(*m), nil
}

func (s *Server) postResult(r *http.Request, j api.ResultRequest) (api.Tender, error) {
	return s.tender(s.Engine.AnnounceResult(r.Context(), user(r).ID, r.PathValue("tender"), j.Winner, j.Text))
}

func (s *Server) postAward(r *http.Request, j api.Text) (api.Tender, error) {
	return s.tender(s.Engine.Award(r.Context(), user(r).ID, r.PathValue("tender"), j.Text))
}

// tender answers with the tender a call returned, or its error.
func (s *Server) tender(t *tender.Tender, err error) (api.Tender, error) {
	if err != nil {
		return api.Tender{}, err
	}
	return s.tenderView(t), nil
}

func (s *Server) sendBlob(w http.ResponseWriter, r *http.Request, digest [32]byte, contentType string) {
	rc, err := s.cfg.Backend.Open(r.Context(), digest)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer rc.Close()
	w.Header().Set("Content-Type", contentType)
	if _, err := io.Copy(w, rc); err != nil {
		s.log.Error("sending a stored document", "err", err)
	}
}

func messageKind(r *http.Request) (tender.Kind, error) {
	switch k := tender.Kind(r.PathValue("kind")); k {
	case tender.KindQuestion, tender.KindObjection:
		return k, nil
	default:
		return "", fmt.Errorf("%w: message kind %.40q is not question or objection", errBadRequest, k)
	}
}

func isMember(t *tender.Tender, user string) bool {
	for _, m := range t.Committee {
		if m == user {
			return true
		}
	}
	return false
}
