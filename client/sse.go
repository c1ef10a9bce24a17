package client

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// maxEventBytes bounds one Server-Sent Event, so a broken or hostile
// server cannot make the client hold an unbounded line.
const maxEventBytes = 8 << 20

// errEventTooLarge is returned for an event above maxEventBytes.
var errEventTooLarge = errors.New("gatehouse: stream event larger than 8 MiB")

// sseReader reads Server-Sent Events one at a time, straight from the
// response body, never buffering more than the event at hand.
type sseReader struct {
	r *bufio.Reader
}

func newSSEReader(r io.Reader) *sseReader { return &sseReader{r: bufio.NewReaderSize(r, 16<<10)} }

// next returns the data of the next event (its data lines joined with
// "\n"), skipping comments, other fields and events without data. It
// returns io.EOF at the end of the body; an event cut off by the end of
// the body is dropped and reported as io.ErrUnexpectedEOF.
func (s *sseReader) next() ([]byte, error) {
	var data []byte
	hasData := false
	for {
		line, err := s.line()
		if err != nil {
			if err == io.EOF && (hasData || len(line) > 0) {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
		if len(line) == 0 {
			if hasData {
				return data, nil
			}
			continue
		}
		field, value, _ := bytes.Cut(line, []byte(":"))
		if len(field) == 0 {
			continue // a comment
		}
		if string(field) != "data" {
			continue // event, id and retry carry nothing Gatehouse uses
		}
		value = bytes.TrimPrefix(value, []byte(" "))
		if hasData {
			data = append(data, '\n')
		}
		if len(data)+len(value) > maxEventBytes {
			return nil, errEventTooLarge
		}
		data = append(data, value...)
		hasData = true
	}
}

// line reads one line without its ending (\n, \r\n or \r\n-less at EOF).
func (s *sseReader) line() ([]byte, error) {
	var line []byte
	for {
		chunk, err := s.r.ReadSlice('\n')
		if len(line)+len(chunk) > maxEventBytes {
			return nil, errEventTooLarge
		}
		line = append(line, chunk...)
		switch err {
		case nil:
			line = bytes.TrimSuffix(line[:len(line)-1], []byte("\r"))
			return line, nil
		case bufio.ErrBufferFull:
			continue
		default:
			return line, err
		}
	}
}
