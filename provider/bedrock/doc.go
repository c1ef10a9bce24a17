// Package bedrock adapts the Amazon Bedrock Runtime Converse and
// ConverseStream APIs to Gatehouse's OpenAI-shaped model.
//
// The adapter keeps its own HTTP client and wire mapping instead of using the
// bedrockruntime SDK client: the gateway needs to own the connection (shared
// tuned client, pass-through streaming, one frame per Recv) and the SDK's
// typed unions would add a second translation layer. Only two SDK pieces
// are used: aws/signer/v4 for SigV4 and aws/protocol/eventstream for the
// binary stream framing.
//
// # Endpoints and authentication
//
// Chat uses POST {base}/model/{modelId}/converse and streaming uses
// POST {base}/model/{modelId}/converse-stream. The base defaults to
// https://bedrock-runtime.{region}.amazonaws.com with the region from
// Endpoint.Extra["region"]. The model id is escaped the way the AWS SDKs
// escape a path label: every byte except A-Z a-z 0-9 - . _ ~ becomes %XX,
// so "anthropic.claude-3-opus-20240229-v1:0" travels as "...v1%3A0" and an
// inference-profile ARN keeps its ':' and '/' inside one path segment. The
// SigV4 signer then escapes that path once more for the canonical request,
// as every AWS service except S3 expects.
//
// Requests are signed with SigV4 (service "bedrock") when
// Extra["aws_access_key_id"] and Extra["aws_secret_access_key"] are set
// (plus Extra["aws_session_token"] for temporary credentials). Otherwise
// Endpoint.APIKey is sent as a Bedrock API key ("Authorization: Bearer").
// With neither the call fails locally with ErrAuth.
//
// # Request mapping
//
//   - system and developer messages, wherever they appear, become "system"
//     text blocks in order.
//   - user and assistant content parts become text and image blocks; images
//     must be base64 data: URLs (png, jpeg, gif, webp) because Converse
//     cannot fetch http(s) URLs, so those fail locally with ErrBadRequest.
//   - assistant tool calls become toolUse blocks; "tool" messages become
//     toolResult blocks in a user turn. A result that is a JSON object is
//     sent as {"json": ...}; anything else as {"text": ...}, since Converse
//     rejects non-object json documents.
//   - consecutive turns of the same role are merged (Converse requires
//     alternating roles); empty text parts are dropped because Converse
//     rejects blank text blocks.
//   - max_tokens, temperature, top_p and stop go to inferenceConfig.
//     seed, user, reasoning_effort, parallel_tool_calls and unmodelled
//     fields have no model-independent Converse equivalent and are dropped.
//   - tools become toolConfig.tools[].toolSpec; tool_choice auto/required/
//     {function} become {"auto":{}}/{"any":{}}/{"tool":{"name":...}}, and
//     "none" leaves toolConfig out entirely. Converse insists on toolConfig
//     whenever the history holds toolUse/toolResult blocks, so such a
//     request without tools (or with "none") gets Bedrock's
//     ValidationException, passed through as ErrBadRequest.
//
// # Structured output
//
// Converse has no model-independent JSON mode, so response_format json_object
// and json_schema are emulated the way Anthropic's tool-forcing approach
// works: the request gains a tool whose input schema is the wanted schema
// (json_object uses {"type":"object"}), and toolChoice forces that tool. The
// tool's input is returned as the message text, any other text the model
// wrote alongside it is dropped, and a tool_use stop becomes "stop", so the
// client sees exactly what OpenAI's JSON mode would return. Forcing a tool
// overrides the client's tool_choice and needs a model that supports a
// forced toolChoice "tool" (Anthropic Claude 3 and later, for example).
//
// # Responses and usage
//
// Text blocks are concatenated, toolUse blocks become tool calls, and
// reasoningContent blocks are dropped (the internal model has no place for
// them). stopReason end_turn/stop_sequence → stop, max_tokens and
// model_context_window_exceeded → length, tool_use → tool_calls,
// guardrail_intervened/content_filtered → content_filter.
//
// Converse reports inputTokens without the prompt-cache tokens, which come
// separately as cacheReadInputTokens and cacheWriteInputTokens, so
// PromptTokens = inputTokens + cacheRead + cacheWrite (the OpenAI convention
// the provider package uses), CachedTokens = cacheRead, CacheWriteTokens =
// cacheWrite, and TotalTokens is recomputed as prompt + completion so the
// three always add up. Converse does not report reasoning tokens separately.
//
// # Streaming
//
// ConverseStream answers with application/vnd.amazon.eventstream binary
// frames. Each Recv reads exactly one frame and returns one chunk (empty for
// frames that carry nothing the client needs, such as contentBlockStop).
// messageStop carries the finish reason; the metadata event that follows it
// carries usage and is the end marker: Recv returns io.EOF after it, and
// ErrStreamTruncated when the body ends before it. Exception frames map to
// *provider.Error (throttlingException → ErrRateLimited, validationException
// → ErrBadRequest, the server-side ones → ErrServer).
package bedrock
