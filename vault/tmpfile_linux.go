package vault

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// openAnonymous opens an unnamed file in dir (O_TMPFILE): creating it
// takes no name in dir, so concurrent Puts do not queue on dir's lock as
// they do creating named temporary files in one directory (in a deadline
// rush, CreateTemp was a third of Put's CPU, spent in the kernel), and a
// crash leaves nothing to clean up. ok is false where the file system or
// kernel lacks O_TMPFILE; the caller then uses a named temporary file.
func openAnonymous(dir string) (f *os.File, ok bool, err error) {
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_WRONLY|unix.O_CLOEXEC, 0o600)
	switch {
	case errors.Is(err, unix.EOPNOTSUPP), errors.Is(err, unix.EISDIR), errors.Is(err, unix.EINVAL):
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("vault: staging blob in %s: %w", dir, err)
	}
	return os.NewFile(uintptr(fd), dir+"/(anonymous)"), true, nil
}

// linkAnonymous gives f, opened by openAnonymous, the name path. It fails
// with an error wrapping fs.ErrExist if path exists.
func linkAnonymous(f *os.File, path string) error {
	err := unix.Linkat(unix.AT_FDCWD, fmt.Sprintf("/proc/self/fd/%d", f.Fd()), unix.AT_FDCWD, path, unix.AT_SYMLINK_FOLLOW)
	if errors.Is(err, unix.ENOENT) { // no /proc: needs CAP_DAC_READ_SEARCH
		err = unix.Linkat(int(f.Fd()), "", unix.AT_FDCWD, path, unix.AT_EMPTY_PATH)
	}
	if err != nil {
		return &os.LinkError{Op: "link", Old: f.Name(), New: path, Err: err}
	}
	return nil
}

// openSyncFS opens dir for syncFS, or returns nil where syncfs(2) may not
// report a failed write-back (Linux before 5.8): there it returned 0
// whatever happened, and Put must fsync each blob.
func openSyncFS(dir string) (*os.File, error) {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return nil, nil
	}
	var major, minor int
	if _, err := fmt.Sscanf(unix.ByteSliceToString(u.Release[:]), "%d.%d", &major, &minor); err != nil || major < 5 || major == 5 && minor < 8 {
		return nil, nil
	}
	f, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("vault: %w", err)
	}
	return f, nil
}

// syncFS flushes the whole file system holding f — every file's data and
// every name — in one call. It reports any write-back error on that file
// system since the previous call on f.
func syncFS(f *os.File) error {
	if err := unix.Syncfs(int(f.Fd())); err != nil {
		return fmt.Errorf("vault: flushing the file system of %s: %w", f.Name(), err)
	}
	return nil
}
