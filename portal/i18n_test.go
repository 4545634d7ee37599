package portal_test

import (
	"bytes"
	"encoding/json"
	"html/template"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"text/template/parse"
	"unicode"

	"github.com/segel-lpse/segel/api"
)

// catalogues reads portal/i18n/*.json.
func catalogues(t *testing.T) map[string]map[string]string {
	t.Helper()
	files, _ := filepath.Glob("i18n/*.json")
	if len(files) < 2 {
		t.Fatalf("catalogues: %v, want id.json and en.json", files)
	}
	cats := map[string]map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		// Canonical: sorted keys, two-space indent, no escaping of
		// HTML's characters, a final newline; so that a change to one
		// text is a change to one line.
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		enc.Encode(m)
		if !bytes.Equal(b, want.Bytes()) {
			t.Errorf("%s is not canonical (sorted keys, 2-space indent, unescaped): reformat it", f)
		}
		cats[strings.TrimSuffix(filepath.Base(f), ".json")] = m
	}
	return cats
}

var placeholders = regexp.MustCompile(`\{[0-9]+\}`)

// TestCatalogues checks that the catalogues have the same keys, each text
// the same placeholders in both languages, and a text for every value of
// the enumerations the pages name by key.
func TestCatalogues(t *testing.T) {
	cats := catalogues(t)
	id, en := cats["id"], cats["en"]
	if id == nil || en == nil {
		t.Fatalf("want id.json and en.json, have %v", slices.Sorted(maps.Keys(cats)))
	}
	for lang, m := range cats {
		other := id
		if lang == "id" {
			other = en
		}
		for k, v := range m {
			o, ok := other[k]
			if !ok {
				t.Errorf("%s.json has %q, which the other catalogue lacks", lang, k)
				continue
			}
			ph, oph := placeholders.FindAllString(v, -1), placeholders.FindAllString(o, -1)
			slices.Sort(ph)
			slices.Sort(oph)
			if !slices.Equal(slices.Compact(ph), slices.Compact(oph)) {
				t.Errorf("%q: placeholders %v in %s, %v in the other", k, ph, lang, oph)
			}
			if strings.TrimSpace(v) == "" {
				t.Errorf("%s.json: %q is empty", lang, k)
			}
		}
	}
	var want []string
	for _, r := range []api.Role{api.RoleProvider, api.RolePokja, api.RolePejabatPengadaan, api.RolePPK, api.RolePAKPA, api.RoleAuditor, api.RoleVerifier, api.RoleAdmin} {
		want = append(want, "role."+string(r))
	}
	for _, s := range []api.TenderState{api.StateAnnounced, api.StateClosing, api.StateClosed, api.StateOpened, api.StateResult, api.StateAwarded, api.StateCancelled} {
		want = append(want, "state."+string(s))
	}
	for _, k := range []api.NoticeKind{api.NoticeMaintenance, api.NoticeOutage, api.NoticeGeneral} {
		want = append(want, "notice.kind."+string(k))
	}
	for _, s := range []api.AccountStatus{api.StatusPending, api.StatusActive, api.StatusRejected, api.StatusDeactivated} {
		want = append(want, "account.status."+string(s))
	}
	for _, k := range []api.DocumentKind{api.DocKTP, api.DocAktaPendirian, api.DocAktaPerubahan, api.DocNPWP, api.DocIzinUsaha, api.DocSuratTugas} {
		want = append(want, "document.kind."+string(k))
	}
	for i := 1; i <= 12; i++ {
		want = append(want, "month."+strconv.Itoa(i))
	}
	for _, k := range want {
		if _, ok := id[k]; !ok {
			t.Errorf("no text for %q", k)
		}
	}
}

