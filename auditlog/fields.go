package auditlog

import (
	"fmt"
	"slices"
	"strings"

	"github.com/segel-lpse/segel/internal/canon"
)

// This file holds the "key: value" fields shared by entries and receipts
// (doc/spec/entries.md §1–2). The line syntax and the value kinds are
// internal/canon's, the one copy every Segel format uses.

// A Field is one "key: value" line of an entry.
type Field struct {
	Key, Value string
}

type fieldSpec struct {
	key  string
	kind canon.Kind
	// values, if not empty, are the only values allowed, separated by
	// commas (doc/spec/entries.md: "`kind` id (`maintenance`, …)").
	values string
}

// check reports whether v is a value of the field.
func (f fieldSpec) check(v string) error {
	if err := f.kind.Check(v); err != nil {
		return err
	}
	if f.values != "" && !slices.Contains(strings.Split(f.values, ","), v) {
		return fmt.Errorf("%.40q is not one of %s", v, strings.ReplaceAll(f.values, ",", ", "))
	}
	return nil
}

// parseFields parses text, which must be exactly one "key: value\n" line per
// spec, in order.
func parseFields(text string, specs []fieldSpec) ([]Field, error) {
	l := canon.Lines{Text: text}
	fields := make([]Field, 0, len(specs))
	for _, spec := range specs {
		value, err := l.Next(spec.key)
		if err != nil {
			return nil, err
		}
		if err := spec.check(value); err != nil {
			return nil, fmt.Errorf("field %q: %v", spec.key, err)
		}
		fields = append(fields, Field{spec.key, value})
	}
	if err := l.End(); err != nil {
		return nil, err
	}
	return fields, nil
}

// appendFields checks fields against specs and appends their encoding to b.
func appendFields(b []byte, fields []Field, specs []fieldSpec) ([]byte, error) {
	if len(fields) != len(specs) {
		return nil, fmt.Errorf("%d fields, want %d", len(fields), len(specs))
	}
	for i, spec := range specs {
		f := fields[i]
		if f.Key != spec.key {
			return nil, fmt.Errorf("field %d is %q, want %q", i, f.Key, spec.key)
		}
		if err := spec.check(f.Value); err != nil {
			return nil, fmt.Errorf("field %q: %v", spec.key, err)
		}
		b = append(b, f.Key...)
		b = append(b, ": "...)
		b = append(b, f.Value...)
		b = append(b, '\n')
	}
	return b, nil
}
