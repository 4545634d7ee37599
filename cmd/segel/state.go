package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// An upload state file (PREFIX.upload) remembers an unfinished submission,
// so that running segel submit again continues it instead of starting
// over: the sealed file it is for (sealing is randomised: a new seal is a
// new file) and the server's upload id. It is written before the first
// byte is sent and removed once the receipt and proof file are written.
const (
	stateFormat  = "segel-upload/v1"
	maxStateSize = 4 << 10
)

type uploadState struct {
	Format string `json:"format"`
	LPSE   string `json:"lpse"`
	Tender string `json:"tender"`
	// Part is the file part of a tender with a method; 0 for version 1.
	Part int `json:"part,omitempty"`
	// Upload is the server's upload id, once begun.
	Upload string `json:"upload,omitempty"`
	// Sealed is the sealed file, SHA256 (hex) and Size its digest and
	// length.
	Sealed string `json:"sealed"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	// Document is the SHA-256 (hex) of the document segel sealed into
	// Sealed; empty for a file given with --sealed.
	Document string `json:"document_sha256,omitempty"`
}

// readState reads the state file name; nil if there is none.
func readState(name string) (*uploadState, error) {
	b, err := readSmallFile(name, maxStateSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("failed to read the upload state: %w", err)
	}
	return parseState(name, b)
}

// parseState parses the state file name's content b: exactly as write
// makes it, or refused.
func parseState(name string, b []byte) (*uploadState, error) {
	var s uploadState
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	bad := func(why string) error {
		return fmt.Errorf("%s: not an upload state file (%s): remove it to start the submission over", name, why)
	}
	if err := d.Decode(&s); err != nil {
		return nil, bad(err.Error())
	}
	if d.More() {
		return nil, bad("data after the JSON object")
	}
	switch {
	case s.Format != stateFormat:
		return nil, bad(fmt.Sprintf("format %.40q, want %q", s.Format, stateFormat))
	case s.LPSE == "" || s.Tender == "" || s.Sealed == "":
		return nil, bad("lpse, tender or sealed missing")
	case !isHexDigest(s.SHA256) || s.Document != "" && !isHexDigest(s.Document):
		return nil, bad("a SHA-256 is not 64 lowercase hex digits")
	case s.Size <= 0:
		return nil, bad("size not positive")
	}
	if c, err := s.marshal(); err != nil || !bytes.Equal(c, b) {
		return nil, bad("not as segel writes it")
	}
	return &s, nil
}

// marshal is the state file's one encoding.
func (s *uploadState) marshal() ([]byte, error) {
	b, err := json.MarshalIndent(s, "", "  ")
	return append(b, '\n'), err
}

func isHexDigest(s string) bool {
	b, err := hex.DecodeString(s)
	return err == nil && len(b) == 32 && hex.EncodeToString(b) == s
}

// write replaces the state file name, atomically.
func (s *uploadState) write(name string) error {
	s.Format = stateFormat
	b, err := s.marshal()
	if err != nil {
		return err
	}
	return writeFileAtomic(name, b, 0o644)
}

// writeFileAtomic writes b to name through a temporary file in the same
// directory, synced and renamed over name: a crash leaves the old file or
// the new one, never a part.
func writeFileAtomic(name string, b []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp-*")
	if err != nil {
		return fmt.Errorf("failed to write %s: %w", name, err)
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil {
		err = f.Chmod(perm)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, name)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("failed to write %s: %w", name, err)
	}
	return nil
}