// templates parses portal/templates as the portal does (with stand-ins
// for its functions) and returns every template defined, by name.
func templates(t *testing.T) map[string]*parse.Tree {
	t.Helper()
	files, _ := filepath.Glob("templates/*.html")
	trees := map[string]*parse.Tree{}
	for _, f := range files {
		tm, err := template.New("").Funcs(template.FuncMap{"args": func(any, any) any { return nil }, "hasPrefix": func(any, any) any { return nil }, "has": func(any, any) any { return nil }}).ParseFiles(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range tm.Templates() {
			if d.Tree != nil && d.Tree.Root != nil {
				trees[filepath.Base(f)+":"+d.Name()] = d.Tree
			}
		}
	}
	if len(trees) < 5 {
		t.Fatalf("only %d templates", len(trees))
	}
	return trees
}

// walk calls f on every node under n, both branches of every if, range
// and with included.
func walk(n parse.Node, f func(parse.Node)) {
	if n == nil {
		return
	}
	f(n)
	switch n := n.(type) {
	case *parse.ListNode:
		if n != nil {
			for _, c := range n.Nodes {
				walk(c, f)
			}
		}
	case *parse.IfNode:
		walk(n.Pipe, f)
		walk(n.List, f)
		walk(n.ElseList, f)
	case *parse.RangeNode:
		walk(n.Pipe, f)
		walk(n.List, f)
		walk(n.ElseList, f)
	case *parse.WithNode:
		walk(n.Pipe, f)
		walk(n.List, f)
		walk(n.ElseList, f)
	case *parse.ActionNode:
		walk(n.Pipe, f)
	case *parse.PipeNode:
		if n != nil {
			for _, c := range n.Cmds {
				walk(c, f)
			}
		}
	case *parse.CommandNode:
		for _, a := range n.Args {
			walk(a, f)
		}
	case *parse.TemplateNode:
		walk(n.Pipe, f)
	}
}

// usedKeys returns the catalogue keys a template names: the literal first
// argument of every call of T, and the prefix of every key it builds
// with print ("state." in (print "state." .State)).
func usedKeys(tree *parse.Tree) (keys, prefixes []string) {
	walk(tree.Root, func(n parse.Node) {
		c, ok := n.(*parse.CommandNode)
		if !ok || len(c.Args) < 2 {
			return
		}
		var ident []string
		switch fn := c.Args[0].(type) {
		case *parse.FieldNode:
			ident = fn.Ident
		case *parse.VariableNode:
			ident = fn.Ident
		case *parse.IdentifierNode:
			if fn.Ident == "print" {
				if s, ok := c.Args[1].(*parse.StringNode); ok && strings.HasSuffix(s.Text, ".") {
					prefixes = append(prefixes, s.Text)
				}
			}
			return
		}
		if len(ident) == 0 || ident[len(ident)-1] != "T" {
			return
		}
		if s, ok := c.Args[1].(*parse.StringNode); ok {
			keys = append(keys, s.Text)
		}
	})
	return keys, prefixes
}

// TestTemplateKeys checks that every key a template names is in the
// catalogues, and that every key built from a prefix has texts.
func TestTemplateKeys(t *testing.T) {
	cats := catalogues(t)
	n := 0
	for name, tree := range templates(t) {
		keys, prefixes := usedKeys(tree)
		for _, k := range keys {
			n++
			for lang, m := range cats {
				if _, ok := m[k]; !ok {
					t.Errorf("%s: %q is not in %s.json", name, k, lang)
				}
			}
		}
		for _, p := range prefixes {
			if !slices.ContainsFunc(slices.Collect(maps.Keys(cats["id"])), func(k string) bool { return strings.HasPrefix(k, p) }) {
				t.Errorf("%s: no text starts with %q", name, p)
			}
		}
	}
	if n < 50 {
		t.Errorf("only %d keys found in the templates: is the walk broken?", n)
	}
}

// TestScriptKeys checks that every text the page scripts ask for
// (msg("key")) is in the catalogues, under the prefixes the pages pass
// them (view.JSMessages).
func TestScriptKeys(t *testing.T) {
	cats := catalogues(t)
	files, _ := filepath.Glob("static/*.js")
	call := regexp.MustCompile(`\bmsg\(\s*"([^"]+)"`)
	n := 0
	for _, f := range files {
		if base := filepath.Base(f); base == "wasm_exec.js" || base == "segel.js" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range call.FindAllStringSubmatch(string(b), -1) {
			n++
			k := m[1]
			if !strings.HasPrefix(k, "js.") && !strings.HasPrefix(k, "error.") && !strings.HasPrefix(k, "official.js.") {
				t.Errorf("%s: msg(%q): page scripts get only js.*, official.js.* and error.* texts", f, k)
			}
			for lang, c := range cats {
				if _, ok := c[k]; !ok {
					t.Errorf("%s: msg(%q) is not in %s.json", f, k, lang)
				}
			}
		}
	}
	if n == 0 {
		t.Error("no msg calls found in the page scripts")
	}
}

// visibleAttrs are the attributes browsers show or read out.
var visibleAttrs = []string{"title", "alt", "placeholder", "aria-label", "aria-description", "label"}

// TestTemplatesText checks that no template holds visible text of its
// own — every word a page shows comes from the catalogue — and no inline
// script, style or event handler (the Content-Security-Policy forbids
// them).
func TestTemplatesText(t *testing.T) {
	const action = "\x00"
	for name, tree := range templates(t) {
		// The template's text with every action as a placeholder, both
		// branches of each condition in sequence.
		var b strings.Builder
		walk(tree.Root, func(n parse.Node) {
			switch n := n.(type) {
			case *parse.TextNode:
				b.Write(n.Text)
			case *parse.ActionNode, *parse.TemplateNode:
				b.WriteString(action)
			}
		})
		src := b.String()
		for _, problem := range htmlText(src, action) {
			t.Errorf("%s: %s", name, problem)
		}
	}
}

var (
	tagRE  = regexp.MustCompile(`(?s)<(/?)([a-zA-Z0-9-]+)((?:[^>"']|"[^"]*"|'[^']*')*)>`)
	attrRE = regexp.MustCompile(`([a-zA-Z-:]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?`)
)

// htmlText returns what is wrong with a template's text: visible words,
// inline scripts, styles and handlers.
func htmlText(src, action string) []string {
	var problems []string
	hasLetters := func(s string) bool {
		s = strings.ReplaceAll(s, action, " ")
		s = regexp.MustCompile(`&[a-zA-Z]+;|&#[0-9]+;`).ReplaceAllString(s, " ")
		return strings.IndexFunc(s, unicode.IsLetter) >= 0
	}
	src = regexp.MustCompile(`(?s)<!--.*?-->|(?i)<!doctype[^>]*>`).ReplaceAllString(src, "")
	last := 0
	inScript := false
	for _, m := range tagRE.FindAllStringSubmatchIndex(src, -1) {
		between := src[last:m[0]]
		if inScript {
			if strings.TrimSpace(strings.ReplaceAll(between, action, "")) != "" {
				problems = append(problems, "inline script: "+strings.TrimSpace(between))
			}
		} else if hasLetters(between) {
			problems = append(problems, "visible text outside the catalogue: "+strings.TrimSpace(strings.ReplaceAll(between, action, "…")))
		}
		last = m[1]
		closing, tag, attrs := src[m[2]:m[3]] == "/", strings.ToLower(src[m[4]:m[5]]), src[m[6]:m[7]]
		vals := map[string]string{}
		for _, a := range attrRE.FindAllStringSubmatch(attrs, -1) {
			vals[strings.ToLower(a[1])] = a[2] + a[3] + a[4]
		}
		for k, v := range vals {
			switch {
			case strings.HasPrefix(k, "on"):
				problems = append(problems, "an event handler attribute: "+k)
			case k == "style":
				problems = append(problems, "a style attribute")
			case slices.Contains(visibleAttrs, k) && hasLetters(v):
				problems = append(problems, "visible text in "+k+": "+v)
			case k == "value" && tag == "input" && (vals["type"] == "submit" || vals["type"] == "button" || vals["type"] == "reset") && hasLetters(v):
				problems = append(problems, "visible text in a button's value: "+v)
			}
		}
		switch {
		case tag == "style":
			problems = append(problems, "a <style> element")
		case tag == "script" && !closing:
			_, hasSrc := vals["src"]
			if !hasSrc && vals["type"] != "application/json" {
				problems = append(problems, "an inline <script>")
			}
			inScript = !hasSrc && vals["type"] != "application/json"
		case tag == "script" && closing:
			inScript = false
		}
	}
	if hasLetters(src[last:]) {
		problems = append(problems, "visible text outside the catalogue: "+strings.TrimSpace(strings.ReplaceAll(src[last:], action, "…")))
	}
	return problems
}

// TestTemplatesTextCheck checks the check itself: it finds a word, an
// attribute's text, an inline script and a handler.
func TestTemplatesTextCheck(t *testing.T) {
	for src, want := range map[string]string{
		`<p>Masuk</p>`:                              "visible text",
		`<p>{{.T "x"}} sekarang</p>`:                "visible text",
		`<img alt="logo" src="/x">`:                 "visible text in alt",
		`<input type="submit" value="Kirim">`:       "button's value",
		`<script>alert(1)</script>`:                 "inline",
		`<button onclick="x()">{{.T "k"}}</button>`: "event handler",
		`<p style="color:red">{{.T "k"}}</p>`:       "style attribute",
	} {
		tm := template.Must(template.New("").Parse(src))
		var b strings.Builder
		walk(tm.Tree.Root, func(n parse.Node) {
			switch n := n.(type) {
			case *parse.TextNode:
				b.Write(n.Text)
			case *parse.ActionNode:
				b.WriteString("\x00")
			}
		})
		problems := htmlText(b.String(), "\x00")
		if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, want) }) {
			t.Errorf("%s: problems %q, want one about %q", src, problems, want)
		}
	}
	ok := `<p class="a">{{.T "k"}} <span aria-hidden="true">·</span> (<a href="/x">{{.T "y"}}</a>)</p><script src="/a.js" integrity="x"></script><script type="application/json" id="m">{{.M}}</script>`
	tm := template.Must(template.New("").Parse(ok))
	var b strings.Builder
	walk(tm.Tree.Root, func(n parse.Node) {
		switch n := n.(type) {
		case *parse.TextNode:
			b.Write(n.Text)
		case *parse.ActionNode:
			b.WriteString("\x00")
		}
	})
	if problems := htmlText(b.String(), "\x00"); len(problems) > 0 {
		t.Errorf("a clean template: %q", problems)
	}
}
