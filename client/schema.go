package client

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"
)

// Schema is a JSON Schema built from a Go type by SchemaFor, for
// structured output and tool parameters. It is immutable and safe to share.
type Schema struct {
	raw    json.RawMessage
	strict bool
}

// MarshalJSON writes the schema.
func (s Schema) MarshalJSON() ([]byte, error) { return s.raw, nil }

// String is the schema as JSON text.
func (s *Schema) String() string { return string(s.raw) }

// Strict reports whether the schema follows OpenAI's strict structured
// output rules, so it may be sent with strict: true. Maps (whose keys are
// not known in advance) and interface or json.RawMessage fields (whose
// type is not known) cannot be expressed under those rules.
func (s *Schema) Strict() bool { return s.strict }

// JSONSchemaer lets a type describe itself: SchemaFor uses the map its
// JSONSchema method returns (called on a zero value) instead of reflecting
// on it. Use it for types with custom JSON encodings; keeping the schema
// within OpenAI's strict rules is then up to the type.
type JSONSchemaer interface {
	JSONSchema() map[string]any
}

// schemaCache holds the schema of each type already built: reflection is
// cheap, but Structured may run in a hot loop.
var schemaCache sync.Map // reflect.Type → *Schema

// SchemaFor builds the JSON Schema of T by reflection, following
// encoding/json's rules so that whatever matches the schema decodes into
// T:
//
//   - Struct fields are named by their json tag (or Go name); "-" and
//     unexported fields are left out; embedded structs are flattened.
//   - Every property is listed in "required" and objects have
//     "additionalProperties": false, as OpenAI's strict mode demands. A
//     field that may be absent — a pointer, or tagged omitempty — is made
//     nullable instead (its type also allows null, or anyOf with null), so
//     the model answers null, which decodes as the zero value.
//   - bool is boolean, integers integer, floats number, strings string;
//     time.Time is a string with format date-time; []byte a base64 string;
//     json.Number a number; types implementing encoding.TextMarshaler
//     strings; slices and arrays arrays (an array with fixed minItems and
//     maxItems); maps objects with additionalProperties (not strict);
//     interfaces and json.RawMessage any value (not strict). A ",string"
//     tag option makes a number or boolean a string.
//   - Named struct types that contain themselves are emitted once under
//     "$defs" and referenced with "$ref" ("#" for the root type).
//   - Channels, functions and complex numbers are errors, as are maps whose
//     keys JSON cannot write as strings.
//
// The optional tag `jsonschema:"…"` adds keywords, as comma-separated
// key=value items. A comma inside a value is escaped with a backslash,
// which a struct tag itself must escape, so it is written \\, in the tag:
//
//	Status string `json:"status" jsonschema:"description=Where the order is\\, today,enum=open,enum=shipped"`
//
// Keys are description, title, format (date, email, uuid, …) and enum
// (repeatable; values are read as the field's type). On a slice, format
// and enum apply to its items. An unknown key is an error, so a typo is
// noticed.
func SchemaFor[T any]() (*Schema, error) {
	return schemaOf(reflect.TypeFor[T]())
}

// schemaOf is SchemaFor for a reflect.Type, cached per type.
func schemaOf(t reflect.Type) (*Schema, error) {
	if s, ok := schemaCache.Load(t); ok {
		return s.(*Schema), nil
	}
	root := t
	for root.Kind() == reflect.Pointer {
		root = root.Elem()
	}
	b := &schemaBuilder{root: root, strict: true, building: map[reflect.Type]bool{},
		recursive: map[reflect.Type]bool{}, refs: map[reflect.Type]string{}, taken: map[string]bool{}}
	n, err := b.build(root)
	if err != nil {
		return nil, fmt.Errorf("gatehouse: schema of %v: %w", t, err)
	}
	n.defs = b.defs
	raw, err := json.Marshal(n)
	if err != nil {
		return nil, fmt.Errorf("gatehouse: schema of %v: %w", t, err)
	}
	s := &Schema{raw: raw, strict: b.strict}
	schemaCache.Store(t, s)
	return s, nil
}

