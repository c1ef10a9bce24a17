package openai

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/gatehouse-llm/gatehouse/internal/jsonkind"
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
		return &BadRequest{Param: field, Message: field + ": expected " + jsonkind.Of(typ.Type) + ", got " + typ.Value}
	default:
		return &BadRequest{Message: err.Error()}
	}
}
