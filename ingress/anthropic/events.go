package anthropic

import "github.com/gatehouse-llm/gatehouse/provider"

// Event is one server-sent event of a Messages stream. The handler writes
// "event: <Name>\ndata: <Data>\n\n"; Data is the JSON payload, whose "type"
// repeats Name as Anthropic's own events do.
type Event struct {
	// Name is the SSE event name, which Anthropic's SDKs dispatch on.
	Name string
	// Data is the compact JSON payload, one line as SSE requires.
	Data []byte
}

// Event payloads, in Anthropic's field order.
type (
	typeOnly struct {
		Type string `json:"type"`
	}
	messageStart struct {
		Type    string  `json:"type"`
		Message message `json:"message"`
	}
	blockStart struct {
		Type         string `json:"type"`
		Index        int    `json:"index"`
		ContentBlock any    `json:"content_block"`
	}
	blockDelta struct {
		Type  string `json:"type"`
		Index int    `json:"index"`
		Delta any    `json:"delta"`
	}
	textDelta struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	inputJSONDelta struct {
		Type        string `json:"type"`
		PartialJSON string `json:"partial_json"`
	}
	blockStop struct {
		Type  string `json:"type"`
		Index int    `json:"index"`
	}
	messageDelta struct {
		Type  string          `json:"type"`
		Delta messageDeltaEnd `json:"delta"`
		Usage usage           `json:"usage"`
	}
	messageDeltaEnd struct {
		StopReason   string  `json:"stop_reason"`
		StopSequence *string `json:"stop_sequence"`
	}
)

func event(name string, payload any) Event { return Event{Name: name, Data: marshal(payload)} }

func messageStartEvent(alias, id string, inputTokens int) Event {
	return event("message_start", messageStart{Type: "message_start", Message: message{
		ID:      id,
		Type:    "message",
		Role:    provider.RoleAssistant,
		Model:   alias,
		Content: []any{},
		Usage:   usage{InputTokens: inputTokens},
	}})
}

func blockStartEvent(index int, block any) Event {
	return event("content_block_start", blockStart{Type: "content_block_start", Index: index, ContentBlock: block})
}

func textDeltaEvent(index int, text string) Event {
	return event("content_block_delta", blockDelta{Type: "content_block_delta", Index: index, Delta: textDelta{Type: "text_delta", Text: text}})
}

func inputDeltaEvent(index int, partial string) Event {
	return event("content_block_delta", blockDelta{Type: "content_block_delta", Index: index, Delta: inputJSONDelta{Type: "input_json_delta", PartialJSON: partial}})
}

func blockStopEvent(index int) Event {
	return event("content_block_stop", blockStop{Type: "content_block_stop", Index: index})
}

// messageDeltaEvent reports the stop reason and the final usage. The
// counts are cumulative for the whole answer; current SDKs take
// input_tokens and the cache counts from here too, which matters because
// message_start only had an estimate.
func messageDeltaEvent(stop string, u provider.Usage) Event {
	return event("message_delta", messageDelta{Type: "message_delta", Delta: messageDeltaEnd{StopReason: stop}, Usage: toUsage(u)})
}

// Ping returns a keep-alive event, which Anthropic also sends; handlers may
// emit it while an upstream is slow so idle proxies keep the connection.
func Ping() Event { return event("ping", typeOnly{Type: "ping"}) }

// ErrorEvent returns the "error" event that reports a failure after the
// stream has started, with the same body EncodeError gives for status.
func ErrorEvent(status int, message string) Event {
	return Event{Name: "error", Data: EncodeError(status, message)}
}
