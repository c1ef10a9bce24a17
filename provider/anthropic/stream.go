package anthropic

import (
	"bufio"
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

// stream turns Anthropic's named SSE events into provider.Chunks, reading
// one event at a time so each chunk leaves as soon as its event arrives.
type stream struct {
	ctx      context.Context
	provider string
	body     io.ReadCloser
	events   *sse.Reader
	jsonTool string
	redact   func(string) string

	id, model string
	usage     wireUsage
	// tools tracks open tool_use blocks by Anthropic's block index, which
	// also counts text and thinking blocks and so cannot be the OpenAI
	// tool call index.
	tools           map[int]*toolBlock
	nextTool        int
	clientToolCalls bool

	err       error // sticky end state: io.EOF after message_stop, or the failure
	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

// toolBlock is one streamed tool_use block.
type toolBlock struct {
	ordinal    int  // OpenAI tool call index
	structured bool // the forced structured-output tool: its input is Content
	sawInput   bool
}

func newStream(ctx context.Context, name string, body io.ReadCloser, jsonTool string, redact func(string) string) *stream {
	return &stream{
		ctx:      ctx,
		provider: name,
		body:     body,
		events:   sse.NewReader(body),
		jsonTool: jsonTool,
		redact:   redact,
		tools:    make(map[int]*toolBlock),
	}
}

// Recv returns the next chunk a client can see. Events that carry nothing
// for the client (ping, thinking, block boundaries) are consumed without
// returning, but no event is ever read before the previous one is handled.
func (s *stream) Recv() (*provider.Chunk, error) {
	if s.err != nil {
		return nil, s.err
	}
	if s.closed.Load() { // events already buffered must not outlive Close
		s.err = &provider.Error{Provider: s.provider, Kind: provider.ErrStreamTruncated, Message: "stream closed before message_stop"}
		return nil, s.err
	}
	for {
		ev, err := s.events.Next()
		if err != nil {
			s.err = s.readError(err)
			return nil, s.err
		}
		chunk, err := s.handle(ev)
		if err != nil {
			s.err = err
			return nil, err
		}
		if chunk != nil {
			return chunk, nil
		}
	}
}

// Close releases the connection; later calls return the first result.
func (s *stream) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		s.closeErr = s.body.Close()
	})
	return s.closeErr
}

// readError explains why the event stream ended without message_stop.
func (s *stream) readError(err error) error {
	if s.ctx.Err() != nil {
		return provider.TransportError(s.ctx, s.provider, err)
	}
	if pe := provider.BodyFault(s.provider, err); pe != nil {
		return pe
	}
	if errors.Is(err, bufio.ErrTooLong) {
		return s.badResponse(fmt.Sprintf("stream event larger than %d bytes", sse.MaxEventSize))
	}
	msg := "stream ended before message_stop"
	if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		msg += ": " + err.Error()
	}
	return &provider.Error{Provider: s.provider, Kind: provider.ErrStreamTruncated, Message: msg}
}

func (s *stream) badResponse(msg string) error {
	return &provider.Error{Provider: s.provider, Kind: provider.ErrBadResponse, Message: msg}
}

// handle maps one event; a nil chunk and nil error mean "nothing to show".
func (s *stream) handle(ev sse.Event) (*provider.Chunk, error) {
	if ev.Name == "ping" {
		return nil, nil
	}
	var e streamEvent
	if err := json.Unmarshal(ev.Data, &e); err != nil {
		return nil, s.badResponse(fmt.Sprintf("malformed %q event: %v", ev.Name, err))
	}
	name := ev.Name
	if name == "" {
		name = e.Type
	}
	switch name {
	case "message_start":
		return s.onMessageStart(e)
	case "content_block_start":
		return s.onBlockStart(e)
	case "content_block_delta":
		return s.onBlockDelta(e)
	case "content_block_stop":
		return s.onBlockStop(e), nil
	case "message_delta":
		return s.onMessageDelta(e), nil
	case "message_stop":
		return nil, io.EOF
	case "error":
		return nil, s.onError(e)
	default: // ping without a name, and event types newer than this adapter
		return nil, nil
	}
}

func (s *stream) chunk() *provider.Chunk {
	return &provider.Chunk{ID: s.id, Model: s.model}
}

