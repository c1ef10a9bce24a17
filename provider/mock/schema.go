package mock

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Bounds on the placeholder instance, so a hostile schema cannot make the
// mock build something huge.
const (
	maxSchemaDepth   = 32
	maxExampleItems  = 100
	maxExampleLength = 4096
)

// formatExamples are placeholder strings that satisfy common "format"s.
var formatExamples = map[string]string{
	"date-time": "1970-01-01T00:00:00Z",
	"date":      "1970-01-01",
	"time":      "00:00:00Z",
	"email":     "user@example.com",
	"uri":       "https://example.com/",
	"uuid":      "00000000-0000-0000-0000-000000000000",
}

// schemaExample returns, as compact JSON, the minimal instance of a JSON
// Schema described in the package documentation. An absent schema, or one
// whose instance would be null, gives "{}" because both tool arguments and
// structured answers are objects.
func schemaExample(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "{}", nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var root any
	if err := dec.Decode(&root); err != nil {
		return "", fmt.Errorf("not valid JSON: %v", err)
	}
	b := exampleBuilder{root: root}
	v, err := b.build(root, 0)
	if err != nil {
		return "", err
	}
	if v == nil {
		v = map[string]any{}
	}
	return marshalJSON(v)
}

// exampleBuilder walks a schema, resolving local references against root.
type exampleBuilder struct {
	root any
}

// build returns the placeholder for schema s at the given nesting depth.
func (b exampleBuilder) build(s any, depth int) (any, error) {
	if depth > maxSchemaDepth {
		return nil, nil
	}
	obj, ok := s.(map[string]any)
	if !ok {
		// true, false or a malformed subschema: nothing to go on.
		return nil, nil
	}
	if ref, ok := obj["$ref"].(string); ok {
		target, err := b.resolve(ref)
		if err != nil {
			return nil, err
		}
		return b.build(target, depth+1)
	}
	if c, ok := obj["const"]; ok {
		return c, nil
	}
	if enum, ok := obj["enum"].([]any); ok && len(enum) > 0 {
		return enum[0], nil
	}
	for _, key := range []string{"anyOf", "oneOf"} {
		if branches, ok := obj[key].([]any); ok && len(branches) > 0 {
			return b.build(branches[0], depth+1)
		}
	}
	if branches, ok := obj["allOf"].([]any); ok && len(branches) > 0 {
		return b.buildAll(obj, branches, depth)
	}
	switch schemaType(obj) {
	case "string":
		if ex, ok := formatExamples[stringField(obj, "format")]; ok {
			return ex, nil
		}
		return strings.Repeat("x", min(intField(obj, "minLength"), maxExampleLength)), nil
	case "integer":
		return json.Number(strconv.FormatInt(int64(math.Ceil(positiveMinimum(obj))), 10)), nil
	case "number":
		if m, ok := obj["minimum"].(json.Number); ok && positiveMinimum(obj) > 0 {
			return m, nil
		}
		return json.Number("0"), nil
	case "boolean":
		return false, nil
	case "array":
		return b.buildArray(obj, depth)
	case "object":
		return b.buildObject(obj, depth)
	}
	return nil, nil
}

// buildAll merges the objects that allOf's branches (and the schema's own
// properties) produce; a non-object branch is taken as it is.
func (b exampleBuilder) buildAll(obj map[string]any, branches []any, depth int) (any, error) {
	merged := map[string]any{}
	if obj["properties"] != nil || obj["required"] != nil {
		own, err := b.buildObject(obj, depth)
		if err != nil {
			return nil, err
		}
		for k, v := range own {
			merged[k] = v
		}
	}
	for _, br := range branches {
		v, err := b.build(br, depth+1)
		if err != nil {
			return nil, err
		}
		part, ok := v.(map[string]any)
		if !ok {
			if v != nil {
				return v, nil
			}
			continue
		}
		for k, pv := range part {
			merged[k] = pv
		}
	}
	return merged, nil
}

// buildArray repeats the item placeholder minItems times, using
// prefixItems (or a tuple-form items) for the leading positions.
func (b exampleBuilder) buildArray(obj map[string]any, depth int) (any, error) {
	n := min(intField(obj, "minItems"), maxExampleItems)
	prefix, _ := obj["prefixItems"].([]any)
	items := obj["items"]
	if tuple, ok := items.([]any); ok {
		prefix, items = tuple, nil
	}
	out := make([]any, 0, n)
	for i := 0; i < n; i++ {
		itemSchema := items
		if i < len(prefix) {
			itemSchema = prefix[i]
		}
		v, err := b.build(itemSchema, depth+1)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// buildObject fills the required properties only.
func (b exampleBuilder) buildObject(obj map[string]any, depth int) (map[string]any, error) {
	out := map[string]any{}
	props, _ := obj["properties"].(map[string]any)
	required, _ := obj["required"].([]any)
	for _, r := range required {
		name, ok := r.(string)
		if !ok {
			continue
		}
		v, err := b.build(props[name], depth+1)
		if err != nil {
			return nil, err
		}
		out[name] = v
	}
	return out, nil
}

// resolve follows a local JSON Pointer reference such as "#/$defs/Item".
func (b exampleBuilder) resolve(ref string) (any, error) {
	if ref == "#" {
		return b.root, nil
	}
	if !strings.HasPrefix(ref, "#/") {
		return nil, fmt.Errorf("$ref %q: only local references (#/...) are supported", ref)
	}
	cur := b.root
	for _, tok := range strings.Split(ref[2:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("$ref %q does not resolve", ref)
		}
		if cur, ok = obj[tok]; !ok {
			return nil, fmt.Errorf("$ref %q does not resolve", ref)
		}
	}
	return cur, nil
}

// schemaType is the schema's type: the first non-"null" entry of a type
// list, or inferred from the keywords present.
func schemaType(obj map[string]any) string {
	switch t := obj["type"].(type) {
	case string:
		return t
	case []any:
		first := ""
		for _, e := range t {
			if s, ok := e.(string); ok {
				if s != "null" {
					return s
				}
				first = s
			}
		}
		return first
	}
	switch {
	case obj["properties"] != nil || obj["required"] != nil:
		return "object"
	case obj["items"] != nil || obj["prefixItems"] != nil:
		return "array"
	}
	return ""
}

// stringField is obj[key] if it is a string.
func stringField(obj map[string]any, key string) string {
	s, _ := obj[key].(string)
	return s
}

// intField is obj[key] as a non-negative int, 0 if absent or unusable.
func intField(obj map[string]any, key string) int {
	n, ok := obj[key].(json.Number)
	if !ok {
		return 0
	}
	v, err := n.Int64()
	if err != nil || v < 0 {
		return 0
	}
	return int(min(v, math.MaxInt32))
}

// positiveMinimum is the schema's "minimum" when it is above zero, else 0,
// so that 0 stays the placeholder whenever it is allowed.
func positiveMinimum(obj map[string]any) float64 {
	n, ok := obj["minimum"].(json.Number)
	if !ok {
		return 0
	}
	f, err := n.Float64()
	if err != nil || f <= 0 || f > 1<<53 {
		return 0
	}
	return f
}

// marshalJSON encodes v compactly without escaping <, > and &, which a
// model would not escape either.
func marshalJSON(v any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", errors.New("cannot encode the answer")
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}
