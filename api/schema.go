package api

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"
)

// Schemas makes the JSON Schemas (draft 2020-12, the dialect of OpenAPI
// 3.1) of this package's types, by reflection under the tag convention of
// the package documentation. Each struct and enumeration becomes a named
// schema, referred to as #/components/schemas/NAME; Components returns
// them all. The zero Schemas is not usable; call NewSchemas.
type Schemas struct {
	defs  map[string]any
	names map[reflect.Type]string
}

// NewSchemas returns an empty set of schemas.
func NewSchemas() *Schemas {
	return &Schemas{defs: map[string]any{}, names: map[reflect.Type]string{}}
}

// Of returns the schema of values of type t: a reference for a struct or
// an enumeration, whose named schema (and those it refers to) is then in
// Components. It fails for a type the wire does not use: a struct or
// enumeration without an about method, a field without a JSON name, a
// pointer that is not omitempty (it would be null), a channel, a
// function, an interface.
func (s *Schemas) Of(t reflect.Type) (map[string]any, error) {
	return s.schema(t)
}

// Components returns the named schemas, by name.
func (s *Schemas) Components() map[string]any { return s.defs }

type (
	abouter interface{ about() string }
	enumer  interface{ values() []string }
)

var (
	timeType   = reflect.TypeFor[time.Time]()
	digestType = reflect.TypeFor[Digest]()
)

func (s *Schemas) schema(t reflect.Type) (map[string]any, error) {
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}, nil
	case t == digestType:
		return s.named(t, func() (map[string]any, error) {
			return map[string]any{"type": "string", "pattern": "^[0-9a-f]{64}$", "description": Digest{}.about(),
				"examples": []any{"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}}, nil
		})
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		return map[string]any{"type": "string", "contentEncoding": "base64"}, nil
	}
	if e, ok := reflect.Zero(t).Interface().(enumer); ok && t.Kind() == reflect.String {
		return s.named(t, func() (map[string]any, error) {
			return map[string]any{"type": "string", "enum": e.values(), "description": about(t)}, nil
		})
	}
	switch t.Kind() {
	case reflect.Struct:
		return s.named(t, func() (map[string]any, error) { return s.object(t) })
	case reflect.Pointer:
		return s.schema(t.Elem())
	case reflect.Slice, reflect.Array:
		items, err := s.schema(t.Elem())
		if err != nil {
			return nil, err
		}
		out := map[string]any{"type": "array", "items": items}
		if t.Kind() == reflect.Array {
			out["minItems"], out["maxItems"] = t.Len(), t.Len()
		}
		return out, nil
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return nil, fmt.Errorf("api: %v: a map's keys must be strings", t)
		}
		values, err := s.schema(t.Elem())
		if err != nil {
			return nil, err
		}
		out := map[string]any{"type": "object", "additionalProperties": values}
		if t.Key().Kind() == reflect.String && t.Key() != reflect.TypeFor[string]() {
			keys, err := s.schema(t.Key())
			if err != nil {
				return nil, err
			}
			out["propertyNames"] = keys
		}
		return out, nil
	case reflect.String:
		return map[string]any{"type": "string"}, nil
	case reflect.Bool:
		return map[string]any{"type": "boolean"}, nil
	case reflect.Int, reflect.Int64:
		return map[string]any{"type": "integer", "format": "int64"}, nil
	case reflect.Int32:
		return map[string]any{"type": "integer", "format": "int32"}, nil
	case reflect.Uint, reflect.Uint64, reflect.Uint32:
		return map[string]any{"type": "integer", "minimum": 0}, nil
	case reflect.Float64:
		return map[string]any{"type": "number", "format": "double"}, nil
	}
	return nil, fmt.Errorf("api: %v: no JSON Schema for a %v", t, t.Kind())
}

// about returns t's description, or "".
func about(t reflect.Type) string {
	if a, ok := reflect.Zero(t).Interface().(abouter); ok {
		return a.about()
	}
	return ""
}

// named returns a reference to t's named schema, making it with mk the
// first time.
func (s *Schemas) named(t reflect.Type, mk func() (map[string]any, error)) (map[string]any, error) {
	name, ok := s.names[t]
	if !ok {
		name = t.Name()
		if name == "" || about(t) == "" {
			return nil, fmt.Errorf("api: %v: a named schema needs a named type with an about method", t)
		}
		if _, taken := s.defs[name]; taken {
			return nil, fmt.Errorf("api: %v: the schema name %s is taken by another type", t, name)
		}
		s.names[t] = name
		s.defs[name] = nil // taken, and a reference to itself ends here
		def, err := mk()
		if err != nil {
			delete(s.names, t)
			delete(s.defs, name)
			return nil, err
		}
		s.defs[name] = def
	}
	return map[string]any{"$ref": "#/components/schemas/" + name}, nil
}

// object is the schema of struct type t: closed, its fields without
// omitempty or omitzero required.
func (s *Schemas) object(t reflect.Type) (map[string]any, error) {
	props := map[string]any{}
	var required []string
	if err := s.fields(t, props, &required); err != nil {
		return nil, err
	}
	out := map[string]any{"type": "object", "description": about(t), "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		out["required"] = required
	}
	return out, nil
}

// fields adds the properties of struct type t to props, those of its
// embedded structs included, as encoding/json sees them.
func (s *Schemas) fields(t reflect.Type, props map[string]any, required *[]string) error {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			if err := s.fields(f.Type, props, required); err != nil {
				return err
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			return fmt.Errorf("api: %v.%s: no JSON name (tag json:\"name\")", t, f.Name)
		}
		if _, dup := props[name]; dup {
			return fmt.Errorf("api: %v.%s: a second field named %q", t, f.Name, name)
		}
		optional := slices.ContainsFunc(strings.Split(opts, ","), func(o string) bool { return o == "omitempty" || o == "omitzero" })
		if f.Type.Kind() == reflect.Pointer && !optional {
			return fmt.Errorf("api: %v.%s: a pointer field must be omitempty, or it is sent as null", t, f.Name)
		}
		p, err := s.schema(f.Type)
		if err != nil {
			return err
		}
		if err := annotate(p, f); err != nil {
			return fmt.Errorf("api: %v.%s: %w", t, f.Name, err)
		}
		props[name] = p
		if !optional {
			*required = append(*required, name)
		}
	}
	return nil
}

// annotate adds what f's tags say to its schema p.
func annotate(p map[string]any, f reflect.StructField) error {
	str := f.Type.Kind() == reflect.String || f.Type == timeType || f.Type == digestType
	if d := f.Tag.Get("doc"); d != "" {
		p["description"] = d
	}
	for _, k := range []string{"format", "pattern"} {
		if v := f.Tag.Get(k); v != "" {
			if !str {
				return fmt.Errorf("%s on a field that is not a string", k)
			}
			p[k] = v
		}
	}
	if ex, ok := f.Tag.Lookup("example"); ok {
		var v any = ex
		if !str {
			if err := json.Unmarshal([]byte(ex), &v); err != nil {
				return fmt.Errorf("example %q is not JSON: %v", ex, err)
			}
		}
		p["examples"] = []any{v}
	}
	return nil
}

// enum returns the strings of an enumeration's values.
func enum[T ~string](values ...T) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = string(v)
	}
	return out
}
