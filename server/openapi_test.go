package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// openAPIDoc is the part of an OpenAPI 3.1 document the tests read.
type openAPIDoc struct {
	OpenAPI string `json:"openapi"`
	Info    struct {
		Title, Version string
	} `json:"info"`
	Paths      map[string]map[string]openAPIOp `json:"paths"`
	Components struct {
		SecuritySchemes map[string]struct {
			Type, Scheme string
		} `json:"securitySchemes"`
	} `json:"components"`
}

type openAPIOp struct {
	OperationID string `json:"operationId"`
	Description string `json:"description"`
	Parameters  []struct {
		Name, In string
		Required bool
	} `json:"parameters"`
	RequestBody *struct {
		Content map[string]openAPIMedia `json:"content"`
	} `json:"requestBody"`
	Security  []map[string][]string `json:"security"`
	Responses map[string]struct {
		Content map[string]openAPIMedia `json:"content"`
	} `json:"responses"`
	Roles []string `json:"x-roles"`
}

type openAPIMedia struct {
	Schema map[string]any `json:"schema"`
}

// ref returns the named schema a schema refers to, directly or as a
// list's items, or "".
func ref(schema map[string]any) string {
	if items, ok := schema["items"].(map[string]any); ok {
		schema = items
	}
	r, _ := schema["$ref"].(string)
	return strings.TrimPrefix(r, "#/components/schemas/")
}

var templateParam = regexp.MustCompile(`\{([^}]+)\}`)

// getOpenAPI fetches and decodes the server's /openapi.json.
func getOpenAPI(t *testing.T, url string) openAPIDoc {
	t.Helper()
	resp, err := http.Get(url + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("GET /openapi.json: got %d %s, want 200 application/json", resp.StatusCode, ct)
	}
	var doc openAPIDoc
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatalf("GET /openapi.json: not JSON: %v", err)
	}
	return doc
}

