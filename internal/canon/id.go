package canon

// MaxID is the length limit of an id (a user id, a tender id), in bytes.
const MaxID = 64

// IsID reports whether s is an id of doc/spec/entries.md §2: 1 to MaxID
// ASCII letters, digits, '.', '_', '/' or '-', the first a letter or
// digit. (A tender id is an id without '/': IsTenderID.)
func IsID(s string) bool {
	if s == "" || len(s) > MaxID || !IsAlnum(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !IsAlnum(c) && c != '.' && c != '_' && c != '/' && c != '-' {
			return false
		}
	}
	return true
}
