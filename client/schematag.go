package client

import (
	"fmt"
	"strconv"
	"strings"
)

// applySchemaTag adds the keywords of a `jsonschema:"…"` tag to n (see
// SchemaFor for the syntax).
func applySchemaTag(n *schemaNode, tag string) error {
	if tag == "" {
		return nil
	}
	for _, item := range splitTag(tag) {
		key, value, ok := strings.Cut(item, "=")
		if !ok {
			return fmt.Errorf("jsonschema tag item %q: want key=value", item)
		}
		// On an array, format and enum describe its items.
		target := n
		if (key == "format" || key == "enum") && n.items != nil {
			target = n.items
		}
		switch key {
		case "description":
			setKeyword(target, "description", value, &target.description)
		case "title":
			setKeyword(target, "title", value, &target.title)
		case "format":
			setKeyword(target, "format", value, &target.format)
		case "enum":
			v, err := enumValue(target, value)
			if err != nil {
				return err
			}
			if target.raw != nil {
				list, _ := target.raw["enum"].([]any)
				target.raw["enum"] = append(list, v)
			} else {
				target.enum = append(target.enum, v)
			}
		default:
			return fmt.Errorf("jsonschema tag: unknown key %q (known: description, title, format, enum)", key)
		}
	}
	return nil
}

// setKeyword sets a string keyword on a reflected node or on a schema a
// type gave itself.
func setKeyword(n *schemaNode, key, value string, field *string) {
	if n.raw != nil {
		n.raw[key] = value
		return
	}
	*field = value
}

// enumValue reads an enum value as the node's type.
func enumValue(n *schemaNode, s string) (any, error) {
	typ := ""
	if len(n.types) > 0 {
		typ = n.types[0]
	}
	switch typ {
	case "string", "":
		return s, nil
	case "integer":
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("jsonschema tag: enum value %q is not an integer", s)
		}
		return v, nil
	case "number":
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("jsonschema tag: enum value %q is not a number", s)
		}
		return v, nil
	case "boolean":
		v, err := strconv.ParseBool(s)
		if err != nil {
			return nil, fmt.Errorf("jsonschema tag: enum value %q is not a boolean", s)
		}
		return v, nil
	}
	return nil, fmt.Errorf("jsonschema tag: enum on a value of type %s", typ)
}

// splitTag splits a tag at commas not escaped as "\,".
func splitTag(tag string) []string {
	var items []string
	var cur strings.Builder
	for i := 0; i < len(tag); i++ {
		switch {
		case tag[i] == '\\' && i+1 < len(tag) && tag[i+1] == ',':
			cur.WriteByte(',')
			i++
		case tag[i] == ',':
			items = append(items, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(tag[i])
		}
	}
	return append(items, cur.String())
}
