// Package jsonstrict finds what encoding/json silently accepts in a
// request body although no client can have meant it:
//
//   - a key given twice in one object. The decoder keeps the last value,
//     while a proxy, a log or a policy check in front of Gatehouse may
//     read the first, so {"credits": 1, "credits": 1000000} must not mean
//     whichever the reader picks;
//   - a struct field named in the wrong case. encoding/json matches
//     "Credits" to the field "credits", which turns {"credits": 1,
//     "CREDITS": 1000000} into a duplicate in disguise.
//
// It is a single pass over the bytes that allocates only for what it must
// remember: 8 bytes per key of the objects still open, plus the text of
// keys written with escapes. Anything that is not valid JSON is left to
// the decoder, which explains syntax errors better.
package jsonstrict

import (
	"bytes"
	"encoding"
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Problem is the first suspicious key found.
type Problem struct {
	// Path locates the key: "credits", "rate_limits.concurrent",
	// "messages[2].role".
	Path string
	// Key is the key as sent (escapes decoded).
	Key string
	// Want is, for a struct field named in the wrong case, the field's
	// real name; "" for a duplicate key.
	Want string
	// Unknown is set for a key that names no field of a struct at all:
	// found here, it is reported with its whole path, where
	// encoding/json's DisallowUnknownFields names only the key.
	Unknown bool
	// TooMany is set when the text holds more values than allowed; Path
	// is where the count ran over.
	TooMany bool
}

// MaxDepth is the nesting depth beyond which Check gives up and leaves the
// body to the decoder (encoding/json refuses it at the same depth).
const MaxDepth = 10000

// Check scans data, a JSON text, for a key repeated within one object and,
// where t (the type data is decoded into; nil when unknown) says an object
// is a struct, for a key that names a field in the wrong case or no field
// at all (for decoders that refuse unknown fields). It returns nil when
// there is none of these, and when data is not valid JSON.
func Check(data []byte, t reflect.Type) *Problem { return CheckLimit(data, t, 0) }

// CheckLimit is Check that also refuses a text of more than maxValues
// values (every object, array, string, number, literal and key counts;
// 0 means no limit). Decoding allocates per value, tens to hundreds of
// bytes each, so a body of millions of tiny values would cost a decoder
// far more than its size; nothing a client means to send is like that.
func CheckLimit(data []byte, t reflect.Type, maxValues int) *Problem {
	if len(data) > math.MaxInt32 {
		return nil // far beyond any body cap; spans could not address it
	}
	s := &scanner{data: data, budget: maxValues}
	if maxValues <= 0 {
		s.budget = math.MaxInt
	}
	p, ok := s.value(t)
	if !ok {
		return nil
	}
	return p
}

// span locates a key's text: in data when off >= 0, else at -off-1 in
// the scanner's buffer of decoded escaped keys.
type span struct{ off, n int32 }

type scanner struct {
	data  []byte
	i     int
	depth int
	// keys holds one reusable list of spans per open nesting depth.
	keys [][]span
	// unescaped holds keys that were written with escapes, decoded.
	unescaped []byte
	// path is where the scan is: one segment per open object key or
	// array index. It is turned into text only for a Problem, so deep
	// nesting costs no more than its depth.
	path []segment
	// budget is how many more values may be read.
	budget int
}

// segment is an object key or an array index of the current path.
type segment struct {
	key   span
	index int // -1 for a key
}

// problem reports the key k at the current path (whose last segment is
// that key).
func (s *scanner) problem(k []byte, want string, unknown bool) *Problem {
	var b strings.Builder
	for i, seg := range s.path {
		if seg.index >= 0 {
			b.WriteString("[" + strconv.Itoa(seg.index) + "]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.Write(s.text(seg.key))
	}
	return &Problem{Path: b.String(), Key: string(k), Want: want, Unknown: unknown}
}

func (s *scanner) ws() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// value scans one value; ok is false on invalid JSON.
func (s *scanner) value(t reflect.Type) (p *Problem, ok bool) {
	if s.budget--; s.budget < 0 {
		p := s.problem(nil, "", false)
		p.TooMany, p.Key = true, ""
		return p, true
	}
	s.ws()
	if s.i >= len(s.data) {
		return nil, false
	}
	switch s.data[s.i] {
	case '{':
		return s.object(t)
	case '[':
		return s.array(t)
	case '"':
		_, _, ok := s.str()
		return nil, ok
	}
	start := s.i
	for s.i < len(s.data) && strings.IndexByte("0123456789+-.eEtrufalsn", s.data[s.i]) >= 0 {
		s.i++
	}
	return nil, s.i > start
}

func (s *scanner) enter() bool {
	s.depth++
	if s.depth > MaxDepth {
		return false
	}
	if len(s.keys) < s.depth {
		s.keys = append(s.keys, nil)
	}
	return true
}

func (s *scanner) array(t reflect.Type) (*Problem, bool) {
	s.i++ // [
	if !s.enter() {
		return nil, false
	}
	defer func() { s.depth-- }()
	elem := elemType(t)
	s.ws()
	if s.i < len(s.data) && s.data[s.i] == ']' {
		s.i++
		return nil, true
	}
	s.path = append(s.path, segment{index: 0})
	at := len(s.path) - 1
	defer func() { s.path = s.path[:at] }()
	for n := 0; ; n++ {
		s.path[at].index = n
		if p, ok := s.value(elem); p != nil || !ok {
			return p, ok
		}
		if more, ok := s.next(']'); !more || !ok {
			return nil, ok
		}
	}
}

// next reads what follows a value in an array or object: a comma (more
// is true) or the closing byte.
func (s *scanner) next(closing byte) (more, ok bool) {
	s.ws()
	if s.i >= len(s.data) {
		return false, false
	}
	switch s.data[s.i] {
	case ',':
		s.i++
		return true, true
	case closing:
		s.i++
		return false, true
	}
	return false, false
}

func (s *scanner) object(t reflect.Type) (*Problem, bool) {
	s.i++ // {
	if !s.enter() {
		return nil, false
	}
	defer func() { s.depth-- }()
	t = concrete(t)
	var fields *structFields
	var elem reflect.Type
	if t != nil {
		switch t.Kind() {
		case reflect.Struct:
			fields = fieldsOf(t)
		case reflect.Map:
			elem = t.Elem()
		}
	}
	keys := s.keys[s.depth-1][:0]
	defer func() { s.keys[s.depth-1] = keys[:0] }()
	s.path = append(s.path, segment{index: -1})
	at := len(s.path) - 1
	defer func() { s.path = s.path[:at] }()
	s.ws()
	if s.i < len(s.data) && s.data[s.i] == '}' {
		s.i++
		return nil, true
	}
	for {
		s.ws()
		if s.i >= len(s.data) || s.data[s.i] != '"' {
			return nil, false
		}
		k, key, ok := s.str()
		if !ok {
			return nil, false
		}
		s.path[at].key = k
		if s.budget--; s.budget < 0 {
			p := s.problem(nil, "", false)
			p.TooMany, p.Key = true, ""
			return p, true
		}
		// Small objects are checked as they go; large ones once, sorted,
		// at their end, so a body of a million keys stays O(n log n).
		if len(keys) < smallObject {
			for _, o := range keys {
				if bytes.Equal(s.text(o), key) {
					return s.problem(key, "", false), true
				}
			}
		}
		keys = append(keys, k)
		ft := elem
		if fields != nil {
			if f, ok := fields.exact[string(key)]; ok {
				ft = f
			} else if want, ok := fields.folded[fold(string(key))]; ok {
				return s.problem(key, want, false), true
			} else {
				return s.problem(key, "", true), true
			}
		}
		s.ws()
		if s.i >= len(s.data) || s.data[s.i] != ':' {
			return nil, false
		}
		s.i++
		if p, ok := s.value(ft); p != nil || !ok {
			return p, ok
		}
		if more, ok := s.next('}'); !ok {
			return nil, false
		} else if more {
			continue
		}
		if len(keys) > smallObject {
			sorted := slices.Clone(keys)
			slices.SortFunc(sorted, func(a, b span) int { return bytes.Compare(s.text(a), s.text(b)) })
			for j := 1; j < len(sorted); j++ {
				if k := sorted[j]; bytes.Equal(s.text(sorted[j-1]), s.text(k)) {
					s.path[at].key = k
					return s.problem(s.text(k), "", false), true
				}
			}
		}
		return nil, true
	}
}

// smallObject is the number of keys up to which duplicates are found by
// comparing each new key with the earlier ones.
const smallObject = 16

func (s *scanner) text(k span) []byte {
	if k.off >= 0 {
		return s.data[k.off : k.off+k.n]
	}
	o := -k.off - 1
	return s.unescaped[o : o+k.n]
}

// str scans a string, returning where its decoded text is and the text.
func (s *scanner) str() (span, []byte, bool) {
	start := s.i + 1
	escaped, high := false, false
	for j := start; j < len(s.data); j++ {
		switch c := s.data[j]; {
		case c == '\\':
			escaped = true
			j++
		case c < 0x20:
			return span{}, nil, false
		case c >= 0x80:
			high = true
		case c == '"':
			s.i = j + 1
			raw := s.data[start:j]
			// The decoder turns escapes, and bytes that are not UTF-8,
			// into other text ("\u0041" is "A", "\xff" is U+FFFD): such
			// keys are compared as it will see them.
			if !escaped && (!high || utf8.Valid(raw)) {
				return span{int32(start), int32(len(raw))}, raw, true
			}
			var dec string
			if json.Unmarshal(s.data[start-1:j+1], &dec) != nil {
				return span{}, nil, false
			}
			off := len(s.unescaped)
			s.unescaped = append(s.unescaped, dec...)
			return span{int32(-off - 1), int32(len(dec))}, s.unescaped[off:], true
		}
	}
	return span{}, nil, false
}

// fold is the case folding encoding/json applies when it matches a key
// to a struct field.
func fold(s string) string { return strings.ToLower(strings.ToUpper(s)) }

var (
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// concrete strips pointers, and forgets types that decode themselves:
// what their JSON means is theirs to say.
func concrete(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() == reflect.Interface {
		return nil
	}
	if p := reflect.PointerTo(t); p.Implements(unmarshalerType) || p.Implements(textUnmarshalerType) {
		return nil
	}
	return t
}

func elemType(t reflect.Type) reflect.Type {
	t = concrete(t)
	if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
		return t.Elem()
	}
	return nil
}

// structFields are the JSON names of a struct's fields, as encoding/json
// sees them (embedded structs flattened, outer names winning).
type structFields struct {
	exact  map[string]reflect.Type
	folded map[string]string
}

var fieldCache sync.Map // reflect.Type → *structFields

func fieldsOf(t reflect.Type) *structFields {
	if f, ok := fieldCache.Load(t); ok {
		return f.(*structFields)
	}
	f := &structFields{exact: map[string]reflect.Type{}, folded: map[string]string{}}
	addFields(t, f, 0)
	for name := range f.exact {
		f.folded[fold(name)] = name
	}
	fieldCache.Store(t, f)
	return f
}

func addFields(t reflect.Type, f *structFields, depth int) {
	var embedded []reflect.Type
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" || (!sf.IsExported() && !sf.Anonymous) {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if sf.Anonymous && name == "" {
			et := sf.Type
			for et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				embedded = append(embedded, et)
				continue
			}
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		if _, ok := f.exact[name]; !ok {
			f.exact[name] = sf.Type
		}
	}
	if depth < 8 {
		for _, et := range embedded {
			addFields(et, f, depth+1)
		}
	}
}
