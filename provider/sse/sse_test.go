package sse

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestReader(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []Event
		wantErr error
	}{
		{"openai style", "data: {\"a\":1}\n\ndata: [DONE]\n\n", []Event{{Data: []byte(`{"a":1}`)}, {Data: []byte("[DONE]")}}, io.EOF},
		{"named events crlf", "event: message_start\r\ndata: {}\r\n\r\n", []Event{{Name: "message_start", Data: []byte("{}")}}, io.EOF},
		{"multi-line data and comments", ": ping\n\ndata: a\ndata:\ndata: b\n\n", []Event{{Data: []byte("a\n\nb")}}, io.EOF},
		{"lone cr", "data: x\r\r", []Event{{Data: []byte("x")}}, io.EOF},
		{"truncated", "data: {\"a\":1}\n\ndata: {\"b\"", []Event{{Data: []byte(`{"a":1}`)}}, io.ErrUnexpectedEOF},
		{"empty", "", nil, io.EOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(strings.NewReader(tt.in))
			var got []Event
			var err error
			for {
				var ev Event
				ev, err = r.Next()
				if err != nil {
					break
				}
				got = append(got, Event{Name: ev.Name, Data: append([]byte(nil), ev.Data...)})
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d events %q, want %d", len(got), got, len(tt.want))
			}
			for i := range got {
				if got[i].Name != tt.want[i].Name || string(got[i].Data) != string(tt.want[i].Data) {
					t.Errorf("event %d = {%q %q}, want {%q %q}", i, got[i].Name, got[i].Data, tt.want[i].Name, tt.want[i].Data)
				}
			}
		})
	}
}

// Buffered tells a relay whether the next event has arrived already (so
// its flush can wait for it) or the stream has nothing more for now.
func TestBufferedSaysWhetherTheNextEventIsHere(t *testing.T) {
	pr, pw := io.Pipe()
	r := NewReader(pr)
	go func() {
		_, _ = pw.Write([]byte("data: one\n\ndata: two\n\n")) // two events in one read
		_, _ = pw.Write([]byte("data: three\n\n"))
		pw.Close()
	}()
	for i, want := range []struct {
		data     string
		buffered bool
	}{{"one", true}, {"two", false}, {"three", false}} {
		ev, err := r.Next()
		if err != nil || string(ev.Data) != want.data {
			t.Fatalf("event %d: %q %v; want %q", i, ev.Data, err, want.data)
		}
		if got := r.Buffered(); got != want.buffered {
			t.Errorf("after %q Buffered() = %v, want %v", want.data, got, want.buffered)
		}
	}
}
