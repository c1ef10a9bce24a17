package anthropic

import (
	"encoding/json"
	"strings"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// StreamEncoder turns one answer's provider.Chunks into Anthropic's event
// sequence. It assigns content block indexes, opens and closes blocks so
// that only one is open at a time, and holds back tool calls that arrive
// interleaved (see the package doc). Use one per stream, not concurrently.
type StreamEncoder struct {
	alias, id string
	started   bool
	finished  bool
	next      int // index the next content block gets

	textIndex int        // index of the open text block, -1 if none
	openTool  *toolBlock // the open tool_use block, nil if none
	tools     map[int]*toolBlock
	pending   []*toolBlock // started while openTool was incomplete
	anyTool   bool
}

// toolBlock is one tool call, keyed in StreamEncoder.tools by the
// upstream's ToolCallDelta.Index.
type toolBlock struct {
	id, name string
	args     strings.Builder // all arguments received so far
	index    int             // block index once started
	state    toolState
}

type toolState int

const (
	toolPending toolState = iota // waiting for the open tool block to complete
	toolOpen
	toolClosed
)

// NewStreamEncoder starts a stream. alias is echoed as "model" and id
// (conventionally "msg_...") is the message id.
func NewStreamEncoder(alias, id string) *StreamEncoder {
	return &StreamEncoder{alias: alias, id: id, textIndex: -1, tools: make(map[int]*toolBlock)}
}

// Start returns message_start. inputTokens is what the handler knows
// before the answer, excluding cached tokens as Anthropic counts them (an
// estimate, or 0): the final counts travel in Finish's message_delta.
// Start is implied by the first Chunk or Finish if not called, and
// returns nothing when called again.
func (s *StreamEncoder) Start(inputTokens int) []Event {
	if s.started {
		return nil
	}
	s.started = true
	return []Event{messageStartEvent(s.alias, s.id, inputTokens)}
}

// Chunk returns the events for one provider chunk: text first, then tool
// call pieces. Role, finish reason and usage on the chunk are ignored;
// Finish carries the last two. After Finish it returns nothing.
func (s *StreamEncoder) Chunk(c *provider.Chunk) []Event {
	if c == nil || s.finished {
		return nil
	}
	ev := s.Start(0)
	if c.Content != "" {
		ev = s.text(ev, c.Content)
	}
	for _, d := range c.ToolCalls {
		ev = s.tool(ev, d)
	}
	return ev
}

// Finish closes the open block, sends any held-back tool calls, then
// message_delta with the stop reason and the full usage, and message_stop.
func (s *StreamEncoder) Finish(finishReason string, u provider.Usage) []Event {
	if s.finished {
		return nil
	}
	ev := s.Start(0)
	ev = s.closeOpen(ev)
	ev = s.flushPending(ev)
	s.finished = true
	return append(ev,
		messageDeltaEvent(stopReason(finishReason, s.anyTool), u),
		event("message_stop", typeOnly{Type: "message_stop"}),
	)
}

// text appends to the open text block, or opens one after closing
// whatever else is open. Held-back tool calls go out first: they were
// produced before this text.
func (s *StreamEncoder) text(ev []Event, text string) []Event {
	if s.textIndex < 0 {
		ev = s.closeOpen(ev)
		ev = s.flushPending(ev)
		s.textIndex = s.take()
		ev = append(ev, blockStartEvent(s.textIndex, textBlock{Type: blockText}))
	}
	return append(ev, textDeltaEvent(s.textIndex, text))
}

// tool routes one piece of a tool call.
func (s *StreamEncoder) tool(ev []Event, d provider.ToolCallDelta) []Event {
	t := s.tools[d.Index]
	if t == nil {
		t = &toolBlock{id: d.ID, name: d.Name, state: toolPending}
		t.args.WriteString(d.Arguments)
		s.tools[d.Index] = t
		s.anyTool = true
		if s.openTool != nil && !s.openTool.complete() {
			s.pending = append(s.pending, t)
			return ev
		}
		ev = s.closeOpen(ev)
		return s.startTool(ev, t)
	}
	switch t.state {
	case toolPending:
		t.args.WriteString(d.Arguments)
	case toolOpen:
		t.args.WriteString(d.Arguments)
		if d.Arguments != "" {
			ev = append(ev, inputDeltaEvent(t.index, d.Arguments))
		}
		if len(s.pending) > 0 && t.complete() {
			ev = s.closeOpen(ev)
			ev = s.promote(ev)
		}
	case toolClosed:
		// Undeliverable: the block is closed (see the package doc).
	}
	return ev
}

// startTool opens t's block and sends the arguments it already has.
func (s *StreamEncoder) startTool(ev []Event, t *toolBlock) []Event {
	t.index, t.state = s.take(), toolOpen
	s.openTool = t
	ev = append(ev, blockStartEvent(t.index, toolUseBlock{Type: blockToolUse, ID: t.id, Name: t.name, Input: json.RawMessage("{}")}))
	if t.args.Len() > 0 {
		ev = append(ev, inputDeltaEvent(t.index, t.args.String()))
	}
	return ev
}

// promote starts held-back tool calls in arrival order, continuing past
// each one whose arguments are already complete, and leaves the first
// incomplete one open to stream live.
func (s *StreamEncoder) promote(ev []Event) []Event {
	for len(s.pending) > 0 {
		t := s.pending[0]
		s.pending = s.pending[1:]
		ev = s.startTool(ev, t)
		if len(s.pending) == 0 || !t.complete() {
			break
		}
		ev = s.closeOpen(ev)
	}
	return ev
}

// flushPending sends every held-back tool call as a whole block.
func (s *StreamEncoder) flushPending(ev []Event) []Event {
	for _, t := range s.pending {
		ev = s.startTool(ev, t)
		ev = s.closeOpen(ev)
	}
	s.pending = nil
	return ev
}

// closeOpen stops the open block, if any.
func (s *StreamEncoder) closeOpen(ev []Event) []Event {
	switch {
	case s.textIndex >= 0:
		ev = append(ev, blockStopEvent(s.textIndex))
		s.textIndex = -1
	case s.openTool != nil:
		ev = append(ev, blockStopEvent(s.openTool.index))
		s.openTool.state = toolClosed
		s.openTool = nil
	}
	return ev
}

// take allocates the next block index.
func (s *StreamEncoder) take() int {
	i := s.next
	s.next++
	return i
}

// complete reports whether the arguments so far form a whole JSON value,
// the only sign a stream gives that a tool call has ended before the next
// one starts. It is only consulted when calls overlap.
func (t *toolBlock) complete() bool {
	return json.Valid([]byte(t.args.String()))
}
