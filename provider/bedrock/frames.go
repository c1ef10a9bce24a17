package bedrock

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream/eventstreamapi"
)

// Event-stream frame limits. A frame is a 12-byte prelude (total length,
// headers length, prelude CRC), headers, payload and a 4-byte CRC; AWS caps
// a message at 16 MiB and its headers at 128 KiB. The SDK decoder trusts
// the prelude's lengths, so they are checked first to keep a corrupt
// frame from being read as a multi-gigabyte payload.
const (
	preludeLen     = 8 // the two lengths; the prelude CRC follows
	minFrameLen    = 16
	maxFrameLen    = 16 << 20
	maxHeadersLen  = 128 << 10
	frameBufferLen = 32 << 10
)

// errCleanEnd reports a body that ended exactly between two frames.
var errCleanEnd = errors.New("event stream ended")

// errCutFrame reports a body that ended inside a frame.
var errCutFrame = errors.New("event stream ended inside a frame")

// frameReader reads one event-stream message at a time. It never waits
// for more bytes than the current frame needs, so each frame reaches the
// caller as soon as it has arrived.
type frameReader struct {
	src *trackingReader
	br  *bufio.Reader
	dec *eventstream.Decoder
}

func newFrameReader(body io.Reader) *frameReader {
	src := &trackingReader{r: body}
	return &frameReader{src: src, br: bufio.NewReaderSize(src, frameBufferLen), dec: eventstream.NewDecoder()}
}

// frameError is a frame that is present but malformed (bad lengths or
// checksum, undecodable headers).
type frameError struct{ msg string }

func (e *frameError) Error() string { return e.msg }

// next returns the next message. Errors are errCleanEnd, errCutFrame, a
// *frameError, or the body's own read error (network, timeout).
func (f *frameReader) next() (eventstream.Message, error) {
	prelude, err := f.br.Peek(preludeLen)
	if err != nil {
		if f.src.err != nil {
			return eventstream.Message{}, f.src.err
		}
		if len(prelude) == 0 {
			return eventstream.Message{}, errCleanEnd
		}
		return eventstream.Message{}, errCutFrame
	}
	total := binary.BigEndian.Uint32(prelude[0:4])
	headers := binary.BigEndian.Uint32(prelude[4:8])
	if total < minFrameLen || total > maxFrameLen || headers > maxHeadersLen || headers > total-minFrameLen {
		return eventstream.Message{}, &frameError{msg: "malformed event-stream frame lengths"}
	}
	msg, err := f.dec.Decode(f.br, nil)
	if err == nil {
		return msg, nil
	}
	switch {
	case f.src.err != nil:
		return eventstream.Message{}, f.src.err
	case f.src.eof && f.br.Buffered() == 0 && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)):
		return eventstream.Message{}, errCutFrame
	default:
		return eventstream.Message{}, &frameError{msg: "malformed event-stream frame: " + err.Error()}
	}
}

// headerString returns a string header's value, or "" when absent.
func headerString(msg eventstream.Message, name string) string {
	switch v := msg.Headers.Get(name).(type) {
	case nil:
		return ""
	case eventstream.StringValue:
		return string(v)
	default:
		return v.String()
	}
}

// Header names used by ConverseStream frames.
const (
	hdrMessageType   = eventstreamapi.MessageTypeHeader
	hdrEventType     = eventstreamapi.EventTypeHeader
	hdrExceptionType = eventstreamapi.ExceptionTypeHeader
	hdrErrorCode     = eventstreamapi.ErrorCodeHeader
	hdrErrorMessage  = eventstreamapi.ErrorMessageHeader
)

// trackingReader remembers how the body ended, so a decode failure can be
// told apart as truncation (clean EOF mid-frame), a transport failure, or
// malformed bytes.
type trackingReader struct {
	r   io.Reader
	eof bool
	err error
}

func (t *trackingReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	switch {
	case err == io.EOF:
		t.eof = true
	case err != nil && t.err == nil:
		t.err = err
	}
	return n, err
}
