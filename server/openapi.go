package server

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/segel-lpse/segel/api"
)

var pathParam = regexp.MustCompile(`\{([a-z]+)\}`)

// descriptions are the operations whose use needs more than a summary.
var descriptions = map[string]string{
	"GET /v1/chain": "The drand chain info (JSON, as drand's /info) of the beacon every tender of this deployment is time-locked to: " +
		"scheme, public key, genesis, period and hash; its hash is also in /v1/keys. A bidder seals to this chain, " +
		"and a committee or auditor checks the opening's rounds against it, but neither may take it from this server when sealing or checking: " +
		"a server that swapped it could read the offers before their time. Pin it out of band (quicknet's is built into segel; a local beacon's as the LPSE publishes it) and pass it as segel's --chain.",
	"POST /v1/tenders/{tender}/offers": "The body is the sealed file as segel seal or sealer.Seal writes it, checked against the tender (round, chain, committee key id) before it is accepted. " +
		"The answer's receipt is the bidder's proof of submission: keep it byte for byte.",
	"POST /v1/tenders/{tender}/files/{file}/contributions": "The body is a batch in the text form segel-contributions/v1 (doc/spec/opening.md §4.3), as segel contribute computes it on the member's own device " +
		"after checking the evidence against its pinned log key and chain; the member's secret key is never sent. A member may send further batches until the part's opening completes; its last answer for a file counts.",
	"POST /v1/tenders/{tender}/open": "For a version 1 tender only: the body carries the committee's secret key. A tender announced with a method (a committee of members' own keys) refuses it " +
		"(members-open) and opens by its members' contributions instead: POST …/files/{file}/opening, …/contributions, …/complete.",
	"PUT /v1/uploads/{upload}":      "Chunks are at most 16 MiB; send each at the offset the upload stands at (its received), and after a cut connection GET the upload to learn where to resume.",
	"GET /v1/tenders/{tender}/ocds": "An OCDS 1.1 release package with the bids extension (doc/spec/ocds.md is the mapping); its schema is OCDS's own.",
}

// params describes the path parameters, by name.
var params = map[string]string{
	"tender":    "A tender id: 1 to 64 of A–Z a–z 0–9 . _ -, the first a letter or digit.",
	"user":      "A user id (u-…).",
	"kind":      "A kind: of registration document, or of message (question or objection).",
	"token":     "A token id (t-…), as login answers it.",
	"request":   "A blacklist request id (b-…).",
	"plan":      "A procurement plan (RUP) id.",
	"upload":    "An upload id (up-…).",
	"bidder":    "The provider's user id.",
	"digest":    "A SHA-256, in lowercase hex.",
	"notice":    "A notice id (N-…).",
	"complaint": "A complaint id (C-…).",
	"round":     "A round number of the beacon's chain.",
	"file":      "A file part: 1 (File I, stage 1, or the only file) or 2 (File II, stage 2).",
}

// tags group the operations, by the first segment of their path.
var tags = []struct {
	name, description string
	prefixes          []string
}{
	{"accounts", "Registration, verification, login and tokens, sanctions and blacklisting, committees (registry).",
		[]string{"/v1/bootstrap", "/v1/register", "/v1/login", "/v1/tokens", "/v1/users", "/v1/blacklist-requests", "/v1/committees", "/v1/pokja", "/v1/committee-keys"}},
	{"tenders", "Plans, tenders, participation, sealed submission, closing, opening, results and award (tender).",
		[]string{"/v1/plans", "/v1/documents", "/v1/tenders", "/v1/uploads"}},
	{"helpdesk", "Public notices and complaints.", []string{"/v1/notices", "/v1/complaints"}},
	{"audit", "What auditors and bidders verify offline: keys, the beacon chain, checkpoints, proof files, the portal's logged builds.",
		[]string{"/v1/keys", "/v1/chain", "/v1/log", "/v1/proofs", "/v1/portal"}},
	{"service", "Health, readiness, metrics and this document.", []string{"/healthz", "/readyz", "/metrics", "/openapi.json"}},
	{"beacon", "This deployment's own drand-compatible beacon, in drand's HTTP API at /beacon/ and /beacon/{hash}/; " +
		"its rounds unlock the offers. Its errors are drand's {error}.", []string{"/beacon"}},
}

func tagOf(path string) string {
	for _, t := range tags {
		for _, p := range t.prefixes {
			if path == p || strings.HasPrefix(path, p+"/") {
				return t.name
			}
		}
	}
	return ""
}

