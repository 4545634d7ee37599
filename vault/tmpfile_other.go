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
