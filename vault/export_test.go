package vault

// StageNamed makes e's Put stage blobs in named temporary files, the
// path taken where unnamed files (O_TMPFILE) are not available.
func StageNamed(e *Embedded) { e.anonymous = false }

// StagesAnonymous reports whether e's Put stages blobs in unnamed files.
func StagesAnonymous(e *Embedded) bool { return e.anonymous }

// SyncsFileSystem reports whether e's Put shares file-system flushes.
func SyncsFileSystem(e *Embedded) bool { return e.fsSync != nil }

// CanSyncFS reports whether this system lets Put share file-system
// flushes (syncfs(2) that reports write-back errors).
func CanSyncFS(dir string) bool {
	f, err := openSyncFS(dir)
	if f != nil {
		f.Close()
	}
	return err == nil && f != nil
}