func (s *stream) onMessageStart(e streamEvent) (*provider.Chunk, error) {
	if e.Message == nil {
		return nil, s.badResponse("message_start event without a message")
	}
	s.id, s.model = e.Message.ID, e.Message.Model
	s.usage = e.Message.Usage
	c := s.chunk()
	c.Role = provider.RoleAssistant
	return c, nil
}

func (s *stream) onBlockStart(e streamEvent) (*provider.Chunk, error) {
	b := e.ContentBlock
	if b == nil {
		return nil, s.badResponse("content_block_start event without a content_block")
	}
	switch b.Type {
	case blockText:
		text, err := b.Text.String(nil) // an event's buffer is reused: copy
		if err != nil {
			return nil, s.badResponse("content_block_start text: " + err.Error())
		}
		if text == "" {
			return nil, nil
		}
		c := s.chunk()
		c.Content = text
		return c, nil
	case blockToolUse:
		if s.jsonTool != "" && b.Name == s.jsonTool {
			s.tools[e.Index] = &toolBlock{structured: true}
			return nil, nil
		}
		tb := &toolBlock{ordinal: s.nextTool}
		s.tools[e.Index] = tb
		s.nextTool++
		s.clientToolCalls = true
		c := s.chunk()
		c.ToolCalls = []provider.ToolCallDelta{{Index: tb.ordinal, ID: b.ID, Name: b.Name}}
		return c, nil
	default: // thinking, redacted_thinking, server tools
		return nil, nil
	}
}

func (s *stream) onBlockDelta(e streamEvent) (*provider.Chunk, error) {
	d := e.Delta
	if d == nil {
		return nil, s.badResponse("content_block_delta event without a delta")
	}
	switch d.Type {
	case "text_delta":
		if d.Text == "" {
			return nil, nil
		}
		c := s.chunk()
		c.Content = d.Text
		return c, nil
	case "input_json_delta":
		tb := s.tools[e.Index]
		if tb == nil || d.PartialJSON == "" {
			return nil, nil // e.g. a server tool's input
		}
		tb.sawInput = true
		return s.toolInput(tb, d.PartialJSON), nil
	default: // thinking_delta, signature_delta
		return nil, nil
	}
}

// onBlockStop closes a tool_use block. A tool called without arguments may
// stream no input at all; "{}" is sent so the streamed call matches the
// non-streamed one.
func (s *stream) onBlockStop(e streamEvent) *provider.Chunk {
	tb := s.tools[e.Index]
	delete(s.tools, e.Index)
	if tb == nil || tb.sawInput {
		return nil
	}
	return s.toolInput(tb, "{}")
}

func (s *stream) toolInput(tb *toolBlock, fragment string) *provider.Chunk {
	c := s.chunk()
	if tb.structured {
		c.Content = fragment
	} else {
		c.ToolCalls = []provider.ToolCallDelta{{Index: tb.ordinal, Arguments: fragment}}
	}
	return c
}

// onMessageDelta carries the finish reason and the final usage. Its counts
// are cumulative, so they replace (not add to) message_start's.
func (s *stream) onMessageDelta(e streamEvent) *provider.Chunk {
	s.usage.merge(e.Usage)
	stop := ""
	if e.Delta != nil {
		stop = e.Delta.StopReason
	}
	c := s.chunk()
	c.FinishReason = finishReason(stop, s.jsonTool != "", s.clientToolCalls)
	u := toUsage(s.usage)
	c.Usage = &u
	return c
}

func (s *stream) onError(e streamEvent) error {
	pe := &provider.Error{Provider: s.provider, Kind: provider.ErrServer, Message: "error event without details"}
	if e.Error != nil {
		pe.Kind = kindForErrorType(e.Error.Type)
		pe.Code = e.Error.Type
		pe.Message = s.redact(e.Error.Message)
	}
	return pe
}

// merge overwrites the counts v reports and keeps the others.
func (u *wireUsage) merge(v *wireUsage) {
	if v == nil {
		return
	}
	u.InputTokens = latest(u.InputTokens, v.InputTokens)
	u.OutputTokens = latest(u.OutputTokens, v.OutputTokens)
	u.CacheReadInputTokens = latest(u.CacheReadInputTokens, v.CacheReadInputTokens)
	u.CacheCreationInputTokens = latest(u.CacheCreationInputTokens, v.CacheCreationInputTokens)
}

func latest(old, reported *int) *int {
	if reported != nil {
		return reported
	}
	return old
}
