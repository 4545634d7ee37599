// Package apitest checks lpsed's answers against the OpenAPI document
// lpsed itself publishes, with a real JSON Schema validator
// (santhosh-tekuri/jsonschema), for the test suites of server, client and
// the commands. Handler checks at the server, Transport at the client;
// both check every exchange the same way:
//
//   - the request is one the document lists (method and path), or the
//     answer is 404 no-route or 405 method-not-allowed;
//   - the answer's status is one the operation lists, and its media type
//     one that status lists;
//   - a JSON answer validates against that status's schema: no field the
//     document does not name, every required field present, enums,
//     patterns and formats held, times in UTC;
//   - a JSON request the server accepted (2xx) validates against the
//     operation's request schema.
//
// Exchanges on paths the API does not own (api.Owns: the web portal's
// pages and files) are not checked; package portal tests those.
//
// Failures are reported with Errorf on the test given, so any test that
// talks to a wrapped server checks the contract as a side effect.
package apitest

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"maps"
	"mime"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/segel-lpse/segel/api"
)

// TB is what the checks report to: a *testing.T, *testing.B or
// *testing.F.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
}

// maxJSON caps the JSON bodies the checks read.
const maxJSON = 64 << 20

// checker holds a document and what it needs to check against it.
type checker struct {
	t          TB
	doc        map[string]any
	mux        *http.ServeMux // the document's operations, to match a request to one
	components string         // the resource holding the document's components
	schemas    sync.Map       // strict|ptr → *jsonschema.Schema, this document's
}

func newChecker(t TB, doc []byte) (*checker, error) {
	c := &checker{t: t, mux: http.NewServeMux()}
	if err := json.Unmarshal(doc, &c.doc); err != nil {
		return nil, fmt.Errorf("apitest: the document is not JSON: %v", err)
	}
	paths, _ := c.doc["paths"].(map[string]any)
	if len(paths) == 0 {
		return nil, fmt.Errorf("apitest: the document has no paths")
	}
	for path, item := range paths {
		for method := range item.(map[string]any) {
			c.mux.HandleFunc(strings.ToUpper(method)+" "+path, func(http.ResponseWriter, *http.Request) {})
		}
	}
	comps, err := json.Marshal(map[string]any{"components": c.doc["components"]})
	if err != nil {
		return nil, err
	}
	c.components = fmt.Sprintf("mem:///components-%x.json", sha256.Sum256(comps))
	return c, addResource(c.components, comps)
}

// The schemas are compiled once per process, whatever the number of
// servers the tests start: every deployment's document has the same
// components and, operation by operation, the same schemas (only the
// local beacon's paths differ). A schema is its own resource, its
// references into the components rewritten to the components' resource.
var (
	mu       sync.Mutex
	compiled = map[string]*jsonschema.Schema{} // by "strict|" + resource URL
	loaded   = map[string]any{}                // resources, by URL
)

func addResource(url string, b []byte) error {
	mu.Lock()
	defer mu.Unlock()
	if _, ok := loaded[url]; ok {
		return nil
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return err
	}
	loaded[url] = v
	return nil
}

// loader serves the resources added with addResource.
type loader struct{}

func (loader) Load(url string) (any, error) {
	if v, ok := loaded[url]; ok { // called under mu, from Compile
		return v, nil
	}
	return nil, fmt.Errorf("apitest: no resource %s", url)
}

// schema compiles the schema at the JSON pointer ptr of the document;
// strict makes date-time demand UTC ("Z"), as the server answers.
func (c *checker) schema(strict bool, ptr string) (*jsonschema.Schema, error) {
	if s, ok := c.schemas.Load(strconv.FormatBool(strict) + "|" + ptr); ok {
		return s.(*jsonschema.Schema), nil
	}
	s, err := c.compile(strict, ptr)
	if err == nil {
		c.schemas.Store(strconv.FormatBool(strict)+"|"+ptr, s)
	}
	return s, err
}

func (c *checker) compile(strict bool, ptr string) (*jsonschema.Schema, error) {
	var v any = c.doc
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("apitest: no %s in the document", ptr)
		}
		v = m[strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)]
	}
	if v == nil {
		return nil, fmt.Errorf("apitest: no %s in the document", ptr)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	b = bytes.ReplaceAll(b, []byte(`"$ref":"#/components/`), []byte(`"$ref":"`+c.components+`#/components/`))
	url := fmt.Sprintf("mem:///schema-%x.json", sha256.Sum256(b))
	if err := addResource(url, b); err != nil {
		return nil, err
	}
	key := strconv.FormatBool(strict) + "|" + url
	mu.Lock()
	defer mu.Unlock()
	if s, ok := compiled[key]; ok {
		return s, nil
	}
	comp := jsonschema.NewCompiler()
	comp.DefaultDraft(jsonschema.Draft2020)
	comp.AssertFormat()
	comp.UseLoader(loader{})
	if strict {
		comp.RegisterFormat(&jsonschema.Format{Name: "date-time", Validate: utcTime})
	}
	s, err := comp.Compile(url)
	if err != nil {
		return nil, err
	}
	compiled[key] = s
	return s, nil
}

