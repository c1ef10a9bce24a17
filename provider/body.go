package provider

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// maxPrealloc bounds the buffer ReadBody allocates from a Content-Length
// before any byte arrived, so a lying header cannot reserve gigabytes
// when no transport cap is installed.
const maxPrealloc = 256 << 20

// ReadBody reads a whole non-streamed answer into one buffer. With a
// Content-Length the buffer is allocated once at its exact size; without
// one the body is read in growing pieces and joined once, so the answer is
// never held in several partial copies the way repeated appends do. The
// size cap is the transport's (see Limits.MaxBody).
func ReadBody(r io.Reader, contentLength int64) ([]byte, error) {
	if contentLength > 0 && contentLength <= maxPrealloc {
		buf := make([]byte, contentLength)
		if _, err := io.ReadFull(r, buf); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		return buf, nil
	}
	var pieces [][]byte
	total, size := 0, 32<<10
	for {
		piece := make([]byte, size)
		n, err := io.ReadFull(r, piece)
		if n > 0 {
			pieces = append(pieces, piece[:n])
			total += n
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return nil, err
		}
		size = min(size*2, 4<<20)
	}
	if len(pieces) == 1 {
		return pieces[0], nil
	}
	out := make([]byte, 0, total)
	for _, p := range pieces {
		out = append(out, p...)
	}
	return out, nil
}

// BodyJSON is a JSON value of a response body that json.Unmarshal leaves
// where it is: UnmarshalJSON keeps the slice of the input it is given
// instead of copying it. Adapters use it for the one value that can be as
// large as the answer itself (the generated text), and String then
// decodes it inside the body buffer, so the text costs no memory beyond
// the body that carried it.
//
// It relies on json.Unmarshal handing UnmarshalJSON a sub-slice of its
// input (true of encoding/json for a []byte input; String checks it and
// copies when it does not hold). Use it only in types decoded with
// json.Unmarshal from a buffer the caller owns and never reuses, such as
// ReadBody's.
type BodyJSON struct {
	raw []byte
}

// UnmarshalJSON keeps b without copying it (see the type's doc).
func (v *BodyJSON) UnmarshalJSON(b []byte) error {
	v.raw = b
	return nil
}

// Raw is the value's JSON text.
func (v BodyJSON) Raw() []byte { return v.raw }

// IsString reports whether the value is a JSON string.
func (v BodyJSON) IsString() bool {
	return len(v.raw) > 0 && v.raw[0] == '"'
}

// errNotString is returned by String for a value that is not a string.
var errNotString = errors.New("not a JSON string")

// String decodes a JSON string value ("" for null or an absent value).
// When the value lies inside body, it is unescaped in place and the
// result shares body's memory: body must not be written afterwards. A
// value elsewhere (or one that cannot be decoded in place) is copied.
func (v BodyJSON) String(body []byte) (string, error) {
	raw := bytes.TrimSpace(v.raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", nil
	}
	if raw[0] != '"' || len(raw) < 2 || raw[len(raw)-1] != '"' {
		return "", errNotString
	}
	inner := raw[1 : len(raw)-1]
	if len(inner) == 0 {
		return "", nil
	}
	if within(body, inner) {
		if n, ok := unquoteInPlace(inner); ok {
			return unsafe.String(unsafe.SliceData(inner), n), nil
		}
	}
	var s string
	err := json.Unmarshal(raw, &s)
	return s, err
}

// within reports whether part lies inside whole's memory.
func within(whole, part []byte) bool {
	if len(whole) == 0 || len(part) == 0 {
		return false
	}
	w := uintptr(unsafe.Pointer(unsafe.SliceData(whole)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(part)))
	return p >= w && p+uintptr(len(part)) <= w+uintptr(len(whole))
}

// unquoteInPlace decodes the body of a JSON string (without its quotes)
// into its own first n bytes, exactly as encoding/json decodes it. Every
// escape is at least as long as what it stands for, so the write position
// never passes the read position. It gives up (ok false), leaving b
// untouched, on bytes that are not UTF-8, which decode to a longer
// U+FFFD. b comes from a body json.Unmarshal has validated, so its
// escapes are well formed; the checks below only guard against misuse.
func unquoteInPlace(b []byte) (n int, ok bool) {
	// Checked before anything is written: giving up half way would leave
	// the value half decoded for the copying fallback.
	if !utf8.Valid(b) {
		return 0, false
	}
	if bytes.IndexByte(b, '\\') < 0 {
		return len(b), true
	}
	w, r := 0, 0
	for r < len(b) {
		c := b[r]
		switch {
		case c == '\\':
			if r+1 >= len(b) {
				return 0, false
			}
			switch e := b[r+1]; e {
			case '"', '\\', '/':
				b[w] = e
			case 'b':
				b[w] = '\b'
			case 'f':
				b[w] = '\f'
			case 'n':
				b[w] = '\n'
			case 'r':
				b[w] = '\r'
			case 't':
				b[w] = '\t'
			case 'u':
				rr := hex4(b[r:])
				if rr < 0 {
					return 0, false
				}
				r += 6
				if utf16.IsSurrogate(rr) {
					if dec := utf16.DecodeRune(rr, hex4(b[r:])); dec != unicode.ReplacementChar {
						r += 6
						rr = dec
					} else {
						rr = unicode.ReplacementChar
					}
				}
				w += utf8.EncodeRune(b[w:], rr)
				continue
			default:
				return 0, false
			}
			w++
			r += 2
		case c < ' ':
			return 0, false
		case c < utf8.RuneSelf:
			b[w] = c
			w++
			r++
		default:
			rr, size := utf8.DecodeRune(b[r:])
			if rr == utf8.RuneError && size == 1 {
				return 0, false
			}
			copy(b[w:], b[r:r+size])
			w += size
			r += size
		}
	}
	return w, true
}

// hex4 reads the code unit of a \uXXXX escape at the start of s, or -1.
func hex4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}
