package client

import (
	"bytes"
	"encoding/json"
)

// schemaNode is one (sub)schema. It is written with its keywords in a
// fixed order and its properties in field order, because models tend to
// answer in the order a schema lists properties.
type schemaNode struct {
	ref         string
	anyOf       []*schemaNode
	types       []string
	title       string
	description string
	format      string
	enum        []any
	items       *schemaNode
	minItems    *int
	maxItems    *int
	object      bool         // writes properties, required and additionalProperties
	props       []schemaProp // in field order
	additional  *schemaNode  // a map's value schema; nil means false
	raw         map[string]any
	defs        []schemaDef // the root's "$defs"
}

// schemaProp is one property of an object.
type schemaProp struct {
	name string
	node *schemaNode
}

// MarshalJSON writes the node.
func (n *schemaNode) MarshalJSON() ([]byte, error) {
	if n.raw != nil {
		return json.Marshal(n.raw)
	}
	w := &objectWriter{}
	w.add("$ref", n.ref, n.ref != "")
	w.add("anyOf", n.anyOf, len(n.anyOf) > 0)
	switch len(n.types) {
	case 0:
	case 1:
		w.add("type", n.types[0], true)
	default:
		w.add("type", n.types, true)
	}
	w.add("title", n.title, n.title != "")
	w.add("description", n.description, n.description != "")
	w.add("format", n.format, n.format != "")
	w.add("enum", n.enum, n.enum != nil)
	w.add("items", n.items, n.items != nil)
	w.add("minItems", n.minItems, n.minItems != nil)
	w.add("maxItems", n.maxItems, n.maxItems != nil)
	if n.object {
		props := &objectWriter{}
		required := make([]string, 0, len(n.props))
		for _, p := range n.props {
			props.add(p.name, p.node, true)
			required = append(required, p.name)
		}
		if n.additional == nil {
			w.add("properties", json.RawMessage(props.close()), true)
			w.add("required", required, true)
			w.add("additionalProperties", false, true)
		} else {
			w.add("additionalProperties", n.additional, true)
		}
	}
	if len(n.defs) > 0 {
		defs := &objectWriter{}
		for _, d := range n.defs {
			defs.add(d.name, d.node, true)
		}
		w.add("$defs", json.RawMessage(defs.close()), true)
	}
	if w.err != nil {
		return nil, w.err
	}
	return w.close(), nil
}

// objectWriter writes a JSON object's members in the order they are added.
type objectWriter struct {
	buf bytes.Buffer
	err error
}

// add writes "key": value when ok.
func (w *objectWriter) add(key string, value any, ok bool) {
	if !ok || w.err != nil {
		return
	}
	if w.buf.Len() == 0 {
		w.buf.WriteByte('{')
	} else {
		w.buf.WriteByte(',')
	}
	k, _ := json.Marshal(key)
	w.buf.Write(k)
	w.buf.WriteByte(':')
	v, err := json.Marshal(value)
	if err != nil {
		w.err = err
		return
	}
	w.buf.Write(v)
}

// close ends the object and returns it.
func (w *objectWriter) close() []byte {
	if w.buf.Len() == 0 {
		return []byte("{}")
	}
	w.buf.WriteByte('}')
	return w.buf.Bytes()
}
