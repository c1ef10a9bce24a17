package mock

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// errStreamClosed is returned by Recv after Close, as reading a closed
// upstream body would fail.
var errStreamClosed = errors.New("mock: stream closed")

// stream hands out precomputed chunks, waiting before each content chunk so
// that the latency is felt the way a slowly generating model's is.
type stream struct {
	ctx    context.Context // the caller's, for Recv's error
	wait   context.Context // also cancelled by Close, to cut a wait short
	cancel context.CancelFunc
	sleep  func(ctx context.Context, d time.Duration) error

	chunks []provider.Chunk
	waits  []time.Duration // waits[i] precedes chunks[i]

	mu     sync.Mutex
	next   int
	closed bool
}

// newStream spreads latency over every chunk but the last, which carries
// the finish reason and usage.
func newStream(ctx context.Context, sleep func(context.Context, time.Duration) error, chunks []provider.Chunk, latency time.Duration) *stream {
	wait, cancel := context.WithCancel(ctx)
	waits := make([]time.Duration, len(chunks))
	copy(waits, spread(latency, len(chunks)-1))
	return &stream{ctx: ctx, wait: wait, cancel: cancel, sleep: sleep, chunks: chunks, waits: waits}
}

// Recv returns the next chunk, io.EOF after the last one, and ctx.Err()
// once the caller's context is done.
func (s *stream) Recv() (*provider.Chunk, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errStreamClosed
	}
	if s.next >= len(s.chunks) {
		return nil, io.EOF
	}
	if err := s.ctx.Err(); err != nil {
		return nil, err
	}
	if err := s.sleep(s.wait, s.waits[s.next]); err != nil {
		if s.ctx.Err() != nil {
			return nil, s.ctx.Err()
		}
		return nil, errStreamClosed
	}
	c := s.chunks[s.next]
	s.next++
	if s.next == len(s.chunks) {
		s.cancel()
	}
	return &c, nil
}

// Close ends the stream; a Recv waiting on latency returns at once. It is
// safe to call more than once.
func (s *stream) Close() error {
	s.cancel()
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	return nil
}

// streamChunks turns a reply into the chunks a streaming upstream would
// send: the role on the first, one per word of text (or one for the tool
// call), then one with the finish reason and usage.
func streamChunks(id, model string, r reply) []provider.Chunk {
	var chunks []provider.Chunk
	if r.toolCall != nil {
		chunks = append(chunks, provider.Chunk{ToolCalls: []provider.ToolCallDelta{{
			Index:     0,
			ID:        r.toolCall.ID,
			Name:      r.toolCall.Function.Name,
			Arguments: r.toolCall.Function.Arguments,
		}}})
	} else {
		for _, w := range splitWords(r.text) {
			chunks = append(chunks, provider.Chunk{Content: w})
		}
		if len(chunks) == 0 {
			chunks = append(chunks, provider.Chunk{})
		}
	}
	chunks[0].Role = provider.RoleAssistant
	usage := r.usage
	chunks = append(chunks, provider.Chunk{FinishReason: r.finish, Usage: &usage})
	for i := range chunks {
		chunks[i].ID = id
		chunks[i].Model = model
	}
	return chunks
}

// splitWords cuts text into word-sized pieces that concatenate back to it:
// each piece is a run of spaces followed by a run of non-spaces, and
// trailing spaces stay with the last word.
func splitWords(text string) []string {
	var words []string
	start, i := 0, 0
	for i < len(text) {
		// Skip the spaces that lead the word, then the word itself.
		for i < len(text) {
			r, size := utf8.DecodeRuneInString(text[i:])
			if !unicode.IsSpace(r) {
				break
			}
			i += size
		}
		for i < len(text) {
			r, size := utf8.DecodeRuneInString(text[i:])
			if unicode.IsSpace(r) {
				break
			}
			i += size
		}
		words = append(words, text[start:i])
		start = i
	}
	if n := len(words); n > 1 && isSpaceOnly(words[n-1]) {
		words[n-2] += words[n-1]
		words = words[:n-1]
	}
	return words
}

// isSpaceOnly reports whether s holds nothing but white space.
func isSpaceOnly(s string) bool {
	for _, r := range s {
		if !unicode.IsSpace(r) {
			return false
		}
	}
	return true
}
