package bedrock

import "encoding/json"

// Converse wire types, as in the Bedrock Runtime API reference
// (Converse, ConverseStream, ContentBlock, ToolConfiguration, TokenUsage).
// Unions are structs of optional members; exactly one is set.

// converseRequest is the body of both Converse and ConverseStream.
type converseRequest struct {
	Messages        []message        `json:"messages"`
	System          []systemBlock    `json:"system,omitempty"`
	InferenceConfig *inferenceConfig `json:"inferenceConfig,omitempty"`
	ToolConfig      *toolConfig      `json:"toolConfig,omitempty"`
}

type message struct {
	Role    string         `json:"role"`
	Content []contentBlock `json:"content"`
}

type systemBlock struct {
	Text string `json:"text"`
}

// contentBlock is the ContentBlock union. reasoningContent and the other
// members Gatehouse does not model are ignored when decoding.
type contentBlock struct {
	Text       string           `json:"text,omitempty"`
	Image      *imageBlock      `json:"image,omitempty"`
	ToolUse    *toolUseBlock    `json:"toolUse,omitempty"`
	ToolResult *toolResultBlock `json:"toolResult,omitempty"`
}

type imageBlock struct {
	Format string      `json:"format"` // png | jpeg | gif | webp
	Source imageSource `json:"source"`
}

// imageSource carries the image bytes; the JSON protocol encodes blobs as
// base64 strings.
type imageSource struct {
	Bytes string `json:"bytes"`
}

type toolUseBlock struct {
	ToolUseID string          `json:"toolUseId"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
}

type toolResultBlock struct {
	ToolUseID string              `json:"toolUseId"`
	Content   []toolResultContent `json:"content"`
}

// toolResultContent is the ToolResultContentBlock union; JSON must be an
// object.
type toolResultContent struct {
	Text *string         `json:"text,omitempty"`
	JSON json.RawMessage `json:"json,omitempty"`
}

type inferenceConfig struct {
	MaxTokens     *int     `json:"maxTokens,omitempty"`
	Temperature   *float64 `json:"temperature,omitempty"`
	TopP          *float64 `json:"topP,omitempty"`
	StopSequences []string `json:"stopSequences,omitempty"`
}

type toolConfig struct {
	Tools      []tool      `json:"tools"`
	ToolChoice *toolChoice `json:"toolChoice,omitempty"`
}

type tool struct {
	ToolSpec toolSpec `json:"toolSpec"`
}

type toolSpec struct {
	Name        string      `json:"name"`
	Description string      `json:"description,omitempty"`
	InputSchema inputSchema `json:"inputSchema"`
}

type inputSchema struct {
	JSON json.RawMessage `json:"json"`
}

// emptyObject encodes as {}, the value of the auto and any choices.
type emptyObject struct{}

// toolChoice is the ToolChoice union: {"auto":{}}, {"any":{}} or
// {"tool":{"name":...}}.
type toolChoice struct {
	Auto *emptyObject `json:"auto,omitempty"`
	Any  *emptyObject `json:"any,omitempty"`
	Tool *namedTool   `json:"tool,omitempty"`
}

type namedTool struct {
	Name string `json:"name"`
}

// converseResponse is the Converse response body.
type converseResponse struct {
	Output struct {
		Message *message `json:"message"`
	} `json:"output"`
	StopReason string      `json:"stopReason"`
	Usage      *tokenUsage `json:"usage"`
}

type tokenUsage struct {
	InputTokens           int `json:"inputTokens"`
	OutputTokens          int `json:"outputTokens"`
	TotalTokens           int `json:"totalTokens"`
	CacheReadInputTokens  int `json:"cacheReadInputTokens"`
	CacheWriteInputTokens int `json:"cacheWriteInputTokens"`
}

// streamEvent holds the payload of any ConverseStream event; which fields
// are set depends on the frame's :event-type (messageStart: role;
// contentBlockStart: start, contentBlockIndex; contentBlockDelta: delta,
// contentBlockIndex; messageStop: stopReason; metadata: usage). Bedrock
// also pads payloads with a random "p" field, which is ignored.
type streamEvent struct {
	Role              string      `json:"role"`
	ContentBlockIndex int         `json:"contentBlockIndex"`
	Start             *blockStart `json:"start"`
	Delta             *blockDelta `json:"delta"`
	StopReason        string      `json:"stopReason"`
	Usage             *tokenUsage `json:"usage"`
}

type blockStart struct {
	ToolUse *struct {
		ToolUseID string `json:"toolUseId"`
		Name      string `json:"name"`
	} `json:"toolUse"`
}

type blockDelta struct {
	Text    *string `json:"text"`
	ToolUse *struct {
		Input string `json:"input"`
	} `json:"toolUse"`
}

// errorBody is the JSON body of HTTP errors and exception frames. Services
// spell the message field "message" or "Message"; "__type" and "code" are
// fallbacks for the error type when the X-Amzn-ErrorType header is absent.
type errorBody struct {
	Message      string `json:"message"`
	MessageUpper string `json:"Message"`
	Type         string `json:"__type"`
	Code         string `json:"code"`
}
