// Package sse reads Server-Sent Events as upstream LLM APIs send them.
//
// It implements the parts of the WHATWG event-stream format those APIs use
// (event, data, comments, multi-line data, CRLF) and nothing that needs a
// browser (retry, last-event-id reconnects). It never buffers beyond one
// event, which is what lets the gateway forward each event the moment the
// upstream sends it.
package sse

import (
	"bufio"
	"bytes"
	"io"
)

// MaxEventSize bounds one event; LLM tool-call arguments can be large, so
// it is far above bufio's 64 KiB default.
const MaxEventSize = 8 << 20

// Event is one dispatched event.
type Event struct {
	Name string // the "event:" field, empty for unnamed events
	Data []byte // "data:" lines joined with "\n"
}

// Reader yields events from a stream.
type Reader struct {
	sc *bufio.Scanner
	// read counts the bytes read from the stream, consumed those the
	// scanner has handed out (lines and their ends): the difference is
	// what is buffered, already received but not yet returned.
	read, consumed int64
}

// NewReader reads events from r.
func NewReader(r io.Reader) *Reader {
	rd := &Reader{}
	sc := bufio.NewScanner(countingReader{r, &rd.read})
	sc.Buffer(make([]byte, 0, 64<<10), MaxEventSize)
	sc.Split(func(data []byte, atEOF bool) (int, []byte, error) {
		n, tok, err := scanLines(data, atEOF)
		rd.consumed += int64(n)
		return n, tok, err
	})
	rd.sc = sc
	return rd
}

// Buffered reports whether bytes of the stream have been received but
// not yet returned as events: the next event is then (at least partly)
// here already, and a writer passing events on may wait for it before
// flushing, at no cost in latency.
func (r *Reader) Buffered() bool { return r.read > r.consumed }

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n *int64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	*c.n += int64(n)
	return n, err
}

// Next returns the next event. At the end of input it returns io.EOF if the
// stream ended on an event boundary, or io.ErrUnexpectedEOF if a partial
// event was cut off; other errors come from the underlying reader.
func (r *Reader) Next() (Event, error) {
	var ev Event
	var data bytes.Buffer
	seen, hasData := false, false
	for r.sc.Scan() {
		line := r.sc.Bytes()
		if len(line) == 0 {
			if !seen {
				continue
			}
			ev.Data = data.Bytes()
			return ev, nil
		}
		if line[0] == ':' {
			continue // comment, e.g. keep-alive ": ping"
		}
		field, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimPrefix(value, []byte(" "))
		switch string(field) {
		case "event":
			ev.Name = string(value)
			seen = true
		case "data":
			if hasData {
				data.WriteByte('\n')
			}
			data.Write(value)
			seen, hasData = true, true
		}
	}
	if err := r.sc.Err(); err != nil {
		return Event{}, err
	}
	if seen {
		return Event{}, io.ErrUnexpectedEOF
	}
	return Event{}, io.EOF
}

// scanLines splits on \n, \r\n or a lone \r, as the event-stream format
// requires.
func scanLines(data []byte, atEOF bool) (int, []byte, error) {
	for i, c := range data {
		switch c {
		case '\n':
			return i + 1, data[:i], nil
		case '\r':
			if i+1 < len(data) {
				if data[i+1] == '\n' {
					return i + 2, data[:i], nil
				}
				return i + 1, data[:i], nil
			}
			if atEOF {
				return i + 1, data[:i], nil
			}
			return 0, nil, nil // need one more byte to tell \r from \r\n
		}
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}