// refusals are the error codes rt may answer: its own, and those every
// route of its kind may.
func (s *Server) refusals(rt route) []api.Code {
	c := slices.Concat(rt.codes, []api.Code{api.CodeInternal, api.CodeTooLarge}) // every body has a cap, even an empty one
	if rt.inType == jsonBody || strings.Contains(rt.path, "{digest}") || strings.Contains(rt.path, "/messages/{kind}") {
		c = append(c, api.CodeBadRequest)
	}
	if rt.inType != "" {
		c = append(c, api.CodeUnsupportedMediaType)
	}
	if rt.roles != nil {
		// A token may be refused, and a caller of the wrong role, person
		// or tender.
		c = append(c, api.CodeUnauthenticated, api.CodeBadToken, api.CodeTokenExpired, api.CodeTokenRevoked,
			api.CodeDeactivated, api.CodeBlacklisted, api.CodeForbidden)
	}
	if s.rateFor(rt) != nil {
		c = append(c, api.CodeRateLimited)
	}
	slices.SortFunc(c, func(a, b api.Code) int {
		return cmp.Or(cmp.Compare(a.Status(), b.Status()), strings.Compare(string(a), string(b)))
	})
	return slices.Compact(c)
}

// openAPI builds the OpenAPI 3.1 document from the routes the mux serves
// and the api types their handlers take and answer, so the document, the
// mux and the handlers cannot disagree.
func (s *Server) openAPI() (map[string]any, error) {
	sch := api.NewSchemas()
	var err error // the first type the generator refused
	of := func(t reflect.Type) map[string]any {
		m, e := sch.Of(t)
		if e != nil && err == nil {
			err = fmt.Errorf("server: the OpenAPI document: %w", e)
		}
		return m
	}
	paths := map[string]any{}
	ids := strings.NewReplacer("/", "_", "{", "", "}", "", ".", "_", "-", "_", s.Beacon.Chain().HashHex(), "chain")
	for _, rt := range s.served() {
		op := s.operation(rt, of)
		op["operationId"] = strings.ToLower(rt.method) + ids.Replace(rt.path)
		item, _ := paths[rt.path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[rt.path] = item
		}
		item[strings.ToLower(rt.method)] = op
	}
	if err != nil {
		return nil, err
	}
	var tagList []any
	for _, t := range tags {
		if t.name != "beacon" || s.local != nil {
			tagList = append(tagList, map[string]any{"name": t.name, "description": t.description})
		}
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":   "Segel LPSE API",
			"version": "2",
			"license": map[string]any{"name": "Apache-2.0", "identifier": "Apache-2.0"},
			"description": "Sealed-bid e-tendering: registration, tenders, sealed offers with receipts, opening ceremony, audit log. " +
				"Bodies are JSON with snake_case names; digests are SHA-256 in lowercase hex; times are RFC 3339, in UTC in answers; " +
				"what has no value is absent, never null. A request with an unknown field is refused. " +
				"Errors are {code, error}: each code has one status, and each operation lists the codes it may answer. " +
				"A known path asked with a method it does not serve gets 405 method-not-allowed with an Allow header, " +
				"an unknown path 404 no-route. x-roles lists the roles allowed; x-max-body the cap on the request body, in bytes.",
		},
		"servers": []any{map[string]any{"url": "/", "description": "This deployment"}},
		"tags":    tagList,
		"paths":   paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer",
				"description": "An API token from POST /v1/login, as Authorization: Bearer TOKEN."}},
			"schemas": sch.Components(),
		},
	}, nil
}

// queryParams are the query parameters of the operation key, if it
// takes any.
func queryParams(key string, of func(reflect.Type) map[string]any) []any {
	q := func(name string, required bool, description string, schema map[string]any) any {
		return map[string]any{"name": name, "in": "query", "required": required, "description": description, "schema": schema}
	}
	switch key {
	case "PUT /v1/uploads/{upload}":
		return []any{q("offset", true, "The byte offset of this chunk: where the upload stands (its received).",
			map[string]any{"type": "integer", "format": "int64", "minimum": 0})}
	case "GET /v1/users":
		return []any{
			q("status", false, "Only accounts of this status (as of now); the registration queue is status=pending.", of(reflect.TypeFor[api.AccountStatus]())),
			q("role", false, "Only accounts of this role.", of(reflect.TypeFor[api.Role]())),
			q("q", false, "Only accounts whose id, name, email, NIK or NPWP contains this text, letter case ignored; an NPWP may be written with its dots and dash.",
				map[string]any{"type": "string", "maxLength": 200}),
			q("limit", false, "At most this many accounts (50 if absent).", map[string]any{"type": "integer", "minimum": 1, "maximum": 500}),
			q("offset", false, "Skip this many matching accounts (0 if absent): the next page starts at offset+limit.",
				map[string]any{"type": "integer", "minimum": 0}),
		}
	case "GET /v1/tenders/{tender}/files/{file}/evidence":
		return []any{q("seen", false, "The tree size of the last checkpoint the member's tool saw: the answer then proves that its checkpoint extends it (consistency).",
			map[string]any{"type": "integer", "format": "int64", "minimum": 1})}
	}
	return nil
}

