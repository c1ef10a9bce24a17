// Package mock is a built-in provider that answers without any network call
// or provider key, so a newcomer can try Gatehouse in a minute and a
// customer's CI can exercise its whole integration — including the failure
// paths — for free and deterministically.
//
// # Models
//
//   - "echo" answers with the text of the last user message, exactly as sent
//     (directives included; nothing is stripped or prefixed). With no user
//     message the answer is empty.
//   - "fixed" answers with the configured text, by default
//     "This is a mock response from Gatehouse."
//   - "embed" is the embedding model (see Embeddings below).
//
// Any other model name fails like a real upstream: HTTP 404,
// code "model_not_found".
//
// # Endpoint settings (provider.Endpoint.Extra)
//
//   - "latency_ms": whole milliseconds to wait before answering (0–60000).
//   - "error_status": an HTTP status from 400 to 599; every call then fails
//     with the *provider.Error a real upstream's status would produce
//     (Kind from provider.KindForStatus, an OpenAI-style Code and Message,
//     and RetryAfter of one second for 429).
//   - "fixed_text": the answer of the "fixed" model.
//
// A malformed setting fails every call with HTTP 400, code "mock_config".
//
// # Per-request directives
//
// Directives let a test choose a behaviour per request without touching the
// gateway's configuration. They are read from the text of the last user
// message (for embeddings: from every input) and have the form
// "[mock:key=value]":
//
//   - "[mock:error=429]" fails the call with that status (any 400–599; the
//     usual ones are 400, 401, 429 and 500). It takes precedence over the
//     "error_status" setting.
//   - "[mock:latency=250ms]" adds that much latency (a Go duration: "1s",
//     "1500ms") to "latency_ms". The total may not exceed one minute.
//   - "[mock:tool=NAME]" makes the model call the declared tool NAME.
//
// An unknown key or a malformed value fails with HTTP 400, code
// "invalid_mock_directive", so a typo in a test is noticed instead of
// silently ignored.
//
// # Latency
//
// The wait happens before anything else: a call that is made to fail waits
// first and then fails, as a slow upstream would. In a stream the latency is
// spread over the content chunks: with n of them, each is preceded by
// latency/n (the first one also takes the remainder) and the final chunk,
// which carries the finish reason and usage, follows at once. ChatStream
// itself returns immediately, like an upstream that sends its headers
// straight away. A context deadline during the wait of Chat, ChatStream or
// Embed yields an ErrTimeout *provider.Error, a cancellation yields
// ctx.Err(); Stream.Recv returns ctx.Err() in both cases.
//
// # Tool calls
//
// The model calls a tool, with finish reason "tool_calls", when:
//
//  1. tool_choice names a function ({"type":"function","function":{"name":N}}):
//     it calls N; otherwise, unless tool_choice is "none",
//  2. the last user message holds "[mock:tool=NAME]": it calls NAME;
//     otherwise
//  3. tool_choice is "required": it calls the first declared tool.
//
// The named tool must be declared in the request (HTTP 400 otherwise). The
// arguments are "{}", or, when the tool's parameters schema requires
// properties, a minimal instance of that schema (see Structured output).
// The call's ID is "call_mock_<number of request messages>", which is
// deterministic yet differs between the turns of one conversation.
//
// # Structured output
//
// With response_format "json_object" the answer is {"text": <the text the
// model would have given>}. With "json_schema" it is a minimal instance of
// the schema: only required properties, each with a placeholder of its
// type, recursively. The placeholder is the schema's "const", else the first
// "enum" value, else by "type": "" for strings (padded with "x" to
// minLength; for the formats date-time, date, time, email, uri and uuid a
// valid fixed value such as "1970-01-01T00:00:00Z"), 0 for numbers and
// integers (or "minimum", rounded up for integers, when that is
// positive), false for booleans, null for null, minItems copies of the items
// placeholder for arrays, and an object of the required properties for
// objects. A list of types takes the first that is not "null"; "anyOf" and
// "oneOf" take their first branch; "allOf" merges its branches' required
// properties; local "$ref"s ("#/$defs/…", "#/definitions/…") are followed.
// Recursion stops at depth 32.
//
// # Length and stop sequences
//
// A text or JSON answer longer than max_tokens (by the token rule below) is
// cut to max_tokens×4 bytes (backing off to a UTF-8 boundary) with finish
// reason "length"; an answer containing a stop sequence is cut before its
// first occurrence. Tool calls are never cut.
//
// # Usage
//
// Tokens are counted with one documented rule so every number is
// predictable: a text of b bytes is ceil(b/4) tokens. A prompt is the sum,
// over its messages, of the tokens of the message's text (its text parts
// followed by each tool call's name and arguments) plus 3 per message, plus
// 85 per image part. Tool declarations are not counted. A completion is the
// tokens of its content, or of the called tool's name and arguments, with no
// overhead. Cached, cache-write and reasoning tokens are always 0.
//
// # Embeddings
//
// Model "embed" returns, per input, 8 dimensions (or the requested
// "dimensions", 1 to 3072) derived from SHA-256: dimensions 8k to 8k+7 are
// the eight big-endian 4-byte words w of SHA-256(uint32_be(k) || input),
// each mapped to w/2^31 − 1, and the vector is then scaled to unit length
// so cosine similarity behaves as with real embeddings. Equal inputs give
// equal vectors. Prompt tokens are the sum of ceil(bytes/4) over the
// inputs; directives in any input apply (a tool directive is ignored).
package mock