// schemaBuilder walks one root type.
type schemaBuilder struct {
	root      reflect.Type
	strict    bool
	building  map[reflect.Type]bool   // structs being built, to notice recursion
	recursive map[reflect.Type]bool   // structs found to contain themselves
	refs      map[reflect.Type]string // each recursive struct's $ref
	taken     map[string]bool         // $defs names in use
	defs      []schemaDef
}

// schemaDef is one entry of "$defs".
type schemaDef struct {
	name string
	node *schemaNode
}

// Types whose encoding is not what their kind suggests.
var (
	timeType          = reflect.TypeFor[time.Time]()
	numberType        = reflect.TypeFor[json.Number]()
	rawMessageType    = reflect.TypeFor[json.RawMessage]()
	schemaerType      = reflect.TypeFor[JSONSchemaer]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// implements reports whether t or *t implements iface.
func implements(t, iface reflect.Type) bool {
	return t.Implements(iface) || (t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(iface))
}

// build returns the schema node of t.
func (b *schemaBuilder) build(t reflect.Type) (*schemaNode, error) {
	switch {
	case t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface && implements(t, schemaerType):
		return &schemaNode{raw: reflect.New(t).Interface().(JSONSchemaer).JSONSchema()}, nil
	case t == timeType:
		return &schemaNode{types: []string{"string"}, format: "date-time"}, nil
	case t == numberType:
		return &schemaNode{types: []string{"number"}}, nil
	case t == rawMessageType:
		b.strict = false
		return &schemaNode{}, nil
	case t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface && implements(t, textMarshalerType):
		return &schemaNode{types: []string{"string"}}, nil
	}
	switch t.Kind() {
	case reflect.Bool:
		return &schemaNode{types: []string{"boolean"}}, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return &schemaNode{types: []string{"integer"}}, nil
	case reflect.Float32, reflect.Float64:
		return &schemaNode{types: []string{"number"}}, nil
	case reflect.String:
		return &schemaNode{types: []string{"string"}}, nil
	case reflect.Interface:
		b.strict = false
		return &schemaNode{}, nil
	case reflect.Pointer:
		n, err := b.build(t.Elem())
		if err != nil {
			return nil, err
		}
		return nullable(n), nil
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 && !implements(t.Elem(), textMarshalerType) {
			return &schemaNode{types: []string{"string"}, description: "base64-encoded bytes"}, nil
		}
		return b.array(t, -1)
	case reflect.Array:
		return b.array(t, t.Len())
	case reflect.Map:
		return b.mapNode(t)
	case reflect.Struct:
		return b.structRef(t)
	}
	return nil, fmt.Errorf("%v cannot be expressed in JSON", t)
}

// array is the node of a slice (length -1) or of an array of fixed length.
func (b *schemaBuilder) array(t reflect.Type, length int) (*schemaNode, error) {
	items, err := b.build(t.Elem())
	if err != nil {
		return nil, err
	}
	n := &schemaNode{types: []string{"array"}, items: items}
	if length >= 0 {
		n.minItems, n.maxItems = &length, &length
	}
	return n, nil
}

// mapNode is the node of a map: an object whose every value has the
// element's schema. Its keys are unknown, which strict mode cannot say.
func (b *schemaBuilder) mapNode(t reflect.Type) (*schemaNode, error) {
	switch k := t.Key(); {
	case k.Kind() == reflect.String, implements(k, textMarshalerType):
	case k.Kind() >= reflect.Int && k.Kind() <= reflect.Uintptr:
	default:
		return nil, fmt.Errorf("map key type %v cannot be a JSON object key", k)
	}
	values, err := b.build(t.Elem())
	if err != nil {
		return nil, err
	}
	b.strict = false
	return &schemaNode{types: []string{"object"}, object: true, additional: values}, nil
}

// structRef builds a struct inline, or, when it contains itself, once
// under "$defs" with a "$ref" everywhere it is used.
func (b *schemaBuilder) structRef(t reflect.Type) (*schemaNode, error) {
	if ref, ok := b.refs[t]; ok && !b.building[t] {
		return &schemaNode{ref: ref}, nil
	}
	if b.building[t] {
		b.recursive[t] = true
		return &schemaNode{ref: b.refTo(t)}, nil
	}
	b.building[t] = true
	n, err := b.structNode(t)
	delete(b.building, t)
	if err != nil {
		return nil, err
	}
	if b.recursive[t] && t != b.root {
		ref := b.refTo(t)
		b.defs = append(b.defs, schemaDef{name: strings.TrimPrefix(ref, "#/$defs/"), node: n})
		return &schemaNode{ref: ref}, nil
	}
	return n, nil
}

// refTo names the "$ref" of a recursive struct: "#" for the root, a unique
// "$defs" entry otherwise.
func (b *schemaBuilder) refTo(t reflect.Type) string {
	if t == b.root {
		return "#"
	}
	if ref, ok := b.refs[t]; ok {
		return ref
	}
	name := schemaName(t.Name(), "Type")
	for i := 2; b.taken[name]; i++ {
		name = fmt.Sprintf("%s%d", schemaName(t.Name(), "Type"), i)
	}
	b.taken[name] = true
	b.refs[t] = "#/$defs/" + name
	return b.refs[t]
}

// structNode is the object node of a struct: every field a required
// property, no others allowed.
func (b *schemaBuilder) structNode(t reflect.Type) (*schemaNode, error) {
	n := &schemaNode{types: []string{"object"}, object: true}
	for _, f := range structFields(t) {
		p, err := b.fieldNode(f)
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", f.goName, err)
		}
		n.props = append(n.props, schemaProp{name: f.name, node: p})
	}
	return n, nil
}

