package auditlog

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/segel-lpse/segel/internal/canon"
)

// This file holds the "key: value" line syntax and the value kinds shared by
// entries and receipts (doc/spec/entries.md §1–2).

// A Field is one "key: value" line of an entry.
type Field struct {
	Key, Value string
}

type kind int

const (
	kindID kind = iota
	kindUint
	kindTime
	kindSHA256
	kindHex
	kindText
	kindFault
)

type fieldSpec struct {
	key  string
	kind kind
}

const (
	maxIDLen   = 64
	maxHexLen  = 1024
	maxTextLen = 1024
)

// checkValue reports whether v is the canonical encoding of a value of kind k.
func checkValue(k kind, v string) error {
	switch k {
	case kindID:
		if len(v) == 0 || len(v) > maxIDLen || !canon.IsAlnum(v[0]) {
			return fmt.Errorf("id must be 1 to %d bytes starting with a letter or digit", maxIDLen)
		}
		for i := 0; i < len(v); i++ {
			if c := v[i]; !canon.IsAlnum(c) && c != '.' && c != '_' && c != '/' && c != '-' {
				return fmt.Errorf("id contains %q", c)
			}
		}
	case kindUint:
		if _, err := canon.ParseUint(v); err != nil {
			return err
		}
	case kindTime:
		if _, err := canon.ParseTime(v); err != nil {
			return err
		}
	case kindSHA256:
		if len(v) != 64 || !canon.IsLowerHex(v) {
			return fmt.Errorf("sha256 must be 64 lowercase hex digits")
		}
	case kindHex:
		if len(v) == 0 || len(v) > maxHexLen || len(v)%2 != 0 || !canon.IsLowerHex(v) {
			return fmt.Errorf("hex must be an even number (2 to %d) of lowercase hex digits", maxHexLen)
		}
	case kindText:
		if len(v) == 0 || len(v) > maxTextLen || !utf8.ValidString(v) {
			return fmt.Errorf("text must be 1 to %d bytes of UTF-8", maxTextLen)
		}
		if strings.IndexFunc(v, unicode.IsControl) >= 0 {
			return fmt.Errorf("text contains a control character")
		}
		first, _ := utf8.DecodeRuneInString(v)
		last, _ := utf8.DecodeLastRuneInString(v)
		if unicode.IsSpace(first) || unicode.IsSpace(last) {
			return fmt.Errorf("text starts or ends with white space")
		}
	case kindFault:
		if v != "file" && v != "system" {
			return fmt.Errorf("fault must be file or system")
		}
	default:
		panic("auditlog: unknown value kind")
	}
	return nil
}

// parseFields parses text, which must be exactly one "key: value\n" line per
// spec, in order.
func parseFields(text string, specs []fieldSpec) ([]Field, error) {
	fields := make([]Field, 0, len(specs))
	for _, spec := range specs {
		line, rest, ok := strings.Cut(text, "\n")
		if !ok {
			return nil, fmt.Errorf("missing field %q", spec.key)
		}
		text = rest
		value, ok := strings.CutPrefix(line, spec.key+": ")
		if !ok {
			return nil, fmt.Errorf("line %q: want field %q", line, spec.key)
		}
		if err := checkValue(spec.kind, value); err != nil {
			return nil, fmt.Errorf("field %q: %v", spec.key, err)
		}
		fields = append(fields, Field{spec.key, value})
	}
	if text != "" {
		return nil, fmt.Errorf("unexpected text after the last field")
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
		if err := checkValue(spec.kind, f.Value); err != nil {
			return nil, fmt.Errorf("field %q: %v", spec.key, err)
		}
		b = append(b, f.Key...)
		b = append(b, ": "...)
		b = append(b, f.Value...)
		b = append(b, '\n')
	}
	return b, nil
}
