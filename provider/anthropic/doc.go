// Package anthropic adapts Gatehouse's OpenAI-shaped chat model to the
// Anthropic Messages API (POST {base}/v1/messages, API version 2023-06-01).
//
// # Endpoint
//
// Endpoint.BaseURL follows the ANTHROPIC_BASE_URL convention: the API root
// WITHOUT the /v1 segment ("https://api.anthropic.com", the default when
// empty). The adapter appends "/v1/messages". A base that already ends in
// "/v1" is tolerated (only "/messages" is appended) because operators copy
// OpenAI-style bases by habit and a doubled "/v1/v1" would only 404.
// The key travels in the x-api-key header, never in the URL.
//
// # Request mapping
//
//   - system and developer messages, wherever they appear, are lifted into
//     the top-level "system" field: a string for one message, an array of
//     text blocks for several (so their boundaries survive). Images in them
//     are dropped; Anthropic's system prompt only carries text.
//   - user and assistant turns become arrays of content blocks. Anthropic
//     requires roles to alternate, so consecutive turns of the same role
//     (after mapping) are merged into one. Empty text parts are dropped and
//     a message with nothing left is skipped, because Anthropic rejects
//     empty text blocks and empty turns.
//   - image parts: data: URLs become base64 image sources, http(s) URLs
//     become url image sources; any other scheme is a local ErrBadRequest.
//   - assistant tool_calls become tool_use blocks whose input is the parsed
//     arguments object (invalid JSON or a non-object is a local
//     ErrBadRequest); role "tool" messages become tool_result blocks in a
//     user turn, so consecutive tool results share one turn.
//   - tools map to {name, description, input_schema}; tool_choice "auto",
//     "required", "none" and a named function map to auto, any, none and
//     tool; parallel_tool_calls=false sets disable_parallel_tool_use.
//   - max_tokens is mandatory upstream: req.MaxTokens, else DefaultMaxTokens.
//   - reasoning_effort enables extended thinking with budget_tokens
//     BudgetLow, BudgetMedium or BudgetHigh. "none" and "minimal" leave thinking off. Anthropic
//     counts thinking inside max_tokens and requires max_tokens > budget:
//     without a client limit max_tokens becomes budget+DefaultMaxTokens; a
//     client limit at or below the budget becomes budget+limit (the limit
//     then bounds the visible answer). Anthropic forbids thinking together
//     with forced tool use, so thinking is omitted whenever the tool choice
//     forces a tool (including the structured-output trick below).
//   - stop → stop_sequences, user → metadata.user_id. seed, message names
//     and ChatRequest.Extra have no Anthropic equivalent and are ignored.
//
// # Structured output
//
// Anthropic has no response_format in the API version this adapter speaks,
// so JSON output is obtained by forcing a tool. response_format json_schema
// adds a tool named after the schema (JSONToolName when the schema has no
// name) whose input_schema is the schema; json_object does the same with
// input_schema {"type":"object"}. The call is forced with tool_choice
// {"type":"tool"} (single use). When the client also declared tools and
// did not say "none", tool_choice becomes "any" instead so the model may
// still call the client's tools; a named tool_choice is kept as is. The
// forced tool's input comes back as the assistant's text content (a JSON
// string) with finish reason "stop", never as a tool call; in streams its
// input_json_delta fragments arrive as Content. A schema name equal to one
// of the client's tool names is a local ErrBadRequest.
//
// # Response mapping
//
// Text blocks are concatenated into the message content, tool_use blocks
// become ToolCalls (arguments = compact JSON of input), thinking and
// server-tool blocks are dropped. stop_reason end_turn, stop_sequence and
// pause_turn → stop, max_tokens and model_context_window_exceeded →
// length, tool_use → tool_calls, refusal → content_filter. Usage follows
// provider.Usage: PromptTokens = input + cache read + cache creation,
// CachedTokens = cache read, CacheWriteTokens = cache creation. Anthropic
// does not report thinking tokens separately, so ReasoningTokens stays 0
// (they are inside CompletionTokens).
//
// # Streaming
//
// Each Recv reads upstream events until one yields something a client can
// see, one event at a time: message_start gives the role chunk, text and
// tool deltas give content and tool-call chunks (tool call indexes count
// tool_use blocks only, not Anthropic's block index), message_delta gives
// the finish reason with the full usage (input counts from message_start,
// overridden by any message_delta reports, which are cumulative), and
// message_stop ends the stream with io.EOF. ping, thinking and signature
// deltas are skipped. An error event becomes a *provider.Error classified
// by its error type (overloaded_error → ErrServer).
//
// Anthropic has no embeddings API, so the adapter implements only
// provider.Adapter.
package anthropic
