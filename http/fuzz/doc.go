// Package fuzz holds the go test -fuzz targets that drive the whole HTTP
// API with arbitrary request bodies: management and job API bodies, job
// calls, /v1/chat/completions, /v1/messages and /v1/embeddings.
//
// They live apart from package http on purpose. A fuzzing build
// instruments every package its test binary links, and package http's
// tests link the official OpenAI and Anthropic SDKs (they serve as test
// clients), which would add minutes of instrumented compilation to every
// CI run. This package links only what the server itself needs.
//
// Properties, for every input: no 500 and no panic (the server turns a
// panic into a 500), every error an error object, and no more allocation
// than the management body cap plus 64 bytes per body byte, so no value
// in a body can make the server allocate in proportion to it. Seeds are
// the f.Add calls and testdata/fuzz/<target>/; CI runs each target for a
// few seconds (.ci/run).
package fuzz