// utcTime accepts an RFC 3339 time in UTC, as the API answers them.
func utcTime(v any) error {
	s, ok := v.(string)
	if !ok {
		return nil
	}
	if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
		return fmt.Errorf("not an RFC 3339 time: %v", err)
	}
	if !strings.HasSuffix(s, "Z") {
		return fmt.Errorf("%q is not in UTC (Z)", s)
	}
	return nil
}

// escape escapes a JSON pointer token (RFC 6901).
func escape(s string) string { return strings.NewReplacer("~", "~0", "/", "~1").Replace(s) }

// exchange is one request and its answer.
type exchange struct {
	method, path   string
	reqType        string
	reqBody        []byte // JSON only
	status         int
	respType       string
	respBody       []byte // JSON only
	respBodyCapped bool
}

func mediaType(ct string) string {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return ct
	}
	return mt
}

// check checks one exchange and reports what is wrong.
func (c *checker) check(x exchange) {
	c.t.Helper()
	what := x.method + " " + x.path
	if x.method == http.MethodHead || x.method == http.MethodOptions && x.status == http.StatusMethodNotAllowed {
		return
	}
	if !api.Owns(pathOnly(x.path)) {
		return // the web portal's pages and files, not the API: package portal tests them
	}
	req := httptest.NewRequest(x.method, "http://lpsed"+pathOnly(x.path), nil)
	_, pattern := c.mux.Handler(req)
	if pattern == "" {
		// Not an operation of the document: only the catch-all answers.
		if x.status != http.StatusNotFound && x.status != http.StatusMethodNotAllowed {
			c.t.Errorf("apitest: %s: no such operation in the document, yet answered %d", what, x.status)
			return
		}
		c.validate(what, true, "/components/schemas/Error", x.respType, x.respBody)
		return
	}
	method, path, _ := strings.Cut(pattern, " ")
	opPtr := "/paths/" + escape(path) + "/" + strings.ToLower(method)
	op := c.doc["paths"].(map[string]any)[path].(map[string]any)[strings.ToLower(method)].(map[string]any)
	responses := op["responses"].(map[string]any)
	resp, ok := responses[strconv.Itoa(x.status)].(map[string]any)
	if !ok {
		c.t.Errorf("apitest: %s: answered %d, which the document does not list for %s (it lists %v): %s",
			what, x.status, pattern, keys(responses), brief(x.respBody))
		return
	}
	content, _ := resp["content"].(map[string]any)
	mt := mediaType(x.respType)
	if _, ok := content[mt]; !ok {
		c.t.Errorf("apitest: %s: answered %d as %q, but the document lists %v for it", what, x.status, x.respType, keys(content))
		return
	}
	if mt == "application/json" {
		if x.respBodyCapped {
			c.t.Errorf("apitest: %s: a JSON answer of more than %d bytes", what, maxJSON)
			return
		}
		c.validate(what+" → "+strconv.Itoa(x.status), true, opPtr+"/responses/"+strconv.Itoa(x.status)+"/content/"+escape(mt)+"/schema", mt, x.respBody)
	}
	if x.status/100 == 2 && mediaType(x.reqType) == "application/json" && x.reqBody != nil {
		body, _ := op["requestBody"].(map[string]any)
		if body == nil {
			c.t.Errorf("apitest: %s: the server accepted a JSON body, but the document lists none", what)
			return
		}
		c.validate(what+" (request)", false, opPtr+"/requestBody/content/"+escape("application/json")+"/schema", "application/json", x.reqBody)
	}
}

// validate validates a JSON body against the schema at ptr.
func (c *checker) validate(what string, strict bool, ptr, mt string, body []byte) {
	c.t.Helper()
	if mediaType(mt) != "application/json" {
		c.t.Errorf("apitest: %s: %q where the document says JSON", what, mt)
		return
	}
	sch, err := c.schema(strict, ptr)
	if err != nil {
		c.t.Errorf("apitest: %s: compiling the document's schema %s: %v", what, ptr, err)
		return
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		c.t.Errorf("apitest: %s: not JSON: %v: %s", what, err, brief(body))
		return
	}
	if err := sch.Validate(v); err != nil {
		c.t.Errorf("apitest: %s: does not match the document: %v\nbody: %s", what, err, brief(body))
	}
}

func pathOnly(p string) string {
	p, _, _ = strings.Cut(p, "?")
	return p
}

func keys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }

func brief(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(b)
}
