// Package gemini adapts Google's Gemini API (the Generative Language API at
// generativelanguage.googleapis.com) to Gatehouse's OpenAI-shaped model.
//
// # Endpoints
//
// Chat uses POST {base}/v1beta/models/{model}:generateContent, streaming
// uses :streamGenerateContent?alt=sse and embeddings use
// :batchEmbedContents. The base defaults to
// https://generativelanguage.googleapis.com; a base that already ends in a
// version ("/v1beta", "/v1") is used as is. The API key is sent in the
// x-goog-api-key header and never in the URL, so it cannot leak through
// transport errors, proxies' access logs or error messages.
//
// # Request mapping
//
//   - system and developer messages, wherever they appear, become
//     systemInstruction parts, in order.
//   - user → "user", assistant → "model"; consecutive turns of the same role
//     are merged because Gemini expects the roles to alternate.
//   - images: data: URLs become inlineData; http(s) URLs become fileData
//     with a MIME type guessed from the file extension (png, jpg/jpeg, webp,
//     gif, heic, heif, pdf); the MIME type is left out for other extensions
//     and Gemini infers it.
//   - assistant tool calls become functionCall parts; tool results become
//     functionResponse parts in a user turn. Gemini has no call ids, so the
//     function name is found by looking up tool_call_id among the earlier
//     assistant tool calls (falling back to the tool message's name). A
//     tool result that is a JSON object is sent as the response itself;
//     anything else is wrapped as {"content": "..."}.
//   - tools become functionDeclarations with parametersJsonSchema, which
//     accepts JSON Schema (additionalProperties included). Only "$schema"
//     is removed, from the schema's top level.
//   - tool_choice auto/none/required/{function} → functionCallingConfig mode
//     AUTO/NONE/ANY (+ allowedFunctionNames).
//   - response_format json_object → responseMimeType application/json;
//     json_schema adds the schema as responseJsonSchema.
//   - reasoning_effort → thinkingConfig, see thinking.go.
//   - parallel_tool_calls, user and unmodelled fields have no Gemini
//     equivalent and are dropped.
//
// # Tool-call ids and thought signatures
//
// Gemini names no call ids, so ids are synthesised per response: the
// upstream's functionCall.id when it sends one, otherwise "call_<n>" with n
// counting the response's function calls from 0. Thinking models attach an
// opaque thoughtSignature to function calls and reject the follow-up
// request if it is not sent back. The gateway keeps no state, so the
// signature travels inside the id ("<base>_gsig_<base64url signature>"); the
// client echoes the id in its next request and the adapter restores the
// signature on the functionCall part. Ids from elsewhere carry no
// signature and are sent without one.
//
// # Response mapping
//
// Text parts are concatenated, skipping thought parts. Finish reasons: STOP
// → stop (tool_calls when the answer calls functions), MAX_TOKENS → length,
// SAFETY, RECITATION, BLOCKLIST, PROHIBITED_CONTENT, SPII and IMAGE_SAFETY →
// content_filter, anything else → stop. A prompt blocked by
// promptFeedback.blockReason (no candidates) is an empty answer with
// content_filter, not an error.
//
// Usage: PromptTokens = promptTokenCount (which already includes
// cachedContentTokenCount) + toolUsePromptTokenCount; CachedTokens =
// cachedContentTokenCount; CompletionTokens = candidatesTokenCount +
// thoughtsTokenCount; ReasoningTokens = thoughtsTokenCount; TotalTokens is
// recomputed as PromptTokens + CompletionTokens, which equals Gemini's own
// totalTokenCount by its definition. Embedding calls report no token counts
// upstream, so their usage stays zero.
//
// # Streaming
//
// Each SSE event carries a whole GenerateContentResponse and becomes one
// Chunk; function calls arrive complete and become ToolCallDeltas with id,
// name and full arguments. The stream has no [DONE] marker: an event with a
// finishReason (or a blocked prompt) is the end marker, and a body that
// ends before one is ErrStreamTruncated. usageMetadata is cumulative and
// may ride on every event, so it is reported once: on the finishing chunk,
// from the latest report seen, or, if none was seen by then, on the first
// later event that carries one.
package gemini
