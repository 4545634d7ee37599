package server

import (
	"archive/tar"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/tender"
	"github.com/segel-lpse/segel/vault"
)

// maxDocument caps a tender document upload.
const maxDocument = 64 << 20

func (s *Server) postDocument(w http.ResponseWriter, r *http.Request) {
	if err := wantType(r, binaryBody); err != nil {
		s.fail(w, r, err)
		return
	}
	info, err := s.cfg.Backend.Put(r.Context(), r.Body, maxDocument)
	if errors.Is(err, vault.ErrTooLarge) {
		s.fail(w, r, fmt.Errorf("%w: a tender document is at most %d bytes", errBodyTooLarge, maxDocument))
		return
	} else if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"sha256": hex.EncodeToString(info.Digest[:]), "size": info.Size})
}

// tenderJSON is the public view of a tender.
type tenderJSON struct {
	ID            string          `json:"id"`
	Title         string          `json:"title"`
	Plan          string          `json:"plan,omitempty"`
	Document      string          `json:"document"`
	State         tender.State    `json:"state"`
	Committee     []string        `json:"committee"`
	CommitteeKey  string          `json:"committee_key"`
	CommitteeID   string          `json:"committee_key_id"`
	Chain         string          `json:"chain"`
	Round         uint64          `json:"round"`
	RoundTime     time.Time       `json:"round_time"`
	Schedule      tender.Schedule `json:"schedule"`
	Amendments    int             `json:"amendments"`
	Offers        *int            `json:"offers,omitempty"` // known once closed
	Winner        string          `json:"winner,omitempty"`
	ResultText    string          `json:"result_text,omitempty"` // SHA-256 hex, once announced
	AwardText     string          `json:"award_text,omitempty"`  // SHA-256 hex, once awarded
	OpeningReport string          `json:"opening_report,omitempty"`
}

func (s *Server) tenderView(t *tender.Tender) tenderJSON {
	v := tenderJSON{ID: t.ID, Title: t.Title, Plan: t.Plan, Document: hex.EncodeToString(t.Document[:]), State: t.State,
		Committee: t.Committee, CommitteeKey: t.CommitteeKey, Chain: t.ChainHash, Round: t.Round,
		RoundTime: s.Beacon.Chain().TimeOf(t.Round), Schedule: t.Schedule, Amendments: t.Amendments}
	if r, err := age.ParseHybridRecipient(t.CommitteeKey); err == nil {
		v.CommitteeID = sealer.KeyID(r)
	}
	if t.Closing != nil {
		n := len(t.Closing.Offers)
		v.Offers = &n
	}
	if t.Result != nil {
		v.Winner, v.ResultText = t.Result.Winner, hex.EncodeToString(t.Result.Document[:])
		if t.Result.Award != nil {
			v.AwardText = hex.EncodeToString(t.Result.Award.Document[:])
		}
	}
	if t.OpeningReport != ([32]byte{}) {
		v.OpeningReport = hex.EncodeToString(t.OpeningReport[:])
	}
	return v
}

