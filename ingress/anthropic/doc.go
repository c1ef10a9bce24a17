// Package anthropic speaks the Anthropic Messages API (POST /v1/messages,
// version 2023-06-01) to Gatehouse's clients, so that the official Anthropic
// SDKs and tools built on them work unchanged against the gateway.
//
// It is the reverse of provider/anthropic: DecodeMessages turns a client's
// Messages request into the internal OpenAI-shaped model, EncodeMessage and
// StreamEncoder turn the internal answer back into Anthropic's message and
// event stream, and EncodeError renders Anthropic's error envelope. The
// package does no I/O. The "model" the client sends is a Gatehouse alias;
// it stays in ChatRequest.Model and every encoder echoes it back.
//
// # Request mapping
//
//   - system (a string, or text blocks) becomes leading system messages,
//     one per block so block boundaries survive a round trip.
//   - User content: text and image blocks become parts (base64 sources as
//     data: URLs, url sources as image URLs); a lone text block becomes
//     plain string content, which every upstream accepts. Each tool_result
//     becomes a role "tool" message with tool_call_id = tool_use_id, placed
//     before the rest of the turn as OpenAI requires tool answers to follow
//     the assistant's calls directly. A tool_result's string or single text
//     block becomes plain text; several blocks or images become parts.
//     is_error has no internal equivalent and is dropped; the result text
//     is expected to say what went wrong.
//   - Assistant content: text blocks are concatenated into the content,
//     tool_use blocks become tool calls whose arguments are the compact JSON
//     of input. An assistant turn left with neither is omitted.
//   - thinking and redacted_thinking blocks are dropped, and so is the
//     "thinking" request field: the internal model cannot carry thinking
//     blocks and their signatures back upstream, and Anthropic rejects a
//     thinking-enabled tool-use continuation whose assistant turn lacks them.
//     Mapping "thinking" to reasoning_effort would therefore break every
//     agent loop on an Anthropic upstream.
//   - Document, server-tool and other block types, server tools (any tool
//     "type" but "custom") and file image sources cannot be expressed
//     internally and are refused with a BadRequest naming the field, rather
//     than silently changing what the model sees.
//   - tools map to function tools (input_schema → parameters, strict kept);
//     tool_choice auto, any, tool and none map to "auto", "required", a named
//     function and "none"; disable_parallel_tool_use sets
//     parallel_tool_calls false.
//   - max_tokens is required, as Anthropic requires it. temperature, top_p,
//     stop_sequences (→ stop) and metadata.user_id (→ user) are kept;
//     output_config.format json_schema becomes response_format json_schema
//     named "response". top_k, output_config.effort, cache_control hints,
//     service_tier and other fields have no internal equivalent and are
//     ignored without error: refusing them would break ordinary SDK calls
//     for knobs that only tune sampling or cost.
//
// # Response mapping
//
// Text becomes one text block, followed by one tool_use block per call
// whose input is the parsed arguments object (arguments that are not a JSON
// object become {}, since Anthropic's input is always an object). Finish
// reasons map stop → end_turn, length → max_tokens, tool_calls → tool_use,
// content_filter → refusal; a "stop" answer that nevertheless carries tool
// calls reports tool_use, because Anthropic clients run tools only on that
// stop reason. The internal model does not say which stop sequence matched,
// so stop_sequence is always null. Usage follows Anthropic's convention:
// input_tokens excludes cache reads and cache writes, which are reported as
// cache_read_input_tokens and cache_creation_input_tokens.
//
// # Streaming
//
// StreamEncoder produces Anthropic's event sequence: message_start, then
// for each content block content_block_start, its deltas and
// content_block_stop, then message_delta (stop reason and cumulative usage)
// and message_stop. Only one block is open at a time. Tool calls usually
// arrive one after another; when pieces of a later call arrive while the
// open call's arguments are not yet a complete JSON value, the later call
// is held back and sent once the open one completes, so block indexes stay
// sequential whatever order the upstream interleaves them in. A piece for a
// call whose block is already closed cannot be delivered in Anthropic's
// protocol and is dropped; only an upstream that resumes a call after its
// arguments were complete, or after text, produces one.
//
// # Errors
//
// EncodeError renders {"type":"error","error":{"type","message"}} with the
// type Anthropic documents for each status. The Anthropic SDKs choose the
// exception class from the status (400 BadRequestError, 401
// AuthenticationError, 403 PermissionDeniedError, 404 NotFoundError, 413
// RequestTooLargeError, 429 RateLimitError, 5xx InternalServerError or a
// subclass, anything else the base APIStatusError) and retry 408, 409, 429
// and 5xx unless the response carries "x-should-retry: false". Hence:
//
//   - Rate limited: 429 rate_limit_error with a retry-after header
//     (seconds). SDKs raise RateLimitError and back off.
//   - Out of credits: 402 billing_error, which Anthropic documents for
//     billing problems. It is never retried, and the SDKs surface it as
//     APIStatusError with status 402. A 429 would be retried and read as a
//     transient limit; a 400 would claim the request itself is malformed.
//     NoCredits builds this response.
//   - Upstream overloaded: 529 overloaded_error, retried by the SDKs.
//
// Mid-stream failures are sent as an "error" event (ErrorEvent) with the
// same body, which is how Anthropic reports errors after the 200 status.
package anthropic
