package bedrock

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream/eventstreamapi"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// stream turns ConverseStream frames into chunks, one frame per Recv.
type stream struct {
	ctx      context.Context
	name     string
	id       string
	model    string
	jsonTool string
	secrets  []string

	body      io.ReadCloser
	frames    *frameReader
	closeOnce sync.Once

	// toolIndex maps a contentBlockIndex to the ordinal of the tool call
	// it holds (OpenAI clients expect tool call indexes 0, 1, ...).
	toolIndex map[int]int
	// jsonBlock is the contentBlockIndex of the response_format tool, -1
	// until it starts.
	jsonBlock int
	// otherTools is true once a client tool call started.
	otherTools bool
	// done is set after the metadata event, Bedrock's end marker.
	done bool
	// err is returned by every Recv after the first failure.
	err error
}

func newStream(ctx context.Context, name string, resp *http.Response, model, jsonTool string, secrets []string) *stream {
	return &stream{
		ctx:       ctx,
		name:      name,
		id:        resp.Header.Get("X-Amzn-Requestid"),
		model:     model,
		jsonTool:  jsonTool,
		secrets:   secrets,
		body:      resp.Body,
		frames:    newFrameReader(resp.Body),
		toolIndex: make(map[int]int),
		jsonBlock: -1,
	}
}

// Recv reads one frame and returns its chunk, io.EOF after the metadata
// event, and an *provider.Error for exceptions, malformed frames and bodies
// that end early.
func (s *stream) Recv() (*provider.Chunk, error) {
	if s.err != nil {
		return nil, s.err
	}
	if s.done {
		return nil, io.EOF
	}
	chunk, err := s.next()
	if err != nil {
		s.err = err
		return nil, err
	}
	return chunk, nil
}

// Close releases the upstream connection; it is safe to call twice and
// concurrently with a blocked Recv, which it unblocks.
func (s *stream) Close() error {
	s.closeOnce.Do(func() { _ = s.body.Close() })
	return nil
}

func (s *stream) next() (*provider.Chunk, error) {
	msg, err := s.frames.next()
	if err != nil {
		return nil, s.readError(err)
	}
	switch mt := headerString(msg, hdrMessageType); mt {
	case eventstreamapi.EventMessageType:
		return s.event(headerString(msg, hdrEventType), msg.Payload)
	case eventstreamapi.ExceptionMessageType:
		return nil, s.exception(headerString(msg, hdrExceptionType), msg.Payload)
	case eventstreamapi.ErrorMessageType:
		code := headerString(msg, hdrErrorCode)
		kind, ok := kindForCode(code)
		if !ok {
			kind = provider.ErrServer
		}
		return nil, &provider.Error{Provider: s.name, Kind: kind, Code: code,
			Message: redact(firstNonEmpty(headerString(msg, hdrErrorMessage), code, "stream error"), s.secrets)}
	default:
		return nil, badResponse(s.name, "event-stream frame has unknown :message-type "+quoteShort(mt))
	}
}

func (s *stream) readError(err error) error {
	var fe *frameError
	switch {
	case errors.Is(err, errCleanEnd):
		return &provider.Error{Provider: s.name, Kind: provider.ErrStreamTruncated,
			Message: "stream ended before the metadata event"}
	case errors.Is(err, errCutFrame):
		return &provider.Error{Provider: s.name, Kind: provider.ErrStreamTruncated,
			Message: "stream ended inside an event-stream frame"}
	case errors.As(err, &fe):
		return badResponse(s.name, fe.msg)
	default:
		return provider.TransportError(s.ctx, s.name, err)
	}
}

// event maps one event frame's JSON payload.
func (s *stream) event(eventType string, payload []byte) (*provider.Chunk, error) {
	var ev streamEvent
	if len(payload) > 0 {
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, badResponse(s.name, "malformed JSON in "+quoteShort(eventType)+" event: "+err.Error())
		}
	}
	chunk := &provider.Chunk{ID: s.id, Model: s.model}
	switch eventType {
	case "messageStart":
		chunk.Role = provider.RoleAssistant
	case "contentBlockStart":
		s.blockStart(chunk, &ev)
	case "contentBlockDelta":
		s.blockDelta(chunk, &ev)
	case "messageStop":
		chunk.FinishReason = finishReason(ev.StopReason, s.jsonBlock >= 0 && !s.otherTools)
	case "metadata":
		if ev.Usage != nil {
			u := convertUsage(*ev.Usage)
			chunk.Usage = &u
		}
		s.done = true
	}
	// contentBlockStop and event types added after this adapter was
	// written carry nothing for the client: an empty chunk keeps the
	// one-chunk-per-frame rhythm.
	return chunk, nil
}

func (s *stream) blockStart(chunk *provider.Chunk, ev *streamEvent) {
	if ev.Start == nil || ev.Start.ToolUse == nil {
		return
	}
	tu := ev.Start.ToolUse
	if s.jsonTool != "" && tu.Name == s.jsonTool {
		s.jsonBlock = ev.ContentBlockIndex
		return
	}
	s.otherTools = true
	chunk.ToolCalls = []provider.ToolCallDelta{{Index: s.toolOrdinal(ev.ContentBlockIndex), ID: tu.ToolUseID, Name: tu.Name}}
}

func (s *stream) blockDelta(chunk *provider.Chunk, ev *streamEvent) {
	if ev.Delta == nil {
		return
	}
	switch {
	case ev.Delta.ToolUse != nil && ev.ContentBlockIndex == s.jsonBlock:
		chunk.Content = ev.Delta.ToolUse.Input
	case ev.Delta.ToolUse != nil:
		chunk.ToolCalls = []provider.ToolCallDelta{{Index: s.toolOrdinal(ev.ContentBlockIndex), Arguments: ev.Delta.ToolUse.Input}}
	case ev.Delta.Text != nil && s.jsonTool == "":
		chunk.Content = *ev.Delta.Text
		// With response_format the answer is the forced tool's input; text
		// the model adds around it is dropped, as in Chat.
	}
}

// toolOrdinal returns the tool-call index for a content block, assigning
// the next one on first sight.
func (s *stream) toolOrdinal(block int) int {
	if i, ok := s.toolIndex[block]; ok {
		return i
	}
	i := len(s.toolIndex)
	s.toolIndex[block] = i
	return i
}

// exception maps an exception frame (HTTP 200 already sent) to an error.
func (s *stream) exception(excType string, payload []byte) error {
	var body errorBody
	_ = json.Unmarshal(payload, &body)
	kind, ok := kindForCode(excType)
	if !ok {
		kind = provider.ErrServer
	}
	msg := firstNonEmpty(body.Message, body.MessageUpper, excType, "stream exception")
	return &provider.Error{Provider: s.name, Kind: kind, Code: excType, Message: redact(msg, s.secrets)}
}