// operation describes rt.
func (s *Server) operation(rt route, of func(reflect.Type) map[string]any) map[string]any {
	op := map[string]any{"summary": rt.summary, "tags": []string{tagOf(rt.path)}}
	if d, ok := descriptions[rt.method+" "+rt.path]; ok {
		op["description"] = d
	}
	// Every body has a cap (413 over it), and the routes anyone may call
	// have rate limits (429 with Retry-After): see Limits.
	op["x-max-body"], _ = s.bodyLimit(rt)
	var ps []any
	for _, m := range pathParam.FindAllStringSubmatch(rt.path, -1) {
		ps = append(ps, map[string]any{"name": m[1], "in": "path", "required": true, "description": params[m[1]], "schema": paramSchema(rt.path, m[1], of)})
	}
	ps = append(ps, queryParams(rt.method+" "+rt.path, of)...)
	if ps != nil {
		op["parameters"] = ps
	}
	switch {
	case rt.in != nil:
		op["requestBody"] = map[string]any{"required": true, "content": map[string]any{rt.inType: map[string]any{"schema": of(rt.in)}}}
	case rt.inType != "":
		op["requestBody"] = map[string]any{"required": true, "content": map[string]any{rt.inType: map[string]any{"schema": rawSchema(rt.inType)}}}
	}
	if rt.roles != nil {
		op["security"] = []any{map[string]any{"bearer": []any{}}}
		roles := make([]string, len(rt.roles))
		for i, r := range rt.roles {
			roles[i] = string(r)
		}
		op["x-roles"] = roles
	} else {
		op["security"] = []any{}
	}
	op["responses"] = s.responses(rt, of)
	return op
}

// responses are rt's answers: its success, and an error response for
// each status its refusals have, naming their codes.
func (s *Server) responses(rt route, of func(reflect.Type) map[string]any) map[string]any {
	ok := map[string]any{"description": http.StatusText(rt.status)}
	var schema map[string]any
	switch {
	case rt.out != nil:
		schema = of(rt.out)
	case rt.outType == jsonBody && rt.path == "/openapi.json":
		schema = map[string]any{"type": "object", "description": "An OpenAPI 3.1 document."}
	case rt.outType == jsonBody:
		schema = map[string]any{"type": "object", "description": "An OCDS 1.1 release package (https://standard.open-contracting.org/1.1/en/schema/release_package/)."}
	default:
		schema = rawSchema(rt.outType)
	}
	ok["content"] = map[string]any{rt.outType: map[string]any{"schema": schema}}
	out := map[string]any{strconv.Itoa(rt.status): ok}
	drand := strings.HasPrefix(rt.path, "/beacon/") || rt.path == "/beacon"
	byStatus := map[int][]string{}
	var statuses []int
	for _, c := range s.refusals(rt) {
		if _, seen := byStatus[c.Status()]; !seen {
			statuses = append(statuses, c.Status())
		}
		byStatus[c.Status()] = append(byStatus[c.Status()], string(c))
	}
	for _, st := range statuses {
		cs := byStatus[st]
		var schema map[string]any
		if drand && st != http.StatusRequestEntityTooLarge {
			schema = of(reflect.TypeFor[api.DrandError]())
		} else {
			schema = map[string]any{"allOf": []any{of(reflect.TypeFor[api.Error]())},
				"properties": map[string]any{"code": map[string]any{"enum": cs}}}
		}
		resp := map[string]any{"description": http.StatusText(st) + ": " + strings.Join(cs, ", "),
			"content": map[string]any{jsonBody: map[string]any{"schema": schema}}}
		if st == http.StatusTooEarly || st == http.StatusTooManyRequests {
			resp["headers"] = map[string]any{"Retry-After": map[string]any{
				"description": "Seconds to wait before retrying.", "schema": map[string]any{"type": "integer", "minimum": 0}}}
		}
		out[strconv.Itoa(st)] = resp
	}
	return out
}

// paramSchema is the schema of path parameter name in path.
func paramSchema(path, name string, of func(reflect.Type) map[string]any) map[string]any {
	switch {
	case name == "tender":
		return map[string]any{"type": "string", "pattern": api.TenderIDPattern}
	case name == "digest":
		return of(reflect.TypeFor[api.Digest]())
	case name == "kind" && strings.Contains(path, "/messages/"):
		return of(reflect.TypeFor[api.MessageKind]())
	case name == "kind":
		return of(reflect.TypeFor[api.DocumentKind]())
	case name == "file":
		return map[string]any{"type": "string", "enum": []any{"1", "2"}}
	case name == "round":
		return map[string]any{"type": "string", "pattern": "^[1-9][0-9]{0,19}$"}
	}
	return map[string]any{"type": "string", "minLength": 1}
}

// rawSchema is the schema of a body that is not JSON.
func rawSchema(mediaType string) map[string]any {
	if strings.HasPrefix(mediaType, "text/") {
		return map[string]any{"type": "string"}
	}
	return map[string]any{"type": "string", "contentMediaType": mediaType}
}

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", jsonBody)
	w.Write(s.doc)
}

// buildDocument makes the OpenAPI document once, at Build.
func (s *Server) buildDocument() error {
	doc, err := s.openAPI()
	if err != nil {
		return err
	}
	s.doc, err = json.MarshalIndent(doc, "", "  ")
	return err
}
