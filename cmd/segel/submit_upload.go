package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/segel-lpse/segel/api"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/client"
)

// receipt returns the signed receipt of the sealed file: the one an
// interrupted run wrote, the LPSE's current one if it is for this file
// (current, fetched before sealing), or the answer to a new upload.
func (s *submission) receipt(current []byte) ([]byte, error) {
	name := s.path(".receipt")
	switch b, err := os.ReadFile(name); {
	case err == nil:
		if _, err := s.check(b, name); err != nil {
			return nil, fmt.Errorf("%w; it is not this offer's receipt: move it away, or give this offer another -o PREFIX", err)
		}
		s.say("%s was written by an earlier run", name)
		return b, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	if current != nil {
		r, err := verifyReceipt(current, s.keys)
		switch {
		case err != nil:
			s.say("warning: the LPSE's receipt of your current offer does not verify against the pinned keys: %v", err)
		case s.binds(r):
			s.say("the LPSE already holds this offer, received %s: nothing is sent again", r.Received.UTC().Format(time.RFC3339))
			return current, nil
		default:
			s.say("this offer replaces your current one (SHA-256 %x…, received %s)", r.SHA256[:8], r.Received.UTC().Format(time.RFC3339))
		}
	}
	return s.upload()
}

// upload sends the sealed file through a resumable upload: the state's,
// if the LPSE still has it, or a new one.
func (s *submission) upload() ([]byte, error) {
	ctx, st := s.e.ctx, s.state
	f, err := os.Open(s.sealed)
	if err != nil {
		return nil, fmt.Errorf("failed to open the sealed offer: %w", err)
	}
	defer f.Close()

	var up *api.Upload
	if st.Upload != "" {
		err := s.retry.do("asking where upload "+st.Upload+" stands", func() (err error) {
			up, err = s.cl.UploadStatus(ctx, st.Upload)
			return err
		})
		switch {
		case err == nil && up.Size == s.size && up.Tender == s.tender:
			s.say("resuming upload %s at byte %d of %d", up.ID, up.Received, up.Size)
		case err == nil:
			s.say("upload %s is of %d bytes for tender %s, not this file: starting a new one", st.Upload, up.Size, up.Tender)
			up = nil
		case client.ErrorCode(err) == api.CodeNotFound:
			s.say("upload %s is gone (it expired, or the LPSE ended it): starting a new one", st.Upload)
		default:
			return nil, netErr(fmt.Errorf("upload %s: %w", st.Upload, err), againSubmit)
		}
	}
	if up == nil {
		err := s.retry.do("beginning the upload", func() (err error) {
			if s.part != 0 {
				up, err = s.cl.BeginFileUpload(ctx, s.tender, s.part, s.size)
			} else {
				up, err = s.cl.BeginUpload(ctx, s.tender, s.size)
			}
			return err
		})
		if err != nil {
			return nil, netErr(fmt.Errorf("tender %s: %w", s.tender, err), againSubmit)
		}
		st.Upload = up.ID
		if err := st.write(s.path(".upload")); err != nil {
			return nil, err
		}
		s.say("upload %s: %s in chunks of %s", up.ID, formatSize(s.size), formatSize(s.upOpts.ChunkSize))
	}

	opts := s.upOpts
	opts.Progress = s.bar.set
	opts.Retrying = func(err error, wait time.Duration) {
		s.say("upload %s: %v; resuming in %s from where the LPSE stands", up.ID, err, wait)
	}
	s.bar.start(filepath.Base(s.sealed), s.size, up.Received)
	done, err := s.cl.SendUpload(ctx, up, f, opts)
	s.bar.stop()
	if err != nil {
		return nil, netErr(err, "the upload is kept: "+againSubmit)
	}

	var rc *api.Receipt
	attempts := 0
	err = s.retry.do("finishing upload "+up.ID, func() (err error) {
		attempts++
		rc, err = s.cl.FinishUpload(ctx, done.ID)
		return err
	})
	if code := client.ErrorCode(err); attempts > 1 && code == api.CodeNotFound || code == api.CodeDuplicate {
		// The LPSE may have taken the file and lost the answer, or hold
		// this very file already: its current receipt tells.
		if b, rerr := s.currentReceipt(); rerr == nil {
			if r, verr := verifyReceipt(b, s.keys); verr == nil && s.binds(r) {
				s.say("the LPSE received the offer; its answer was lost, so its receipt is fetched")
				return b, nil
			}
		}
	}
	if err != nil {
		return nil, netErr(fmt.Errorf("finishing upload %s: %w", up.ID, err), againSubmit)
	}
	return []byte(rc.Receipt), nil
}

// proof returns the proof file of receipt r (signed): the one an
// interrupted run wrote, or the LPSE's, verified against the pinned keys.
func (s *submission) proof(signed []byte, r auditlog.Receipt) ([]byte, error) {
	name := s.path(".proof")
	if b, err := os.ReadFile(name); err == nil {
		if pr, _, err := verifyProofFile(b, s.keys); err == nil && sameReceipt(pr, r) {
			return b, nil
		}
		return nil, fmt.Errorf("%s exists and is not the proof file of this offer's receipt: move it away, or give this offer another -o PREFIX", name)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	var proof []byte
	err := s.retry.do("fetching the proof file", func() (err error) {
		proof, err = s.cl.ProofFile(s.e.ctx, signed)
		return err
	})
	if err != nil {
		return nil, netErr(fmt.Errorf("fetching the proof file: %w", err), againSubmit)
	}
	if err := checkProof(proof, s.keys, r); err != nil {
		return nil, err
	}
	return proof, nil
}

// checkProof verifies a proof file from the LPSE against the pinned keys,
// and that it proves receipt r.
func checkProof(proof []byte, keys *trustedKeys, r auditlog.Receipt) error {
	if err := damagedNote(proof, "proof"); err != nil {
		return fmt.Errorf("the LPSE's proof file does not verify: %w", err)
	}
	pr, _, err := verifyProofFile(proof, keys)
	if err != nil {
		return fmt.Errorf("the LPSE's proof file does not verify against the pinned keys: %w", err)
	}
	if !sameReceipt(pr, r) {
		return fmt.Errorf("the LPSE's proof file is for another receipt (tender %s, bidder %s, log index %d)", pr.Tender, pr.Bidder, pr.Index)
	}
	return nil
}

func sameReceipt(a, b auditlog.Receipt) bool {
	return a.Origin == b.Origin && a.Index == b.Index && a.Tender == b.Tender && a.Bidder == b.Bidder &&
		a.SHA256 == b.SHA256 && a.Size == b.Size && a.Received.Equal(b.Received)
}

// writeNote writes a receipt or proof file, byte for byte; a file already
// there with the same bytes is left as it is, any other is never replaced.
func (s *submission) writeNote(name string, b []byte) error {
	if old, err := os.ReadFile(name); err == nil {
		if bytes.Equal(old, b) {
			return nil
		}
		return fmt.Errorf("%s exists: move it away, or give this offer another -o PREFIX", name)
	}
	return writeFileAtomic(name, b, 0o644)
}