func (s *Server) listTenders(w http.ResponseWriter, r *http.Request) {
	ts, err := s.Engine.List(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]tenderJSON, 0, len(ts))
	for _, t := range ts {
		out = append(out, s.tenderView(t))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getTender(w http.ResponseWriter, r *http.Request) {
	t, err := s.Engine.Get(r.Context(), r.PathValue("tender"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.tenderView(t))
}

// postTender announces a tender. Its committee is the one the PA/KPA
// assigned to the tender id in the registry (POST /v1/committees/{id}).
func (s *Server) postTender(w http.ResponseWriter, r *http.Request) {
	var j struct {
		ID           string          `json:"id"`
		Title        string          `json:"title"`
		Plan         string          `json:"plan"`
		Document     string          `json:"document"` // SHA-256 hex from POST /v1/documents
		CommitteeKey string          `json:"committee_key"`
		Schedule     tender.Schedule `json:"schedule"`
	}
	if err := readJSON(w, r, maxJSON, &j); err != nil {
		s.fail(w, r, err)
		return
	}
	doc, err := parseHexDigest(j.Document)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if j.ID == "" {
		s.fail(w, r, fmt.Errorf("%w: id is required: the PA/KPA assigns the committee to it first", errBadRequest))
		return
	}
	members, err := s.Registry.Committee(r.Context(), j.ID)
	if errors.Is(err, vault.ErrNotFound) {
		s.fail(w, r, fmt.Errorf("%w: no committee is assigned to tender %s; the PA/KPA assigns one with POST /v1/committees/%s", errForbidden, j.ID, j.ID))
		return
	} else if err != nil {
		s.fail(w, r, err)
		return
	}
	t, err := s.Engine.Announce(r.Context(), user(r).ID, tender.Announcement{
		ID: j.ID, Title: j.Title, Plan: j.Plan, Document: doc, Committee: members,
		CommitteeKey: j.CommitteeKey, Schedule: j.Schedule,
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, s.tenderView(t))
}

func (s *Server) postAmend(w http.ResponseWriter, r *http.Request) {
	var j struct {
		Document string    `json:"document,omitempty"`
		Deadline time.Time `json:"deadline,omitzero"`
	}
	if err := readJSON(w, r, maxJSON, &j); err != nil {
		s.fail(w, r, err)
		return
	}
	var a tender.Amendment
	if j.Document != "" {
		d, err := parseHexDigest(j.Document)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		a.Document = &d
	}
	a.Deadline = j.Deadline
	s.tenderResult(w, r)(s.Engine.Amend(r.Context(), user(r).ID, r.PathValue("tender"), a))
}

func (s *Server) postCancel(w http.ResponseWriter, r *http.Request) {
	var j reasonJSON
	if err := readJSON(w, r, maxJSON, &j); err != nil {
		s.fail(w, r, err)
		return
	}
	s.tenderResult(w, r)(s.Engine.Cancel(r.Context(), user(r).ID, r.PathValue("tender"), j.Reason))
}

func (s *Server) postParticipant(w http.ResponseWriter, r *http.Request) {
	s.done(w, r, s.Engine.Register(r.Context(), user(r).ID, r.PathValue("tender")), "registered")
}

// receiptJSON answers an accepted offer.
type receiptJSON struct {
	Receipt  string    `json:"receipt"` // the signed note
	Index    int64     `json:"index"`
	SHA256   string    `json:"sha256"`
	Size     int64     `json:"size"`
	Received time.Time `json:"received"`
}

func (s *Server) postOffer(w http.ResponseWriter, r *http.Request) {
	outcome := "accepted"
	defer func() { s.metrics.submissions.WithLabelValues(outcome).Inc() }()
	if err := wantType(r, binaryBody); err != nil {
		_, outcome = errorStatus(err)
		s.fail(w, r, err)
		return
	}
	rc, err := s.Engine.Submit(r.Context(), user(r).ID, r.PathValue("tender"), r.Body)
	if err != nil {
		_, outcome = errorStatus(err)
		s.fail(w, r, err)
		drain(r.Body)
		return
	}
	s.metrics.bytesStored.Add(float64(rc.Size))
	writeJSON(w, http.StatusCreated, receiptJSON{Receipt: string(rc.Signed), Index: rc.Index,
		SHA256: hex.EncodeToString(rc.SHA256[:]), Size: rc.Size, Received: rc.Received})
}

func (s *Server) postClose(w http.ResponseWriter, r *http.Request) {
	t, err := s.Engine.Get(r.Context(), r.PathValue("tender"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Engine.CheckCommittee(r.Context(), user(r).ID, t); err != nil {
		s.fail(w, r, err)
		return
	}
	s.tenderResult(w, r)(s.Engine.Close(r.Context(), t.ID))
}

// postOpen runs the opening ceremony. The committee's secret key travels
// in the request (use TLS) and is used for this ceremony only.
func (s *Server) postOpen(w http.ResponseWriter, r *http.Request) {
	var j struct {
		Identity  string   `json:"identity"` // AGE-SECRET-KEY-PQ-1…
		Witnesses []string `json:"witnesses"`
	}
	if err := readJSON(w, r, maxJSON, &j); err != nil {
		s.fail(w, r, err)
		return
	}
	id, err := age.ParseHybridIdentity(j.Identity)
	if err != nil {
		s.fail(w, r, fmt.Errorf("%w: identity is not an age post-quantum secret key: %v", errBadRequest, err))
		return
	}
	tid := r.PathValue("tender")
	sink := &vaultSink{ctx: r.Context(), s: s, tender: tid, max: 1 << 40}
	op, err := s.Engine.Open(r.Context(), user(r).ID, tid, tender.Ceremony{Committee: id, Witnesses: j.Witnesses, Sink: sink})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.metrics.openings.Observe(op.Duration.Seconds())
	failed := len(op.Witness)
	s.metrics.offersOpened.WithLabelValues("opened").Add(float64(len(op.Report.Offers) - failed))
	s.metrics.offersOpened.WithLabelValues("failed").Add(float64(failed))
	writeJSON(w, http.StatusOK, map[string]any{
		"opened": len(op.Report.Offers) - failed, "failed": failed,
		"report": string(op.Signed), "duration_seconds": op.Duration.Seconds(),
	})
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
	rc, err := s.cfg.Backend.Open(r.Context(), t.OpeningReport)
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
	t, err := s.Engine.Get(r.Context(), r.PathValue("tender"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !isMember(t, user(r).ID) {
		s.fail(w, r, fmt.Errorf("%w: opened offers are for the tender's committee", errForbidden))
		return
	}
	bidder := r.PathValue("bidder")
	var digest [32]byte
	err = s.cfg.Backend.View(r.Context(), func(tx vault.Tx) error {
		b, err := tx.Get(plaintextTable, t.ID+"/"+bidder)
		if err != nil {
			return err
		}
		digest, err = parseHexDigest(string(b))
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rc, err := s.opened.Open(r.Context(), digest, plaintextAD(t.ID, bidder))
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

func (s *Server) getMessages(w http.ResponseWriter, r *http.Request) {
	kind, err := messageKind(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	msgs, err := s.Engine.Messages(r.Context(), r.PathValue("tender"), kind)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list(msgs))
}

type textJSON struct {
	Text string `json:"text"`
}

func (s *Server) postMessage(w http.ResponseWriter, r *http.Request) {
	kind, err := messageKind(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var j textJSON
	if err := readJSON(w, r, maxJSON, &j); err != nil {
		s.fail(w, r, err)
		return
	}
	m, err := s.Engine.Ask(r.Context(), user(r).ID, r.PathValue("tender"), kind, j.Text)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"digest": hex.EncodeToString(m.Document[:])})
}

func (s *Server) postAnswer(w http.ResponseWriter, r *http.Request) {
	kind, err := messageKind(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	msg, err := parseHexDigest(r.PathValue("digest"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var j textJSON
	if err := readJSON(w, r, maxJSON, &j); err != nil {
		s.fail(w, r, err)
		return
	}
	if _, err := s.Engine.Reply(r.Context(), user(r).ID, r.PathValue("tender"), kind, msg, j.Text); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "answered"})
}

func (s *Server) postResult(w http.ResponseWriter, r *http.Request) {
	var j struct {
		Winner string `json:"winner"`
		Text   string `json:"text"`
	}
	if err := readJSON(w, r, maxJSON, &j); err != nil {
		s.fail(w, r, err)
		return
	}
	s.tenderResult(w, r)(s.Engine.AnnounceResult(r.Context(), user(r).ID, r.PathValue("tender"), j.Winner, j.Text))
}

func (s *Server) postAward(w http.ResponseWriter, r *http.Request) {
	var j textJSON
	if err := readJSON(w, r, maxJSON, &j); err != nil {
		s.fail(w, r, err)
		return
	}
	s.tenderResult(w, r)(s.Engine.Award(r.Context(), user(r).ID, r.PathValue("tender"), j.Text))
}

// tenderResult answers with the tender a call returned, or its error.
func (s *Server) tenderResult(w http.ResponseWriter, r *http.Request) func(*tender.Tender, error) {
	return func(t *tender.Tender, err error) {
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, s.tenderView(t))
	}
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
		return "", fmt.Errorf("%w: message kind %q is not question or objection", errBadRequest, k)
	}
}

func parseHexDigest(s string) ([32]byte, error) {
	var d [32]byte
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return d, fmt.Errorf("%w: %.70q is not a SHA-256 in hex", errBadRequest, s)
	}
	copy(d[:], b)
	return d, nil
}

func isMember(t *tender.Tender, user string) bool {
	for _, m := range t.Committee {
		if m == user {
			return true
		}
	}
	return false
}
