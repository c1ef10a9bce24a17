package client

import (
	"reflect"
	"strings"
)

// jsonField is a struct field as encoding/json sees it.
type jsonField struct {
	name      string // the JSON name
	goName    string // for error messages
	typ       reflect.Type
	omitempty bool
	asString  bool
	tagged    bool // named by its json tag
	depth     int  // embedding depth, for Go's field-hiding rules
	schemaTag string
}

// structFields lists the JSON fields of struct type t in field order,
// flattening embedded structs and applying encoding/json's rules when
// names clash: the shallowest field wins, then a tagged one; otherwise
// all clashing fields are dropped.
func structFields(t reflect.Type) []jsonField {
	all := collectFields(t, 0, map[reflect.Type]bool{})
	byName := map[string][]int{}
	for i, f := range all {
		byName[f.name] = append(byName[f.name], i)
	}
	var out []jsonField
	for i, f := range all {
		if winner(all, byName[f.name]) == i {
			out = append(out, f)
		}
	}
	return out
}

// winner is the index among candidates (fields of one name) that
// encoding/json would encode, or -1 when the name is ambiguous.
func winner(all []jsonField, candidates []int) int {
	minDepth := all[candidates[0]].depth
	for _, i := range candidates {
		minDepth = min(minDepth, all[i].depth)
	}
	var shallow, tagged []int
	for _, i := range candidates {
		if all[i].depth == minDepth {
			shallow = append(shallow, i)
			if all[i].tagged {
				tagged = append(tagged, i)
			}
		}
	}
	switch {
	case len(shallow) == 1:
		return shallow[0]
	case len(tagged) == 1:
		return tagged[0]
	}
	return -1
}

// collectFields walks t's fields, descending into embedded structs.
func collectFields(t reflect.Type, depth int, seen map[reflect.Type]bool) []jsonField {
	if seen[t] {
		return nil
	}
	seen[t] = true
	defer delete(seen, t)
	var out []jsonField
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		ft := sf.Type
		if sf.Anonymous {
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if !sf.IsExported() && ft.Kind() != reflect.Struct {
				continue
			}
			if name == "" && ft.Kind() == reflect.Struct {
				out = append(out, collectFields(ft, depth+1, seen)...)
				continue
			}
		} else if !sf.IsExported() {
			continue
		}
		f := jsonField{name: name, goName: sf.Name, typ: sf.Type, tagged: name != "", depth: depth,
			schemaTag: sf.Tag.Get("jsonschema")}
		if f.name == "" {
			f.name = sf.Name
		}
		for opt := range strings.SplitSeq(opts, ",") {
			switch opt {
			case "omitempty", "omitzero":
				f.omitempty = true
			case "string":
				f.asString = true
			}
		}
		out = append(out, f)
	}
	return out
}