// TestOpenAPI checks /openapi.json against the route table and the local
// beacon's drand routes both ways: every route is documented with its
// method, path parameters, body and security, and every documented
// operation is served by the mux.
func TestOpenAPI(t *testing.T) {
	t.Parallel()
	s := build(t, mustEmbedded(t))
	ts := serve(t, s)
	doc := getOpenAPI(t, ts.URL)
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	if doc.Info.Title == "" || doc.Info.Version == "" {
		t.Errorf("info = %+v, want a title and a version", doc.Info)
	}
	if sc := doc.Components.SecuritySchemes["bearer"]; sc.Type != "http" || sc.Scheme != "bearer" {
		t.Errorf("securitySchemes.bearer = %+v, want http bearer", sc)
	}
	if d := doc.Paths["/v1/chain"]["get"].Description; !strings.Contains(d, "out of band") {
		t.Errorf("GET /v1/chain: description %q, want one saying to pin the chain out of band", d)
	}
	routes := append(s.Routes(), beaconRoutes(chainHash(t, ts.URL))...)

	// Every route is documented, as the table says.
	documented := map[string]bool{}
	for _, rt := range routes {
		key := rt.Method + " " + rt.Path
		op, ok := doc.Paths[rt.Path][strings.ToLower(rt.Method)]
		if !ok {
			t.Errorf("%s: not in the document", key)
			continue
		}
		documented[key] = true
		var want, got []string
		for _, m := range templateParam.FindAllStringSubmatch(rt.Path, -1) {
			want = append(want, m[1])
		}
		for _, p := range op.Parameters {
			if p.In == "query" {
				continue
			}
			if p.In != "path" || !p.Required {
				t.Errorf("%s: parameter %s is in %q (required %v), want a required path parameter", key, p.Name, p.In, p.Required)
			}
			got = append(got, p.Name)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: path parameters %q, want %q", key, got, want)
		}
		switch {
		case rt.Roles == nil && len(op.Security) != 0:
			t.Errorf("%s: public route documented with security %v", key, op.Security)
		case rt.Roles != nil && (len(op.Security) != 1 || op.Security[0]["bearer"] == nil):
			t.Errorf("%s: authenticated route documented with security %v, want bearer", key, op.Security)
		}
		if rt.Roles != nil && rolesString(rt.Roles) != "any" && strings.Join(op.Roles, " ") != rolesString(rt.Roles) {
			t.Errorf("%s: x-roles %q, want %q", key, op.Roles, rolesString(rt.Roles))
		}
		switch {
		case rt.Body == "" && op.RequestBody != nil:
			t.Errorf("%s: documents a request body, the route takes none", key)
		case rt.Body != "" && (op.RequestBody == nil || op.RequestBody.Content[rt.Body].Schema == nil):
			t.Errorf("%s: request body not documented as %s", key, rt.Body)
		case rt.JSONIn && ref(op.RequestBody.Content[rt.Body].Schema) == "":
			t.Errorf("%s: the JSON request body has no named schema: %v", key, op.RequestBody.Content[rt.Body].Schema)
		}
		if rt.Status != 0 { // the table's routes (the beacon's are drand's)
			ok := op.Responses[strconv.Itoa(rt.Status)].Content[rt.Answer].Schema
			switch {
			case ok == nil:
				t.Errorf("%s: success %d as %s not documented", key, rt.Status, rt.Answer)
			case rt.JSONOut && ref(ok) == "":
				t.Errorf("%s: the JSON answer has no named schema: %v", key, ok)
			}
			for _, c := range rt.Codes {
				var enum []any
				if s := op.Responses[strconv.Itoa(c.Status())].Content["application/json"].Schema; s != nil {
					enum, _ = s["properties"].(map[string]any)["code"].(map[string]any)["enum"].([]any)
				}
				if !slices.Contains(enum, any(string(c))) {
					t.Errorf("%s: may answer %s, but its %d response lists %v", key, c, c.Status(), enum)
				}
			}
		}
		if len(op.Responses) == 0 {
			t.Errorf("%s: no responses", key)
		}
		if op.OperationID == "" {
			t.Errorf("%s: no operationId", key)
		}
	}

	// Every documented operation exists: the mux does not answer it with
	// its catch-all.
	ops := 0
	ids := map[string]string{}
	for path, item := range doc.Paths {
		for method, op := range item {
			ops++
			key := strings.ToUpper(method) + " " + path
			if prev, ok := ids[op.OperationID]; ok {
				t.Errorf("%s: operationId %q is also %s's", key, op.OperationID, prev)
			}
			ids[op.OperationID] = key
			if !documented[key] {
				t.Errorf("%s: documented but not in the route table nor the beacon's drand API", key)
			}
			concrete := templateParam.ReplaceAllString(path, "x")
			req, err := http.NewRequest(strings.ToUpper(method), ts.URL+concrete, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var body bytes.Buffer
			body.ReadFrom(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusNotFound && strings.Contains(body.String(), `"no-route"`) ||
				resp.StatusCode == http.StatusMethodNotAllowed {
				t.Errorf("%s: documented, but %s %s gets %d %s", key, req.Method, concrete, resp.StatusCode, brief(body.Bytes()))
			}
		}
	}
	if got, want := ops, len(routes); got != want {
		t.Errorf("the document has %d operations, the table and the beacon %d routes", got, want)
	}

	// The catch-all itself answers unknown endpoints as the test expects.
	resp2, err := http.Get(ts.URL + "/v1/no-such-endpoint")
	if err != nil {
		t.Fatal(err)
	}
	var e struct{ Code string }
	json.NewDecoder(resp2.Body).Decode(&e)
	resp2.Body.Close()
	if resp2.StatusCode != 404 || e.Code != "no-route" {
		t.Errorf("GET /v1/no-such-endpoint: got %d %q, want 404 no-route", resp2.StatusCode, e.Code)
	}
}
