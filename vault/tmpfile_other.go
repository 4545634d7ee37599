//go:build !linux

package vault

import (
	"errors"
	"os"
)

// openAnonymous reports that unnamed files are not available here: Put
// uses a named temporary file.
func openAnonymous(dir string) (*os.File, bool, error) { return nil, false, nil }

func linkAnonymous(f *os.File, path string) error {
	return errors.New("vault: unnamed files are not supported on this system")
}

// openSyncFS reports that this system cannot flush a file system with
// error reporting: Put fsyncs each blob.
func openSyncFS(dir string) (*os.File, error) { return nil, nil }

func syncFS(f *os.File) error { return errors.New("vault: syncfs is not supported on this system") }
