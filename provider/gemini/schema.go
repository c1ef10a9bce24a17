package gemini

import (
	"bytes"
	"encoding/json"
	"errors"
)

// cleanSchema prepares a JSON Schema for parametersJsonSchema or
// responseJsonSchema. Both take JSON Schema as is (additionalProperties,
// $ref, anyOf…), so the only key removed is the top-level "$schema"
// dialect marker, which Gemini does not document as accepted. Empty or
// null schemas are dropped.
func cleanSchema(raw json.RawMessage) (json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	if !isJSONObject(raw) {
		return nil, errors.New("must be a JSON object")
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, errors.New("must be a JSON object")
	}
	if _, ok := fields["$schema"]; !ok {
		var buf bytes.Buffer
		if err := json.Compact(&buf, raw); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	delete(fields, "$schema")
	return json.Marshal(fields)
}
