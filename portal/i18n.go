package portal

import (
	"embed"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The pages speak Bahasa Indonesia by default and English on a switch:
// every text a page shows is in one message catalogue per language,
// i18n/<lang>.json, a JSON object of keys to texts. A text may hold
// placeholders {1} to {9}, replaced by the arguments of T in order.

//go:embed i18n
var catalogueFiles embed.FS

// Languages, the default first.
var languages = []string{"id", "en"}

const defaultLang = "id"

// langCookie keeps the language a visitor chose with ?lang=.
const langCookie = "segel_lang"

// catalogue is one language's texts.
type catalogue struct {
	lang  string
	texts map[string]string
}

var placeholder = regexp.MustCompile(`\{[1-9]\}`)

// loadCatalogues reads the catalogue of every language.
func loadCatalogues() (map[string]*catalogue, error) {
	cats := map[string]*catalogue{}
	for _, lang := range languages {
		b, err := catalogueFiles.ReadFile("i18n/" + lang + ".json")
		if err != nil {
			return nil, err
		}
		var texts map[string]string
		if err := json.Unmarshal(b, &texts); err != nil {
			return nil, fmt.Errorf("portal: catalogue %s: %v", lang, err)
		}
		cats[lang] = &catalogue{lang: lang, texts: texts}
	}
	return cats, nil
}

// T returns the text of key with its placeholders replaced by args. A
// missing key shows as itself, in brackets, so that it is seen (the tests
// fail on any).
func (c *catalogue) T(key string, args ...any) string {
	s, ok := c.texts[key]
	if !ok {
		return "[" + key + "]"
	}
	if len(args) == 0 {
		return s
	}
	return placeholder.ReplaceAllStringFunc(s, func(p string) string {
		i, _ := strconv.Atoi(p[1:2])
		if i > len(args) {
			return p
		}
		return fmt.Sprint(args[i-1])
	})
}

// Has reports whether the catalogue has key.
func (c *catalogue) Has(key string) bool {
	_, ok := c.texts[key]
	return ok
}

// prefixed returns the texts whose keys start with one of prefixes, for
// page scripts.
func (c *catalogue) prefixed(prefixes ...string) map[string]string {
	out := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(c.texts)) {
		if slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(k, p) }) {
			out[k] = c.texts[k]
		}
	}
	return out
}

// chooseLang returns the language of r: ?lang= if it names one (and
// whether the choice is new, to keep in a cookie), else the cookie's,
// else Bahasa Indonesia.
func chooseLang(r *http.Request) (lang string, chosen bool) {
	if q := r.URL.Query().Get("lang"); slices.Contains(languages, q) {
		return q, true
	}
	if c, err := r.Cookie(langCookie); err == nil && slices.Contains(languages, c.Value) {
		return c.Value, false
	}
	return defaultLang, false
}
