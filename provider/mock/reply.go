package mock

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gatehouse-llm/gatehouse/provider"
)

// reply is the mock model's answer: either text or one tool call.
type reply struct {
	text     string
	toolCall *provider.ToolCall
	finish   string
	usage    provider.Usage
}

// buildReply decides what the model answers; see the package documentation
// for the rules.
func buildReply(name string, req *provider.ChatRequest, cfg settings, dir directives) (reply, error) {
	if req.MaxTokens != nil && *req.MaxTokens < 1 {
		return reply{}, badRequest(name, "invalid_request_error", "max_tokens must be at least 1, got %d", *req.MaxTokens)
	}
	tool, err := chooseTool(name, req, dir.tool)
	if err != nil {
		return reply{}, err
	}
	if tool != nil {
		args, err := schemaExample(tool.Function.Parameters)
		if err != nil {
			return reply{}, badRequest(name, "invalid_request_error", "tool %s: parameters: %v", tool.Function.Name, err)
		}
		call := &provider.ToolCall{
			ID:   "call_mock_" + strconv.Itoa(len(req.Messages)),
			Type: "function",
			Function: provider.FunctionCall{
				Name:      tool.Function.Name,
				Arguments: args,
			},
		}
		return reply{
			toolCall: call,
			finish:   provider.FinishToolCalls,
			usage:    usageFor(req.Messages, textTokens(call.Function.Name+call.Function.Arguments)),
		}, nil
	}
	text := cfg.fixedText
	if req.Model == ModelEcho {
		text = lastUserText(req.Messages)
	}
	text, err = formatAnswer(name, req.ResponseFormat, text)
	if err != nil {
		return reply{}, err
	}
	text, finish := limit(text, req.Stop, req.MaxTokens)
	return reply{text: text, finish: finish, usage: usageFor(req.Messages, textTokens(text))}, nil
}

// formatAnswer turns the plain answer into the JSON the response format
// asks for.
func formatAnswer(name string, rf *provider.ResponseFormat, text string) (string, error) {
	if rf == nil {
		return text, nil
	}
	switch rf.Type {
	case "", provider.FormatText:
		return text, nil
	case provider.FormatJSONObject:
		return marshalJSON(map[string]string{"text": text})
	case provider.FormatJSONSchema:
		if rf.JSONSchema == nil {
			return "", badRequest(name, "invalid_request_error", "response_format.json_schema is required when type is json_schema")
		}
		out, err := schemaExample(rf.JSONSchema.Schema)
		if err != nil {
			return "", badRequest(name, "invalid_request_error", "response_format.json_schema.schema: %v", err)
		}
		return out, nil
	default:
		return "", badRequest(name, "invalid_request_error", "response_format.type %q is not one of text, json_object, json_schema", rf.Type)
	}
}

// limit applies stop sequences and max_tokens as a model would: the answer
// ends before the first stop sequence, and an answer over max_tokens is cut
// to max_tokens×4 bytes on a UTF-8 boundary with finish reason "length".
func limit(text string, stop []string, maxTokens *int) (string, string) {
	for _, s := range stop {
		if s == "" {
			continue
		}
		if i := strings.Index(text, s); i >= 0 {
			text = text[:i]
		}
	}
	if maxTokens == nil || textTokens(text) <= *maxTokens {
		return text, provider.FinishStop
	}
	n := *maxTokens * bytesPerToken
	for n > 0 && !utf8.RuneStart(text[n]) {
		n--
	}
	return text[:n], provider.FinishLength
}
