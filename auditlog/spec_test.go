package auditlog

import (
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/segel-lpse/segel/internal/canon"
)

// specEntries is the specification this package implements.
const specEntries = "../doc/spec/entries.md"

// specTypes reads the entry tables of doc/spec/entries.md §3 and §5: every
// table row "| `type` | `key` kind, … |" from "## 3." to the next "## "
// heading, and likewise in §5. It returns the types in the order of the
// spec, with their fields; a field's values in parentheses, each in
// backquotes, are the only values it allows.
func specTypes(t *testing.T, doc string) (types []string, fields map[string][]fieldSpec) {
	t.Helper()
	var text string
	for _, sec := range []string{"3", "5"} {
		_, body, ok := strings.Cut(doc, "\n## "+sec+". ")
		if !ok {
			t.Fatalf("%s has no section %s", specEntries, sec)
		}
		if i := strings.Index(body, "\n## "); i >= 0 {
			body = body[:i]
		}
		text += body
	}
	kinds := map[string]canon.Kind{}
	var names []string
	for _, k := range canon.Kinds {
		kinds[k.String()] = k
		names = append(names, k.String())
	}
	row := regexp.MustCompile("^\\| `([a-z0-9-]+)` \\| (.+) \\|$")
	field := regexp.MustCompile("^`([a-z0-9-]+)` (" + strings.Join(names, "|") + ")( \\((.*)\\))?$")
	values := regexp.MustCompile("^`[a-z0-9-]+`(, `[a-z0-9-]+`)*$")
	fields = map[string][]fieldSpec{}
	for line := range strings.Lines(text) {
		m := row.FindStringSubmatch(strings.TrimSuffix(line, "\n"))
		if m == nil {
			continue
		}
		typ := m[1]
		if _, dup := fields[typ]; dup {
			t.Errorf("%s lists %s twice", specEntries, typ)
		}
		types = append(types, typ)
		var specs []fieldSpec
		for _, item := range splitTop(m[2]) {
			f := field.FindStringSubmatch(item)
			if f == nil {
				t.Errorf("%s: %s: field %q is not \"`key` kind\" with a kind of §2", specEntries, typ, item)
				continue
			}
			spec := fieldSpec{f[1], kinds[f[2]], ""}
			if values.MatchString(f[4]) {
				spec.values = strings.NewReplacer("`", "", " ", "").Replace(f[4])
			}
			specs = append(specs, spec)
		}
		fields[typ] = specs
	}
	if len(types) == 0 {
		t.Fatalf("%s: no entry types found in sections 3 and 5", specEntries)
	}
	return types, fields
}

// splitTop splits s at the commas that are not inside parentheses.
func splitTop(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}

// TestSpecEntryTypes compares the entry tables of doc/spec/entries.md §3
// and §5 with the one the code parses and marshals: the same types, each
// with the same fields, in the same order, of the same value kinds, with
// the same allowed values. A change to either side without the other
// fails here.
func TestSpecEntryTypes(t *testing.T) {
	doc, err := os.ReadFile(specEntries)
	if err != nil {
		t.Fatal(err)
	}
	types, spec := specTypes(t, string(doc))
	for _, typ := range types {
		code, ok := entryTypes[typ]
		if !ok {
			t.Errorf("%s is in %s but not in entryTypes", typ, specEntries)
			continue
		}
		if !slices.Equal(code, spec[typ]) {
			t.Errorf("%s: spec lists %s\n\tcode has %s", typ, fieldList(spec[typ]), fieldList(code))
		}
	}
	for typ := range entryTypes {
		if _, ok := spec[typ]; !ok {
			t.Errorf("%s is in entryTypes but not in %s §3 or §5", typ, specEntries)
		}
	}
	if got := entryTypes[typeOfferReceived]; !slices.Equal(got, offerReceivedFields) {
		t.Errorf("offer-received fields %s differ from offerReceivedFields %s", fieldList(got), fieldList(offerReceivedFields))
	}
	if got := entryTypes[typeFileReceived]; !slices.Equal(got, fileReceivedFields) {
		t.Errorf("file-received fields %s differ from fileReceivedFields %s", fieldList(got), fieldList(fileReceivedFields))
	}
}

func fieldList(specs []fieldSpec) string {
	var s []string
	for _, f := range specs {
		v := "`" + f.key + "` " + f.kind.String()
		if f.values != "" {
			v += " (`" + strings.ReplaceAll(f.values, ",", "`, `") + "`)"
		}
		s = append(s, v)
	}
	return strings.Join(s, ", ")
}

// TestSpecSyntax compares the constants of doc/spec/entries.md §1–2 with
// the code: the header, the size cap, and the value kinds and their limits.
func TestSpecSyntax(t *testing.T) {
	b, err := os.ReadFile(specEntries)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, want := range []string{
		`header = "` + strings.TrimSuffix(entryHeader, " ") + `" SP type LF`,
		"at most " + strconv.Itoa(MaxEntrySize) + " bytes (`MaxEntrySize`)",
		"| `id` | 1–" + strconv.Itoa(canon.MaxID) + " bytes",
		"| `hex` | lowercase hex, even length, 2–" + strconv.Itoa(canon.MaxHex) + " digits",
		"| `text` | 1–" + strconv.Itoa(canon.MaxText) + " bytes of UTF-8",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("%s does not say %q", specEntries, want)
		}
	}
	kindRow := regexp.MustCompile("(?m)^\\| `([a-z0-9]+)` \\| ")
	_, sec2, _ := strings.Cut(doc, "\n## 2. ")
	sec2, _, _ = strings.Cut(sec2, "\n## ")
	var got, want []string
	for _, m := range kindRow.FindAllStringSubmatch(sec2, -1) {
		got = append(got, m[1])
	}
	for _, k := range canon.Kinds {
		want = append(want, k.String())
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s §2 lists kinds %q, the code has %q", specEntries, got, want)
	}
}
