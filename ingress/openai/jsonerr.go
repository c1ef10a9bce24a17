package openai

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
)

// jsonError explains why a body did not decode, naming the field when the
// decoder knows it, so a client sees "temperature: expected a number, got
// string" rather than a Go type name.
func jsonError(err error) *BadRequest {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return &BadRequest{Message: "request body is not valid JSON: " + syntax.Error()}
	case errors.As(err, &typ):
		// ChatRequest decodes through an embedded struct named "plain",
		// which the decoder reports as the first path segment.
		field := strings.TrimPrefix(typ.Field, "plain.")
		if field == "" || field == "plain" {
			return &BadRequest{Message: "request body must be a JSON object, got " + typ.Value}
		}
		return &BadRequest{Param: field, Message: field + ": expected " + jsonKind(typ.Type) + ", got " + typ.Value}
	default:
		return &BadRequest{Message: err.Error()}
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
