package openai

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/gatehouse-llm/gatehouse/provider"
	"github.com/gatehouse-llm/gatehouse/provider/sse"
)

// doneMarker is the data of the event that ends an OpenAI stream.
var doneMarker = []byte("[DONE]")

// errStreamClosed is returned by Recv after Close.
var errStreamClosed = errors.New("openai: stream closed")

// chatStream reads chat.completion.chunk events one at a time, so every
// chunk reaches the caller as soon as the upstream sends it.
type chatStream struct {
	ctx    context.Context
	up     *upstream
	body   io.ReadCloser
	events *sse.Reader

	// err is the terminal result (io.EOF or a failure) repeated by every
	// Recv after the stream ended.
	err       error
	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

// Buffered reports whether the next event has (partly) arrived already.
func (s *chatStream) Buffered() bool { return s.events.Buffered() }

func newChatStream(ctx context.Context, up *upstream, body io.ReadCloser) *chatStream {
	return &chatStream{ctx: ctx, up: up, body: body, events: sse.NewReader(body)}
}

// Recv returns the chunk for the next upstream event, io.EOF after
// "data: [DONE]", or an error; after the first error or io.EOF it keeps
// returning the same result.
func (s *chatStream) Recv() (*provider.Chunk, error) {
	if s.err != nil {
		return nil, s.err
	}
	if s.closed.Load() {
		return nil, errStreamClosed
	}
	for {
		ev, err := s.events.Next()
		if err != nil {
			return nil, s.finish(s.readError(err))
		}
		data := bytes.TrimSpace(ev.Data)
		if len(data) == 0 {
			continue // an event with no data (a bare "event: ping") carries nothing
		}
		if bytes.Equal(data, doneMarker) {
			return nil, s.finish(io.EOF)
		}
		chunk, err := parseChunk(s.up, data)
		if err != nil {
			return nil, s.finish(err)
		}
		return chunk, nil
	}
}

// finish records the terminal result and releases the connection early;
// Close stays safe to call afterwards.
func (s *chatStream) finish(err error) error {
	s.err = err
	_ = s.closeBody()
	return err
}

// readError classifies a failure to read the next event. The body ending
// anywhere before "[DONE]" is a truncated stream; a read cut short by the
// caller's context is reported as the context's timeout or cancellation.
func (s *chatStream) readError(err error) error {
	if s.closed.Load() {
		return errStreamClosed
	}
	if s.ctx.Err() != nil {
		return s.up.transportError(s.ctx, err)
	}
	if pe := provider.BodyFault(s.up.name, err); pe != nil {
		return pe
	}
	if errors.Is(err, bufio.ErrTooLong) {
		return s.up.badResponse(fmt.Sprintf("stream event larger than %d bytes", sse.MaxEventSize))
	}
	msg := "stream ended before data: [DONE]"
	if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		msg += ": " + err.Error()
	}
	return &provider.Error{Provider: s.up.name, Kind: provider.ErrStreamTruncated, Message: s.up.redact(msg)}
}

// Close releases the upstream connection. It is idempotent and may be
// called from another goroutine to abort a blocked Recv.
func (s *chatStream) Close() error {
	s.closed.Store(true)
	return s.closeBody()
}

func (s *chatStream) closeBody() error {
	s.closeOnce.Do(func() { s.closeErr = s.body.Close() })
	return s.closeErr
}

// wireChunk is a chat.completion.chunk object, plus the places compatible
// servers put things OpenAI does not: Groq's x_groq.usage and an error
// object for failures after the stream started.
type wireChunk struct {
	ID      string            `json:"id"`
	Model   string            `json:"model"`
	Choices []wireChunkChoice `json:"choices"`
	Usage   *wireUsage        `json:"usage"`
	XGroq   *struct {
		Usage *wireUsage `json:"usage"`
	} `json:"x_groq"`
	Error json.RawMessage `json:"error"`
}

type wireChunkChoice struct {
	Index        int       `json:"index"`
	Delta        wireDelta `json:"delta"`
	FinishReason *string   `json:"finish_reason"`
}

type wireDelta struct {
	Role string `json:"role"`
	// Content is usually a string or null; Mistral's reasoning models send
	// an array of typed parts.
	Content   json.RawMessage     `json:"content"`
	ToolCalls []wireToolCallDelta `json:"tool_calls"`
}

type wireToolCallDelta struct {
	Index    *int   `json:"index"`
	ID       string `json:"id"`
	Function struct {
		Name      string          `json:"name"`
		Arguments json.RawMessage `json:"arguments"`
	} `json:"function"`
}

// parseChunk maps one event's data to a chunk. An event with no choice 0
// and no usage (Azure's leading prompt_filter_results event, say) yields
// a chunk with only ID and Model set.
func parseChunk(up *upstream, data []byte) (*provider.Chunk, error) {
	var w wireChunk
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, up.badResponse("malformed stream chunk: " + err.Error())
	}
	if e := bytes.TrimSpace(w.Error); len(e) > 0 && !bytes.Equal(e, []byte("null")) {
		return nil, up.streamError(e)
	}
	chunk := &provider.Chunk{ID: w.ID, Model: w.Model}
	for i := range w.Choices {
		c := &w.Choices[i]
		if c.Index != 0 {
			continue
		}
		chunk.Role = c.Delta.Role
		text, err := deltaText(c.Delta.Content)
		if err != nil {
			return nil, up.badResponse("malformed stream chunk content: " + err.Error())
		}
		chunk.Content = text
		for pos, tc := range c.Delta.ToolCalls {
			args, err := argumentsText(tc.Function.Arguments)
			if err != nil {
				return nil, up.badResponse("malformed tool call delta: " + err.Error())
			}
			index := pos // servers that send whole calls sometimes omit index
			if tc.Index != nil {
				index = *tc.Index
			}
			chunk.ToolCalls = append(chunk.ToolCalls, provider.ToolCallDelta{
				Index: index, ID: tc.ID, Name: tc.Function.Name, Arguments: args,
			})
		}
		if c.FinishReason != nil {
			chunk.FinishReason = normalizeFinishReason(*c.FinishReason)
		}
		break
	}
	usage := w.Usage
	if usage == nil && w.XGroq != nil {
		usage = w.XGroq.Usage
	}
	if usage != nil {
		u := usage.toUsage()
		chunk.Usage = &u
	}
	return chunk, nil
}

// deltaText returns a delta's text: the string itself, or the text parts
// of an array of content parts.
func deltaText(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", nil
	}
	var c provider.Content
	if err := c.UnmarshalJSON(raw); err != nil {
		return "", err
	}
	var text bytes.Buffer
	for _, p := range c.Parts {
		if p.Type == provider.PartText {
			text.WriteString(p.Text)
		}
	}
	return text.String(), nil
}
