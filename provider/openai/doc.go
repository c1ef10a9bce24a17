// Package openai speaks the OpenAI Chat Completions and Embeddings wire
// protocol: to OpenAI itself, to Azure OpenAI (same body, different URL
// scheme and auth header) and to the providers that copy OpenAI's API
// (Mistral, Groq, Fireworks, Together, DeepSeek, xAI, OpenRouter,
// Perplexity, Cerebras, Ollama, vLLM and any "openai_compatible" server).
//
// Gatehouse's internal request model is already OpenAI-shaped, so the body
// sent upstream is the client's request nearly verbatim: modelled fields are
// re-encoded in OpenAI's form and unknown fields (ChatRequest.Extra) are
// merged back untouched, which lets new upstream features work without a
// Gatehouse release. The adapter changes only what an upstream is known to
// need changed:
//
//   - OpenAI reasoning models (see reasoning.go) get max_completion_tokens
//     instead of max_tokens, and a non-default temperature or top_p is
//     rejected locally rather than spending a round trip on a certain 400.
//   - Streams ask for a usage report (stream_options.include_usage) unless
//     the upstream rejects that option and reports usage unasked (Mistral).
//   - Mistral calls the sampling seed random_seed.
//
// Pick the upstream with New (by provider name) or NewAzure; the provider
// table lives in providers.go.
package openai
