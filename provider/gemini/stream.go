package gemini

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"

	"github.com/gatehouse-llm/gatehouse/provider"
	"github.com/gatehouse-llm/gatehouse/provider/sse"
)

// stream turns streamGenerateContent's SSE events into chunks, one event
// per Recv.
type stream struct {
	ctx    context.Context
	name   string
	apiKey string
	body   io.ReadCloser
	events *sse.Reader

	started       bool            // the role was sent on the first chunk
	finished      bool            // a finishReason (the end marker) was seen
	usage         *provider.Usage // latest cumulative usage report
	usageReported bool
	toolCalls     int   // function calls seen so far; numbers the next one
	err           error // sticky terminal result, io.EOF included

	closeOnce sync.Once
	closeErr  error
}

var _ provider.Stream = (*stream)(nil)

// newStream wraps an accepted streaming response.
func newStream(ctx context.Context, name, apiKey string, resp *http.Response) *stream {
	return &stream{ctx: ctx, name: name, apiKey: apiKey, body: resp.Body, events: sse.NewReader(resp.Body)}
}

// Recv returns the chunk for the next event, io.EOF after the body ends
// behind the end marker, and ErrStreamTruncated when it ends before one.
func (s *stream) Recv() (*provider.Chunk, error) {
	if s.err != nil {
		return nil, s.err
	}
	for {
		ev, err := s.events.Next()
		if err != nil {
			s.err = s.endError(err)
			return nil, s.err
		}
		data := bytes.TrimSpace(ev.Data)
		if len(data) == 0 {
			continue // keep-alive or an empty event carries nothing
		}
		var gr generateResponse
		if err := json.Unmarshal(data, &gr); err != nil {
			s.err = badResponse(s.name, "malformed stream event: "+err.Error())
			return nil, s.err
		}
		if gr.Error != nil {
			s.err = errorFromStatus(s.name, s.apiKey, http.StatusOK, gr.Error)
			return nil, s.err
		}
		return s.chunk(&gr), nil
	}
}

// endError classifies the end of the body: clean after the end marker,
// truncated before it, and a timeout when our own deadline cut it.
func (s *stream) endError(err error) error {
	if s.ctx.Err() != nil {
		return provider.TransportError(s.ctx, s.name, s.ctx.Err())
	}
	if s.finished {
		// Anything after the finishing event, even a torn trailing
		// event, cannot change the answer.
		return io.EOF
	}
	if pe := provider.BodyFault(s.name, err); pe != nil {
		return pe
	}
	msg := "stream ended before a finishReason"
	if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		msg += ": " + err.Error()
	}
	return &provider.Error{Provider: s.name, Kind: provider.ErrStreamTruncated, Message: msg}
}

// chunk maps one event.
func (s *stream) chunk(gr *generateResponse) *provider.Chunk {
	c := &provider.Chunk{ID: gr.ResponseID, Model: gr.ModelVersion}
	if !s.started {
		c.Role = provider.RoleAssistant
		s.started = true
	}
	if gr.UsageMetadata != nil {
		u := mapUsage(gr.UsageMetadata)
		s.usage = &u
	}
	var finish string
	switch {
	case len(gr.Candidates) > 0:
		cand := gr.Candidates[0]
		if cand.Content != nil {
			s.addParts(c, cand.Content.Parts)
		}
		if cand.FinishReason != "" {
			finish = mapFinishReason(cand.FinishReason, s.toolCalls > 0)
		}
	case gr.PromptFeedback != nil && gr.PromptFeedback.BlockReason != "":
		finish = provider.FinishContentFilter
	}
	if finish != "" && !s.finished {
		c.FinishReason = finish
		s.finished = true
	}
	// usageMetadata is cumulative: report it once, on the finishing chunk,
	// or on the first later event that carries it if the finishing one
	// did not.
	if s.finished && !s.usageReported && s.usage != nil {
		u := *s.usage
		c.Usage = &u
		s.usageReported = true
	}
	return c
}

// addParts appends an event's text and complete function calls.
func (s *stream) addParts(c *provider.Chunk, parts []part) {
	var text bytes.Buffer
	for _, p := range parts {
		switch {
		case p.FunctionCall != nil:
			c.ToolCalls = append(c.ToolCalls, provider.ToolCallDelta{
				Index:     s.toolCalls,
				ID:        toolCallID(p.FunctionCall.ID, s.toolCalls, p.ThoughtSignature),
				Name:      p.FunctionCall.Name,
				Arguments: compactArgs(p.FunctionCall.Args),
			})
			s.toolCalls++
		case p.Thought:
		default:
			text.WriteString(p.Text)
		}
	}
	c.Content = text.String()
}

// Close releases the connection; calling it again is harmless.
func (s *stream) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.body.Close() })
	return s.closeErr
}
