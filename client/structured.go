package client

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
)

// DecodeError reports a structured answer that does not decode into the
// requested type (a model that ignored the schema, or an answer cut short
// by max_tokens). Content is the raw answer, for logging or a retry with a
// corrective message.
type DecodeError struct {
	Content string
	// FinishReason is why the answer ended; "length" means it was cut.
	FinishReason string
	Err          error
}

// Error names the failure and how the answer ended.
func (e *DecodeError) Error() string {
	return fmt.Sprintf("gatehouse: the structured answer (finish reason %q) does not decode: %v", e.FinishReason, e.Err)
}

// Unwrap returns the JSON error.
func (e *DecodeError) Unwrap() error { return e.Err }

// Structured asks model, inside job jobID, for an answer shaped like T and
// decodes it. The schema is SchemaFor[T] (see there for the rules), sent as
// response_format {"type": "json_schema", "json_schema": {"name": T's
// name, "schema": …, "strict": true}} — strict is false only for types
// that strict mode cannot express (maps, interfaces). T must encode as a
// JSON object (a struct, a pointer to one, or a map). The call's response
// is returned too, for its usage and cost; when the answer does not decode
// the error is a *DecodeError holding it.
func Structured[T any](ctx context.Context, c *Client, jobID, model string, messages []Message) (T, *ChatResponse, error) {
	var zero T
	rf, err := responseFormatFor(reflect.TypeFor[T]())
	if err != nil {
		return zero, nil, err
	}
	resp, err := c.Chat(ctx, jobID, ChatRequest{Model: model, Messages: messages, ResponseFormat: rf})
	if err != nil {
		return zero, nil, err
	}
	var out T
	if err := json.Unmarshal([]byte(resp.Content), &out); err != nil {
		return zero, resp, &DecodeError{Content: resp.Content, FinishReason: resp.FinishReason, Err: err}
	}
	return out, resp, nil
}

// responseFormatFor builds the json_schema response format of t.
func responseFormatFor(t reflect.Type) (*ResponseFormat, error) {
	base := t
	for base.Kind() == reflect.Pointer {
		base = base.Elem()
	}
	if base.Kind() != reflect.Struct && base.Kind() != reflect.Map {
		return nil, fmt.Errorf("gatehouse: Structured needs a struct or map type, not %v: a structured answer is a JSON object", t)
	}
	s, err := schemaOf(t)
	if err != nil {
		return nil, err
	}
	strict := s.Strict()
	return &ResponseFormat{Type: "json_schema", JSONSchema: &JSONSchema{
		Name: schemaName(base.Name(), "response"), Schema: s, Strict: &strict}}, nil
}
