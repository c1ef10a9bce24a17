package textjson

import (
	"bytes"
	"encoding/json"
	"runtime"
	"strings"
	"testing"
)

type doc struct {
	ID      string   `json:"id"`
	Content *string  `json:"content"`
	Tools   []string `json:"tools,omitempty"`
}

// Write gives byte for byte what encoding the text in place gives, for
// texts with escapes, HTML, multi-byte runes across buffer boundaries,
// invalid UTF-8 and line separators.
func TestWriteMatchesEncoding(t *testing.T) {
	texts := map[string]string{
		"empty":         "",
		"plain":         "hello",
		"escapes":       "a \"quoted\" \\ line\nnext\ttab \x01 <b>&amp;</b> \u2028\u2029",
		"long ascii":    strings.Repeat("x", 3*bufSize+7),
		"runes at edge": strings.Repeat("a", bufSize-1) + strings.Repeat("é€😀", bufSize),
		"invalid utf-8": strings.Repeat("\xff\x80", bufSize) + "ok" + string([]byte{0xe2, 0x82}) + "z",
		"continuation":  strings.Repeat("\x80", 2*bufSize+3) + "\x7f\x00\x1f\u2028",
	}
	for name, text := range texts {
		t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
			placeholder := Placeholder
			var got bytes.Buffer
			if err := Write(&got, doc{ID: "x", Content: &placeholder, Tools: []string{"t"}}, text); err != nil {
				t.Fatal(err)
			}
			var want bytes.Buffer
			enc := json.NewEncoder(&want)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(doc{ID: "x", Content: &text, Tools: []string{"t"}}); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), bytes.TrimSuffix(want.Bytes(), []byte("\n"))) {
				t.Fatalf("output differs from encoding/json (lengths %d and %d)", got.Len(), want.Len()-1)
			}
		})
	}
}

// Without the placeholder the document is written as is.
func TestWriteWithoutPlaceholder(t *testing.T) {
	var got bytes.Buffer
	if err := Write(&got, doc{ID: "x"}, "ignored"); err != nil {
		t.Fatal(err)
	}
	if got.String() != `{"id":"x","content":null}` {
		t.Fatalf("got %s", got.String())
	}
}

// Escaping a large text allocates a bounded amount, not its size again.
func TestWriteAllocatesLittle(t *testing.T) {
	text := strings.Repeat("line \"of\" text\n", 1<<16) // about 1 MiB with escapes
	placeholder := Placeholder
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if err := Write(discard{}, doc{ID: "x", Content: &placeholder}, text); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > uint64(len(text))/8 {
		t.Fatalf("writing a %d-byte text allocated %d bytes", len(text), alloc)
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
