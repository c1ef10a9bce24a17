package openai

import (
	"encoding/json"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// chunk is a chat.completion.chunk payload in OpenAI's field order.
type chunk struct {
	ID                string        `json:"id"`
	Object            string        `json:"object"`
	Created           int64         `json:"created"`
	Model             string        `json:"model"`
	SystemFingerprint *string       `json:"system_fingerprint"`
	Choices           []chunkChoice `json:"choices"`
	// Usage is omitted, "null" on ordinary chunks when the client asked for
	// usage, or the usage object on the final chunk.
	Usage json.RawMessage `json:"usage,omitempty"`
}

type chunkChoice struct {
	Index        int       `json:"index"`
	Delta        delta     `json:"delta"`
	Logprobs     *struct{} `json:"logprobs"`
	FinishReason *string   `json:"finish_reason"`
}

// delta holds only what changed; an empty delta renders as {}.
type delta struct {
	Role      string          `json:"role,omitempty"`
	Content   *string         `json:"content,omitempty"`
	ToolCalls []toolCallDelta `json:"tool_calls,omitempty"`
}

// toolCallDelta is a streamed tool call piece. The first piece of a call
// carries id, type and name; later ones only the index and more arguments.
type toolCallDelta struct {
	Index    int           `json:"index"`
	ID       string        `json:"id,omitempty"`
	Type     string        `json:"type,omitempty"`
	Function functionDelta `json:"function"`
}

type functionDelta struct {
	Name      string `json:"name,omitempty"`
	Arguments string `json:"arguments"`
}

// ChunkEncoder turns one answer's provider.Chunks into chat.completion.chunk
// payloads. It is stateful (the role goes on the first payload only, a
// tool call's id and name on its first piece only), so use one per stream
// and not concurrently.
type ChunkEncoder struct {
	// IncludeUsage adds "usage": null to every payload except FinalUsage's,
	// as OpenAI does when the client set stream_options.include_usage.
	// Set it from DecodeChat's includeUsage.
	IncludeUsage bool

	alias, id string
	created   int64
	roleSent  bool
	seenTools map[int]bool
}

// NewChunkEncoder starts a stream. alias is echoed as "model"; id and
// created are repeated on every payload, as OpenAI does.
func NewChunkEncoder(alias, id string, created int64) *ChunkEncoder {
	return &ChunkEncoder{alias: alias, id: id, created: created, seenTools: make(map[int]bool)}
}

// Chunk returns the payloads for one provider chunk, possibly none. Content
// and tool-call pieces share one payload; a finish reason follows in its own
// payload with an empty delta. The chunk's Usage is ignored: FinalUsage
// reports usage once, at the end.
func (e *ChunkEncoder) Chunk(c *provider.Chunk) [][]byte {
	if c == nil {
		return nil
	}
	var d delta
	if c.Content != "" {
		text := c.Content
		d.Content = &text
	}
	for _, tc := range c.ToolCalls {
		d.ToolCalls = append(d.ToolCalls, e.toolDelta(tc))
	}
	hasDelta := d.Content != nil || len(d.ToolCalls) > 0
	if !e.roleSent && (hasDelta || c.Role != "" || c.FinishReason != "") {
		e.roleSent = true
		d.Role = provider.RoleAssistant
		if !hasDelta {
			empty := "" // OpenAI opens with {"role":"assistant","content":""}
			d.Content = &empty
		}
		hasDelta = true
	}
	var out [][]byte
	if hasDelta {
		out = append(out, e.payload(d, nil))
	}
	if c.FinishReason != "" {
		reason := c.FinishReason
		out = append(out, e.payload(delta{}, &reason))
	}
	return out
}

// toolDelta renders a piece of a tool call; the first piece seen for an
// index gets type "function", which SDK accumulators require.
func (e *ChunkEncoder) toolDelta(tc provider.ToolCallDelta) toolCallDelta {
	d := toolCallDelta{Index: tc.Index, Function: functionDelta{Arguments: tc.Arguments}}
	if !e.seenTools[tc.Index] {
		e.seenTools[tc.Index] = true
		d.ID, d.Type, d.Function.Name = tc.ID, "function", tc.Name
	}
	return d
}

func (e *ChunkEncoder) payload(d delta, finish *string) []byte {
	c := e.frame()
	c.Choices = []chunkChoice{{Index: 0, Delta: d, FinishReason: finish}}
	if e.IncludeUsage {
		c.Usage = json.RawMessage("null")
	}
	return marshal(c)
}

func (e *ChunkEncoder) frame() chunk {
	return chunk{ID: e.id, Object: "chat.completion.chunk", Created: e.created, Model: e.alias}
}

// FinalUsage returns the usage-only payload OpenAI sends last when the
// client set stream_options.include_usage: "choices" is empty and "usage"
// holds the whole answer's counts.
func (e *ChunkEncoder) FinalUsage(u provider.Usage) []byte {
	c := e.frame()
	c.Choices = []chunkChoice{}
	c.Usage = marshal(toUsage(u))
	return marshal(c)
}
