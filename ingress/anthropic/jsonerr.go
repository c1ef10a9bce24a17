package anthropic

import (
	"encoding/json"
	"errors"

	"github.com/gatehouse-llm/gatehouse/internal/jsonkind"
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
		return &BadRequest{Param: field, Message: field + ": expected " + jsonkind.Of(typ.Type) + ", got " + typ.Value}
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
