package canon

// IsID reports whether s is an id of doc/spec/entries.md §2: 1 to MaxID
// ASCII letters, digits, '.', '_', '/' or '-', the first a letter or
// digit (KindID's rule). A tender id is an id without '/': IsTenderID.
func IsID(s string) bool { return KindID.Check(s) == nil }
