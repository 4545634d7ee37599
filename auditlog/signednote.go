package auditlog

import "golang.org/x/mod/sumdb/note"

// Signed notes are opened with canon.OpenNote and canon.NoteText, the one
// strict reading of a signed note shared with package audit.

// signNote signs text, which must end in a newline, with s.
func signNote(text []byte, s note.Signer) ([]byte, error) {
	return note.Sign(&note.Note{Text: string(text)}, s)
}
