package client_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-llm/gatehouse/client"
)

type schemaAddress struct {
	City string `json:"city"`
}

type schemaBase struct {
	ID      string `json:"id"`
	Shadow  string `json:"shadow"`
	private int
}

type schemaOrder struct {
	schemaBase
	Shadow   int               `json:"shadow"` // hides the embedded one
	Status   string            `json:"status" jsonschema:"description=Where it is\\, today,enum=open,enum=shipped"`
	Qty      int               `json:"qty,omitempty"`
	Price    float64           `json:"price,string"`
	Ship     *schemaAddress    `json:"ship"`
	Lines    []schemaAddress   `json:"lines"`
	Codes    [2]string         `json:"codes" jsonschema:"format=uuid"`
	At       time.Time         `json:"at"`
	Blob     []byte            `json:"blob"`
	Ignored  string            `json:"-"`
	Dash     string            `json:"-,"`
	NoTag    bool              //
	Number   json.Number       `json:"number"`
	Priority *int              `json:"priority" jsonschema:"enum=1,enum=2"`
	internal string            //
	Labels   []string          `json:"labels,omitempty" jsonschema:"title=Labels"`
	Nested   struct{ A uint8 } `json:"nested"`
}

func TestSchemaForStruct(t *testing.T) {
	s, err := client.SchemaFor[schemaOrder]()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"object","properties":{` +
		`"id":{"type":"string"},` +
		`"shadow":{"type":"integer"},` +
		`"status":{"type":"string","description":"Where it is, today","enum":["open","shipped"]},` +
		`"qty":{"type":["integer","null"]},` +
		`"price":{"type":"string"},` +
		`"ship":{"anyOf":[{"type":"object","properties":{"city":{"type":"string"}},"required":["city"],"additionalProperties":false},{"type":"null"}]},` +
		`"lines":{"type":"array","items":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"],"additionalProperties":false}},` +
		`"codes":{"type":"array","items":{"type":"string","format":"uuid"},"minItems":2,"maxItems":2},` +
		`"at":{"type":"string","format":"date-time"},` +
		`"blob":{"type":"string","description":"base64-encoded bytes"},` +
		`"-":{"type":"string"},` +
		`"NoTag":{"type":"boolean"},` +
		`"number":{"type":"number"},` +
		`"priority":{"type":["integer","null"],"enum":[1,2,null]},` +
		`"labels":{"type":["array","null"],"title":"Labels","items":{"type":"string"}},` +
		`"nested":{"type":"object","properties":{"A":{"type":"integer"}},"required":["A"],"additionalProperties":false}` +
		`},"required":["id","shadow","status","qty","price","ship","lines","codes","at","blob","-","NoTag","number","priority","labels","nested"],"additionalProperties":false}`
	if got := s.String(); got != want {
		t.Fatalf("schema\n got %s\nwant %s", got, want)
	}
	if !s.Strict() {
		t.Fatal("a schema of structs, slices and scalars is strict")
	}
	var any map[string]any
	if err := json.Unmarshal([]byte(s.String()), &any); err != nil {
		t.Fatal(err)
	}
}

type schemaTree struct {
	Name     string        `json:"name"`
	Children []*schemaTree `json:"children"`
	Meta     schemaMeta    `json:"meta"`
}

type schemaMeta struct {
	Parent *schemaMeta `json:"parent"`
}

func TestSchemaForRecursiveTypes(t *testing.T) {
	s, err := client.SchemaFor[*schemaTree]()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"object","properties":{` +
		`"name":{"type":"string"},` +
		`"children":{"type":"array","items":{"anyOf":[{"$ref":"#"},{"type":"null"}]}},` +
		`"meta":{"$ref":"#/$defs/schemaMeta"}` +
		`},"required":["name","children","meta"],"additionalProperties":false,` +
		`"$defs":{"schemaMeta":{"type":"object","properties":{"parent":{"anyOf":[{"$ref":"#/$defs/schemaMeta"},{"type":"null"}]}},"required":["parent"],"additionalProperties":false}}}`
	if got := s.String(); got != want {
		t.Fatalf("schema\n got %s\nwant %s", got, want)
	}
}

type schemaLoose struct {
	Scores map[string]int `json:"scores"`
	Any    any            `json:"any"`
}

func TestSchemaForMapsIsNotStrict(t *testing.T) {
	s, err := client.SchemaFor[schemaLoose]()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"object","properties":{"scores":{"type":"object","additionalProperties":{"type":"integer"}},"any":{}},"required":["scores","any"],"additionalProperties":false}`
	if s.String() != want || s.Strict() {
		t.Fatalf("schema %s strict=%v", s, s.Strict())
	}
}

// money is a type that describes itself.
type money struct{ cents int64 }

func (money) JSONSchema() map[string]any {
	return map[string]any{"type": "string", "pattern": `^\d+\.\d{2}$`}
}

func TestSchemaForSelfDescribingType(t *testing.T) {
	type priced struct {
		Price money  `json:"price" jsonschema:"description=In dollars"`
		Tip   *money `json:"tip"`
	}
	s, err := client.SchemaFor[priced]()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"object","properties":{"price":{"description":"In dollars","pattern":"^\\d+\\.\\d{2}$","type":"string"},"tip":{"anyOf":[{"pattern":"^\\d+\\.\\d{2}$","type":"string"},{"type":"null"}]}},"required":["price","tip"],"additionalProperties":false}`
	if s.String() != want {
		t.Fatalf("schema\n got %s\nwant %s", s, want)
	}
}

func TestSchemaForErrors(t *testing.T) {
	type badTag struct {
		A string `json:"a" jsonschema:"descripton=typo"`
	}
	type badEnum struct {
		N int `json:"n" jsonschema:"enum=one"`
	}
	type withChan struct {
		C chan int `json:"c"`
	}
	type badKey struct {
		M map[[2]int]string `json:"m"`
	}
	for name, f := range map[string]func() error{
		"unknown tag key":    func() error { _, err := client.SchemaFor[badTag](); return err },
		"enum of wrong type": func() error { _, err := client.SchemaFor[badEnum](); return err },
		"channel":            func() error { _, err := client.SchemaFor[withChan](); return err },
		"map key":            func() error { _, err := client.SchemaFor[badKey](); return err },
	} {
		if err := f(); err == nil {
			t.Errorf("%s: no error", name)
		} else if !strings.Contains(err.Error(), "schema of") {
			t.Errorf("%s: error %q does not name the type", name, err)
		}
	}
}

func TestNewToolStrictFromSchema(t *testing.T) {
	s, err := client.SchemaFor[schemaAddress]()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(client.NewTool("lookup", "Find a city", s))
	want := `{"type":"function","function":{"name":"lookup","description":"Find a city","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"],"additionalProperties":false},"strict":true}}`
	if string(b) != want {
		t.Fatalf("tool\n got %s\nwant %s", b, want)
	}
}
