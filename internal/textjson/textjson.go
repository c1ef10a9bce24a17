// Package textjson writes JSON documents that carry one large text (the
// answer of a chat call) without building an escaped copy of that text:
// the rest of the document is encoded as usual, and the text is escaped
// into the writer piece by piece. An answer of tens of megabytes thus
// costs a few tens of kilobytes to send rather than its own size again.
package textjson

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"unicode/utf8"
)

// Placeholder is the string to put in the field that will hold the text.
// It holds a random part chosen at start, so no string a model or a
// client writes can be taken for it.
var Placeholder = newPlaceholder()

// quoted is Placeholder as it appears in an encoded document.
var quoted = mustEncode(Placeholder)

func newPlaceholder() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "\x00gatehouse-text-" + hex.EncodeToString(b[:]) + "\x00"
}

func mustEncode(s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		panic(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// bufSize is the writer's buffer: what is held of the text at a time.
const bufSize = 32 << 10

// Write writes v as JSON, HTML escaping off and without a trailing
// newline (what json.Marshal with SetEscapeHTML(false) gives), with text
// in place of the first string equal to Placeholder. The output is byte
// for byte what encoding v with the text itself in that field would give.
func Write(w io.Writer, v any, text string) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	doc := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	i := bytes.Index(doc, quoted)
	if i < 0 {
		_, err := w.Write(doc)
		return err
	}
	bw := bufio.NewWriterSize(w, bufSize)
	bw.Write(doc[:i])
	bw.WriteByte('"')
	writeEscaped(bw, text)
	bw.WriteByte('"')
	bw.Write(doc[i+len(quoted):])
	return bw.Flush() // a failed write sticks in bw and surfaces here
}

const hexDigits = "0123456789abcdef"

// writeEscaped writes the JSON escape of s without its quotes, as
// encoding/json escapes a string with HTML escaping off: quote,
// backslash and control characters escaped, bytes that are not UTF-8 as
// \ufffd, U+2028 and U+2029 escaped (JavaScript reads them as line ends),
// everything else as is.
func writeEscaped(w *bufio.Writer, s string) {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= ' ' && c != '"' && c != '\\' {
				i++
				continue
			}
			w.WriteString(s[start:i])
			switch c {
			case '"', '\\':
				w.WriteByte('\\')
				w.WriteByte(c)
			case '\b':
				w.WriteString(`\b`)
			case '\f':
				w.WriteString(`\f`)
			case '\n':
				w.WriteString(`\n`)
			case '\r':
				w.WriteString(`\r`)
			case '\t':
				w.WriteString(`\t`)
			default:
				w.WriteString(`\u00`)
				w.WriteByte(hexDigits[c>>4])
				w.WriteByte(hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			w.WriteString(s[start:i])
			w.WriteString(`\ufffd`)
		case r == '\u2028' || r == '\u2029':
			w.WriteString(s[start:i])
			w.WriteString(`\u202`)
			w.WriteByte(hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	w.WriteString(s[start:])
}