// fieldNode is the node of one struct field, with its tag applied.
func (b *schemaBuilder) fieldNode(f jsonField) (*schemaNode, error) {
	t, optional := f.typ, f.omitempty
	for t.Kind() == reflect.Pointer {
		t, optional = t.Elem(), true
	}
	n, err := b.build(t)
	if err != nil {
		return nil, err
	}
	if f.asString {
		switch t.Kind() {
		case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
			reflect.Float32, reflect.Float64:
			n = &schemaNode{types: []string{"string"}}
		}
	}
	if err := applySchemaTag(n, f.schemaTag); err != nil {
		return nil, err
	}
	if optional {
		n = nullable(n)
	}
	return n, nil
}

// nullable lets n also be null: "null" joins the type (and enum) of a
// scalar or an array; an object, a reference or a schema a type gave
// itself is wrapped in anyOf with {"type": "null"}.
func nullable(n *schemaNode) *schemaNode {
	simple := n.raw == nil && n.ref == "" && len(n.anyOf) == 0 && !n.object
	switch {
	case simple && len(n.types) == 0:
		return n // any value, null included
	case simple:
		for _, t := range n.types {
			if t == "null" {
				return n
			}
		}
		n.types = append(n.types, "null")
		if n.enum != nil {
			n.enum = append(n.enum, nil)
		}
		return n
	}
	for _, branch := range n.anyOf {
		if len(branch.types) == 1 && branch.types[0] == "null" {
			return n
		}
	}
	desc := n.description
	n.description = ""
	return &schemaNode{description: desc, anyOf: []*schemaNode{n, {types: []string{"null"}}}}
}

// schemaName keeps the characters OpenAI allows in names (letters,
// digits, '_' and '-'), at most 64, or returns fallback when none remain.
func schemaName(s, fallback string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
		if b.Len() >= 64 {
			break
		}
	}
	if strings.Trim(b.String(), "_") == "" {
		return fallback
	}
	return b.String()
}
