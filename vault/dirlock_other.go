//go:build !unix

package vault

import "os"

// lockDir does not lock dir where flock(2) is missing: keeping one
// process per data directory is then the operator's duty.
func lockDir(dir string) (*os.File, error) { return nil, nil }
