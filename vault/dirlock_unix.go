//go:build unix

package vault

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// lockDir takes the embedded backend's exclusive lock on dir: flock(2) on
// dir/vault.lock, without waiting. The kernel drops the lock when the
// process ends, even by SIGKILL, so a crash never leaves dir locked; the
// pid in the file only names the holder in the error a second opener gets.
func lockDir(dir string) (*os.File, error) {
	path := filepath.Join(dir, lockName)
	// Not O_TRUNC: the holder's pid must survive a refused opener.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("vault: locking data directory: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		holder := ""
		if b, rerr := os.ReadFile(path); rerr == nil {
			if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil {
				holder = fmt.Sprintf(" (pid %d)", pid)
			}
		}
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("vault: data directory %s is in use by another process%s: only one process may open it at a time; stop that one, or use another directory", dir, holder)
		}
		return nil, fmt.Errorf("vault: locking data directory %s: %w", dir, err)
	}
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("vault: locking data directory %s: %w", dir, err)
	}
	return f, nil
}
