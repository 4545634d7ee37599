package portal

var AcceptsGzip = acceptsGzip

// Pages returns the method and pattern of every page of s, for the tests
// that must cover them all.
func Pages(s *Site) []string {
	var out []string
	for _, p := range s.table() {
		out = append(out, p.method+" "+p.pattern)
	}
	return out
}
