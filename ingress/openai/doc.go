// Package openai speaks the OpenAI Chat Completions and Embeddings wire
// format to Gatehouse's clients, so that the official OpenAI SDKs work
// unchanged against the gateway.
//
// It is the client-facing mirror of provider/openai: DecodeChat and
// DecodeEmbeddings turn a client's request body into the internal model,
// EncodeChat, ChunkEncoder and EncodeEmbeddings turn the internal result
// back into OpenAI's response shapes, and EncodeError renders OpenAI's error
// envelope. The package does no I/O; the HTTP handlers own the connection.
//
// # Model names
//
// The "model" a client sends is a Gatehouse alias ("smart"). DecodeChat
// leaves it in ChatRequest.Model for the gateway to resolve, and every
// encoder takes the alias so responses echo what the client asked for, not
// the provider model that answered.
//
// # Requests
//
//   - "stream" and "stream_options.include_usage" are returned separately:
//     the gateway, not the request, decides how the upstream is called.
//     stream_options without stream is ignored rather than refused.
//   - "n" must be absent, null or 1: Gatehouse asks every upstream for one
//     choice, so n>1 is refused with param "n" instead of silently returning
//     fewer choices than asked for.
//   - The deprecated "functions" and "function_call" fields become tools and
//     tool_choice. Legacy history is mapped too: an assistant message's
//     function_call becomes a tool call with a synthesised id
//     ("call_legacy_<message index>") and a role "function" message becomes a
//     role "tool" message answering the latest such call with its name.
//     Responses always use tool_calls and finish_reason "tool_calls"; a
//     client that reads only message.function_call will not see the call.
//   - Every other field ChatRequest does not model stays in Extra and is
//     forwarded by OpenAI-compatible upstreams.
//
// # Streams
//
// ChunkEncoder renders chat.completion.chunk payloads; the caller writes
// "data: <payload>\n\n" for each and "data: [DONE]\n\n" at the end. The
// first payload carries role "assistant"; a finish reason travels in a chunk
// of its own with an empty delta. ChunkEncoder.Chunk never emits usage:
// FinalUsage renders the usage-only chunk ("choices": []) that OpenAI sends
// last. Send it only when the client set stream_options.include_usage, since
// clients that did not ask for it commonly index choices[0] of every chunk.
//
// # Errors
//
// EncodeError renders {"error":{"message","type","param","code"}}. The
// OpenAI SDKs choose their exception class from the HTTP status alone (400
// BadRequestError, 401 AuthenticationError, 403 PermissionDeniedError, 404
// NotFoundError, 409 ConflictError, 422 UnprocessableEntityError, 429
// RateLimitError, 5xx InternalServerError, anything else the base
// APIStatusError), and retry 408, 409, 429 and 5xx unless the response
// carries "x-should-retry: false". The body's type and code are for humans
// and for client code that branches on error.code. Hence:
//
//   - Rate limited: status 429, type "rate_limit_error", code
//     CodeRateLimitExceeded, with a Retry-After header. SDKs raise
//     RateLimitError and back off.
//   - Out of credits: status 429, type and code CodeInsufficientQuota,
//     exactly as OpenAI reports an exhausted quota, with
//     "x-should-retry: false" so the SDKs do not retry a request that
//     cannot succeed. Clients already written against OpenAI recognise it
//     (RateLimitError with code "insufficient_quota"); a 402 would surface
//     only as the generic APIStatusError. NoCredits builds this response.
package openai
