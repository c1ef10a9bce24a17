package jsonstrict

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

type inner struct {
	Concurrent int64 `json:"concurrent"`
}

type embeddedPart struct {
	Shared string `json:"shared"`
	Outer  string `json:"outer_name"`
}

type body struct {
	embeddedPart
	Credits  int64              `json:"credits"`
	Outer    string             `json:"outer_name"`
	Limits   *inner             `json:"rate_limits"`
	List     []inner            `json:"list"`
	Meta     map[string]any     `json:"metadata"`
	Raw      json.RawMessage    `json:"raw"`
	Self     selfDecoding       `json:"self"`
	ByName   map[string]inner   `json:"by_name"`
	Untagged string             // encoding/json names it "Untagged"
	Ignored  string             `json:"-"`
	Any      any                `json:"any"`
	Nested   map[string][]inner `json:"nested"`
}

// selfDecoding decodes itself: its keys are its own business.
type selfDecoding struct{}

func (*selfDecoding) UnmarshalJSON([]byte) error { return nil }

func TestCheck(t *testing.T) {
	typ := reflect.TypeFor[body]()
	tests := []struct {
		name, in string
		t        reflect.Type
		want     *Problem
	}{
		{"clean", `{"credits": 1, "rate_limits": {"concurrent": 2}, "metadata": {"a": 1, "A": 2}}`, typ, nil},
		{"duplicate", `{"credits": 1, "credits": 2}`, typ, &Problem{Path: "credits", Key: "credits"}},
		{"duplicate untyped", `{"a": 1, "b": {"c": 1, "c": 2}}`, nil, &Problem{Path: "b.c", Key: "c"}},
		{"duplicate through an escape", `{"credits": 1, "cr\u0065dits": 2}`, typ, &Problem{Path: "credits", Key: "credits"}},
		{"keys the decoder merges into U+FFFD", "{\"\xd9\\u0041\":0,\"\xe1A\":0}", nil, &Problem{Path: "\ufffdA", Key: "\ufffdA"}},
		{"escaped keys that differ", `{"a\"b": 1, "a\\b": 2}`, nil, nil},
		{"duplicate nested", `{"rate_limits": {"concurrent": 1, "concurrent": 2}}`, typ, &Problem{Path: "rate_limits.concurrent", Key: "concurrent"}},
		{"duplicate in an array element", `{"list": [{"concurrent": 1}, {"concurrent": 1, "concurrent": 2}]}`, typ, &Problem{Path: "list[1].concurrent", Key: "concurrent"}},
		{"duplicate in a map", `{"metadata": {"k": 1, "k": 2}}`, typ, &Problem{Path: "metadata.k", Key: "k"}},
		{"same key in sibling objects", `{"list": [{"concurrent": 1}, {"concurrent": 2}]}`, typ, nil},
		{"wrong case", `{"CREDITS": 1}`, typ, &Problem{Path: "CREDITS", Key: "CREDITS", Want: "credits"}},
		{"wrong case nested", `{"rate_limits": {"Concurrent": 1}}`, typ, &Problem{Path: "rate_limits.Concurrent", Key: "Concurrent", Want: "concurrent"}},
		{"wrong case in map values", `{"by_name": {"x": {"CONCURRENT": 1}}}`, typ, &Problem{Path: "by_name.x.CONCURRENT", Key: "CONCURRENT", Want: "concurrent"}},
		{"wrong case deep in a map of slices", `{"nested": {"x": [{"concurrent": 1}, {"cONCURRENT": 1}]}}`, typ, &Problem{Path: "nested.x[1].cONCURRENT", Key: "cONCURRENT", Want: "concurrent"}},
		{"map keys keep their case", `{"metadata": {"Credits": 1}}`, typ, nil},
		{"unknown", `{"creditz": 1}`, typ, &Problem{Path: "creditz", Key: "creditz", Unknown: true}},
		{"unknown nested", `{"rate_limits": {"concurent": 1}}`, typ, &Problem{Path: "rate_limits.concurent", Key: "concurent", Unknown: true}},
		{"embedded field", `{"shared": "x"}`, typ, nil},
		{"outer field wins", `{"outer_name": "x"}`, typ, nil},
		{"untagged field", `{"Untagged": "x"}`, typ, nil},
		{"ignored field is unknown", `{"-": 1}`, typ, &Problem{Path: "-", Key: "-", Unknown: true}},
		{"raw message not typed", `{"raw": {"Anything": 1}}`, typ, nil},
		{"raw message still checked for duplicates", `{"raw": {"a": 1, "a": 2}}`, typ, &Problem{Path: "raw.a", Key: "a"}},
		{"self-decoding type not typed", `{"self": {"Whatever": 1}}`, typ, nil},
		{"interface not typed", `{"any": {"X": 1}}`, typ, nil},
		{"top-level array", `[{"a": 1}, {"a": 1, "a": 1}]`, nil, &Problem{Path: "[1].a", Key: "a"}},
		{"invalid JSON", `{"credits": 1, "credits"`, typ, &Problem{Path: "credits", Key: "credits"}},
		{"invalid JSON before any duplicate", `{"a": tru "a": 1}`, nil, nil},
		{"not JSON", `credits=1`, typ, nil},
		{"empty", ``, typ, nil},
		{"control character in a key", "{\"a\x01\": 1, \"a\x01\": 2}", nil, nil},
		{"unterminated string", `{"a": "`, nil, nil},
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(tt.name, " ", "_"), func(t *testing.T) {
			got := Check([]byte(tt.in), tt.t)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Check(%s) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

// A large object is checked as a whole, whichever keys repeat.
func TestCheckLargeObject(t *testing.T) {
	var b strings.Builder
	b.WriteString("{")
	for i := range 5000 {
		fmt.Fprintf(&b, `"k%d": %d,`, i, i)
	}
	b.WriteString(`"k17": 0}`)
	if p := Check([]byte(b.String()), nil); p == nil || p.Key != "k17" {
		t.Errorf("Check found %+v, want k17", p)
	}
	clean := strings.Replace(b.String(), `"k17": 0}`, `"last": 0}`, 1)
	if p := Check([]byte(clean), nil); p != nil {
		t.Errorf("Check found %+v in a clean object", p)
	}
}

// CheckLimit counts every value and key, and says where it ran over.
func TestCheckLimit(t *testing.T) {
	in := []byte(`{"a": [1, 2, {"b": 3}], "c": "d"}`) // 10 values and keys
	if p := CheckLimit(in, nil, 10); p != nil {
		t.Errorf("CheckLimit(10) = %+v", p)
	}
	p := CheckLimit(in, nil, 9)
	if p == nil || !p.TooMany || p.Path != "c" {
		t.Errorf("CheckLimit(9) = %+v, want too many at c", p)
	}
	if p := CheckLimit([]byte(strings.Repeat("[", 50)+strings.Repeat("]", 50)), nil, 10); p == nil || !p.TooMany {
		t.Errorf("nested arrays: %+v", p)
	}
}

// Nesting beyond MaxDepth is left to the decoder, without exhausting the
// stack.
func TestCheckDeepNesting(t *testing.T) {
	deep := strings.Repeat("[", MaxDepth+10) + strings.Repeat("]", MaxDepth+10)
	if p := Check([]byte(deep), nil); p != nil {
		t.Errorf("Check(deep) = %+v", p)
	}
	ok := strings.Repeat(`{"a":`, 100) + "1" + strings.Repeat("}", 100)
	if p := Check([]byte(ok), nil); p != nil {
		t.Errorf("Check(nested objects) = %+v", p)
	}
}

// The check allocates in proportion to the keys it must remember, not
// to the body: a 1 MB body of a few keys with long values costs a few
// hundred bytes.
func TestCheckAllocations(t *testing.T) {
	big := []byte(`{"model": "x", "messages": [{"role": "user", "content": "` + strings.Repeat("y", 1<<20) + `"}]}`)
	allocs := testing.AllocsPerRun(10, func() { Check(big, nil) })
	if allocs > 20 {
		t.Errorf("Check of a 1 MB body made %.0f allocations", allocs)
	}
}

func FuzzCheck(f *testing.F) {
	for _, s := range []string{`{"a": 1, "a": 2}`, `{"credits": 1, "CREDITS": 2}`, `[{"x": {"y": [1, 2, {"z": null}]}}]`, `{"a\u0041": 1, "aA": 2}`} {
		f.Add([]byte(s))
	}
	typ := reflect.TypeFor[body]()
	f.Fuzz(func(t *testing.T, data []byte) {
		if p := Check(data, typ); p != nil && !strings.HasSuffix(p.Path, p.Key) {
			t.Fatalf("the path does not end with the key: %+v", p)
		}
		untyped := Check(data, nil)
		if untyped != nil && (untyped.Want != "" || untyped.Unknown) {
			t.Fatalf("an untyped check reported a field problem: %+v", untyped)
		}
		if !json.Valid(data) {
			return
		}
		// On valid JSON the untyped check agrees with a plain reference
		// built on encoding/json's tokenizer.
		if want := hasDuplicate(data); (untyped != nil) != want {
			t.Fatalf("Check found %+v; the reference says duplicate=%v", untyped, want)
		}
	})
}

// hasDuplicate is the reference: walk the tokens, one set of keys per
// open object.
func hasDuplicate(data []byte) bool {
	dec := json.NewDecoder(strings.NewReader(string(data)))
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.keys != nil && top.expectKey {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				markValue(stack)
				continue
			}
			k := tok.(string)
			if top.keys[k] {
				return true
			}
			top.keys[k] = true
			top.expectKey = false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{keys: map[string]bool{}, expectKey: true})
		case json.Delim('['):
			stack = append(stack, &frame{})
		case json.Delim(']'), json.Delim('}'):
			stack = stack[:len(stack)-1]
			markValue(stack)
		default:
			markValue(stack)
		}
	}
}

// frame is an open object (keys set) or array of the reference walk.
type frame struct {
	keys      map[string]bool
	expectKey bool
}

// markValue notes that the innermost object's value is complete, so a key
// comes next.
func markValue(stack []*frame) {
	if n := len(stack); n > 0 && stack[n-1].keys != nil {
		stack[n-1].expectKey = true
	}
}
