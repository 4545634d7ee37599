package canon

import (
	"fmt"
	"strings"
)

// Lines is a cursor over the "key: value" LF-terminated lines that follow
// the first line of every Segel text format (entries, receipts, reports,
// bundle files): doc/spec/entries.md §1.
type Lines struct {
	Text string // what is left to read
}

// Next returns the value of the next line, which must have key, and
// advances past it.
func (l *Lines) Next(key string) (string, error) {
	line, rest, ok := strings.Cut(l.Text, "\n")
	if !ok {
		return "", fmt.Errorf("missing %q line", key)
	}
	v, ok := strings.CutPrefix(line, key+": ")
	if !ok {
		return "", fmt.Errorf("line %.80q: want %q", line, key)
	}
	l.Text = rest
	return v, nil
}

// Peek reports whether the next line has key.
func (l *Lines) Peek(key string) bool { return strings.HasPrefix(l.Text, key+": ") }

// End returns an error if any text is left.
func (l *Lines) End() error {
	if l.Text != "" {
		return fmt.Errorf("unexpected text after the last line")
	}
	return nil
}
