package anthropic

import (
	"encoding/json"
	"errors"
	"reflect"
)

// jsonError explains why a body (or a part of it decoded separately) did
// not decode. prefix is the path of that part, "" for the whole body; the
// decoder's field path is appended to it.
func jsonError(prefix string, err error) *BadRequest {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		if prefix == "" {
			return &BadRequest{Message: "request body is not valid JSON: " + syntax.Error()}
		}
		return &BadRequest{Param: prefix, Message: prefix + ": invalid JSON: " + syntax.Error()}
	case errors.As(err, &typ):
		field := joinPath(prefix, typ.Field)
		if field == "" {
			return &BadRequest{Message: "request body must be a JSON object, got " + typ.Value}
		}
		return &BadRequest{Param: field, Message: field + ": expected " + jsonKind(typ.Type) + ", got " + typ.Value}
	case prefix == "":
		return &BadRequest{Message: err.Error()}
	default:
		return &BadRequest{Param: prefix, Message: prefix + ": " + err.Error()}
	}
}

func joinPath(prefix, field string) string {
	switch {
	case prefix == "":
		return field
	case field == "":
		return prefix
	default:
		return prefix + "." + field
	}
}

// jsonKind names the JSON value a Go type decodes from.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	default:
		return "another type"
	}
}
