package provider

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"unsafe"
)

// BodyJSON.String decodes exactly as encoding/json does, in place when
// the value lies in the body, and by copy otherwise.
func TestBodyJSONString(t *testing.T) {
	values := []string{
		`""`, `null`, `"plain text"`,
		`"quote \" backslash \\ slash \/ controls \b\f\n\r\t"`,
		`"\u00e9\u20ac \ud83d\ude00 lone \ud800 then \udc00 x"`,
		`"raw é€😀 runes"`,
		"\"invalid \xff utf-8\"", // decoded by copy: U+FFFD is longer than the byte
		`"\u0041\u0042"`,
	}
	for _, v := range values {
		body := []byte(`{"text":` + v + `,"after":1}`)
		var got struct {
			Text  BodyJSON `json:"text"`
			After int      `json:"after"`
		}
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		var want string
		if err := json.Unmarshal([]byte(v), &want); err != nil {
			t.Fatal(err)
		}
		s, err := got.Text.String(body)
		if err != nil || s != want {
			t.Errorf("%s: got %q (%v), want %q", v, s, err, want)
		}
		if got.After != 1 {
			t.Errorf("%s: the rest of the body was not decoded", v)
		}
		if s != "" && utf8Valid(v) && !within(body, unsafe.Slice(unsafe.StringData(s), len(s))) {
			t.Errorf("%s: decoded by copy, want in place", v)
		}
		// Outside the body it is copied, and the body is left alone.
		var again struct{ Text BodyJSON }
		_ = json.Unmarshal([]byte(`{"text":`+v+`}`), &again)
		if s2, err := again.Text.String(nil); err != nil || s2 != want {
			t.Errorf("%s: by copy %q (%v), want %q", v, s2, err, want)
		}
	}
	var notString struct{ Text BodyJSON }
	_ = json.Unmarshal([]byte(`{"text":[1]}`), &notString)
	if _, err := notString.Text.String(nil); err == nil || notString.Text.IsString() {
		t.Error("an array decoded as a string")
	}
}

func utf8Valid(s string) bool { return !strings.Contains(s, "\xff") }

// ReadBody returns the body whole, with or without a Content-Length, and
// reports a body shorter than announced.
func TestReadBody(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 100_000) // 1 MB: several pieces without a length
	for _, tc := range []struct {
		name   string
		r      io.Reader
		length int64
	}{
		{"with length", bytes.NewReader(data), int64(len(data))},
		{"without length", iotest.HalfReader(bytes.NewReader(data)), -1},
		{"empty", bytes.NewReader(nil), -1},
	} {
		got, err := ReadBody(tc.r, tc.length)
		want := data
		if tc.name == "empty" {
			want = nil
		}
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: %d bytes, %v", tc.name, len(got), err)
		}
	}
	if _, err := ReadBody(bytes.NewReader(data[:10]), 20); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("short body: %v", err)
	}
	if _, err := ReadBody(iotest.ErrReader(errors.New("reset")), -1); err == nil || err.Error() != "reset" {
		t.Errorf("read error: %v", err)
	}
}

// FuzzBodyJSONString: for any JSON string, decoding in place gives what
// encoding/json gives.
func FuzzBodyJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", "a\"b\\c\n\t", "\u00e9\U0001F600", "\xff\xfe", "\u2028", "\x00\x1f"} {
		b, _ := json.Marshal(s)
		f.Add(string(b))
	}
	f.Add(`"\ud800\udc00\ud800x\udc00"`)
	f.Fuzz(func(t *testing.T, v string) {
		var want string
		if json.Unmarshal([]byte(v), &want) != nil {
			return // not a JSON string
		}
		body := []byte(`{"text":` + v + `}`)
		var got struct{ Text BodyJSON }
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		s, err := got.Text.String(body)
		if err != nil || s != want {
			t.Fatalf("%q: got %q (%v), want %q", v, s, err, want)
		}
	})
}
