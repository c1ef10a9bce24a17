package mock

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestSchemaExample(t *testing.T) {
	tests := []struct {
		name, schema, want string
	}{
		{"absent", ``, `{}`},
		{"null", `null`, `{}`},
		{"empty object schema", `{}`, `{}`},
		{"no required properties", `{"type":"object","properties":{"a":{"type":"string"}}}`, `{}`},
		{"every scalar type", `{"type":"object","properties":{
			"s":{"type":"string"},"i":{"type":"integer"},"n":{"type":"number"},
			"b":{"type":"boolean"},"z":{"type":"null"},"o":{"type":"object"},"a":{"type":"array"}},
			"required":["s","i","n","b","z","o","a"]}`,
			`{"a":[],"b":false,"i":0,"n":0,"o":{},"s":"","z":null}`},
		{"const and enum win over type", `{"type":"object","properties":{
			"c":{"type":"string","const":"fixed"},"e":{"type":"integer","enum":[3,4]}},"required":["c","e"]}`,
			`{"c":"fixed","e":3}`},
		{"nested required objects", `{"type":"object","properties":{
			"outer":{"type":"object","properties":{"inner":{"type":"object","properties":{"leaf":{"type":"boolean"}},"required":["leaf"]},"skip":{"type":"string"}},"required":["inner"]}},
			"required":["outer"]}`,
			`{"outer":{"inner":{"leaf":false}}}`},
		{"type list skips null", `{"type":"object","properties":{"x":{"type":["null","string"]},"y":{"type":["null"]}},"required":["x","y"]}`,
			`{"x":"","y":null}`},
		{"minimums and lengths", `{"type":"object","properties":{
			"i":{"type":"integer","minimum":2.5},"n":{"type":"number","minimum":0.25},"neg":{"type":"number","minimum":-3},
			"s":{"type":"string","minLength":3}},"required":["i","n","neg","s"]}`,
			`{"i":3,"n":0.25,"neg":0,"s":"xxx"}`},
		{"formats", `{"type":"object","properties":{"when":{"type":"string","format":"date-time"},"id":{"type":"string","format":"uuid"},"other":{"type":"string","format":"hostname"}},"required":["when","id","other"]}`,
			`{"id":"00000000-0000-0000-0000-000000000000","other":"","when":"1970-01-01T00:00:00Z"}`},
		{"arrays honour minItems", `{"type":"object","properties":{"tags":{"type":"array","items":{"type":"object","properties":{"k":{"type":"string"}},"required":["k"]},"minItems":2}},"required":["tags"]}`,
			`{"tags":[{"k":""},{"k":""}]}`},
		{"prefixItems lead the array", `{"type":"object","properties":{"p":{"type":"array","prefixItems":[{"type":"integer"},{"type":"boolean"}],"items":{"type":"string"},"minItems":3}},"required":["p"]}`,
			`{"p":[0,false,""]}`},
		{"local $ref to $defs", `{"$defs":{"Item":{"type":"object","properties":{"sku":{"type":"string","minLength":1}},"required":["sku"]}},
			"type":"object","properties":{"item":{"$ref":"#/$defs/Item"}},"required":["item"]}`,
			`{"item":{"sku":"x"}}`},
		{"local $ref to definitions with escapes", `{"definitions":{"a/b":{"type":"integer"}},"type":"object","properties":{"v":{"$ref":"#/definitions/a~1b"}},"required":["v"]}`,
			`{"v":0}`},
		{"anyOf takes its first branch", `{"type":"object","properties":{"v":{"anyOf":[{"type":"boolean"},{"type":"string"}]}},"required":["v"]}`,
			`{"v":false}`},
		{"allOf merges objects", `{"allOf":[{"type":"object","properties":{"a":{"type":"string"}},"required":["a"]},{"type":"object","properties":{"b":{"type":"integer"}},"required":["b"]}]}`,
			`{"a":"","b":0}`},
		{"inferred object and array types", `{"properties":{"list":{"items":{"type":"string"},"minItems":1}},"required":["list"]}`,
			`{"list":[""]}`},
		{"a required property without a schema is null", `{"type":"object","required":["ghost"]}`, `{"ghost":null}`},
		{"HTML characters are not escaped", `{"type":"object","properties":{"t":{"const":"<a&b>"}},"required":["t"]}`, `{"t":"<a&b>"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := schemaExample(json.RawMessage(tt.schema))
			if err != nil {
				t.Fatalf("schemaExample: %v", err)
			}
			if got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestSchemaExampleStopsOnRecursion(t *testing.T) {
	schema := `{"$defs":{"Node":{"type":"object","properties":{"next":{"$ref":"#/$defs/Node"}},"required":["next"]}},"$ref":"#/$defs/Node"}`
	got, err := schemaExample(json.RawMessage(schema))
	if err != nil {
		t.Fatal(err)
	}
	if depth := strings.Count(got, `"next"`); depth < 10 || depth > 33 {
		t.Errorf("recursive schema nested %d levels: %s", depth, got)
	}
	if !strings.HasSuffix(got, "null"+strings.Repeat("}", strings.Count(got, "{"))) {
		t.Errorf("recursion should end in null: %s", got)
	}
}

func TestSchemaExampleBoundsSize(t *testing.T) {
	got, err := schemaExample(json.RawMessage(`{"type":"object","properties":{"a":{"type":"array","minItems":1000000000,"items":{"type":"string","minLength":1000000000}}},"required":["a"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := 100 * (4096 + 3); len(got) > want+16 {
		t.Errorf("placeholder is %d bytes, want it bounded near %d", len(got), want)
	}
}
